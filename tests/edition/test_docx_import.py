"""Word documents (made with python-docx, tracked changes, comments, text boxes and footnotes added as Word
writes them) imported as the edition's Markdown texts: the Markdown and the list of what was not imported
asserted exactly, the split of a whole part checked on the real 2024 edition's titles, every text read back
by the edition's own parser and renderer."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from PIL import Image

from flows import paths
from flows.edition.authoring.docx_import import (
    DocxImport,
    TextTarget,
    edition_part_targets,
    edition_parts,
    import_part,
    import_text,
)
from flows.edition.authoring.markers import text_mark
from flows.edition.authoring.new_edition import create_edition
from flows.edition.authoring.upload_refusal import UploadRefused
from flows.edition.errors import InputError
from flows.edition.ingest.files import InputFile
from flows.edition.ingest.texts import parse_text
from flows.edition.render.narrative import to_html

EDITION = paths.INPUTS_DIR / "hauts-de-france" / "2024"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def saved(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


BULLETS, NUMBERS = 41, 42  # the numbering ids of the two multilevel lists `lists` defines


def lists(document: docx.document.Document) -> None:
    """Word's multilevel bulleted and numbered lists (python-docx's template defines only a first level)."""
    numbering = document.part.numbering_part.element

    def levels(fmt: str, text: str) -> str:
        return "".join(
            f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text.replace("N", str(level + 1))}"/>'
            f'<w:pPr><w:ind w:left="{720 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            for level in range(3)
        )

    first_num = numbering.find(qn("w:num"))
    for number, (fmt, text) in ((BULLETS, ("bullet", "•")), (NUMBERS, ("decimal", "%N."))):
        first_num.addprevious(
            parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">{levels(fmt, text)}</w:abstractNum>')
        )
        numbering.append(
            parse_xml(f'<w:num {nsdecls("w")} w:numId="{number}"><w:abstractNumId w:val="{number}"/></w:num>')
        )


def list_item(document: docx.document.Document, text: str, numbered: bool = False, level: int = 0) -> Paragraph:
    """A list paragraph as Word writes it when Tab indents an item: the list's numbering, at `level`."""
    paragraph = document.add_paragraph(text, style="List Paragraph")
    number = NUMBERS if numbered else BULLETS
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{number}"/></w:numPr>')
    )
    return paragraph


def run(text: str, tag: str = "w:t") -> OxmlElement:
    element = OxmlElement("w:r")
    content = OxmlElement(tag)
    content.text = text
    content.set(qn("xml:space"), "preserve")
    element.append(content)
    return element


def tracked(kind: str, text: str, change_id: int) -> OxmlElement:
    """A tracked insertion (`w:ins`) or deletion (`w:del`), as Word records it."""
    change = OxmlElement(kind)
    for attribute, value in (("w:id", str(change_id)), ("w:author", "Service MSP"), ("w:date", "2025-03-03T10:00:00Z")):
        change.set(qn(attribute), value)
    change.append(run(text, "w:delText" if kind == "w:del" else "w:t"))
    return change


def link(paragraph: Paragraph, text: str, url: str) -> None:
    relationship = paragraph.part.relate_to(url, HYPERLINK, is_external=True)
    element = OxmlElement("w:hyperlink")
    element.set(qn("r:id"), relationship)
    element.append(run(text))
    paragraph._p.append(element)


def picture() -> io.BytesIO:
    image = io.BytesIO()
    Image.new("RGB", (30, 20), "teal").save(image, "PNG")
    image.seek(0)
    return image


def text_box(paragraph: Paragraph, text: str) -> None:
    """A VML text box anchored in the paragraph (what Word writes as the fallback of a drawing's box)."""
    paragraph._p.append(
        parse_xml(
            f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
            '<v:shape style="width:100pt;height:40pt"><v:textbox>'
            f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
            "</v:textbox></v:shape></w:pict></w:r>"
        )
    )


def service_document() -> bytes:
    """A service's text as it arrives: headings, bold, italics, nested lists, a link, and what a brochure
    text cannot hold (an image, a table, a comment, tracked changes, a text box)."""
    document = docx.Document()
    lists(document)
    document.add_heading("Les maisons de santé", 1)
    paragraph = document.add_paragraph("Le soutien aux MSP a pris ")
    paragraph.add_run("plusieurs formes").bold = True
    paragraph.add_run(" en ")
    paragraph.add_run("2024").italic = True
    paragraph.add_run(", pour [[action.p2-msp]] au total :")
    list_item(document, "un accompagnement en ingénierie ;")
    list_item(document, "15 nouveaux projets ;", level=1)
    list_item(document, "dont 4 en zone rurale ;", level=1)
    list_item(document, "la formation des coordonnateurs.")
    document.add_picture(picture())
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Territoire", "MSP"
    document.add_heading("Les étapes", 2)
    list_item(document, "repérer les projets ;", numbered=True)
    list_item(document, "les accompagner ;", numbered=True)
    list_item(document, "en ingénierie,", numbered=True, level=1)
    list_item(document, "les reconnaître.", numbered=True)
    paragraph = document.add_paragraph("Voir le ")
    link(paragraph, "site de l'ARS", "https://www.hauts-de-france.ars.sante.fr/")
    paragraph.add_run(".")
    commented = document.add_paragraph("Fin 2024, 279 MSP sont reconnues.")
    document.add_comment(commented.runs, text="Chiffre à confirmer avec la DOS", author="Relecture")
    changed = document.add_paragraph("Les équipes sont ")
    changed._p.append(tracked("w:ins", "désormais ", 101))
    changed._p.append(tracked("w:del", "encore ", 102))
    changed.add_run("nombreuses.")
    boxed = document.add_paragraph("À retenir.")
    text_box(boxed, "279 MSP")
    return saved(document)


EXPECTED_MARKDOWN = """\
# Les maisons de santé

Le soutien aux MSP a pris **plusieurs formes** en *2024*, pour [[action.p2-msp]] au total :

- un accompagnement en ingénierie ;
  - 15 nouveaux projets ;
  - dont 4 en zone rurale ;
- la formation des coordonnateurs.

## Les étapes

1. repérer les projets ;
2. les accompagner ;
   1. en ingénierie,
3. les reconnaître.

Voir le [site de l'ARS](https://www.hauts-de-france.ars.sante.fr/).

Fin 2024, 279 MSP sont reconnues.

Les équipes sont désormais nombreuses.

À retenir."""

EXPECTED_REPORT = [
    "Sous le titre « Les maisons de santé », 6e paragraphe : une image — non reprise "
    "(les textes de la brochure n'ont pas d'images).",
    "Sous le titre « Les maisons de santé », 7e paragraphe : un tableau de 2 lignes (« Territoire », « MSP »…) — "
    "non repris (recopier ses informations en phrases, ou les mettre dans les tableaux de chiffres).",
    "Sous le titre « Les étapes », 6e paragraphe : un commentaire « Chiffre à confirmer avec la DOS » — non repris.",
    "Sous le titre « Les étapes », 7e paragraphe : une insertion suivie « désormais » — gardée : ce texte inséré "
    "est repris.",
    "Sous le titre « Les étapes », 7e paragraphe : une suppression suivie « encore » — appliquée : ce texte "
    "supprimé n'est pas repris.",
    "Sous le titre « Les étapes », 8e paragraphe : une zone de texte « 279 MSP » — non reprise (recopier son texte "
    "dans un paragraphe s'il doit figurer dans la brochure).",
]


def markdown_tokens(markdown: str) -> set[str]:
    return {token.type for token in MarkdownIt("commonmark").parse(markdown)} | {
        child.type for token in MarkdownIt("commonmark").parse(markdown) for child in token.children or []
    }


def test_a_word_document_becomes_one_text_with_what_was_not_imported_located():
    result = import_text("Texte MSP.docx", service_document(), "texts/actions/p2-msp.md")
    assert isinstance(result, DocxImport)
    [text] = result.texts
    assert (text.path, text.title, text.removed_mark) == ("texts/actions/p2-msp.md", "", False)
    assert text.markdown == EXPECTED_MARKDOWN
    assert text.content == EXPECTED_MARKDOWN + "\n"
    assert result.report() == EXPECTED_REPORT
    assert [(note.what, note.where) for note in result.notes][2] == (
        "un commentaire « Chiffre à confirmer avec la DOS »",
        "sous le titre « Les étapes », 6e paragraphe",
    )


def test_a_document_opening_with_the_texts_own_title_does_not_print_it_twice():
    document = docx.Document()
    document.add_heading("Appuyer l’essor des Maisons de santé pluri-professionnelles (MSP) sur le terrain", 1)
    document.add_paragraph("Le soutien aux MSP a pris plusieurs formes.")
    title = "Appuyer l'essor des Maisons de santé pluri-professionnelles (MSP) sur le terrain"  # actions.csv
    result = import_text("MSP.docx", saved(document), "texts/actions/p2-msp.md", title=title)
    assert (result.texts[0].title, result.texts[0].markdown) == (title, "Le soutien aux MSP a pris plusieurs formes.")
    assert result.report() == [
        "Au début du document : le titre « Appuyer l’essor des Maisons de santé pluri-professionnelles (MSP) sur le "
        "terrain » — non repris dans le texte (la brochure imprime déjà ce titre au-dessus)."
    ]


def test_the_imported_markdown_passes_the_editions_parser_and_renders_without_html():
    [text] = import_text("Texte MSP.docx", service_document(), "texts/actions/p2-msp.md").texts
    parsed = parse_text(InputFile("hauts-de-france/2025/texts/actions/p2-msp.md", text.content.encode(), ""), "x")
    assert parsed.body == EXPECTED_MARKDOWN
    assert not {"html_block", "html_inline", "image", "code_block", "fence"} & markdown_tokens(text.markdown)
    html = to_html(text.markdown)
    assert "<strong>plusieurs formes</strong>" in html and "<em>2024</em>" in html
    assert "<li>un accompagnement en ingénierie ;\n<ul>\n<li>15 nouveaux projets ;</li>" in html
    assert '<a href="https://www.hauts-de-france.ars.sante.fr/">site de l\'ARS</a>' in html
    assert "[[action.p2-msp]]" in html  # a figure name stays a reference, replaced at build time


def test_words_that_look_like_markdown_print_as_typed():
    document = docx.Document()
    for typed in (
        "1. pas une liste",
        "# pas un titre",
        "- pas une puce",
        "<b>pas du HTML</b> & co &amp;",
        "un_mot *étoilé* [crochet] `code`",
        "    pas du code",
    ):
        document.add_paragraph(typed)
    [text] = import_text("texte.docx", saved(document), "texts/fir.md").texts
    assert text.markdown.split("\n\n") == [
        "1\\. pas une liste",
        "\\# pas un titre",
        "\\- pas une puce",
        "\\<b\\>pas du HTML\\</b\\> & co \\&amp;",
        "un\\_mot \\*étoilé\\* \\[crochet\\] \\`code\\`",
        "pas du code",
    ]
    html = to_html(text.markdown)
    for shown in (
        "<p>1. pas une liste</p>",
        "<p># pas un titre</p>",
        "<p>- pas une puce</p>",
        "<p>&lt;b&gt;pas du HTML&lt;/b&gt; &amp; co &amp;amp;</p>",
        "<p>un_mot *étoilé* [crochet] `code`</p>",
        "<p>pas du code</p>",
    ):
        assert shown in html


def test_footnotes_fields_and_bookmark_links_are_listed():
    document = docx.Document()
    document.add_heading("Dépistage", 1)
    paragraph = document.add_paragraph("Campagne menée le ")
    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" DATE \\@ &quot;d MMMM yyyy&quot; ">'
            "<w:r><w:t>3 mars 2025</w:t></w:r></w:fldSimple>"
        )
    )
    paragraph.add_run(".")
    inner = document.add_paragraph("Voir ")
    anchor = OxmlElement("w:hyperlink")
    anchor.set(qn("w:anchor"), "annexe")
    anchor.append(run("l'annexe"))
    inner._p.append(anchor)
    data = with_footnote(saved(document), "Source : CPAM, 2024.")
    result = import_text("depistage.docx", data, "texts/actions/p2-depistage.md")
    assert result.texts[0].markdown == "# Dépistage\n\nCampagne menée le 3 mars 2025.\n\nVoir l'annexe"
    assert result.report() == [
        "Sous le titre « Dépistage », 1er paragraphe : un champ « DATE » — repris comme texte simple, tel qu'il "
        "était affiché (il ne sera plus mis à jour).",
        "Sous le titre « Dépistage », 2e paragraphe : une note de bas de page « Source : CPAM, 2024. » — non reprise "
        "(l'intégrer au texte si elle compte).",
        "Dans le document : un lien vers « #annexe » — non repris (seuls les liens web et mail le sont).",
    ]


def test_a_symbol_of_a_special_font_and_a_style_without_equivalent_are_listed():
    document = docx.Document()
    quote = document.add_paragraph("Une parole d'usager.", style="Quote")
    quote._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="Marlett" w:char="F061"/></w:r>'))
    result = import_text("usagers.docx", saved(document), "texts/actions/p2-cls-zoom.md")
    assert result.texts[0].markdown == "Une parole d'usager."
    assert result.report() == [
        "Dans le document : un symbole de la police « Marlett » — non repris.",
        "Dans le document : le style de paragraphe « Citation » — repris comme texte ordinaire, sans sa mise en forme.",
    ]


def with_footnote(data: bytes, note: str) -> bytes:
    """The document with a footnote called at the end of its last paragraph, as Word stores one."""
    w = nsdecls("w")
    footnotes = (
        f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        f'</w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>{note}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/document.xml":
                call = b'<w:r><w:footnoteReference w:id="1"/></w:r>'
                content = content[: content.rindex(b"</w:p>")] + call + content[content.rindex(b"</w:p>") :]
            elif info.filename == "word/_rels/document.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
                )
            elif info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            target.writestr(info.filename, content)
        target.writestr("word/footnotes.xml", footnotes)
    return out.getvalue()


# --- a whole part split by its headings (the real 2024 edition) -----------------------------------------


def part_document() -> bytes:
    """Part 1 of 2024 as a service would send it: the part's title, its sections and some actions, titles
    typed with Word's numbering, apostrophes and spaces, one heading of the service's own, and a word before
    the first heading."""
    document = docx.Document()
    lists(document)
    document.add_paragraph("Document de travail — ne pas diffuser.")
    document.add_heading("Partie 1 : Une action renforcée au bénéfice de territoires prioritaires", 1)
    document.add_paragraph("Deux territoires concentrent les efforts de l'Agence.")
    document.add_heading("1.1 Des actions intensifiées dans les territoires du bassin minier", 2)
    document.add_paragraph("Le bassin minier cumule des indicateurs de santé défavorables.")
    document.add_heading("Un effort d’envergure en matière de prévention et de promotion de la santé.", 3)
    paragraph = document.add_paragraph("Les actions de prévention y sont ")
    paragraph.add_run("renforcées").bold = True
    paragraph.add_run(".")
    list_item(document, "dépistage organisé ;")
    list_item(document, "vaccination.")
    document.add_heading("Contacts du service", 3)
    document.add_paragraph("Écrire à la direction de la prévention.")
    document.add_heading("Agir pour  l'attractivité du territoire et l'accès aux soins", 3)
    document.add_paragraph("De nouveaux professionnels se sont installés sur le territoire.")
    return saved(document)


def test_a_part_is_split_into_its_action_texts_by_the_real_2024_titles():
    assert edition_parts(EDITION, paths.INPUTS_DIR)[0] == (
        "territoires-prioritaires",
        "Une action renforcée au bénéfice de territoires prioritaires",
    )
    assert len(edition_parts(EDITION, paths.INPUTS_DIR)) == 4
    targets = edition_part_targets(EDITION, paths.INPUTS_DIR, "territoires-prioritaires")
    assert [target.path for target in targets] == [
        "texts/parts/territoires-prioritaires.md",
        "texts/actions/p1-bassin-minier.md",
        "texts/actions/p1-bassin-minier-offre.md",
        "texts/actions/p1-bassin-minier-attractivite.md",
        "texts/actions/p1-bassin-minier-prevention.md",
        "texts/actions/p1-sat.md",
        "texts/actions/p1-sat-investissements.md",
        "texts/actions/p1-sat-attractivite.md",
        "texts/actions/p1-sat-prevention.md",
    ]
    current = {
        "texts/actions/p1-bassin-minier-prevention.md": "---\nauteur: DPPS\n---\n"
        + text_mark(2024, 2025)
        + "\nAncien texte.\n",
    }
    result = import_part("Partie 1.docx", part_document(), targets, current)
    assert [(text.path, text.markdown) for text in result.texts] == [
        ("texts/parts/territoires-prioritaires.md", "Deux territoires concentrent les efforts de l'Agence."),
        ("texts/actions/p1-bassin-minier.md", "Le bassin minier cumule des indicateurs de santé défavorables."),
        (
            "texts/actions/p1-bassin-minier-prevention.md",
            "Les actions de prévention y sont **renforcées**.\n\n- dépistage organisé ;\n- vaccination.",
        ),
        (
            "texts/actions/p1-sat-attractivite.md",
            "De nouveaux professionnels se sont installés sur le territoire.",
        ),
    ]
    prevention = result.texts[2]
    assert prevention.title == "Un effort d'envergure en matière de prévention et de promotion de la santé"
    assert prevention.removed_mark
    assert prevention.content == (
        "---\nauteur: DPPS\n---\n\nLes actions de prévention y sont **renforcées**.\n\n- dépistage organisé ;\n"
        "- vaccination.\n"
    )
    assert result.unmatched == ("Contacts du service",)
    assert result.untouched == tuple(targets[i].title for i in (2, 3, 5, 6, 8))
    assert result.untouched[2] == "Des actions intensifiées sur le territoire Sambre-Avesnois-Thiérache (SAT)"
    assert result.report() == [
        "Au début du document : le texte placé avant le premier titre — non repris.",
        "Le titre « Contacts du service » ne correspond à aucun texte de la partie : son passage n'est pas importé "
        "(reprendre dans le document le titre exact de l'action, ou importer ce passage comme un seul texte).",
        *(f"« {title} » : aucun passage dans le document, le texte actuel est gardé." for title in result.untouched),
        "texts/actions/p1-bassin-minier-prevention.md : la mention « À RÉÉCRIRE » est retirée, le texte importé "
        "remplace celui de l'édition précédente.",
    ]
    for text in result.texts:
        key = text.path.removeprefix("texts/").removesuffix(".md")
        assert parse_text(InputFile(text.path, text.content.encode(), ""), key).body == text.markdown


def test_a_part_imported_into_next_years_edition_made_by_fir_new(tmp_path: Path):
    """2025 made from 2024 as `fir new` makes it: titles and texts marked « À RÉÉCRIRE »; the service's
    document, titled as in 2024, replaces the marked texts it covers and only those."""
    inputs = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR / "_reference", inputs / "_reference")
    shutil.copytree(EDITION, inputs / "hauts-de-france" / "2024")
    create_edition(inputs, "hauts-de-france", 2025)
    folder = inputs / "hauts-de-france" / "2025"
    assert "[À RÉÉCRIRE, texte de 2024]" in (folder / "actions.csv").read_text()
    targets = edition_part_targets(folder, inputs, "territoires-prioritaires")
    assert targets[1].title == "Des actions intensifiées dans les territoires du bassin minier"
    current = {t.path: (folder / t.path).read_text() for t in targets if (folder / t.path).is_file()}
    result = import_part("Partie 1.docx", part_document(), targets, current)
    assert [text.path for text in result.texts if text.removed_mark] == [
        "texts/actions/p1-bassin-minier.md",
        "texts/actions/p1-bassin-minier-prevention.md",
        "texts/actions/p1-sat-attractivite.md",
    ]  # the part has no introduction file yet: nothing to unmark there
    assert result.texts[1].content == "Le bassin minier cumule des indicateurs de santé défavorables.\n"


def test_a_heading_met_twice_is_reported_not_merged():
    document = docx.Document()
    document.add_heading("Agir pour l'attractivité du territoire et l'accès aux soins", 2)
    document.add_paragraph("Premier passage.")
    document.add_heading("Agir pour l'attractivité du territoire et l'accès aux soins", 2)
    document.add_paragraph("Second passage.")
    targets = [
        TextTarget(
            "texts/actions/p1-sat-attractivite.md", "Agir pour l'attractivité du territoire et l'accès aux soins"
        )
    ]
    result = import_part("doublon.docx", saved(document), targets)
    assert [text.markdown for text in result.texts] == ["Premier passage."]
    assert result.unmatched == ("Agir pour l'attractivité du territoire et l'accès aux soins (en double)",)


def test_a_document_whose_headings_name_no_action_is_refused():
    document = docx.Document()
    document.add_heading("Introduction", 1)
    document.add_paragraph("Texte.")
    targets = edition_part_targets(EDITION, paths.INPUTS_DIR, "territoires-prioritaires")
    with pytest.raises(UploadRefused) as caught:
        import_part("notes.docx", saved(document), targets)
    assert str(caught.value) == (
        "Le fichier « notes.docx » est refusé : aucun de ses titres ne reprend le titre d'une action de la partie "
        "(titres du document : « Introduction »). Mettez dans le document, en style « Titre 1 » ou « Titre 2 », les "
        "titres exacts des actions (ceux du tableau des actions), ou importez-le comme un seul texte, puis "
        "déposez-le à nouveau. Rien n'a été enregistré."
    )


def test_an_empty_or_unsafe_document_is_refused_by_the_import_itself():
    with pytest.raises(UploadRefused, match="le document ne contient aucun texte à reprendre"):
        import_text("vide.docx", saved(docx.Document()), "texts/fir.md")
    with pytest.raises(UploadRefused, match="c'est un document Word avec macros"):
        import_text("texte.docm", service_document(), "texts/fir.md")


def test_an_unknown_part_is_a_located_input_error():
    with pytest.raises(InputError) as caught:
        edition_part_targets(EDITION, paths.INPUTS_DIR, "p9")
    assert str(caught.value) == (
        "hauts-de-france/2024/parts.csv : valeur « p9 » — attendu : une partie parmi : territoires-prioritaires, "
        "dispositifs-territoriaux, parcours-de-sante, situations-exceptionnelles"
    )
