"""References between an edition's tables, texts and metadata: every id used exists where it points.

Broken references are errors (InputError): the brochure cannot be laid out without them. The texts'
`[[figure]]` names are checked against the catalogue of printed figures, once it is built
(`compute.catalogue.check_names`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import polars as pl

from flows.edition.compute.catalogue import TypedAmount, find_typed_amounts
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.snapshot import Edition


def typed_amounts(edition: Edition) -> list[TypedAmount]:
    """The amounts typed by hand in the texts, not tied to a table: listed so an editor can review them."""
    found: list[TypedAmount] = []
    for text in edition.texts.values():
        found += find_typed_amounts(text.body, text.source, text.body_line)
    return found


def check_references(edition: Edition) -> None:
    """Every id used in one table exists in the table it points to; raises InputError otherwise."""
    tables = edition.tables
    parts = set(tables["parts"]["part_id"].to_list())
    action_ids = set(tables["actions"]["action_id"].to_list())
    thematics = tables.get("thematics")
    thematic_ids = set(thematics["thematic_id"].to_list()) if thematics is not None else set()
    reference = set(edition.missions_ref["mission"].to_list())
    problems = [
        *_action_problems(edition, parts, action_ids),
        *_part_number_problems(edition),
        *_unknown(edition, "missions", "mission", reference, what="un numéro de mission du FIR"),
        *_subset_problems(edition, thematic_ids),
        *_text_problems(edition, {"actions": action_ids, "parts": parts, "thematics": thematic_ids}),
    ]
    if problems:
        raise InputError(problems)


def _unknown(edition: Edition, table: str, column: str, allowed: Set[object], what: str = "") -> list[Problem]:
    """A problem for each value of `table`'s `column` that is not among `allowed` (none for a table the
    edition lacks)."""
    frame = edition.tables.get(table)
    if frame is None:
        return []
    problems = []
    for line, value in frame.select("_line", column).iter_rows():
        if value is not None and value not in allowed:
            shown = ", ".join(str(a) for a in sorted(allowed, key=str)[:12])
            problems.append(
                Problem(
                    edition.sources[table],
                    f"{what or 'un identifiant connu'} (parmi : {shown}{'…' if len(allowed) > 12 else ''})",
                    line,
                    column,
                    str(value),
                )
            )
    return problems


def _action_problems(edition: Edition, parts: Set[object], action_ids: Set[object]) -> list[Problem]:
    """Sections and actions: their part and their section exist, an action is in its section's part, and
    the amounts and key figures of an action name one that exists."""
    actions = edition.tables["actions"]
    sections = set(actions.filter(pl.col("parent_id").is_null())["action_id"].to_list())
    problems = [
        *_unknown(edition, "actions", "part_id", parts, what="une partie déclarée dans parts"),
        *_unknown(
            edition, "actions", "parent_id", sections, what="une section (action sans parent) déclarée plus haut"
        ),
    ]
    part_of = dict(actions.select("action_id", "part_id").iter_rows())
    for line, parent, part in actions.select("_line", "parent_id", "part_id").iter_rows():
        if parent is not None and parent in part_of and part_of[parent] != part:
            problems.append(
                Problem(
                    edition.sources["actions"],
                    f"la même partie que sa section « {parent} » ({part_of[parent]})",
                    line,
                    "part_id",
                    part,
                )
            )
    problems += _unknown(edition, "action_amounts", "action_id", action_ids, what="une action déclarée dans actions")
    problems += _unknown(edition, "key_figures", "action_id", action_ids, what="une action déclarée dans actions")
    return problems


def _part_number_problems(edition: Edition) -> list[Problem]:
    """Each part's number is unique."""
    numbers = edition.tables["parts"].filter(pl.col("number").is_duplicated())
    source = edition.sources["parts"]
    return [
        Problem(source, "un numéro de partie unique", line, "number", str(number))
        for line, number in numbers.select("_line", "number").iter_rows()
    ]


def _subset_problems(edition: Edition, thematic_ids: Set[object]) -> list[Problem]:
    """The thematics edition.toml leaves out of the subset exist in the table thematics."""
    return [
        Problem(
            f"{edition.meta.region}/{edition.meta.year}/edition.toml",
            "une thématique de la table thematics",
            None,
            "thematic_subset.exclude",
            excluded,
        )
        for excluded in edition.meta.subset_exclude
        if excluded not in thematic_ids
    ]


def _text_problems(edition: Edition, known: Mapping[str, Set[object]]) -> list[Problem]:
    """Each text is one the brochure has a place for: fir.md, actions.md, chiffres.md, or in actions/, parts/
    or thematics/ under the id of an action, a part or a thematic."""
    problems = []
    for key, text in edition.texts.items():
        folder, _, name = key.rpartition("/")
        if folder in known and name not in known[folder]:
            problems.append(
                Problem(text.source, f"un nom de fichier égal à un identifiant de {folder}", None, None, name)
            )
        elif folder and folder not in known:
            problems.append(
                Problem(text.source, "un fichier de texts/actions/, texts/parts/ ou texts/thematics/", None, None, key)
            )
        elif not folder and key not in ("fir", "actions", "chiffres"):
            problems.append(
                Problem(
                    text.source,
                    "fir.md, actions.md, chiffres.md ou un sous-dossier actions/, parts/, thematics/",
                    None,
                    None,
                    key,
                )
            )
    return problems
