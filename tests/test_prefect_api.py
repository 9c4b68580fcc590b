"""The Prefect API a build reports to, failing from outside: a wrong address and wrong credentials are said
before anything is built; a server killed during a build is said once, in French, the draft is recorded
all the same and the command tells so and ends within a minute, not after six. `fir national` checks its
server first too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from flows import paths, service, supervisor
from flows.operations import cause_in_words, prefect_api_failed, prefect_server
from flows.prefect_api import check
from tests.helpers import EDITOR, REGION, build_command, fir

# What Prefect printed before: tracebacks, its English warnings, event dumps, its log sender's complaint.
NOT_FOR_THE_STAFF = (
    "Traceback",
    "Unable to connect",
    "EventsWorker",
    "Error logging to API",
    "httpx",
    "Event(",
    "Warning",
    "WARNING",  # Prefect's level, in English, and the names of our loggers: a line says its time and message
    "fir.build",
    "fir.outbox",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _build(outputs: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = build_command(2024, outputs, paths.INPUTS_DIR)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _env(home: Path, api: str, auth: str) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_API_AUTH_STRING": auth,
        "LOGNAME": EDITOR,
    }


def _running_flow_run(api: str, auth: str, timeout: float = 120) -> None:
    """Wait until a flow run of the API is RUNNING: the build's body has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}
        if service.api_call(f"{api}/flow_runs/filter", running, auth):
            return
        time.sleep(0.1)
    raise AssertionError("aucune exécution démarrée")


def test_an_api_that_does_not_answer_is_said_before_anything_is_built(tmp_path: Path):
    url = f"http://127.0.0.1:{_free_port()}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home"), "PREFECT_API_URL": url}
    run = subprocess.run(
        build_command(2024, tmp_path / "outputs", paths.INPUTS_DIR), env=env, capture_output=True, text=True
    )
    assert run.returncode == 3, run.stderr
    assert f"le serveur Prefect de PREFECT_API_URL ({url}) ne répond pas" in run.stderr
    assert "Rien n'a été construit." in run.stderr
    assert not any(noise in run.stderr for noise in NOT_FOR_THE_STAFF), run.stderr
    assert not (tmp_path / "outputs").exists()


def test_refused_credentials_then_a_server_killed_during_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """One real Prefect server (with credentials, as the service's): a build with the wrong ones is refused
    before it starts; a build with the right ones loses its server (SIGKILL, from outside) once its run has
    started, and still records its draft, which `fir drafts` lists. The right credentials pass the check."""
    auth = service.new_auth_string()
    outputs = tmp_path / "outputs"
    # The server's database of its own: the session's holds runs left RUNNING by other tests' killed builds.
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "server"))
    with supervisor.prefect_server_process(_free_port(), auth, tmp_path) as (api, server):
        refused = subprocess.run(
            build_command(2024, outputs, paths.INPUTS_DIR),
            env=_env(tmp_path, api, "fir:pas-le-bon"),
            capture_output=True,
            text=True,
        )
        assert refused.returncode == 3, refused.stderr
        assert f"le serveur Prefect de PREFECT_API_URL ({api}) refuse les identifiants" in refused.stderr
        assert not outputs.exists()
        check({"PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": auth})  # the right ones pass

        started = time.monotonic()
        build = _build(outputs, _env(tmp_path, api, auth))
        _running_flow_run(api, auth)
        server.process.send_signal(signal.SIGKILL)
        out, err = build.communicate(timeout=300)
        seconds = time.monotonic() - started

    assert build.returncode == 3, out + err
    assert not any(noise in err for noise in NOT_FOR_THE_STAFF), err
    assert err.count("ne répond plus") == 1, err  # said once, while the build goes on
    assert (
        f"Projet de révision 1 de {REGION} 2024 enregistré ; suivi de l'exécution dans Prefect incomplet "
        f"(serveur Prefect {api} injoignable) : rien à refaire, le projet et ses fichiers sont complets."
    ) in err
    assert "révision 1 (42 pages" in out  # the usual account of the build, and what to do next
    # the run's report, not made (its call not even tried once the server is known lost): said once, at the end
    not_made = f"Projet de révision 1 de {REGION} 2024 enregistré ; rapport de l'exécution (artefacts Prefect) non créé"
    assert err.count(not_made) == 1 and "Flow run '" not in err, err
    assert seconds < 120, seconds  # Prefect alone took six minutes (its retries, then its events at exit)
    listed = fir("drafts", "--outputs", outputs)
    assert listed.returncode == 0 and f"{REGION} 2024 r1" in listed.stdout, listed.stdout + listed.stderr
    assert paths.draft_path(outputs, REGION, 2024, 1).stat().st_size > 100_000


def _national(outputs: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "flows.cli", "national", "--editions", f"{REGION}/2018", "--workers", "1"]
    command += ["--outputs", str(outputs)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_fir_national_with_an_api_that_does_not_answer_builds_nothing_and_says_so(tmp_path: Path):
    url = f"http://127.0.0.1:{_free_port()}/api"
    _, err = _national(tmp_path / "outputs", _env(tmp_path, url, "")).communicate(timeout=120)
    assert f"le serveur Prefect de PREFECT_API_URL ({url}) ne répond pas" in err, err
    assert "Rien n'a été construit." in err and not any(noise in err for noise in NOT_FOR_THE_STAFF), err
    assert not (tmp_path / "outputs").exists()


def test_the_failures_of_the_api_are_told_by_their_type():
    import httpx

    check({})  # no API configured: nothing to check, the command starts Prefect's temporary server

    refused = httpx.ConnectError("[Errno 111] Connection refused")
    assert prefect_api_failed(refused)
    try:
        try:
            raise refused
        except httpx.ConnectError as exc:
            raise RuntimeError("Failed to reach API at http://127.0.0.1:1/api/") from exc
    except RuntimeError as wrapped:
        assert prefect_api_failed(wrapped)
        assert cause_in_words(wrapped) == f"{prefect_server()} injoignable"
    request = httpx.Request("GET", "http://127.0.0.1:1/api/flow_runs")
    status = httpx.HTTPStatusError("401", request=request, response=httpx.Response(401, request=request))
    try:
        raise RuntimeError("set_state") from status
    except RuntimeError as refused_later:  # the service's secret renewed while a build ran
        assert prefect_api_failed(refused_later)
        assert cause_in_words(refused_later) == (
            f"{prefect_server()} : identifiants de la commande refusés (PREFECT_API_AUTH_STRING)"
        )
    assert not prefect_api_failed(OSError(28, "No space left on device"))
    assert not prefect_api_failed(urllib.request.URLError("no"))
