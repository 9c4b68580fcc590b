"""The edition's logo: a small SVG, PNG or JPEG, checked from its header before anything decodes it."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from flows.edition.errors import Problem
from flows.edition.ingest.files import InputFile

LOGO_FORMATS = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000  # a print logo needs a few hundred pixels; a huge one would exhaust memory


@dataclass(frozen=True)
class Logo:
    file: InputFile
    media_type: str

    @property
    def data_uri(self) -> str:
        """The logo inline: the layout never reads inputs/ again."""
        return f"data:{self.media_type};base64," + base64.b64encode(self.file.data).decode("ascii")


def check_logo(file: InputFile, name: str, source: str) -> Logo | Problem:
    """The logo, or the problem that refuses it: not a small SVG, PNG or JPEG, or too many pixels."""
    suffix = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if suffix not in LOGO_FORMATS:
        return Problem(source, "un logo SVG, PNG ou JPEG", value=name)
    if len(file.data) > MAX_LOGO_BYTES:
        return Problem(
            source, f"un logo de moins de {MAX_LOGO_BYTES // (1024 * 1024)} Mo", value=f"{len(file.data)} octets"
        )
    if suffix != ".svg":
        from PIL import Image, UnidentifiedImageError

        too_big = f"une image d'au plus {MAX_LOGO_PIXELS // 1_000_000} millions de pixels"
        try:
            with Image.open(io.BytesIO(file.data)) as image:  # reads the header only
                width, height = image.size
        except Image.DecompressionBombError:  # Pillow's own guard, from the header too
            return Problem(source, too_big, value=f"{name} (image démesurée)")
        except (UnidentifiedImageError, OSError):
            return Problem(source, "une image PNG ou JPEG lisible", value=name)
        if width * height > MAX_LOGO_PIXELS:
            return Problem(source, too_big, value=f"{width} × {height} px")
    return Logo(file, LOGO_FORMATS[suffix])
