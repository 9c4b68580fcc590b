"""What an edition carries over unchanged from an earlier one, against the confirmations recorded in the
catalogue: what `fir check`, `fir confirm` and the build ask. The lists are validate/carried_over.py's
(pure); the confirmations publish/confirmations.py's."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from flows import paths
from flows.edition.ingest.snapshot import Edition
from flows.edition.publish import confirmations, database
from flows.edition.validate import carried_report
from flows.edition.validate.carried_over import CarriedOver, Item, read_earlier


@dataclass(frozen=True)
class Review:
    carried: CarriedOver
    todo: tuple[Item, ...]  # not confirmed in their present content
    confirmed: int  # items confirmed in their present content

    def lines(self, region: str, year: int, options: str = "") -> list[str]:
        return carried_report.section_lines(self.carried, self.todo, self.confirmed, region, year, options)


def review(inputs: Path, outputs: Path, edition: Edition, create: bool = False) -> Review | None:
    """The edition's carried-over items and which are still to confirm; None for an edition made from
    nothing. The catalogue is read when it exists (or when `create`: a build has one anyway); without one
    nothing is confirmed yet."""
    carried = read_earlier(inputs, edition)
    if carried is None:
        return None
    done: dict[str, confirmations.Confirmation] = {}
    if carried.items and (create or database.catalogue_exists(outputs)):
        from flows.edition.publish import store

        engine = store.open_catalogue(outputs).engine
        done = confirmations.confirmed(engine, edition.meta.region, edition.meta.year)
    todo = tuple(confirmations.pending(carried.items, done))
    return Review(carried, todo, len(carried.items) - len(todo))


def command_options(inputs: Path, outputs: Path) -> str:
    """`--inputs DIR --outputs DIR` when they are not the defaults, quoted for the shell, so a suggested
    command works as typed."""
    options = []
    if inputs.resolve() != paths.INPUTS_DIR.resolve():
        options.append(f"--inputs {shlex.quote(str(inputs))}")
    if outputs.resolve() != paths.OUTPUTS_DIR.resolve():
        options.append(f"--outputs {shlex.quote(str(outputs))}")
    return " ".join(options)


def confirm_files(inputs: Path, outputs: Path, edition: Edition, files: list[str], every: bool) -> int:
    """`fir confirm`: record the system user's confirmation of the items of `files` (or of every file),
    with its audit line; prints what it did and what remains. Returns the command's exit code."""
    from flows import policy
    from flows.edition.publish import store
    from flows.notices import audit, people

    region, year = edition.meta.region, edition.meta.year
    options = command_options(inputs, outputs)
    found = review(inputs, outputs, edition, create=True)
    if found is None or not found.carried.items:
        why = (
            f"elle n'est pas faite à partir d'une édition antérieure (ni carried_from dans son edition.toml, "
            f"ni édition {year - 1} dans {inputs})"
        )
        if found is not None and found.carried.note:
            why = found.carried.note
        print(f"Rien à confirmer pour {region} {year} : {why}.")
        return 0
    grouped = carried_report.by_file(found.carried.items)
    waiting = carried_report.by_file(found.todo)
    if every:
        chosen = list(grouped)
    elif not files:
        listed = "\n".join(f"  {source.removeprefix(f'{region}/{year}/')}" for source in waiting) or "  (aucun)"
        print(
            "Indiquez les fichiers relus (ou --all pour tous) : rien n'a été confirmé. Fichiers encore à confirmer :\n"
            f"{listed}\nExemple : {carried_report.confirm_command(region, year, options)} "
            f"{next(iter(waiting or grouped)).removeprefix(f'{region}/{year}/')}",
            file=sys.stderr,
        )
        return 2
    else:
        chosen = []
        for name in files:
            source = _source_of(name, inputs, region, year)
            if source not in grouped:
                known = ", ".join(s.removeprefix(f"{region}/{year}/") for s in waiting) or "aucun"
                print(
                    f"Refusé : « {name} » n'a aucun élément repris de l'édition {found.carried.earlier_year} "
                    f"(fichiers encore à confirmer : {known}). Rien n'a été confirmé.",
                    file=sys.stderr,
                )
                return 2
            chosen.append(source)
    items = [item for source in chosen for item in grouped[source]]
    user = audit.system_user()
    engine = store.open_catalogue(outputs).engine
    decision = policy.allowed(policy.system(user), policy.CONFIRM)  # the command line: flows/policy.py
    if not decision:
        where = audit.command_line_address()
        audit.record(engine, user, where, audit.CONFIRM, f"{region} {year}", audit.REFUSED, decision.reason)
        print(f"Refusé : {decision.reason}. Rien n'a été confirmé.", file=sys.stderr)
        return 2
    new = confirmations.record(engine, region, year, items, user)
    detail = f"{len(new)} élément(s) confirmé(s) : " + ", ".join(
        f"{source} ({sum(1 for i in new if i.source == source)})" for source in chosen
    )
    audit.record(engine, user, audit.command_line_address(), audit.CONFIRM, f"{region} {year}", audit.OK, detail)
    left = len(found.todo) - sum(1 for item in new if item in found.todo)
    suffix = f" {options}" if options else ""
    print(
        f"{len(new)} élément(s) confirmé(s) par {people.display_name(engine, user)} dans {len(chosen)} "
        f"fichier(s) ({len(items) - len(new)} l'étaient déjà). Reste à confirmer : {left} élément(s)"
        + (f" — la liste : fir check --region {region} --year {year}{suffix}" if left else ".")
    )
    return 0


def _source_of(name: str, inputs: Path, region: str, year: int) -> str:
    """A file as the user names it — `texts/fir.md`, `hauts-de-france/2025/texts/fir.md`, a path on disk —
    as the lists name it (relative to inputs/)."""
    prefix = f"{region}/{year}/"
    path = Path(name)
    if path.exists():
        try:
            return path.resolve().relative_to(inputs.resolve()).as_posix()
        except ValueError:
            pass
    text = name.replace("\\", "/").removeprefix("./")
    return text if text.startswith(prefix) else prefix + text


def as_record(found: Review | None) -> dict[str, object] | None:
    """What a draft's record keeps: the earlier edition's year and every item carried over (confirmed or
    not: a confirmation may come after the build, from the draft page)."""
    if found is None or not found.carried.items:
        return None
    return {"earlier_year": found.carried.earlier_year, "items": [item.as_json() for item in found.carried.items]}


def recorded_items(entry: Mapping[str, Any]) -> tuple[int, list[Item]]:
    """The earlier edition's year and the items a revision's record keeps (none for a revision made from
    nothing, or recorded before this existed)."""
    found = entry.get("carried_over")
    if not isinstance(found, Mapping):
        return 0, []
    items = found.get("items")
    year = found.get("earlier_year")
    return (year if isinstance(year, int) else 0), [Item.from_json(i) for i in items or [] if isinstance(i, Mapping)]


def unconfirmed(engine: Engine, region: str, year: int, entry: Mapping[str, Any]) -> tuple[int, list[Item]]:
    """The items of a draft that nobody has confirmed in their present content (what approval asks about)."""
    earlier, items = recorded_items(entry)
    if not items:
        return earlier, []
    return earlier, confirmations.pending(items, confirmations.confirmed(engine, region, year))


def approval_refusal(region: str, year: int, earlier: int, count: int) -> str:
    """Why an approval is refused while items are unconfirmed, and the two ways on (French, no final stop)."""
    return (
        f"{count} élément(s) repris de l'édition {earlier} (textes inchangés, nombres, années, tableaux) "
        "n'ont été confirmés par personne : les relire puis cliquer « J'ai relu et confirmé » pour chaque "
        f"fichier sur la page du projet (ou fir confirm --region {region} --year {year} FICHIER…), ou "
        f"approuver malgré eux en cochant « J'approuve malgré {count} éléments non confirmés » "
        "(en ligne de commande : fir approve … --malgre-non-confirmes)"
    )


def report_lines(
    inputs: Path, outputs: Path, edition: Edition, create: bool = False
) -> tuple[Review | None, list[str]]:
    """The review (as `review`) and the report's lines about it: what the edition still carries over from an
    earlier one, to confirm before approval, with the command to type (none for an edition made from nothing)."""
    found = review(inputs, outputs, edition, create)
    if found is None:
        return None, []
    return found, found.lines(edition.meta.region, edition.meta.year, command_options(inputs, outputs))
