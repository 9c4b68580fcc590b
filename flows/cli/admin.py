"""`fir user` and `fir reglages`: staff accounts and the agency's settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows import paths
from flows.cli.common import EXIT_OK, EXIT_USAGE
from flows.cli_french import choice_of

# `fir user add --role`: the French names, and the catalogue's names kept as aliases (scripts, older notes).
ROLE_WORDS = {
    "rédacteur": "editor",
    "redacteur": "editor",
    "approbateur": "approver",
    "administrateur": "admin",
    "editor": "editor",
    "approver": "approver",
    "admin": "admin",
}


YES_NO = {"oui": "oui", "non": "non"}


def add_user(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir user add|passwd|disable|unlock|list`: their arguments."""
    user = sub.add_parser("user", help="comptes du personnel (portail) : add, passwd, disable, unlock, list")
    user_sub = user.add_subparsers(dest="action", required=True, metavar="OPÉRATION")
    for action, text in (
        ("add", "créer un compte (le mot de passe est demandé deux fois)"),
        ("passwd", "changer le mot de passe d'un compte (ses sessions sont fermées)"),
        ("disable", "désactiver un compte (ses sessions sont fermées)"),
        ("unlock", "débloquer les connexions d'un identifiant freinées par des mots de passe faux"),
        ("list", "lister les comptes"),
    ):
        p = user_sub.add_parser(action, help=text)
        if action != "list":
            p.add_argument("name", help="identifiant (minuscules, ex. m.dupont)")
        if action == "add":
            p.add_argument(
                "--role",
                required=True,
                type=choice_of(ROLE_WORDS, "rôle"),
                help="rédacteur (lance les constructions), approbateur (approuve les projets) ou administrateur "
                "(tout, et les comptes)",
            )
            p.add_argument("--display-name", help="nom affiché (ex. « Marie Dupont »)")
            p.add_argument("--email", help="adresse électronique, pour les notifications")
        if action in ("add", "passwd"):
            p.add_argument(
                "--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard (scripts)"
            )
        p.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
        p.set_defaults(handler=cmd_user)


def add_settings(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`fir reglages`: its arguments."""
    reglages = sub.add_parser(
        "reglages",
        help="réglages de l'agence (par région) : la personne qui lance une construction peut-elle approuver son "
        "projet ? Sans --auto-approbation : les afficher",
    )
    reglages.add_argument("--region", help="région (ex. hauts-de-france)")
    reglages.add_argument(
        "--auto-approbation",
        dest="self_approval",
        metavar="OUI|NON",
        type=choice_of(YES_NO, "choix"),
        help="oui : la personne qui lance la construction peut approuver son propre projet (équipe d'une personne) ; "
        "non : un autre approbateur doit le faire (règle des quatre yeux, par défaut). Inscrit au journal d'audit",
    )
    reglages.add_argument(
        "--inputs", type=Path, default=paths.INPUTS_DIR, help="dossier des données (défaut : inputs/)"
    )
    reglages.add_argument("--outputs", type=Path, default=paths.OUTPUTS_DIR, help="dossier de publication (catalogue)")
    reglages.set_defaults(handler=cmd_settings)


def cmd_user(args: argparse.Namespace) -> int:
    from flows import policy
    from flows.commands import suggest
    from flows.edition.french import format_time
    from flows.edition.publish import store
    from flows.notices import audit
    from flows.portal import accounts

    engine = store.open_catalogue(args.outputs).engine
    actor, address = audit.system_user(), audit.command_line_address()
    if args.action != "list" and not (decision := policy.allowed(policy.system(actor), policy.MANAGE_ACCOUNTS)):
        audit.record(engine, actor, address, audit.ACCOUNT, args.name, audit.REFUSED, decision.reason)
        print(f"Refusé : {decision.reason}.", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.action == "list":
            found = accounts.listing(engine)
            for a in found:
                state = "désactivé" if a.disabled else "actif"
                role, changed = accounts.ROLE_NAMES[a.role], format_time(a.updated_at)
                print(f"{a.name}\t{a.display_name}\t{role}\t{state}\tmodifié le {changed}")
            if not found:
                first = suggest("user", "add", "prenom.nom", "--role", "administrateur", outputs=args.outputs)
                print(f"Aucun compte. Créer le premier (remplacer prenom.nom par votre identifiant) : {first}")
            return EXIT_OK
        if args.action == "disable":
            accounts.disable(engine, args.name)
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail="compte désactivé")
            print(f"Compte « {args.name} » désactivé ; ses sessions sont fermées.")
            return EXIT_OK
        if args.action == "unlock":
            from flows.portal import throttle

            forgotten = throttle.unlock(engine, args.name.strip().lower())
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail=f"connexion débloquée ({forgotten})")
            print(f"Connexions de « {args.name} » débloquées ({forgotten} adresse(s)) : le prochain essai est vérifié.")
            return EXIT_OK
        password = _new_password(args.password_stdin)
        if args.action == "add":
            account = accounts.add(engine, args.name, args.role, password, args.display_name, args.email)
            created = f"compte créé ({accounts.ROLE_NAMES[account.role]})"
            audit.record(engine, actor, address, audit.ACCOUNT, account.name, detail=created)
            print(f"Compte « {account.name} » créé ({accounts.ROLE_NAMES[account.role]}).")
        else:
            accounts.set_password(engine, args.name, password)
            audit.record(engine, actor, address, audit.ACCOUNT, args.name, detail="mot de passe changé")
            print(f"Mot de passe de « {args.name} » changé ; ses sessions sont fermées.")
    except accounts.AccountError as exc:
        audit.record(engine, actor, address, audit.ACCOUNT, args.name, audit.REFUSED, str(exc))
        print(f"Refusé : {exc}.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    """`fir reglages`: show the administrators' settings, or change one region's (with its audit line)."""
    from flows import policy
    from flows.edition.french import format_time
    from flows.edition.ingest.snapshot import list_editions
    from flows.edition.publish import settings, store
    from flows.notices import audit, people

    catalogue = store.open_catalogue(args.outputs)
    engine = catalogue.engine
    actor, address = audit.system_user(), audit.command_line_address()
    regions = {region for region, _ in catalogue.editions()}
    if args.inputs.is_dir():
        regions |= {region for region, _ in list_editions(args.inputs)}
    if args.self_approval is None:
        known = people.known(engine)
        for found in settings.listing(engine, tuple(sorted(regions))):
            if args.region and found.region != args.region:
                continue
            when = (
                f"changé le {format_time(found.changed_at)} par {people.person(found.changed_by, known)}"
                if found.changed_by
                else "jamais changé"
            )
            print(f"{found.region}\t{settings.NAME} : {settings.WORDS[found.self_approval]}\t{when}")
        if not regions and not settings.listing(engine):
            print("Aucune région dans le catalogue ni dans le dossier des données.")
        return EXIT_OK
    if not args.region:
        from flows.commands import suggest

        example = suggest(
            "reglages",
            "--region",
            min(regions, default="hauts-de-france"),
            "--auto-approbation",
            args.self_approval,
            outputs=args.outputs,
        )
        print(f"Refusé : indiquez la région. Rien n'a changé. Par exemple : {example}", file=sys.stderr)
        return EXIT_USAGE
    decision = policy.allowed(policy.system(actor), policy.CHANGE_SETTINGS)
    problem = decision.reason
    if not problem and args.region not in regions | {s.region for s in settings.listing(engine)}:
        shown = ", ".join(sorted(regions)) or "aucune"
        problem = f"région « {args.region} » inconnue (régions connues : {shown})"
    if problem:
        audit.record(engine, actor, address, audit.SETTING, args.region, audit.REFUSED, problem)
        print(f"Refusé : {problem}. Rien n'a changé.", file=sys.stderr)
        return EXIT_USAGE
    line = audit.Line(actor, address, audit.SETTING, args.region)
    old, new = settings.set_self_approval(engine, args.region, args.self_approval == "oui", line)
    detail = settings.change_detail(old, new)
    print(f"Réglage de {args.region} : {detail} (inscrit au journal d'audit).")
    return EXIT_OK


def _new_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Le même, encore : ") != first:
        from flows.portal.accounts import AccountError

        raise AccountError("les deux saisies diffèrent")
    return first
