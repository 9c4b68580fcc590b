"""An uploaded workbook (.xlsx) or Word document (.docx): its zip package checked before any reader opens it.

Everything is decided from the zip's central directory and the package's small XML parts, never by
decompressing the whole file: a zip bomb (more than `MAX_ENTRIES` parts, more than `MAX_UNCOMPRESSED` bytes
once unpacked, a part compressed more than `MAX_RATIO` times, an archive inside the archive) is refused
before it is unpacked. Every XML part is parsed with defusedxml, DOCTYPE forbidden (no entity expansion).

Refused: an OLE file (`D0CF11E0`: a password-protected document, whose `EncryptionInfo` stream says so, or
an old .doc/.xls), a PDF or anything else renamed; a package of the wrong kind (a workbook renamed .docx);
macros (a `macroEnabled` content type, a `vbaProject.bin` part); embedded objects and ActiveX controls
(`embeddings/`, `activeX/`, OLE object relationships); links to other files (an `externalLink` part, a
linked image, an attached template, a data connection: every relationship with `TargetMode="External"`
except hyperlinks, which a reader follows by choice and which the imported text keeps).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import cast
from xml.etree.ElementTree import Element

import olefile
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse

from flows.edition.authoring.upload_refusal import UploadRefused, shown_name

MAX_ENTRIES = 2000  # a Word document has ~20 parts, a workbook one per sheet and a few more
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a 10 Mo package of XML text unpacks to a few tens of Mo
MAX_RATIO = 200  # XML compresses 10-50 times; a part over a megabyte compressed more is a bomb
_RATIO_FROM = 1024 * 1024  # small parts may compress well (a sheet of one repeated value): harmless
_ARCHIVES = (".zip", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".jar", ".gz", ".7z", ".rar", ".cab")

_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_OTHER_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "un modèle Word (.dotx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "un modèle Excel (.xltx)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "une présentation PowerPoint",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": "un classeur Excel binaire avec macros (.xlsb)",
}
_KIND = {"docx": "un document Word (.docx)", "xlsx": "un classeur Excel (.xlsx)"}
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
# Relationship types (their last word) that bring in something that is not the document's own content.
_EMBEDDED_TYPES = {"oleObject", "package", "control", "activeXControl", "activeXControlBinary", "attachedToolbars"}
_LINK_WORDS = {
    "externalLink": "une liaison vers un autre classeur",
    "externalLinkPath": "une liaison vers un autre classeur",
    "attachedTemplate": "un modèle attaché (fichier .dotx ou .dotm extérieur)",
    "image": "une image liée (lue depuis un autre fichier)",
    "oleObject": "un objet lié (lu depuis un autre fichier)",
    "subDocument": "un sous-document (lu depuis un autre fichier)",
    "frame": "un cadre lu depuis un autre fichier",
}


def check_package(name: str, data: bytes, kind: str) -> None:
    """Refuse `data` unless it is a plain, self-contained package of the expected kind (docx or xlsx)."""
    resave = _resave(kind)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        _refuse_ole(name, data, kind)
    if not data.startswith(b"PK\x03\x04"):
        found = "un PDF" if data.startswith(b"%PDF") else "un autre type de fichier"
        raise UploadRefused(name, f"son nom annonce {_KIND[kind]} mais son contenu est {found}", resave)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadRefused(
            name, f"le fichier est abîmé ou incomplet : ce n'est pas {_KIND[kind]} lisible", resave
        ) from None
    with archive:
        infos = archive.infolist()
        _check_entries(name, infos, kind)
        types = _content_types(name, archive, kind)
        _check_main(name, types, kind)
        for info in infos:
            lower = info.filename.lower()
            if lower.endswith(".rels"):
                _check_relationships(name, info.filename, _xml(name, archive, info, kind), kind)
            elif kind == "docx" and lower.startswith("word/") and lower.endswith(".xml"):
                _check_fields(name, _xml(name, archive, info, kind))  # a document's parts are small: read whole
            elif _is_xml(archive, info):  # whatever its name: a part named `document` is XML to mammoth too
                _xml(name, archive, info, kind, prolog_only=True)
                if kind == "xlsx" and lower.startswith("xl/worksheets/"):
                    _check_formulas(name, archive.read(info))


def _refuse_ole(name: str, data: bytes, kind: str) -> None:
    """An OLE compound file where a zip package is expected: encrypted, or an old binary format."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except (OSError, ValueError):
        streams = set()
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise UploadRefused(
            name,
            "il est protégé par un mot de passe, que l'outil ne peut pas ouvrir",
            "Ouvrez-le, retirez le mot de passe (Fichier › Informations › Protéger › Chiffrer avec mot de passe : "
            "effacer le mot de passe), enregistrez-le, puis déposez-le à nouveau.",
        )
    old = "WordDocument" in streams and "un document Word ancien format (.doc)"
    old = old or (("Workbook" in streams or "Book" in streams) and "un classeur Excel ancien format (.xls)")
    found = old or "un fichier Office ancien format"
    raise UploadRefused(name, f"c'est {found}, pas {_KIND[kind]}", _resave(kind))


def _check_entries(name: str, infos: list[zipfile.ZipInfo], kind: str) -> None:
    """The zip bomb and path checks, from the central directory alone (nothing unpacked yet)."""
    bomb = "il se décompresse en un volume démesuré ({}), ce qui n'arrive pas à " + _KIND[kind] + " ordinaire"
    advice = _resave(kind)
    if len(infos) > MAX_ENTRIES:
        raise UploadRefused(name, bomb.format(f"{len(infos)} fichiers, {MAX_ENTRIES} au plus"), advice)
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED:
        size = f"{total // (1024 * 1024)} Mo, {MAX_UNCOMPRESSED // (1024 * 1024)} Mo au plus"
        raise UploadRefused(name, bomb.format(size), advice)
    if len({info.filename for info in infos}) != len(infos):  # two parts of one name: which one is read?
        raise UploadRefused(name, "le fichier contient deux fois la même partie", advice)
    for info in infos:
        part = info.filename
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UploadRefused(name, bomb.format(f"une partie compressée {ratio} fois"), advice)
        if info.flag_bits & 0x1:
            raise UploadRefused(name, "une partie du fichier est chiffrée", _resave(kind))
        if part.startswith(("/", "\\")) or "\\" in part or ".." in part.split("/"):
            raise UploadRefused(name, "le fichier contient un chemin de dossier suspect", advice)
        lower = part.lower()
        if lower.endswith("vbaproject.bin") or lower.endswith("vbadata.xml"):
            raise UploadRefused(name, "il contient des macros", _no_macros(kind))
        if "/embeddings/" in f"/{lower}" or "/activex/" in f"/{lower}":
            raise UploadRefused(name, "il contient un objet incorporé (objet OLE, contrôle ActiveX)", _no_objects(kind))
        if lower.endswith(_ARCHIVES):
            raise UploadRefused(name, "il contient une autre archive ou un autre document", _no_objects(kind))
        if "externallinks/" in lower:
            raise UploadRefused(name, f"il contient {_LINK_WORDS['externalLink']}", _no_links(kind))


def _content_types(name: str, archive: zipfile.ZipFile, kind: str) -> dict[str, str]:
    """The package's parts and their content types ([Content_Types].xml), defaults by extension included."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        raise UploadRefused(name, f"c'est une archive zip, pas {_KIND[kind]}", _resave(kind)) from None
    root = _xml(name, archive, info, kind)
    types = {f"*.{e.get('Extension', '').lower()}": e.get("ContentType", "") for e in root.iter(f"{_CT}Default")}
    types.update({e.get("PartName", ""): e.get("ContentType", "") for e in root.iter(f"{_CT}Override")})
    return types


def _check_main(name: str, types: dict[str, str], kind: str) -> None:
    """Macros by their content type; the main part's type says which kind of document the package is."""
    values = set(types.values())
    if any("macroenabled" in value.lower() or "vbaproject" in value.lower() for value in values):
        raise UploadRefused(name, "il contient des macros", _no_macros(kind))
    if any("oleobject" in value.lower() or "activex" in value.lower() for value in values):
        raise UploadRefused(name, "il contient un objet incorporé (objet OLE, contrôle ActiveX)", _no_objects(kind))
    found = {_MAIN[value] for value in values if value in _MAIN}
    if kind not in found:
        other = next((_OTHER_MAIN[v] for v in values if v in _OTHER_MAIN), None)
        other = other or next((_KIND[k] for k in found), None) or "un autre type de document"
        raise UploadRefused(name, f"son nom annonce {_KIND[kind]} mais son contenu est {other}", _resave(kind))


def _xml(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, kind: str, prolog_only: bool = False) -> Element:
    """One XML part, parsed safely: no DOCTYPE, hence no entity; its size was bounded by the central directory.

    `prolog_only`: read up to the root element's start, where a DOCTYPE would stand (a sheet's cells are
    read later by openpyxl, a document's text by mammoth: parsing them twice would double the wait)."""
    try:
        if prolog_only:
            with archive.open(info) as part:
                for _event, element in iterparse(part, events=("start",), forbid_dtd=True):
                    return cast(Element, element)
            raise ParseError("empty part")
        data = archive.read(info)  # reads at most the declared size, checked above
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise UploadRefused(
            name, "il contient des déclarations XML interdites (DOCTYPE, entités)", _resave(kind)
        ) from None
    except (ParseError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise UploadRefused(
            name, f"le fichier est abîmé (partie « {shown_name(info.filename)} » illisible)", _resave(kind)
        ) from None


def _check_relationships(name: str, part: str, root: Element, kind: str) -> None:
    """Links to other files and embedded objects, from the package's relationships."""
    for relationship in root.iter(_REL):
        word = relationship.get("Type", "").rpartition("/")[2]
        external = relationship.get("TargetMode", "").lower() == "external"
        if word in _EMBEDDED_TYPES and not external:
            raise UploadRefused(name, "il contient un objet incorporé (objet OLE, contrôle ActiveX)", _no_objects(kind))
        if word in ("vbaProject", "wordVbaData", "keyMapCustomizations"):
            raise UploadRefused(name, "il contient des macros", _no_macros(kind))
        if word in ("connections", "queryTable"):
            raise UploadRefused(name, "il contient une connexion à des données extérieures", _no_links(kind))
        if external and relationship.get("Type", "") != _HYPERLINK:
            what = _LINK_WORDS.get(word, "un lien vers un fichier extérieur")
            target = shown_name(relationship.get("Target", ""))[:80]
            raise UploadRefused(name, f"il contient {what} (« {target} »)", _no_links(kind))


def _is_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """A part whose first bytes are markup (images and binary parts never start with `<`)."""
    with archive.open(info) as part:
        start = part.read(64)
    return start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


# Fields that make Word fetch or run something when they are updated: other programs (DDE), other files.
_ACTIVE_FIELDS = {"DDE", "DDEAUTO", "INCLUDETEXT", "INCLUDEPICTURE", "LINK", "IMPORT", "INCLUDE", "AUTOTEXTLIST"}
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_fields(name: str, root: Element) -> None:
    """A Word part's fields, their codes put back together across runs (`w:instrText` pieces, `w:fldSimple`)."""
    codes: list[str] = []
    current: list[str] | None = None
    for element in root.iter():
        if element.tag == f"{_W}fldSimple":
            codes.append(element.get(f"{_W}instr", ""))
        elif element.tag == f"{_W}fldChar":
            kind = element.get(f"{_W}fldCharType", "")
            if kind == "begin":
                current = []
            elif current is not None and kind in ("separate", "end"):
                codes.append("".join(current))
                current = None
        elif element.tag == f"{_W}instrText" and current is not None:
            current.append(element.text or "")
    for code in codes:
        word = code.strip().split(" ", 1)[0].upper() if code.strip() else ""
        if word in _ACTIVE_FIELDS:
            raise UploadRefused(
                name,
                f"il contient un champ « {word} », qui lit un autre fichier ou lance un programme",
                "Dans Word, sélectionnez tout puis Ctrl+Maj+F9 (les champs deviennent du texte), enregistrez, "
                "puis déposez-le à nouveau.",
            )


_DDE_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*>[^<]*\|[^<]*![^<]*</(?:\w+:)?f>")


def _check_formulas(name: str, sheet: bytes) -> None:
    """A formula calling another program (`=cmd|' /c …'!A0`, a DDE link) runs it when the workbook is opened."""
    if _DDE_FORMULA.search(sheet):
        raise UploadRefused(
            name,
            "il contient une formule qui appelle un autre programme (liaison DDE)",
            "Remplacez cette formule par sa valeur (Copier, puis Collage spécial › Valeurs), enregistrez, "
            "puis déposez le classeur à nouveau.",
        )


def _resave(kind: str) -> str:
    app = "Word" if kind == "docx" else "Excel"
    fmt = "Document Word (.docx)" if kind == "docx" else "Classeur Excel (.xlsx)"
    return f"Ouvrez-le dans {app} ou LibreOffice, enregistrez-le au format « {fmt} », puis déposez-le à nouveau."


def _no_macros(kind: str) -> str:
    fmt = "Document Word (.docx)" if kind == "docx" else "Classeur Excel (.xlsx)"
    return f"Enregistrez une copie au format « {fmt} » (sans macros), puis déposez cette copie."


def _no_objects(kind: str) -> str:
    where = "du document" if kind == "docx" else "du classeur"
    return (
        f"Supprimez les objets incorporés {where} (ou collez-les comme simple image), enregistrez, "
        "puis déposez-le à nouveau."
    )


def _no_links(kind: str) -> str:
    if kind == "xlsx":
        return (
            "Dans Excel, Données › Modifier les liens › Rompre la liaison (les valeurs restent), "
            "enregistrez, puis déposez le classeur à nouveau."
        )
    return (
        "Dans Word, rompez les liaisons (Fichier › Informations › Modifier les liens d'accès aux fichiers) "
        "et détachez le modèle (Développeur › Modèle de document), enregistrez, puis déposez-le à nouveau."
    )
