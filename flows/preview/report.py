"""What the preview shows above the pages when the inputs cannot be laid out: one item per problem, where it
is (file, line or cell, column) apart from what is wrong, so an author goes straight to the place."""

from __future__ import annotations

from dataclasses import dataclass

from flows.edition.errors import InputError, Problem
from flows.edition.validate.findings import Finding


@dataclass(frozen=True)
class Item:
    """One problem: where (`thematics.csv, ligne 7, colonne « Montant (amount) »`) and what."""

    where: str
    what: str


def from_input_error(error: InputError) -> list[Item]:
    """The problems of an input that cannot be read (a bad cell, a broken reference, a missing file)."""
    return from_input_error_problems(error.problems) if error.problems else [Item("", str(error))]


def from_input_error_problems(problems: list[Problem]) -> list[Item]:
    """One item per problem, in the order the reader found them."""
    return [_problem(problem) for problem in problems]


def _problem(problem: Problem) -> Item:
    what = f"attendu : {problem.expected}"
    if problem.value is not None:
        what = f"valeur « {problem.value} » — {what}"
    return Item(problem.location(), what)


def from_findings(findings: list[Finding]) -> list[Item]:
    """The reconciliation errors that stop a build (a total that its lines do not explain)."""
    return [Item(finding.where or finding.table, finding.message) for finding in findings]


def from_bug(error: BaseException) -> list[Item]:
    """An error of the program itself: said as such, its traceback is in the console."""
    return [Item("erreur du programme (pas des données)", f"{type(error).__name__} : {error}")]
