"""The items an edition carries over unchanged (validate/carried_over.py), said for people: the section
`fir check` and the build's report print after the validation report, the audit line of an approval
given despite them, and their labels on the draft page."""

from __future__ import annotations

from collections.abc import Sequence

from flows.edition.validate.carried_over import CELL, NUMBER, PARAGRAPH, TABLE, TEXT, YEAR, CarriedOver, Item

HEADING = "À confirmer (repris de l'édition"
KIND_LABELS = {
    TEXT: "texte inchangé depuis l'édition {year}",
    PARAGRAPH: "paragraphe inchangé depuis l'édition {year}",
    CELL: "texte inchangé depuis l'édition {year}",
    NUMBER: "nombre saisi à la main",
    YEAR: "année antérieure à l'édition",
    TABLE: "tableau dont tous les chiffres sont ceux de l'édition {year}",
}


def describe(item: Item, earlier_year: int) -> str:
    """`ligne 9 : nombre saisi à la main — 279`; a table: `tableau « Recettes » : …`."""
    label = KIND_LABELS.get(item.kind, item.kind).format(year=earlier_year)
    if item.kind == TABLE:
        return f"tableau « {item.value} » : tous ses chiffres sont ceux de l'édition {earlier_year}"
    value = item.value if item.kind == NUMBER else f"« {item.value} »"
    where = f"ligne {item.line} : " if item.line is not None else ""
    return f"{where}{label} — {value}"


def by_file(items: Sequence[Item]) -> dict[str, list[Item]]:
    """Items grouped by file, files and lines in order (a table's own item first)."""
    grouped: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda i: (i.source, -1 if i.line is None else i.line)):
        grouped.setdefault(item.source, []).append(item)
    return grouped


def confirm_command(region: str, year: int, options: str = "") -> str:
    """The command that confirms files, as typed (`options`: `--inputs DIR` when not the default)."""
    extra = f" {options.strip()}" if options.strip() else ""
    return f"fir confirm --region {region} --year {year}{extra}"


def section_lines(
    carried: CarriedOver, todo: Sequence[Item], confirmed: int, region: str, year: int, options: str = ""
) -> list[str]:
    """The section printed after the validation report; empty when there is nothing carried over."""
    earlier = carried.earlier_year
    if carried.note:
        return ["", f"{HEADING} {earlier}) : {carried.note}."]
    if not carried.items:
        return []
    files = by_file(todo)
    done = f" ; {confirmed} déjà confirmé(s)" if confirmed else ""
    if not todo:
        return ["", f"{HEADING} {earlier}) : les {len(carried.items)} élément(s) repris sont tous confirmés."]
    lines = [
        "",
        f"{HEADING} {earlier}) : {len(todo)} élément(s) dans {len(files)} fichier(s){done} — textes, nombres, "
        f"années et tableaux tels qu'en {earlier}, à relire et mettre à jour pour {year} :",
    ]
    for source, items in files.items():
        lines.append(f"  {source} :")
        lines += [f"    {describe(item, earlier)}" for item in items]
    example = next(iter(files)).removeprefix(f"{region}/{year}/")
    lines += [
        "Une fois un fichier relu et mis à jour, le confirmer : "
        f"{confirm_command(region, year, options)} {example} (plusieurs fichiers possibles, ou --all), "
        "ou « J'ai relu et confirmé » sur la page du projet dans le portail. Un élément modifié après sa "
        "confirmation est à confirmer de nouveau ; approuver un projet qui en garde demande de l'approuver "
        "malgré eux.",
    ]
    return lines


def without_section(report: Sequence[str]) -> list[str]:
    """The validation report without this section (the draft page shows the items with their forms)."""
    lines = list(report)
    for index, line in enumerate(lines):
        if line.startswith(HEADING):
            end = index - 1 if index and lines[index - 1] == "" else index
            return lines[:end]
    return lines


def audit_list(items: Sequence[Item], earlier_year: int) -> str:
    """The items as one line of the audit log: `fichier, ligne 9 : … ; …`."""
    return " ; ".join(f"{item.source}, {describe(item, earlier_year)}" for item in items)


def approval_hint(report: Sequence[str]) -> str:
    """After a build whose report lists items still to confirm: what approval will ask (empty otherwise)."""
    head = next((line for line in report if line.startswith(HEADING)), "")
    if not head or "sont tous confirmés" in head or " : " not in head:
        return ""
    count = head.split(" : ", 1)[1].split(" ", 1)[0]
    if not count.isdigit():
        return ""
    return (
        f"  Avant : confirmer les {count} élément(s) repris listés plus haut (fir confirm, ou « J'ai relu et "
        "confirmé » sur la page du projet) ; sinon l'approbation demande --malgre-non-confirmes (ou la case "
        "« J'approuve malgré … éléments non confirmés » du portail)."
    )
