"""`fir drafts`, `fir approve` and `fir reject`: the drafts waiting for a decision, and the decision."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flows import paths
from flows.cli.common import EXIT_OK, EXIT_USAGE, deliver_owed, say_interrupted

if TYPE_CHECKING:
    from flows.edition.publish.store import Catalogue


def add_drafts(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir drafts`: its arguments."""
    drafts = sub.add_parser("drafts", help="lister les projets en attente d'approbation")
    drafts.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
    drafts.set_defaults(handler=cmd_drafts)


def add_sign_off(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir approve` and `fir reject`: their arguments."""
    for action, text in (
        ("approve", "approuver un projet : il devient la publication actuelle (avec son erratum)"),
        ("reject", "rejeter un projet, en disant pourquoi : il ne sera jamais public"),
    ):
        p = sub.add_parser(action, help=text)
        p.add_argument("region", help="région (ex. hauts-de-france)")
        p.add_argument("year", type=int, help="année de l'édition")
        p.add_argument("revision", type=int, help="numéro de la révision en projet (voir fir drafts)")
        p.add_argument(
            "--comment", required=action == "reject", default="", help="commentaire (obligatoire pour un rejet)"
        )
        p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
        if action == "approve":
            p.add_argument(
                "--malgre-non-confirmes",
                dest="acknowledge",
                action="store_true",
                help="approuver malgré les éléments repris de l'édition précédente que personne n'a confirmés "
                "(la liste est inscrite au journal d'audit)",
            )
        p.set_defaults(handler=cmd_sign_off, approve=action == "approve")


def cmd_drafts(args: argparse.Namespace) -> int:
    from flows.edition.french import format_time
    from flows.edition.publish import store
    from flows.notices import people, wording

    catalogue = store.open_catalogue(args.outputs)
    deliver_owed(catalogue)
    found = catalogue.drafts()
    known = people.known(catalogue.engine) if found else {}
    interrupted = {(r, y): catalogue.interrupted_drafts(r, y) for r, y in {(r, y) for r, y, _, _ in found}}
    for region, year, region_name, entry in found:
        print(
            f"{region} {year} r{entry['revision']}\t{region_name}\tconstruit le {format_time(entry['published_at'])} "
            f"par {people.person(entry.get('launched_by'), known)}\t{entry['pages']} pages, "
            f"{wording.changes_phrase(entry)}\tmotif : {entry['reason']}"
        )
        if "draft" in entry:
            print(f"    à relire : {store.edition_dir(args.outputs, region, year) / entry['draft']['file']}")
    if not found:
        print("Aucun projet en attente d'approbation.")
    for region, year, _, entry in catalogue.drafts(statuses=(store.SUPERSEDED,)):
        print(
            f"{region} {year} r{entry['revision']}\tremplacé le {format_time(entry.get('decided_at'))} : "
            f"{entry.get('comment') or 'une révision a été publiée depuis'} ; ne peut plus être approuvé"
        )
    for (region, year), numbers in sorted(interrupted.items()):
        say_interrupted(numbers, region, year, args)
    return EXIT_OK


def cmd_sign_off(args: argparse.Namespace) -> int:
    from flows import policy
    from flows.commands import suggest
    from flows.edition.publish import store
    from flows.notices import audit
    from flows.portal.signoff import SignOffRefused, sign_off

    catalogue = store.open_catalogue(args.outputs)
    try:
        entry = sign_off(
            catalogue,
            args.region,
            args.year,
            args.revision,
            args.approve,
            audit.system_user(),
            audit.command_line_address(),
            args.comment,
            acknowledge=getattr(args, "acknowledge", False),
        )
    except SignOffRefused as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        if getattr(exc, "rule", None) == policy.FOUR_EYES:  # what an administrator types, as typed
            line = suggest("reglages", "--region", args.region, "--auto-approbation", "oui", outputs=args.outputs)
            print(f"Pour une équipe d'une personne, un administrateur lance : {line}", file=sys.stderr)
        return EXIT_USAGE
    done = f"révision {entry['revision']} de {args.region} {args.year} {'publiée' if args.approve else 'rejetée'}"
    try:
        if args.approve:
            from flows.notices import people

            by = people.person(entry["decided_by"], people.known(catalogue.engine))
            print(f"Révision {entry['revision']} de {args.region} {args.year} publiée (approuvée par {by}).")
            print(f"Publication actuelle : {paths.brochure_path(args.outputs, args.region, args.year)}")
            every = catalogue.history(args.region, args.year, statuses=(store.SUPERSEDED,))
            replaced = (
                [e["revision"] for e in every["revisions"] if e.get("decided_at") == entry["decided_at"]]
                if every
                else []
            )
            if replaced:
                names = ", ".join(f"r{n}" for n in replaced)
                print(
                    f"Remplacé(s) par cette publication, plus jamais approuvable(s) : {names} (copie marquée retirée)."
                )
        else:
            print(f"Révision {entry['revision']} de {args.region} {args.year} rejetée : elle ne sera jamais publiée.")
    except Exception as exc:  # the decision is committed: whatever fails now never says « nothing changed »
        if isinstance(exc, BrokenPipeError):
            raise
        from flows.edition.publish.errors import AfterCommit

        raise AfterCommit(done, "compte rendu non affiché", exc) from exc
    say_interrupted(catalogue.interrupted_drafts(args.region, args.year), args.region, args.year, args)
    _say_owed(catalogue)
    return EXIT_OK


def _say_owed(catalogue: Catalogue) -> None:
    """Notifications still owed after this command sent what it could (flows/notices/outbox.py): said, with
    who sends them, so that nobody thinks they are lost."""
    from flows.notices import outbox

    if waiting := outbox.owed(catalogue.engine):
        print(
            f"{waiting} notification(s) en attente d'envoi : le service (fir serve) ou « fir repair » les enverra.",
            file=sys.stderr,
        )
