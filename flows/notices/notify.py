"""Notifications: a draft awaits sign-off (to approvers), a run failed (to editors, in plain words), a
revision was published (to editors), published files found damaged (to admins). By e-mail when the
service's configuration names an SMTP server, and as Prefect artifacts on the run concerned.

SMTP settings are environment variables of the service (`fir serve` passes them to the runs it starts):

    FIR_SMTP_HOST       the server (unset: no e-mail is sent; the default)
    FIR_SMTP_PORT       its port (default 25; 587 with starttls, 465 with tls)
    FIR_SMTP_SECURITY   none (default), starttls or tls
    FIR_SMTP_USER       login, when the server asks for one
    FIR_SMTP_PASSWORD   its password (never printed nor logged)
    FIR_SMTP_FROM       the sender (default fir@<this host>)
    FIR_PORTAL_URL      the portal's public address, for the links in messages and the web edition's
                        address printed in brochures (validate/address.py); unset, messages link to
                        the address the service listens on (FIR_SERVICE_URL, set by `fir serve`)

Messages are owed through the outbox (flows/notices/outbox.py): written in the transaction of what they
announce, sent after its commit, retried until sent. One that cannot be sent yet never fails the build or
the approval.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy.engine import Connection, Engine

from flows.commands import suggest
from flows.edition.errors import InputError
from flows.edition.publish.manifest import RevisionEntry
from flows.edition.publish.store import Catalogue
from flows.notices import accounts, outbox, people, wording

log = logging.getLogger("fir.notify")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str

    def __repr__(self) -> str:  # a settings object printed by mistake still hides the password
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


def smtp_settings() -> SmtpSettings | None:
    """The SMTP server of the service's configuration; None when there is none (no e-mail)."""
    host = os.environ.get("FIR_SMTP_HOST", "").strip()
    if not host:
        return None
    security = os.environ.get("FIR_SMTP_SECURITY", "none").strip().lower()
    default_port = {"starttls": 587, "tls": 465}.get(security, 25)
    return SmtpSettings(
        host=host,
        port=int(os.environ.get("FIR_SMTP_PORT") or default_port),
        security=security,
        user=os.environ.get("FIR_SMTP_USER") or None,
        password=os.environ.get("FIR_SMTP_PASSWORD") or None,
        sender=os.environ.get("FIR_SMTP_FROM") or f"fir@{socket.getfqdn()}",
    )


def portal_url() -> str:
    """The portal's address for staff links: its public one, else the one the service listens on."""
    found = os.environ.get("FIR_PORTAL_URL") or os.environ.get("FIR_SERVICE_URL") or "http://127.0.0.1:8000"
    return found.rstrip("/")


def send(recipients: list[str], subject: str, body: str, settings: SmtpSettings | None = None) -> bool:
    """Send one message to `recipients`; False (and a warning) when it could not be sent."""
    if not recipients:
        return False
    try:
        send_now(recipients, subject, body, settings)
    except outbox.NotYet:
        return False
    except (OSError, smtplib.SMTPException) as exc:
        settings = settings or smtp_settings()
        assert settings is not None
        log.warning("Courriel « %s » non envoyé (serveur %s:%s) : %s", subject, settings.host, settings.port, exc)
        return False
    return True


def send_now(recipients: list[str], subject: str, body: str, settings: SmtpSettings | None = None) -> None:
    """Send one message, or raise: OSError or SMTPException when the server refuses it, outbox.NotYet when
    this process has no SMTP settings (the service, which has them, sends it)."""
    settings = settings or smtp_settings()
    if settings is None:
        raise outbox.NotYet("pas de serveur de courriel configuré ici (FIR_SMTP_HOST)", counts=False)
    if not recipients:
        return
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=20, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=20)
    with client:
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
        client.send_message(message)


def _emails(source: Engine | Connection, role: str) -> list[str]:
    return [a.email for a in accounts.recipients(source, role) if a.email]


def draft_ready(
    catalogue: Catalogue,
    region: str,
    year: int,
    region_name: str,
    draft: RevisionEntry,
    conn: Connection | None = None,
) -> list[outbox.Message]:
    """What approvers are told of a new draft: an e-mail, and an artifact on the run that built it; `conn`:
    the transaction recording the draft, read through."""
    source = conn if conn is not None else catalogue.engine
    number = draft["revision"]
    link = f"{portal_url()}/staff/drafts/{region}/{year}/{number}"
    # A command that works pasted as it is: the comment one word, the catalogue's folder named.
    approve = suggest("approve", region, year, number, "--comment", "relu", outputs=catalogue.outputs, anywhere=True)
    changes = draft.get("erratum") or []
    lines = [
        f"Un projet de la brochure FIR {year} ({region_name}) attend votre approbation.",
        "",
        f"Révision : {number}",
        f"Motif : {draft['reason']}",
        f"Lancée par : {people.person(draft.get('launched_by'), people.known(source))}",
        f"Pages : {draft['pages']}",
        f"Par rapport à la publication actuelle : {wording.changes_phrase(draft)}"
        if draft.get("based_on") is not None
        else "Première publication de l'édition : aucun chiffre à comparer.",
        *[f"  - {c['label']} : {c['old']} → {c['new']}" for c in changes[:20]],
        "",
        f"Relire, approuver ou rejeter : {link}",
        f"(ou, dans un terminal : {approve})",
    ]
    subject = f"[FIR] Projet à approuver : {region_name} {year}, révision {number}"
    messages: list[outbox.Message] = [outbox.Email(_emails(source, "approver"), subject, "\n".join(lines))]
    if run_id := draft.get("run_id"):
        markdown = "\n".join(["# " + subject, "", *lines])
        messages.append(outbox.Artifact(run_id, f"fir-{region}-{year}-projet", markdown, "Projet en attente"))
    return messages


def run_failed(
    catalogue: Catalogue, region: str, year: int, error: str, run_id: str, recorded: int | None = None
) -> None:
    """Tell the editors a run failed, and what is true: nothing made, or the draft it recorded (`recorded`)
    before a later step failed."""
    subject = f"[FIR] Échec de la construction : {region} {year}"
    what = (
        f"s'est arrêtée après avoir enregistré le projet de révision {recorded} (rien n'est public avant son "
        "approbation)"
        if recorded is not None
        else "a échoué ; rien n'a été publié"
    )
    lines = [
        f"La construction de la brochure FIR {year} ({region}) {what}.",
        "",
        "Ce qui s'est passé :",
        error,
        "",
        f"Suivi de l'exécution : {portal_url()}/staff/runs/{run_id}",
    ]
    markdown = "\n".join(["# " + subject, "", *lines])
    messages: list[outbox.Message] = [
        outbox.Email(_emails(catalogue.engine, "editor"), subject, "\n".join(lines)),
        outbox.Artifact(run_id, f"fir-{region}-{year}-echec", markdown, "Échec de la construction"),
    ]
    with catalogue.engine.begin() as conn:
        outbox.enqueue(conn, messages)
    outbox.deliver(catalogue.engine)


def published(
    catalogue: Catalogue,
    region: str,
    year: int,
    region_name: str,
    entry: RevisionEntry,
    conn: Connection | None = None,
) -> list[outbox.Message]:
    """What editors are told of a publication: an e-mail, and an artifact on the run that built it; `conn`:
    the transaction deciding it, read through."""
    source = conn if conn is not None else catalogue.engine
    number = entry["revision"]
    subject = f"[FIR] Publiée : {region_name} {year}, révision {number}"
    lines = [
        f"La révision {number} de la brochure FIR {year} ({region_name}) est publiée.",
        "",
        f"Approuvée par : {people.person(entry.get('decided_by'), people.known(source))}",
        f"Commentaire : {entry.get('comment') or '—'}",
        f"Motif de la révision : {entry['reason']}",
        f"Téléchargement public : {portal_url()}/download/{region}/{year}/{number}",
    ]
    messages: list[outbox.Message] = [outbox.Email(_emails(source, "editor"), subject, "\n".join(lines))]
    if run_id := entry.get("run_id"):
        markdown = "\n".join(["# " + subject, "", *lines])
        messages.append(outbox.Artifact(run_id, f"fir-{region}-{year}-publiee", markdown, "Révision publiée"))
    return messages


def files_damaged(source: Engine | Connection, damaged: list[str], repair: str) -> list[outbox.Message]:
    """The admins' notice that published files no longer hold the bytes approved (the portal refuses them),
    for the caller to write in the transaction of its audit lines."""
    subject = f"[FIR] Fichier(s) altéré(s) : {len(damaged)}, plus servi(s) par le portail"
    lines = [
        "Le contrôle du service a trouvé des fichiers dont le contenu n'est plus celui enregistré au catalogue "
        "(empreinte SHA-256 différente). Le portail ne les sert plus : les lecteurs voient une page d'indisponibilité.",
        "",
        *[f"  - {line}" for line in damaged],
        "",
        f"Pour les rétablir, lancer sur la machine du service : {repair}",
        "Il recopie chaque fichier depuis une copie intacte des dossiers publiés ; s'il n'en trouve aucune, il "
        "nomme le fichier à reprendre d'une sauvegarde (README, « Sauvegarde »), puis le relancer.",
    ]
    return [outbox.Email(_emails(source, "admin"), subject, "\n".join(lines))]


def plain_error(error: BaseException) -> str:
    """What went wrong, for an editor: the inputs' problems as the command line prints them, or the
    operational message; never a traceback."""
    from flows.operations import operational_message

    lines = getattr(error, "lines", None)
    if lines:
        return "Données invalides :\n" + "\n".join(str(line) for line in lines if line)
    if isinstance(error, InputError):
        problems = [str(p) for p in error.problems] or [str(error)]
        return "Données invalides :\n" + "\n".join(f"  - {p}" for p in problems)
    return operational_message(error) or f"erreur interne ({type(error).__name__}) : {error}"


def _running_api() -> tuple[str, str | None] | None:
    """PREFECT_API_URL, or the API of the `fir serve` running on this machine (its discovery file), with
    the credentials it asks for."""
    from flows import service

    return service.client_api()


def artifact_now(artifact: outbox.Artifact) -> None:
    """Put `artifact` on its run: from inside that run directly; from outside (the portal, `fir approve`,
    the service sending what is owed) only through a Prefect API that runs already, never by starting a
    temporary server for one artifact. outbox.NotYet without an API; outbox.Gone when the API does not
    know the run (a build of the command line, on its own temporary server)."""
    if "prefect" in sys.modules and _current_run() == artifact.run_id:  # no run without Prefect loaded
        from prefect.artifacts import create_markdown_artifact

        from flows import prefect_api

        prefect_api.unless_lost("compte rendu")  # seconds of retries for nothing: owed, sent later

        create_markdown_artifact(markdown=artifact.markdown, key=artifact.key, description=artifact.description)
        return
    api = _running_api()
    if api is None:
        raise outbox.NotYet("aucune API Prefect en service (fir serve)")
    if not _run_artifact(artifact.run_id, artifact.key, artifact.markdown, artifact.description, api):
        raise outbox.Gone(f"exécution {artifact.run_id} inconnue de l'API Prefect {api[0]}")


def _current_run() -> str | None:
    from prefect.runtime import flow_run

    return flow_run.get_id()


def _run_artifact(run_id: str, key: str, markdown: str, description: str, api: tuple[str, str | None]) -> bool:
    """A markdown artifact on the flow run `run_id` of the API `api` (its URL and credentials), from outside
    any run (Prefect deprecates artifacts that belong to no run: its helpers print a FutureWarning there).
    False when that API does not know the run."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import temporary_settings

    api_url, auth = api
    updates = {"api.url": api_url, **({"api.auth_string": auth} if auth else {})}
    with temporary_settings(updates=updates), get_client(sync_client=True) as client:
        try:
            client.read_flow_run(UUID(run_id))
        except ObjectNotFound:
            return False
        artifact = ArtifactCreate(
            type="markdown", key=key, description=description, data=markdown, flow_run_id=UUID(run_id)
        )
        client.create_artifact(artifact)
    return True
