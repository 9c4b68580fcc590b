"""The safety checks every file uploaded by the staff passes before anything is stored or read.

A file comes from a browser, typed and named by someone else's machine: its name, its size and its bytes
are checked against what the upload expects before any reader (openpyxl, mammoth, Pillow, the CSV parser)
sees it. A refusal is an `UploadRefused` saying, in French, which file, what is wrong and what to do; the
caller then stores nothing.

Size limits (`MAX_BYTES`), each stated in its refusal: a workbook or a Word document 10 Mo (figures and a
few pages of text weigh a few hundred kB), a CSV table 5 Mo (a yearly table weighs a few kB), a Markdown
text 1 Mo and an image 5 Mo, the limits `inputs/README.md` sets for texts and logos.

What each kind accepts:
- `xlsx`: an Office Open XML workbook (`.xlsx`), `docx`: a Word document (`.docx`) — see
  `upload_packages` for what their zip package may hold (no macros, no password, no external links other
  than hyperlinks, no embedded objects, no zip bomb);
- `csv`: one table as text, UTF-8 or Windows-1252 (what French Excel writes; the table reader says which),
  `md`: a text in UTF-8 (the contract of `texts/`); neither may hold binary bytes;
- `image`: a PNG or JPEG of at most 16 million pixels (read from its header), or an SVG without scripts,
  event handlers, external references, entities or style sheets.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from flows.edition.authoring.upload_packages import check_package
from flows.edition.authoring.upload_refusal import UploadRefused, shown_name
from flows.edition.ingest.logo import MAX_LOGO_PIXELS

Kind = Literal["xlsx", "csv", "md", "docx", "image"]

MB = 1024 * 1024
MAX_BYTES: dict[str, int] = {"xlsx": 10 * MB, "docx": 10 * MB, "csv": 5 * MB, "md": 1 * MB, "image": 5 * MB}
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "xlsx": (".xlsx",),
    "docx": (".docx",),
    "csv": (".csv",),
    "md": (".md",),
    "image": (".png", ".jpg", ".jpeg", ".svg"),
}
MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".csv": "text/csv",
    ".md": "text/markdown",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
_WHAT = {
    "xlsx": "un classeur Excel (.xlsx)",
    "docx": "un document Word (.docx)",
    "csv": "un tableau au format CSV (.csv)",
    "md": "un texte Markdown (.md)",
    "image": "une image PNG, JPEG ou SVG (.png, .jpg, .svg)",
}
# Extensions that tell what the file is when it is not what is expected: a clearer refusal than "wrong kind".
_KNOWN = {
    ".xlsm": "un classeur Excel avec macros (.xlsm) : enregistrez-le au format « Classeur Excel (.xlsx) »",
    ".docm": "un document Word avec macros (.docm) : enregistrez-le au format « Document Word (.docx) »",
    ".xls": "un classeur Excel ancien format (.xls) : enregistrez-le au format « Classeur Excel (.xlsx) »",
    ".doc": "un document Word ancien format (.doc) : enregistrez-le au format « Document Word (.docx) »",
    ".xlsb": "un classeur Excel binaire (.xlsb) : enregistrez-le au format « Classeur Excel (.xlsx) »",
    ".odt": "un document OpenDocument (.odt) : enregistrez-le au format « Document Word (.docx) »",
    ".ods": "un classeur OpenDocument (.ods) : enregistrez-le au format « Classeur Excel (.xlsx) »",
    ".pdf": "un PDF",
}
_MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed every check: what the caller may now read and store."""

    name: str  # the name as typed, already safe to show and to use as a file name (no folder, no control)
    kind: str  # the expected kind it was checked as: xlsx, csv, md, docx or image
    extension: str  # in lower case, with its dot: ".docx", ".png"
    media_type: str  # for a download of the stored file
    data: bytes
    sha256: str


def check_upload(name: str, data: bytes, expected: Kind) -> CheckedFile:
    """The file when it is safe to read as `expected`; `UploadRefused` (in French) otherwise."""
    extension = check_name(name, expected)
    limit = MAX_BYTES[expected]
    if not data:
        raise UploadRefused(name, "le fichier est vide", "Vérifiez que c'est le bon fichier et déposez-le à nouveau.")
    if len(data) > limit:
        raise UploadRefused(
            name,
            f"il pèse {_megabytes(len(data))}, plus que les {limit // MB} Mo permis pour {_WHAT[expected]}",
            _smaller(expected),
        )
    if expected in ("xlsx", "docx"):
        check_package(name, data, expected)
    elif expected in ("csv", "md"):
        check_text(name, data, expected)
    else:
        check_image(name, data, extension)
    shown = unicodedata.normalize("NFC", name)  # a Mac sends « é » as two characters
    return CheckedFile(shown, expected, extension, MEDIA_TYPES[extension], data, hashlib.sha256(data).hexdigest())


def check_name(name: str, expected: Kind) -> str:
    """The file's extension (lower case) when its name is a plain file name of the expected kind."""
    rename = "Renommez le fichier sur votre ordinateur (lettres, chiffres, tirets) et déposez-le à nouveau."
    if not name.strip():
        raise UploadRefused(name, "le fichier n'a pas de nom", rename)
    if any(_is_control(character) for character in name):
        raise UploadRefused(name, "son nom contient des caractères de contrôle invisibles", rename)
    if "/" in name or "\\" in name or not name.strip("."):
        raise UploadRefused(name, "son nom contient un chemin de dossier (« / », « \\ » ou « .. »)", rename)
    if name.startswith(".") or name != name.strip() or len(name) > _MAX_NAME_LENGTH:
        reason = (
            f"son nom dépasse {_MAX_NAME_LENGTH} caractères"
            if len(name) > _MAX_NAME_LENGTH
            else "son nom commence par un point ou par une espace, ou finit par une espace"
        )
        raise UploadRefused(name, reason, rename)
    extension = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in EXTENSIONS[expected]:
        if extension in _KNOWN:
            advice = _KNOWN[extension].split(" : ", 1)
            what = advice[0]
            then = f"{advice[1][0].upper()}{advice[1][1:]}, puis déposez-le à nouveau." if len(advice) > 1 else ""
            raise UploadRefused(name, f"c'est {what} ; il faut {_WHAT[expected]}", then or _resave(expected))
        shown = f"son nom porte l'extension « {shown_name(extension)} »" if extension else "son nom n'a pas d'extension"
        raise UploadRefused(name, f"{shown} ; il faut {_WHAT[expected]}", _resave(expected))
    return extension


def check_text(name: str, data: bytes, kind: Kind) -> None:
    """A CSV table or a Markdown text: text bytes, not a renamed binary file."""
    _refuse_binary_signature(name, data, kind)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if kind == "md":
            raise UploadRefused(
                name,
                f"ce n'est pas un texte en UTF-8 (octet 0x{data[exc.start]:02X} à la ligne {_line(data, exc.start)})",
                "Enregistrez le texte en « UTF-8 » dans votre éditeur, puis déposez-le à nouveau.",
            ) from None
        text = _windows_1252(name, data)
    for index, character in enumerate(text):  # control characters only: a soft hyphen pasted from Word is text
        if unicodedata.category(character) == "Cc" and character not in "\t\r\n":
            raise UploadRefused(
                name,
                f"il contient un caractère invisible de contrôle (U+{ord(character):04X}) "
                f"à la ligne {text.count(chr(10), 0, index) + 1} : ce n'est pas un texte",
                _resave(kind),
            )


def check_image(name: str, data: bytes, extension: str) -> None:
    """A PNG or JPEG whose header is what its name says, or a harmless SVG."""
    if extension == ".svg":
        check_svg(name, data)
        return
    signature = "png" if data.startswith(b"\x89PNG\r\n\x1a\n") else "jpeg" if data.startswith(b"\xff\xd8\xff") else ""
    named = "png" if extension == ".png" else "jpeg"
    if signature != named:
        found = {"png": "une image PNG", "jpeg": "une image JPEG"}.get(signature, _binary_kind(data) or "pas une image")
        raise UploadRefused(
            name,
            f"son nom annonce une image {'PNG' if named == 'png' else 'JPEG'} mais son contenu est {found}",
            "Exportez l'image au format PNG ou JPEG depuis votre logiciel de dessin, puis déposez-la à nouveau.",
        )
    from PIL import Image, UnidentifiedImageError

    too_big = f"l'image dépasse {MAX_LOGO_PIXELS // 1_000_000} millions de pixels"
    smaller = "Réduisez sa taille (quelques centaines de pixels suffisent pour un logo), puis déposez-la à nouveau."
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            image.verify()
    except Image.DecompressionBombError:
        raise UploadRefused(name, too_big, smaller) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRefused(
            name, "l'image est abîmée ou incomplète", "Exportez-la à nouveau, puis déposez-la à nouveau."
        ) from None
    if width * height > MAX_LOGO_PIXELS:
        raise UploadRefused(name, f"{too_big} ({width} × {height})", smaller)


_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)
_EMBEDDED_RASTER = ("data:image/png;", "data:image/jpeg;", "data:image/jpg;")


def check_svg(name: str, data: bytes) -> None:
    """An SVG is a program as much as a picture: no script, no event handler, nothing fetched from elsewhere."""
    advice = (
        "Exportez le logo en SVG simple (« SVG standard » ou « SVG optimisé », sans script ni lien), "
        "ou en PNG, puis déposez-le à nouveau."
    )
    found = _binary_kind(data)
    if found:
        raise UploadRefused(name, f"son nom annonce une image SVG mais son contenu est {found}", advice)
    if re.search(rb"<\?xml-stylesheet", data):
        raise UploadRefused(name, "l'image SVG appelle une feuille de style extérieure", advice)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise UploadRefused(
            name, "l'image SVG contient des déclarations d'entités (DOCTYPE), interdites", advice
        ) from None
    except ParseError:
        raise UploadRefused(name, "ce n'est pas une image SVG lisible (XML mal formé)", advice) from None
    if root.tag != f"{_SVG}svg":
        raise UploadRefused(name, "ce n'est pas une image SVG (son élément racine n'est pas « svg »)", advice)
    for element in root.iter():
        problem = _svg_problem(element)
        if problem:
            raise UploadRefused(name, f"l'image SVG contient {problem}", advice)


def _svg_problem(element: Element) -> str | None:
    """What makes one SVG element unsafe, in French, or None."""
    tag = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
    if tag in ("script", "foreignObject", "iframe", "embed", "object"):
        return f"un élément « {tag} » (script ou contenu étranger)"
    for attribute, value in element.attrib.items():
        local = attribute.rpartition("}")[2]
        if local.lower().startswith("on"):
            return f"un gestionnaire d'événement « {local} » (un script)"
        if value.strip().lower().startswith(("javascript:", "vbscript:")):
            return f"un script dans l'attribut « {local} »"
        if attribute in ("href", _XLINK_HREF):
            target = value.strip()
            if not target.startswith("#") and not target.lower().startswith(_EMBEDDED_RASTER):
                return f"une référence extérieure (« {shown_name(target[:60])} »)"
        if local == "style" and _EXTERNAL_URL.search(value):
            return "une référence extérieure dans un style (url(…) ou @import)"
    if tag == "style" and _EXTERNAL_URL.search(element.text or ""):
        return "une référence extérieure dans un style (url(…) ou @import)"
    return None


def _windows_1252(name: str, data: bytes) -> str:
    """A CSV table not in UTF-8 is read as Windows-1252 when every byte is one (inputs/README.md)."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UploadRefused(
            name,
            f"son encodage n'est ni UTF-8 ni Windows-1252 (octet 0x{data[exc.start]:02X} à la ligne "
            f"{_line(data, exc.start)})",
            "Dans Excel, enregistrez-le au format « CSV UTF-8 (délimité par des virgules) », "
            "puis déposez-le à nouveau.",
        ) from None


def _refuse_binary_signature(name: str, data: bytes, kind: Kind) -> None:
    found = _binary_kind(data)
    if found:
        raise UploadRefused(name, f"son nom annonce {_WHAT[kind]} mais son contenu est {found}", _resave(kind))


def _binary_kind(data: bytes) -> str | None:
    """What a binary file is, from its first bytes, for a refusal that says what was received."""
    if data.startswith(b"PK\x03\x04"):
        return "une archive zip (un classeur Excel, un document Word ou un dossier compressé)"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "un fichier Office ancien format ou protégé par mot de passe"
    if data.startswith(b"%PDF"):
        return "un PDF"
    if data.startswith(b"\x89PNG"):
        return "une image PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "une image JPEG"
    if b"\x00" in data[:4096]:
        return "un fichier binaire, pas du texte"
    return None


def _resave(kind: str) -> str:
    return {
        "xlsx": "Ouvrez-le dans Excel ou LibreOffice, enregistrez-le au format « Classeur Excel (.xlsx) », "
        "puis déposez-le à nouveau.",
        "docx": "Ouvrez-le dans Word ou LibreOffice, enregistrez-le au format « Document Word (.docx) », "
        "puis déposez-le à nouveau.",
        "csv": "Dans Excel, enregistrez la feuille au format « CSV UTF-8 (délimité par des virgules) », "
        "puis déposez-la à nouveau.",
        "md": "Enregistrez le texte en texte brut UTF-8 avec l'extension .md, puis déposez-le à nouveau.",
        "image": "Exportez l'image en PNG, JPEG ou SVG, puis déposez-la à nouveau.",
    }[kind]


def _smaller(kind: str) -> str:
    return {
        "xlsx": "Retirez les feuilles, images ou données qui ne servent pas à l'édition, puis déposez-le à nouveau.",
        "docx": "Retirez ou réduisez les images du document (elles ne sont pas reprises), ou découpez-le, "
        "puis déposez-le à nouveau.",
        "csv": "Vérifiez que c'est bien le tableau attendu (quelques lignes par an), puis déposez-le à nouveau.",
        "md": "Vérifiez que c'est bien le texte attendu, ou découpez-le, puis déposez-le à nouveau.",
        "image": "Réduisez l'image (quelques centaines de pixels suffisent pour un logo), puis déposez-la à nouveau.",
    }[kind]


def _is_control(character: str) -> bool:
    """Control and invisible formatting characters (bidirectional overrides hide a name's real extension)."""
    return unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".replace(".", ",") + " Mo"


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
