"""Who launched a build and from where, as its audit line and its revision say it: rules of the catalogue,
kept out of the flow's body so that they are read and tested in one place."""

from __future__ import annotations

from flows.edition.publish import revisions

SERVICE = "service fir serve ({host})"  # the runs of the service's deployments: the portal's launches, the schedule
_WHERE_LENGTH = 64  # the audit table's column


def launched_by(account: str | None, trigger: str, system_user: str) -> str:
    """Who asked: the account given (portal) or, without one, the annual schedule for a scheduled run and the
    system user for a run from the command line."""
    return account or (revisions.SCHEDULER if trigger == revisions.SCHEDULED else system_user)


def launched_from(deployment_id: str | None, host: str, command_line: str) -> str:
    """Where from: the service on `host` for a run of one of its deployments, else this machine's command line
    (`command_line`, as the audit module names it)."""
    if deployment_id:
        return SERVICE.format(host=host)[:_WHERE_LENGTH]
    return command_line


def build_detail(message: str, reason: str | None) -> str:
    """The audit line's detail of a recorded build: the decision, and the reason given (a dash when none)."""
    return f"{message} ; motif : {reason or '—'}"
