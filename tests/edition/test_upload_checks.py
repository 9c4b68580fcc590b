"""The checks of every uploaded file, each bad file built for real (python-docx, openpyxl, zip surgery,
msoffcrypto-tool's Office encryption) and each refusal read as the editor reads it: French, naming the
file as typed, saying what is wrong and what to do, nothing stored."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from msoffcrypto.format.ooxml import OOXMLFile
from PIL import Image

from flows import paths
from flows.edition.authoring.upload_checks import MAX_BYTES, CheckedFile, Kind, check_upload
from flows.edition.authoring.upload_packages import MAX_RATIO
from flows.edition.authoring.upload_refusal import UploadRefused
from flows.edition.authoring.workbook import workbook_bytes
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import read_edition
from tests.check_helpers import save_with_libreoffice

EXTERNAL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def word_document() -> bytes:
    document = docx.Document()
    document.add_heading("Les maisons de santé", 1)
    document.add_paragraph("Le soutien aux MSP a pris plusieurs formes.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "execution"
    sheet.append(["budget", "label", "unit", "executed"])
    sheet.append(["AE", "Autorisations d'engagement", "€", 538736879])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def png(width: int = 40, height: int = 20, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(out, kind)
    return out.getvalue()


def rezip(data: bytes, add: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """The package with parts added or replaced, as a person (or an attacker) could have saved it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def with_part(data: bytes, part: str, content: bytes, rels: str, relationship: str) -> bytes:
    """The package with `part` added and `relationship` (a <Relationship …/> element) added to `rels`."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        existing = (
            source.read(rels).decode()
            if rels in source.namelist()
            else f'<Relationships xmlns="{RELS}"></Relationships>'
        )
    changed = existing.replace("</Relationships>", relationship + "</Relationships>").encode()
    added = {part: content} if part else {}
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        if rels in source.namelist():
            return rezip(data, add=added, replace={rels: changed})
    return rezip(data, add={**added, rels: changed})


def refusal(name: str, data: bytes, kind: Kind) -> str:
    with pytest.raises(UploadRefused) as caught:
        check_upload(name, data, kind)
    message = str(caught.value)
    assert message.startswith(f"Le fichier « {caught.value.name} » est refusé : ")
    assert message.endswith("Rien n'a été enregistré.")
    assert "déposez" in message  # says what to do next
    return message


# --- good files -----------------------------------------------------------------------------------------


def test_good_files_of_every_kind_pass_with_what_the_portal_stores():
    checked = check_upload("Texte des MSP.docx", word_document(), "docx")
    assert isinstance(checked, CheckedFile)
    assert (checked.name, checked.kind, checked.extension) == ("Texte des MSP.docx", "docx", ".docx")
    assert checked.media_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert len(checked.sha256) == 64
    assert check_upload("figures.xlsx", workbook(), "xlsx").extension == ".xlsx"
    assert check_upload("execution.csv", b"budget;label\nAE;Autorisations d'engagement\n", "csv").kind == "csv"
    # French Excel's default CSV is Windows-1252: the table reader reads it (inputs/README.md), so may the upload
    assert check_upload("parts.csv", "part_id;title\np1;Prévention — 2024 €\n".encode("cp1252"), "csv").kind == "csv"
    assert check_upload("p2-msp.md", b"Le soutien aux **MSP**.\n", "md").media_type == "text/markdown"
    assert check_upload("logo.png", png(), "image").media_type == "image/png"
    assert check_upload("logo.JPG", png(kind="JPEG"), "image").extension == ".jpg"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><use href="#a"/><rect id="a" width="5"/></svg>'
    assert check_upload("logo.svg", svg, "image").media_type == "image/svg+xml"


def test_a_workbook_with_a_hyperlink_and_a_document_with_a_web_link_pass():
    book = openpyxl.load_workbook(io.BytesIO(workbook()))
    book.active["B2"].hyperlink = "https://www.hauts-de-france.ars.sante.fr/"
    out = io.BytesIO()
    book.save(out)
    assert check_upload("figures.xlsx", out.getvalue(), "xlsx").kind == "xlsx"
    linked = with_part(
        word_document(),
        "",
        b"",
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rIdLink" Type="{EXTERNAL}/hyperlink" Target="https://www.ars.sante.fr/" '
        'TargetMode="External"/>',
    )
    assert check_upload("texte.docx", linked, "docx").kind == "docx"


def test_the_editions_own_workbook_passes_as_written_and_as_saved_by_libreoffice(tmp_path: Path):
    edition = read_edition(paths.INPUTS_DIR, "hauts-de-france", 2024)
    written = workbook_bytes(edition, None, paths.INPUTS_DIR)  # `fir workbook`: notes on cells, validations
    assert check_upload("figures.xlsx", written, "xlsx").sha256 == hashlib.sha256(written).hexdigest()
    (tmp_path / "written").mkdir()
    (tmp_path / "written" / "figures.xlsx").write_bytes(written)
    [resaved] = save_with_libreoffice([tmp_path / "written" / "figures.xlsx"], tmp_path / "saved")
    with zipfile.ZipFile(resaved) as archive:
        assert any(name.endswith(".vml") for name in archive.namelist())  # the cells' notes, as drawings
    assert check_upload("figures.xlsx", resaved.read_bytes(), "xlsx").kind == "xlsx"


def test_an_excel_workbook_with_its_printer_settings_passes():
    printer = with_part(
        workbook(),
        "xl/printerSettings/printerSettings1.bin",
        b"\x00" * 512,
        "xl/worksheets/_rels/sheet1.xml.rels",
        f'<Relationship Id="rIdP" Type="{EXTERNAL}/printerSettings" Target="../printerSettings/printerSettings1.bin"/>',
    )
    assert check_upload("figures.xlsx", printer, "xlsx").kind == "xlsx"


# --- names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../figures.xlsx", "son nom contient un chemin de dossier (« / », « \\ » ou « .. »)"),
        ("exports/figures.xlsx", "son nom contient un chemin de dossier"),
        ("C:\\Users\\daf\\figures.xlsx", "son nom contient un chemin de dossier"),
        ("figures\x07.xlsx", "son nom contient des caractères de contrôle invisibles"),
        ("figures\u202excod.xlsx", "son nom contient des caractères de contrôle invisibles"),
        (".figures.xlsx", "son nom commence par un point"),
        ("figures.pdf", "c'est un PDF ; il faut un classeur Excel (.xlsx)"),
        ("figures.xlsm", "c'est un classeur Excel avec macros (.xlsm) ; il faut un classeur Excel (.xlsx)"),
        ("figures", "son nom n'a pas d'extension ; il faut un classeur Excel (.xlsx)"),
        ("figures.xlsx.exe", "son nom porte l'extension « .exe » ; il faut un classeur Excel (.xlsx)"),
    ],
)
def test_a_bad_file_name_is_refused_before_anything_is_read(name: str, reason: str):
    message = refusal(name, workbook(), "xlsx")
    assert reason in message


def test_control_characters_of_a_name_are_shown_not_printed():
    with pytest.raises(UploadRefused) as caught:
        check_upload("figures\x07\u202e.xlsx", workbook(), "xlsx")
    assert caught.value.name == "figures��.xlsx"
    assert "\x07" not in str(caught.value) and "\u202e" not in str(caught.value)
    assert isinstance(caught.value, InputError)  # reported like any input problem, the file named
    assert caught.value.problems[0].file == "figures��.xlsx"


def test_a_macro_enabled_document_is_refused_by_its_name_too():
    message = refusal("texte.docm", word_document(), "docx")
    assert "c'est un document Word avec macros (.docm) ; il faut un document Word (.docx)" in message
    assert "Enregistrez-le au format « Document Word (.docx) », puis déposez-le à nouveau." in message


# --- sizes ----------------------------------------------------------------------------------------------


def test_a_file_over_its_stated_size_is_refused_with_the_limit():
    assert MAX_BYTES == {"xlsx": 10 << 20, "docx": 10 << 20, "csv": 5 << 20, "md": 1 << 20, "image": 5 << 20}
    big = word_document() + b"\0" * (10 << 20)
    message = refusal("rapport.docx", big, "docx")
    assert "il pèse 10,0 Mo, plus que les 10 Mo permis pour un document Word (.docx)" in message
    assert "Retirez ou réduisez les images du document" in message
    text = ("Une ligne de texte.\n" * 60_000).encode()
    assert "plus que les 1 Mo permis pour un texte Markdown (.md)" in refusal("texte.md", text, "md")
    assert "le fichier est vide" in refusal("texte.md", b"", "md")


# --- not what the name says -----------------------------------------------------------------------------


def test_a_file_that_is_not_what_its_name_says_is_refused_with_what_it_is():
    assert "son nom annonce un document Word (.docx) mais son contenu est un classeur Excel (.xlsx)" in refusal(
        "texte.docx", workbook(), "docx"
    )
    assert "son nom annonce un classeur Excel (.xlsx) mais son contenu est un document Word (.docx)" in refusal(
        "figures.xlsx", word_document(), "xlsx"
    )
    assert "son contenu est un PDF" in refusal("texte.docx", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "docx")
    assert "son contenu est un autre type de fichier" in refusal("texte.docx", b"Bonjour", "docx")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    assert "c'est une archive zip, pas un document Word (.docx)" in refusal("texte.docx", plain_zip.getvalue(), "docx")
    assert "le fichier est abîmé ou incomplet" in refusal("texte.docx", word_document()[:2000], "docx")
    assert "son nom annonce une image PNG mais son contenu est une image JPEG" in refusal(
        "logo.png", png(kind="JPEG"), "image"
    )
    assert "son nom annonce une image PNG mais son contenu est pas une image" in refusal("logo.png", b"GIF89a", "image")
    assert "l'image est abîmée ou incomplète" in refusal("logo.png", png()[:30], "image")
    assert "son nom annonce un tableau au format CSV (.csv) mais son contenu est une archive zip" in refusal(
        "execution.csv", workbook(), "csv"
    )
    assert "ce n'est pas un texte en UTF-8 (octet 0xE9 à la ligne 2)" in refusal(
        "p2-msp.md", "Titre\nPrévention\n".encode("latin-1"), "md"
    )
    assert "son contenu est un fichier binaire, pas du texte" in refusal("p2-msp.md", b"abc\0def", "md")
    assert "son encodage n'est ni UTF-8 ni Windows-1252 (octet 0x81 à la ligne 2)" in refusal(
        "parts.csv", b"part_id;title\np1;\x81\n", "csv"
    )
    assert "caractère invisible de contrôle (U+001B) à la ligne 1" in refusal("parts.csv", b"part_id;\x1b\n", "csv")


def test_an_image_over_sixteen_million_pixels_is_refused_from_its_header():
    assert "l'image dépasse 16 millions de pixels (5000 × 4000)" in refusal("logo.png", png(5000, 4000), "image")


# --- password and macros --------------------------------------------------------------------------------


def test_a_password_protected_document_is_refused_as_such():
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(word_document())).encrypt("secret", encrypted)
    assert encrypted.getvalue().startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
    message = refusal("texte.docx", encrypted.getvalue(), "docx")
    assert "il est protégé par un mot de passe, que l'outil ne peut pas ouvrir" in message
    assert "retirez le mot de passe" in message
    encrypted_book = io.BytesIO()
    OOXMLFile(io.BytesIO(workbook())).encrypt("secret", encrypted_book)
    assert "protégé par un mot de passe" in refusal("figures.xlsx", encrypted_book.getvalue(), "xlsx")


def test_macros_are_refused_by_their_part_or_their_content_type():
    with_vba = rezip(workbook(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macros"})
    message = refusal("figures.xlsx", with_vba, "xlsx")
    assert "il contient des macros" in message
    assert (
        "Enregistrez une copie au format « Classeur Excel (.xlsx) » (sans macros), puis déposez cette copie." in message
    )
    with zipfile.ZipFile(io.BytesIO(word_document())) as archive:
        types = archive.read("[Content_Types].xml").decode()
    macro_type = types.replace(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    assert macro_type != types
    renamed_docm = rezip(word_document(), replace={"[Content_Types].xml": macro_type.encode()})
    assert "il contient des macros" in refusal("texte.docx", renamed_docm, "docx")


# --- zip bombs ------------------------------------------------------------------------------------------


def declared_size(data: bytes, part: str, size: int) -> bytes:
    """The package with `part`'s uncompressed size declared as `size` in its local and central headers."""
    patched = bytearray(data)
    encoded = part.encode()
    for signature, offset, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            if patched[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", patched, start + offset, size)
            start += 4
    return bytes(patched)


def test_a_zip_bomb_is_refused_from_its_central_directory():
    bomb = rezip(word_document(), add={"word/media/bomb.xml": b"0" * (4 << 20)})  # 4 Mo of zeros, a few kB
    assert len(bomb) < 60_000
    message = refusal("texte.docx", bomb, "docx")
    assert "il se décompresse en un volume démesuré (une partie compressée" in message
    found = re.search(r"une partie compressée (\d+) fois\)", message)
    assert found and int(found.group(1)) > MAX_RATIO
    declared = declared_size(bomb, "word/media/bomb.xml", 1 << 30)  # the same few kB, declared as 1 Go
    with zipfile.ZipFile(io.BytesIO(declared)) as archive:
        assert archive.getinfo("word/media/bomb.xml").file_size == 1 << 30  # refused before it is ever unpacked
    assert "(1024 Mo, 200 Mo au plus)" in refusal("texte.docx", declared, "docx")
    many = rezip(word_document(), add={f"word/media/p{i}.xml": b"<a/>" for i in range(2001)})
    assert "(2018 fichiers, 2000 au plus)" in refusal("texte.docx", many, "docx")
    nested = rezip(word_document(), add={"word/media/inner.zip": word_document()})
    assert "il contient une autre archive ou un autre document" in refusal("texte.docx", nested, "docx")


def test_an_xml_part_with_entities_is_refused_before_any_expansion():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol2;</w:document>'
    )
    bad = rezip(word_document(), replace={"word/document.xml": laughs})
    assert "il contient des déclarations XML interdites (DOCTYPE, entités)" in refusal("texte.docx", bad, "docx")


# --- external links and embedded objects ----------------------------------------------------------------


def test_a_workbook_linked_to_another_workbook_is_refused():
    link = (
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
        b"</externalLink>"
    )
    linked = with_part(
        workbook(),
        "xl/externalLinks/externalLink1.xml",
        link,
        "xl/_rels/workbook.xml.rels",
        f'<Relationship Id="rIdX" Type="{EXTERNAL}/externalLink" Target="externalLinks/externalLink1.xml"/>',
    )
    message = refusal("figures.xlsx", linked, "xlsx")
    assert "il contient une liaison vers un autre classeur" in message
    assert "Données › Modifier les liens › Rompre la liaison" in message


@pytest.mark.parametrize(
    ("rels", "relationship", "reason"),
    [
        (
            "word/_rels/settings.xml.rels",
            f'<Relationship Id="rIdT" Type="{EXTERNAL}/attachedTemplate" '
            'Target="file:///C:/Modeles/ARS.dotm" TargetMode="External"/>',
            "il contient un modèle attaché (fichier .dotx ou .dotm extérieur) (« file:///C:/Modeles/ARS.dotm »)",
        ),
        (
            "word/_rels/document.xml.rels",
            f'<Relationship Id="rIdI" Type="{EXTERNAL}/image" Target="https://exemple.fr/logo.png" '
            'TargetMode="External"/>',
            "il contient une image liée (lue depuis un autre fichier) (« https://exemple.fr/logo.png »)",
        ),
    ],
)
def test_a_document_with_an_external_link_other_than_a_hyperlink_is_refused(rels: str, relationship: str, reason: str):
    message = refusal("texte.docx", with_part(word_document(), "", b"", rels, relationship), "docx")
    assert reason in message
    assert "rompez les liaisons" in message


def test_embedded_objects_and_activex_controls_are_refused():
    ole = with_part(
        word_document(),
        "word/embeddings/oleObject1.bin",
        b"\xd0\xcf\x11\xe0 objet",
        "word/_rels/document.xml.rels",
        f'<Relationship Id="rIdO" Type="{EXTERNAL}/oleObject" Target="embeddings/oleObject1.bin"/>',
    )
    message = refusal("texte.docx", ole, "docx")
    assert "il contient un objet incorporé (objet OLE, contrôle ActiveX)" in message
    assert "Supprimez les objets incorporés du document" in message
    activex = rezip(word_document(), add={"word/activeX/activeX1.xml": b"<ax/>"})
    assert "il contient un objet incorporé" in refusal("texte.docx", activex, "docx")
    relation_only = with_part(
        workbook(),
        "",
        b"",
        "xl/worksheets/_rels/sheet1.xml.rels",
        f'<Relationship Id="rIdC" Type="{EXTERNAL}/control" Target="../ctrlProps/ctrlProp1.xml"/>',
    )
    assert "il contient un objet incorporé" in refusal("figures.xlsx", relation_only, "xlsx")


def test_fields_and_formulas_that_run_other_programs_are_refused():
    document = docx.Document()
    paragraph = document.add_paragraph("Voir ")
    pieces = [("begin", None), (None, " DD"), (None, 'EAUTO c:\\Windows\\System32\\cmd.exe "/k calc" '), ("end", None)]
    for char_type, code in pieces:  # the field's code split over two runs, as Word may store it
        run = paragraph.add_run()
        if char_type:
            run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="{char_type}"/>'))
        else:
            run._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve">{code}</w:instrText>'))
    out = io.BytesIO()
    document.save(out)
    message = refusal("texte.docx", out.getvalue(), "docx")
    assert "il contient un champ « DDEAUTO », qui lit un autre fichier ou lance un programme" in message
    assert "Ctrl+Maj+F9" in message
    book = openpyxl.load_workbook(io.BytesIO(workbook()))
    book.active["E2"] = "=cmd|' /C calc'!A0"
    saved = io.BytesIO()
    book.save(saved)
    assert "il contient une formule qui appelle un autre programme (liaison DDE)" in refusal(
        "figures.xlsx", saved.getvalue(), "xlsx"
    )


def test_a_part_twice_or_an_entity_in_a_part_of_any_name_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate it is asked to write
        doubled = rezip(word_document(), add={"word/document.xml": b"<w:document/>"})
    assert "le fichier contient deux fois la même partie" in refusal("texte.docx", doubled, "docx")
    entity = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "déclarations XML interdites" in refusal(
        "texte.docx", rezip(word_document(), add={"word/notes": entity}), "docx"
    )


def test_words_pasted_from_word_and_dots_in_a_name_are_fine():
    assert check_upload("p2-msp.md", "Pluri\u00adprofessionnelles\u200b.\n".encode(), "md").kind == "md"
    assert check_upload("Rapport..final.docx", word_document(), "docx").name == "Rapport..final.docx"
    assert check_upload("Pre\u0301vention.md", b"Texte.", "md").name == "Pr\u00e9vention.md"  # as a Mac sends it


# --- SVG ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "un élément « script »"),
        ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "un gestionnaire d'événement « onload »"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            '<image xlink:href="https://exemple.fr/x.png"/></svg>',
            "une référence extérieure (« https://exemple.fr/x.png »)",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://exemple.fr/p.svg#g)"/></svg>',
            "une référence extérieure dans un style",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://exemple.fr/s.css);</style></svg>',
            "une référence extérieure dans un style",
        ),
        (
            '<?xml-stylesheet href="https://exemple.fr/s.css"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "l'image SVG appelle une feuille de style extérieure",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY e SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&e;</svg>',
            "l'image SVG contient des déclarations d'entités (DOCTYPE), interdites",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"><a><set attributeName="href" to="javascript:alert(1)"/></a></svg>',
            "un script dans l'attribut « to »",
        ),
        ("<html><body/></html>", "ce n'est pas une image SVG (son élément racine n'est pas « svg »)"),
        ("<svg", "ce n'est pas une image SVG lisible (XML mal formé)"),
    ],
)
def test_an_unsafe_svg_is_refused(svg: str, reason: str):
    message = refusal("logo.svg", svg.encode(), "image")
    assert reason in message
    assert "Exportez le logo en SVG simple" in message
