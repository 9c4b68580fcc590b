"""What `fir serve` (flows/supervisor.py) asks the Prefect API about its two deployments: whether the runner
serves them, how they are scheduled, and which of their runs a stopped service left running (marked
« interrompue »). Plain HTTP calls (flows/service.py): nothing here imports Prefect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows import service

DEPLOYMENTS = (("fir-annual", "annuel"), ("fir-brochure", "manuel"))


def _post(url: str, body: dict[str, Any], auth: str | None) -> Any:
    return service.api_call(url, body, auth)


def served_deployments(api_url: str, since: dt.datetime, auth: str | None) -> dict[str, dict[str, Any]] | None:
    """The two deployments as the API has them (by `flow/name`), once the runner polls for their runs since
    `since`; None before."""
    names = _flow_names(api_url, auth)
    found = _post(
        f"{api_url}/deployments/filter", {"deployments": {"name": {"any_": [n for _, n in DEPLOYMENTS]}}}, auth
    )
    served = {}
    for entry in found:
        polled = entry.get("last_polled")
        if polled and dt.datetime.fromisoformat(polled) >= since:
            served[f"{names.get(entry['flow_id'])}/{entry['name']}"] = entry
    return served if all(f"{flow}/{name}" in served for flow, name in DEPLOYMENTS) else None


def _flow_names(api_url: str, auth: str | None) -> dict[str, str]:
    """The names of our two flows by their id."""
    flows = _post(f"{api_url}/flows/filter", {"flows": {"name": {"any_": [f for f, _ in DEPLOYMENTS]}}}, auth)
    return {entry["id"]: entry["name"] for entry in flows}


def describe(served: dict[str, dict[str, Any]]) -> str:
    schedules = served["fir-annual/annuel"].get("schedules") or [{}]
    cron = schedules[0].get("schedule", {})
    return (
        f"« fir-annual/annuel » (cron « {cron.get('cron')} », {cron.get('timezone')}) et "
        "« fir-brochure/manuel » (à la demande)"
    )


# A run of our deployments in one of these states when the service starts was left by a service that
# stopped without ending it (SIGKILL, power cut): its process is gone with that service's runner.
# SCHEDULED counts only for a run that had started (awaiting a retry): the others are still to come.
LEFT_RUNNING = ("RUNNING", "PENDING", "CANCELLING")
NO_RUNNER_S = 60  # an API that is not ours: a runner that polled this recently may still run them


def _own_deployments(api_url: str, auth: str | None) -> list[dict[str, Any]]:
    names = _flow_names(api_url, auth)
    found = _post(
        f"{api_url}/deployments/filter", {"deployments": {"name": {"any_": [n for _, n in DEPLOYMENTS]}}}, auth
    )
    return [entry for entry in found if (names.get(entry["flow_id"]), entry["name"]) in DEPLOYMENTS]


def mark_interrupted_runs(api_url: str, auth: str | None, own_server: bool) -> list[str]:
    """Mark « interrupted » (Prefect's CRASHED, with a message that says why) the runs of our deployments
    that a stopped service left running; their ids. Called before the runner starts: no process of ours
    runs them. On an API that is not the service's own, nothing is marked while a runner polled our
    deployments in the last minute (another service may be running them)."""
    deployments = _own_deployments(api_url, auth)
    if not deployments:
        return []
    if not own_server:
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=NO_RUNNER_S)
        polled = [dt.datetime.fromisoformat(d["last_polled"]) for d in deployments if d.get("last_polled")]
        if any(when > recent for when in polled):
            return []
    body = {
        "deployments": {"id": {"any_": [d["id"] for d in deployments]}},
        "flow_runs": {"state": {"type": {"any_": [*LEFT_RUNNING, "SCHEDULED"]}}},
    }
    marked = []
    for run in _post(f"{api_url}/flow_runs/filter", body, auth):
        if run["state_type"] == "SCHEDULED" and not run.get("start_time"):
            continue
        state = {"type": "CRASHED", "name": "Crashed", "message": service.INTERRUPTED_BY_STOP}
        _post(f"{api_url}/flow_runs/{run['id']}/set_state", {"state": state, "force": True}, auth)
        marked.append(str(run["id"]))
    return marked
