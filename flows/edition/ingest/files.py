"""The one place that opens a file under inputs/: each file is read once, whole, and checksummed.

Everything later in the pipeline works on these bytes, so what is validated, printed, attached to the
archival copy and recorded in the manifest is exactly the same content, even if the file changes on
disk during a build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flows.edition.errors import InputError, Problem


@dataclass(frozen=True)
class InputFile:
    """One input file as it was read: where (relative to inputs/), its bytes and their SHA-256."""

    source: str
    data: bytes
    sha256: str


def read_input(path: Path, inputs: Path, limit: int | None = None) -> InputFile:
    """Read one input file whole, refusing one larger than `limit` bytes before reading it."""
    source = relative(path, inputs)
    try:
        with open(path, "rb") as handle:
            if limit is not None:
                size = handle.seek(0, 2)
                if size > limit:
                    raise InputError(
                        Problem(
                            source,
                            f"un fichier de moins de {limit // (1024 * 1024)} Mo "
                            f"(taille : {size / (1024 * 1024):.0f} Mo)",
                        )
                    )
                handle.seek(0)
            data = handle.read()
    except IsADirectoryError:
        raise InputError(Problem(source, "un fichier, pas un dossier")) from None
    return InputFile(source, data, hashlib.sha256(data).hexdigest())


def relative(path: Path, inputs: Path) -> str:
    """`path` as it is named in messages and in the manifest: relative to the inputs folder."""
    try:
        return path.resolve().relative_to(inputs.resolve()).as_posix()
    except ValueError:
        return str(path)


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line of a byte offset, for messages."""
    return data.count(b"\n", 0, offset) + 1


def decode_utf8(data: bytes, source: str, expected: str) -> str:
    """UTF-8 text (a leading BOM dropped); an InputError naming the line of the first bad byte otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(source, expected, line_of(data, exc.start), value=f"octet 0x{data[exc.start]:02X}")
        ) from None
