"""The outbox: what a commit owes the outside world (e-mails, Prefect artifacts), written in the transaction
that makes it true and sent after that transaction commits — never before, never lost.

A decision or a draft writes its messages here with its own rows (`enqueue`, the caller's connection);
the process that committed sends them at once (`deliver`); what could not be sent (an SMTP server down, a
process killed right after its commit) stays owed and is sent by the next command, `fir repair` or the
service, which tries again every minute. A failed attempt waits longer before the next (30 s, doubling, at
most an hour). Two processes never send the same message: each claims a row before sending it.

An e-mail is owed until an SMTP server accepts it (a process without SMTP settings leaves it to the service,
which has them). An artifact belongs to a Prefect run: it is abandoned, said so in its row, when no API knows
that run (a command-line build's temporary server is gone) after `ARTIFACT_ATTEMPTS` tries.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.notices.tables import outbox
from flows.operations import cause_in_words, prefect_api_failed

log = logging.getLogger("fir.outbox")

EMAIL, ARTIFACT = "email", "artifact"
KINDS_IN_WORDS = {EMAIL: "Courriel", ARTIFACT: "Compte rendu pour Prefect"}
RETRIED_LATER = "nouvel essai par la prochaine commande ou par le service (fir serve)"  # what happens next
SENT, ABANDONED = "sent", "abandoned"
FIRST_WAIT_S, LONGEST_WAIT_S = 30.0, 3600.0
CLAIM_S = 120.0  # longer than one SMTP exchange (its time-out is 20 s)
ARTIFACT_ATTEMPTS = 8


@dataclass(frozen=True)
class Email:
    recipients: list[str]
    subject: str
    body: str


@dataclass(frozen=True)
class Artifact:
    """A markdown artifact on the Prefect run `run_id`."""

    run_id: str
    key: str
    markdown: str
    description: str


Message = Email | Artifact


@dataclass
class Delivery:
    """What one pass did: messages sent, e-mails still owed (why each waits), artifacts still owed, abandoned."""

    sent: int = 0
    waiting: list[str] = field(default_factory=list)  # why each e-mail still owed is not sent yet
    artifacts_waiting: int = 0  # an artifact waits for a Prefect API: no one is left uninformed by it
    abandoned: int = 0

    def wait(self, kind: str, reason: str) -> None:
        if kind == EMAIL:
            self.waiting.append(reason)
        else:
            self.artifacts_waiting += 1


class NotYet(Exception):
    """A message that cannot be sent now (no SMTP settings here, no Prefect API): tried again later."""

    def __init__(self, reason: str, counts: bool = True):
        super().__init__(reason)
        self.counts = counts  # False: this process cannot send it, which is no failed attempt


class Gone(Exception):
    """A message that can never be delivered (an artifact whose run no API knows)."""


def enqueue(conn: Connection, messages: Sequence[Message]) -> None:
    """Owe `messages`, in the caller's transaction: they exist if and only if it commits."""
    rows = [
        {
            "created_at": _now(),
            "kind": EMAIL if isinstance(m, Email) else ARTIFACT,
            "payload": asdict(m),
            "attempts": 0,
            "next_attempt": time.time(),
        }
        for m in messages
        if not isinstance(m, Email) or m.recipients  # nobody to write to: nothing owed
    ]
    if rows:
        conn.execute(sa.insert(outbox), rows)


def owed(engine: Engine, kind: str | None = EMAIL) -> int:
    """Messages of `kind` (None: any) not sent yet."""
    query = sa.select(sa.func.count()).where(outbox.c.done_at.is_(None))
    if kind is not None:
        query = query.where(outbox.c.kind == kind)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def keep_delivering(engine: Engine, stop: threading.Event, every_s: float = 60.0) -> threading.Thread:
    """The service's sender: what is owed and due, every `every_s` seconds, until `stop` is set."""

    def loop() -> None:
        while not stop.wait(every_s):
            try:
                deliver(engine, service=True)
            except Exception as exc:  # never let the service's sender die: it tries again next time
                log.warning("Envoi des messages en attente interrompu : %s", exc)

    thread = threading.Thread(target=loop, name="fir-outbox", daemon=True)
    thread.start()
    return thread


def deliver(
    engine: Engine, everything: bool = False, limit: int = 50, service: bool = False, budget_s: float = 60.0
) -> Delivery:
    """Send what is owed and due (`everything`: due or not, as `fir repair` asks), oldest first. Never raises
    for a message: one that fails stays owed and waits longer. `service`: the sender of last resort (`fir
    serve`): an e-mail it cannot send for want of SMTP settings is abandoned, said so in its row. A pass
    stops after `budget_s` seconds (a server that lets each message time out): the rest waits its turn."""
    done = Delivery()
    started = time.monotonic()
    try:
        rows = _due(engine, everything, limit)
    except Exception as exc:  # the catalogue itself is unreachable: nothing can be claimed, nothing lost
        log.warning("Messages en attente non lus (catalogue) : %s", exc)
        done.waiting.append(f"catalogue illisible ({type(exc).__name__})")
        return done
    for row in rows:
        if time.monotonic() - started > budget_s:
            done.waiting.append("envoi interrompu : trop long pour cette fois")
            break
        if not _claim(engine, row):
            continue  # another process is sending it
        try:
            _send(row.kind, row.payload)
        except NotYet as exc:
            if service and row.kind == EMAIL and not exc.counts:
                _finish(engine, row.id, ABANDONED, f"le service n'a pas de serveur de courriel : {exc}")
                done.abandoned += 1
                continue
            if row.kind == ARTIFACT and exc.counts and row.attempts + 1 >= ARTIFACT_ATTEMPTS:
                _finish(engine, row.id, ABANDONED, f"abandonné après {ARTIFACT_ATTEMPTS} essais : {exc}")
                done.abandoned += 1
                continue
            done.wait(row.kind, str(exc))
            _retry(engine, row.id, row.attempts + (1 if exc.counts else 0), str(exc), exc.counts)
        except Gone as exc:
            _finish(engine, row.id, ABANDONED, str(exc))
            done.abandoned += 1
        except Exception as exc:
            reason = cause_in_words(exc) if prefect_api_failed(exc) else f"{type(exc).__name__} : {exc}"
            what = KINDS_IN_WORDS.get(row.kind, row.kind)
            log.warning("%s n° %s non envoyé : %s ; %s", what, row.id, reason, RETRIED_LATER)
            done.wait(row.kind, reason)
            _retry(engine, row.id, row.attempts + 1, reason, True)
        else:
            _finish(engine, row.id, SENT, None)
            done.sent += 1
    return done


def _due(engine: Engine, everything: bool, limit: int) -> list[sa.Row]:
    query = sa.select(outbox).where(outbox.c.done_at.is_(None))
    if not everything:
        query = query.where(outbox.c.next_attempt <= time.time())
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(outbox.c.id).limit(limit)))


def _claim(engine: Engine, row: sa.Row) -> bool:
    """Take the row for this process: free, its claim expired, or its claimant a process of this machine
    that is gone (killed while sending: its message is sent again, rather than waiting for the claim)."""
    now = time.time()
    free = sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now)
    if row.claimed_by and _gone(row.claimed_by):
        free = sa.or_(free, outbox.c.claimed_by == row.claimed_by)
    with engine.begin() as conn:
        claimed = conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == row.id, outbox.c.done_at.is_(None), free)
            .values(claimed_until=now + CLAIM_S, claimed_by=_me())
        )
        return claimed.rowcount == 1


def _me() -> str:
    return f"{os.getpid()}@{socket.gethostname()}"[:255]


def _gone(claimant: str) -> bool:
    """True for a process of this machine that no longer runs."""
    pid, _, host = claimant.partition("@")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _retry(engine: Engine, row_id: int, attempts: int, reason: str, counts: bool) -> None:
    """Release the row: a failed attempt waits longer; a process that could not try (no SMTP settings here)
    leaves it due for the next that can."""
    values: dict[str, object] = {"claimed_until": None, "claimed_by": None, "last_error": reason[:2000]}
    if counts:
        wait = min(FIRST_WAIT_S * 2 ** max(attempts - 1, 0), LONGEST_WAIT_S)
        values |= {"attempts": attempts, "next_attempt": time.time() + wait}
    with engine.begin() as conn:
        conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


def _finish(engine: Engine, row_id: int, outcome: str, reason: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == row_id)
            .values(done_at=_now(), outcome=outcome, claimed_until=None, claimed_by=None, last_error=reason)
        )


def _send(kind: str, payload: dict) -> None:
    from flows.notices import notify

    if kind == EMAIL:
        notify.send_now(payload["recipients"], payload["subject"], payload["body"])
    elif kind == ARTIFACT:
        notify.artifact_now(Artifact(**payload))
    else:
        raise Gone(f"message de type inconnu : {kind}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
