"""What the catalogue records, said for people: an erratum as one French sentence (public page), the
validation report as structured groups (draft page) rather than the wall of text `fir check` prints."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.edition.publish.manifest import ChangeEntry, RevisionEntry


def pages_phrase(pages: Sequence[int]) -> str:
    """`page 12`, `pages 37 et 39`, `pages 1, 2 et 3`; empty when the pages are unknown."""
    numbers = [str(p) for p in sorted(set(pages))]
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    return f"pages {', '.join(numbers[:-1])} et {numbers[-1]}"


def change_phrase(change: ChangeEntry) -> str:
    """`Mission 2 — AE : 75 670 273 € devient 75 670 274 € (page 12)`."""
    where = pages_phrase(change.get("pages") or [])
    text = (
        f"{change.get('label') or change.get('figure', '')} : {change.get('old', '')} devient {change.get('new', '')}"
    )
    return f"{text} ({where})" if where else text


def erratum_sentence(changes: Sequence[ChangeEntry]) -> str:
    """« Cette révision corrige 2 chiffres : … ; … . », or empty for a revision that changed no figure."""
    if not changes:
        return ""
    return erratum_intro(changes) + " " + " ; ".join(change_phrase(c) for c in changes) + "."


def erratum_intro(changes: Sequence[ChangeEntry]) -> str:
    """« Cette révision corrige 2 chiffres : », the lead-in of the list of changes a page shows."""
    count = f"{len(changes)} chiffre" + ("s" if len(changes) > 1 else "")
    return f"Cette révision corrige {count} :"


def changes_phrase(draft: RevisionEntry) -> str:
    """What a draft changes in the publication it would replace: `3 chiffres modifiés`, `aucun chiffre
    modifié`; `première publication` when nothing of the edition is published yet (there is nothing to
    compare with, and « 0 chiffre modifié » would say there was)."""
    count = len(draft.get("erratum") or [])
    if count:
        return f"{count} chiffre{'s' if count > 1 else ''} modifié{'s' if count > 1 else ''}"
    return "première publication" if draft.get("based_on") is None else "aucun chiffre modifié"


LEVELS = {"erreur": "error", "avertissement": "warning", "information": "info"}
_FINDING = re.compile(r"^  \[(?P<level>[^\]]+)\] (?P<message>.*)$")
_WHERE = re.compile(r"^ {6}où : (?P<where>.*)$")
_TYPED = "Montants saisis à la main"


@dataclass
class Finding:
    level: str  # error, warning, info (a class name for the page)
    label: str  # as the report says it: erreur, avertissement…
    message: str
    where: str = ""


@dataclass
class Group:
    title: str
    findings: list[Finding] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # a block of plain lines (hand-typed amounts)


@dataclass
class Report:
    summary: str = ""
    verdict: str = ""
    groups: list[Group] = field(default_factory=list)
    typed: Group | None = None  # amounts typed by hand in the texts, to re-read at each correction

    def count(self, level: str) -> int:
        return sum(1 for g in self.groups for f in g.findings if f.level == level)


def structured_report(lines: Sequence[str]) -> Report:
    """The report lines `report_lines` writes, back into groups of findings (validate/reconcile.py is the
    only writer; a line it does not recognise is kept as a plain line of its group)."""
    report = Report()
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line == "":
            blocks.append([])
        else:
            blocks[-1].append(line)
    for block in (b for b in blocks if b):
        head, rest = block[0], block[1:]
        if not report.summary and not head.startswith(" ") and head.startswith("Édition "):
            report.summary = head
            continue
        if head.startswith("Bilan :"):
            report.verdict = head
            continue
        group = Group(head)
        for line in rest:
            if found := _FINDING.match(line):
                label = found["level"]
                group.findings.append(Finding(LEVELS.get(label, "info"), label, found["message"]))
            elif (where := _WHERE.match(line)) and group.findings:
                group.findings[-1].where = where["where"]
            else:
                group.lines.append(line.strip())
        if head.startswith(_TYPED):
            report.typed = group
        else:
            report.groups.append(group)
    return report
