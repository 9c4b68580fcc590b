"""`fir serve`, the one service an agency runs, and how the other commands find it (flows/service.py,
flows/supervisor.py): the discovery file, a part that cannot start, stopping with nothing left running,
and the whole service with `fir build` using it.

Each test has its own PREFECT_HOME and free loopback ports; every process a test starts is killed in a
`finally`, whatever happened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import html
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flows import service, supervisor
from flows.service import ServiceInfo
from tests.conftest import REGION

# --- helpers ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fir_command(*args: object) -> list[str]:
    """The `fir` command as a user types it (tests/helpers.py `fir`), for a child with an environment of its own."""
    return [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]


def _env(home: Path, **extra: str) -> dict[str, str]:
    """Our environment (conftest keeps Prefect offline, PREFECT_API_URL unset) with a PREFECT_HOME of its own."""
    return {**os.environ, "PREFECT_HOME": str(home), **extra}


def _info(api_url: str, pid: int | None = None, host: str | None = None) -> ServiceInfo:
    return ServiceInfo(
        pid=os.getpid() if pid is None else pid,
        host=socket.gethostname() if host is None else host,
        api_url=api_url,
        ui_url=api_url.removesuffix("/api"),
        portal_url="http://127.0.0.1:8000/",
        outputs="/srv/fir/outputs",
        started_at="2026-03-15T05:00:00+00:00",
    )


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(ppid, []).append(int(entry.name))
    return found


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be collected."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _kill_all(pids: set[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)


def _post(url: str, body: dict[str, Any], auth: str | None = None) -> Any:
    """POST to a Prefect API, with the credentials `auth` (« user:password ») when given; retried while the
    server is busy (503), as Prefect's client does."""
    return service.api_call(url, body, auth, timeout=10)


def _service_auth(info: ServiceInfo) -> str:
    """The credentials of a running service's Prefect API, as a `fir` command reads them."""
    auth = service.read_api_auth(Path(info.api_auth_file))
    assert auth is not None
    return auth


def _refused(url: str, body: dict[str, Any], auth: str | None = None) -> int:
    """The HTTP status of a POST the API refuses (an answer of 2xx fails the test)."""
    with pytest.raises(urllib.error.HTTPError) as refusal:
        _post(url, body, auth)
    return refusal.value.code


@pytest.fixture
def prefect_api() -> Iterator[str]:
    """A stand-in for a Prefect API that answers its health check: `http://127.0.0.1:PORT/api`."""

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api"
    httpd.shutdown()
    httpd.server_close()


# --- the discovery file -------------------------------------------------------------------------------------


def test_prefect_home_is_where_prefect_itself_puts_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from prefect.settings import Settings

    for value in (str(tmp_path / "home"), "~/prefect-elsewhere", None):
        if value is None:
            monkeypatch.delenv("PREFECT_HOME")
            monkeypatch.setenv("HOME", str(tmp_path))  # ~/.prefect, without touching the user's
        else:
            monkeypatch.setenv("PREFECT_HOME", value)
        assert service.prefect_home() == Settings().home


def test_the_discovery_file_is_written_whole_and_read_back(tmp_path: Path):
    first = _info("http://127.0.0.1:4200/api")
    path = service.write_discovery(first, tmp_path)
    assert path == tmp_path / "fir-service.json"
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {
        "pid",
        "host",
        "api_url",
        "ui_url",
        "portal_url",
        "outputs",
        "started_at",
        "api_auth_file",
    }
    assert service.read_discovery(tmp_path) == first
    second = dataclasses.replace(first, api_url="http://127.0.0.1:4300/api")
    service.write_discovery(second, tmp_path)
    assert service.read_discovery(tmp_path) == second
    assert [p.name for p in tmp_path.iterdir()] == ["fir-service.json"]  # nothing left aside


@pytest.mark.parametrize("content", [None, "", "{", "[]", '{"pid": 1}'])
def test_no_file_or_a_damaged_one_is_no_service(tmp_path: Path, content: str | None):
    if content is not None:
        (tmp_path / "fir-service.json").write_text(content, encoding="utf-8")
    environ = {"PREFECT_HOME": str(tmp_path)}
    assert service.read_discovery(tmp_path) is None
    assert service.use_running_service(environ) is None
    assert environ == {"PREFECT_HOME": str(tmp_path)}


def test_a_running_service_is_used(tmp_path: Path, prefect_api: str):
    service.write_discovery(_info(prefect_api), tmp_path)
    environ = {"PREFECT_HOME": str(tmp_path)}
    assert service.use_running_service(environ) == prefect_api
    assert environ["PREFECT_API_URL"] == prefect_api


def test_a_file_left_by_a_dead_service_is_ignored(tmp_path: Path, prefect_api: str):
    service.write_discovery(_info(prefect_api, pid=_dead_pid()), tmp_path)
    environ = {"PREFECT_HOME": str(tmp_path)}
    assert service.use_running_service(environ) is None
    assert "PREFECT_API_URL" not in environ


def test_a_file_written_on_another_machine_is_ignored(tmp_path: Path, prefect_api: str):
    service.write_discovery(_info(prefect_api, host=f"not-{socket.gethostname()}"), tmp_path)
    assert service.use_running_service({"PREFECT_HOME": str(tmp_path)}) is None


def test_an_api_that_does_not_answer_is_ignored_within_about_a_second(tmp_path: Path):
    environ = {"PREFECT_HOME": str(tmp_path)}
    service.write_discovery(_info(f"http://127.0.0.1:{_free_port()}/api"), tmp_path)  # nothing listens
    assert service.use_running_service(environ) is None
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        service.write_discovery(_info(f"http://127.0.0.1:{silent.getsockname()[1]}/api"), tmp_path)
        started = time.monotonic()
        assert service.use_running_service(environ) is None
        assert time.monotonic() - started < 3
    assert "PREFECT_API_URL" not in environ


def test_prefect_api_url_set_by_hand_wins(tmp_path: Path, prefect_api: str):
    service.write_discovery(_info(prefect_api), tmp_path)
    environ = {"PREFECT_HOME": str(tmp_path), "PREFECT_API_URL": "http://prefect.agence.local/api"}
    assert service.use_running_service(environ) is None
    assert environ["PREFECT_API_URL"] == "http://prefect.agence.local/api"


def test_a_service_removes_only_its_own_file(tmp_path: Path):
    service.write_discovery(_info("http://127.0.0.1:4200/api", pid=os.getpid()), tmp_path)
    service.remove_discovery(os.getpid() + 1, tmp_path)
    assert service.read_discovery(tmp_path) is not None
    service.remove_discovery(os.getpid(), tmp_path)
    assert not (tmp_path / "fir-service.json").exists()


def test_the_api_secret_is_made_once_and_readable_by_its_owner_only(tmp_path: Path):
    outputs = tmp_path / "outputs"
    auth = service.api_auth_string(outputs)
    secret = outputs / ".prefect-api-secret"
    user, password = auth.split(":")
    assert user == "fir" and len(password) >= 40 and secret.read_text(encoding="ascii").strip() == password
    assert secret.stat().st_mode & 0o777 == 0o600
    assert service.api_auth_string(outputs) == auth  # kept: the service's next start uses the same
    secret.chmod(0o644)
    assert service.api_auth_string(outputs) == auth and secret.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in outputs.iterdir()) == [".prefect-api-secret"]  # nothing left aside
    assert service.new_auth_string() != service.new_auth_string()


def test_a_command_using_the_service_gets_its_credentials_or_does_not_use_it(tmp_path: Path, prefect_api: str):
    outputs = tmp_path / "outputs"
    auth = service.api_auth_string(outputs)
    service.write_discovery(
        dataclasses.replace(_info(prefect_api), api_auth_file=str(outputs / ".prefect-api-secret")), tmp_path
    )
    environ = {"PREFECT_HOME": str(tmp_path)}
    assert service.use_running_service(environ) == prefect_api
    assert environ["PREFECT_API_AUTH_STRING"] == auth
    assert service.client_api({"PREFECT_HOME": str(tmp_path)}) == (prefect_api, auth)
    (outputs / ".prefect-api-secret").unlink()  # a secret this user cannot read: the service is not used
    environ = {"PREFECT_HOME": str(tmp_path)}
    assert service.use_running_service(environ) is None and environ == {"PREFECT_HOME": str(tmp_path)}


def test_the_temporary_server_of_a_command_without_service_refuses_anonymous_requests(tmp_path: Path):
    """`fir build` without a service: Prefect's temporary server, on a loopback port for the command's
    duration, asks for the command's own credentials (the command itself works with them)."""
    code = """
import httpx
from flows import service
service.protect_temporary_server()  # as fir build does, before Prefect is imported
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as client:
    url = str(client.api_url).rstrip("/")
    assert "127.0.0.1" in url and client.read_flows(limit=1) == []  # the command's client is let in
    print(httpx.post(url + "/flows/filter", json={}).status_code, httpx.get(url + "/health").status_code)
"""
    run = subprocess.run(
        [sys.executable, "-c", code], env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.split() == ["401", "200"]


def test_the_command_line_imports_no_prefect():
    code = "import sys, flows.cli; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


# --- the service's parts --------------------------------------------------------------------------------------


def test_stopping_a_part_stops_everything_it_started(tmp_path: Path):
    child = supervisor.start_child(
        "le test", ["sh", "-c", "sleep 300 & sleep 300 & wait"], dict(os.environ), tmp_path / "log"
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 10
        while len(started := _descendants(child.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(started) == 2
        supervisor.stop_child(child, timeout=10)
        assert not [pid for pid in {child.process.pid, *started} if _running(pid)]
    finally:
        _kill_all({child.process.pid, *started})


def test_a_part_deaf_to_sigterm_is_killed(tmp_path: Path):
    child = supervisor.start_child(
        "le test", ["sh", "-c", "trap '' TERM; sleep 300"], dict(os.environ), tmp_path / "log"
    )
    try:
        time.sleep(0.3)
        started = time.monotonic()
        supervisor.stop_child(child, timeout=1)
        assert child.process.returncode == -signal.SIGKILL and time.monotonic() - started < 10
        assert not _descendants(child.process.pid)
    finally:
        _kill_all({child.process.pid})


def test_a_part_that_stops_stops_the_portal_with_the_reason(tmp_path: Path):
    part = supervisor.start_child("le serveur Prefect", ["sleep", "1"], dict(os.environ), tmp_path / "part.log")
    ready: list[bool] = []
    try:
        stopped = pytest.raises(service.ServiceStopped, match=r"le serveur Prefect s'est arrêté \(code 0\)")
        with supervisor.listen("127.0.0.1", _free_port()) as listener, stopped:
            supervisor.serve_portal(listener, tmp_path / "outputs", [part], lambda: ready.append(True))
        assert ready == [True]
    finally:
        _kill_all({part.process.pid})


def test_the_deployments_run_with_the_services_folders():
    from flows.deploy import deployments

    annual, manual = deployments(inputs="/srv/fir/inputs", outputs="/srv/fir/outputs")
    folders = {"inputs": "/srv/fir/inputs", "outputs": "/srv/fir/outputs"}
    assert annual.parameters == folders  # the annual flow asks for failure notices itself
    assert manual.parameters == {**folders, "notify_failure": True}  # runs launched from the portal
    # the flows' own defaults: inputs/, outputs/
    assert [d.parameters for d in deployments()] == [{}, {"notify_failure": True}]


# --- `fir serve` that cannot start: exit 3, in French, nothing left ------------------------------------------


def _serve_fails(tmp_path: Path, *args: object, command: str = "serve", **env: str) -> subprocess.CompletedProcess:
    home = tmp_path / "prefect-home"
    announced = (home / "fir-service.json").exists()  # by another service, still running
    run = subprocess.run(
        _fir_command(command, "--outputs", tmp_path / "outputs", *args),
        env=_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert (home / "fir-service.json").exists() == announced  # none written, another's kept
    return run


@pytest.mark.parametrize("command", ["serve", "schedule"])
def test_a_busy_portal_port_is_said_before_anything_starts(tmp_path: Path, command: str):
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        run = _serve_fails(tmp_path, "--port", port, "--prefect-port", _free_port(), command=command)
    assert run.stderr.startswith(
        f"Impossible de démarrer le service : le portail ne peut pas écouter sur 127.0.0.1:{port} "
        "(le port est déjà utilisé"
    )
    assert not (tmp_path / "prefect-home" / supervisor.SERVER_LOG).exists()  # no Prefect server was started
    if command == "schedule":
        assert run.stdout.startswith("« fir schedule » s'appelle désormais « fir serve »")


def test_a_busy_prefect_port_is_said_and_the_portal_port_freed(tmp_path: Path):
    portal = _free_port()
    with socket.create_server(("127.0.0.1", 0)) as busy:
        prefect = busy.getsockname()[1]
        run = _serve_fails(tmp_path, "--port", portal, "--prefect-port", prefect)
    assert f"le port {prefect} du serveur Prefect est déjà utilisé" in run.stderr
    with socket.create_server(("127.0.0.1", portal)):
        pass


def test_a_prefect_api_url_that_does_not_answer_is_said(tmp_path: Path):
    url = f"http://127.0.0.1:{_free_port()}/api"
    run = _serve_fails(tmp_path, "--port", _free_port(), PREFECT_API_URL=url)
    assert f"le serveur Prefect de PREFECT_API_URL ({url}) ne répond pas" in run.stderr


def test_a_second_service_for_the_same_prefect_home_is_refused(tmp_path: Path, prefect_api: str):
    service.write_discovery(_info(prefect_api), tmp_path / "prefect-home")  # this test's process, answering
    run = _serve_fails(tmp_path, "--port", _free_port(), "--prefect-port", _free_port())
    assert f"un service FIR tourne déjà avec {tmp_path / 'prefect-home'} (processus {os.getpid()}" in run.stderr


# --- the whole service ----------------------------------------------------------------------------------------


def _wait_for_service(home: Path, serve: subprocess.Popen[str], timeout: float) -> ServiceInfo:
    """The discovery file `serve` wrote (not one a killed service left)."""
    deadline = time.monotonic() + timeout
    while (info := service.read_discovery(home)) is None or info.pid != serve.pid:
        if serve.poll() is not None:
            out, err = serve.communicate()
            pytest.fail(f"fir serve stopped (code {serve.returncode}):\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"no discovery file after {timeout} s")
        time.sleep(0.5)
    return info


def test_fir_serve_runs_the_service_that_fir_build_finds_and_stops_leaving_nothing(tmp_path: Path):
    home, outputs, built = tmp_path / "prefect-home", tmp_path / "outputs", tmp_path / "built"
    env = _env(home)
    portal_port, prefect_port = _free_port(), _free_port()
    serve = subprocess.Popen(
        _fir_command("serve", "--port", portal_port, "--prefect-port", prefect_port, "--outputs", outputs),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    known = {serve.pid}
    try:
        info = _wait_for_service(home, serve, timeout=300)
        known |= _descendants(serve.pid)
        assert (info.pid, info.portal_url, info.outputs) == (
            serve.pid,
            f"http://127.0.0.1:{portal_port}/",
            str(outputs),
        )
        assert info.api_url == f"http://127.0.0.1:{prefect_port}/api"
        with urllib.request.urlopen(info.portal_url, timeout=10) as page:
            assert page.status == 200

        # The API asks for the credentials kept beside the portal's secret, readable by their owner only.
        assert info.api_auth_file == str(outputs / ".prefect-api-secret")
        assert Path(info.api_auth_file).stat().st_mode & 0o777 == 0o600
        auth = _service_auth(info)
        flows = {flow["id"]: flow["name"] for flow in _post(f"{info.api_url}/flows/filter", {}, auth)}
        deployments = {
            f"{flows[d['flow_id']]}/{d['name']}": d for d in _post(f"{info.api_url}/deployments/filter", {}, auth)
        }
        assert set(deployments) == {"fir-annual/annuel", "fir-brochure/manuel"}
        [annual] = deployments["fir-annual/annuel"]["schedules"]
        assert (annual["schedule"]["cron"], annual["schedule"]["timezone"]) == ("0 6 15 3 *", "Europe/Paris")
        assert annual["active"]
        for deployment in deployments.values():  # runs publish where the service serves
            assert deployment["parameters"]["outputs"] == str(outputs)
            assert Path(deployment["parameters"]["inputs"]).is_dir()

        # Anyone else on the machine is refused: a run of the manual deployment without credentials, with
        # wrong ones, or reading the runs. With them, the same request creates the run (for 2100: never run).
        create = f"{info.api_url}/deployments/{deployments['fir-brochure/manuel']['id']}/create_flow_run"
        later = {"type": "SCHEDULED", "state_details": {"scheduled_time": "2100-01-01T00:00:00Z"}}
        body = {"parameters": {"region": REGION, "year": 2024}, "state": later}
        assert _refused(create, body) == 401
        assert _refused(create, body, "fir:" + "x" * 43) == 401
        assert _refused(create, body, auth.replace("fir:", "admin:")) == 401
        assert _refused(f"{info.api_url}/flow_runs/filter", {}) == 401
        created = _post(create, body, auth)
        assert created["state_type"] == "SCHEDULED" and created["parameters"]["region"] == REGION
        service.api_call(f"{info.api_url}/flow_runs/{created['id']}", None, auth, "DELETE")
        with pytest.raises(urllib.error.HTTPError, match="404"):
            _get(f"{info.api_url}/flow_runs/{created['id']}", auth)

        # fir build finds the service by itself: no PREFECT_API_URL, no temporary server.
        build = subprocess.run(
            _fir_command("build", "--region", REGION, "--year", 2024, "--outputs", built),
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert build.returncode == 0, build.stdout + build.stderr
        runs = _post(f"{info.api_url}/flow_runs/filter", {"flows": {"name": {"any_": ["fir-brochure"]}}}, auth)
        assert [(r["parameters"]["outputs"], r["state_type"]) for r in runs] == [(str(built), "COMPLETED")]
        assert not (home / "temporary-server.log").exists()

        known |= _descendants(serve.pid)
        assert len(known) >= 3  # fir serve, the Prefect server, the runner
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=120)
        assert serve.returncode == 0, out + err
        assert "Service arrêté." in out and "Traceback" not in err
        assert not (home / "fir-service.json").exists()
        assert not [pid for pid in known if _running(pid)]
        # the secret is in no output nor log: neither the service's, Prefect's nor the runs'
        password = auth.split(":", 1)[1]
        logs = [home / supervisor.SERVER_LOG, home / supervisor.RUNNER_LOG]
        said = [out, err, build.stdout, build.stderr, *(log.read_text(encoding="utf-8") for log in logs)]
        assert not [text for text in said if password in text]
        assert not [f for f in home.rglob("*") if f.is_file() and password.encode() in f.read_bytes()]
    finally:
        _kill_all(known | _descendants(serve.pid))
        if serve.poll() is None:
            serve.kill()
            serve.communicate()


def test_stopping_fir_serve_while_it_starts_leaves_nothing(tmp_path: Path):
    home = tmp_path / "prefect-home"
    serve = subprocess.Popen(
        _fir_command("serve", "--port", _free_port(), "--prefect-port", _free_port(), "--outputs", tmp_path / "out"),
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    known = {serve.pid}
    try:
        deadline = time.monotonic() + 60
        # SIGTERM as soon as the first child appears: often while `fir serve` is still inside Popen, between
        # the fork and the exec (issue 24, point 19: a child outlived the service, or the signal was lost).
        while not (known := known | _descendants(serve.pid)) - {serve.pid}:  # the Prefect server is starting
            assert time.monotonic() < deadline and serve.poll() is None, serve.communicate()
            time.sleep(0.005)
        serve.send_signal(signal.SIGTERM)
        out, err = serve.communicate(timeout=60)
        assert serve.returncode == 0 and "Service arrêté." in out and "Traceback" not in err, out + err
        assert not [pid for pid in known if _running(pid)]
        assert not (home / "fir-service.json").exists()
    finally:
        _kill_all(known)
        if serve.poll() is None:
            serve.kill()
            serve.communicate()


def _start_serve(home: Path, outputs: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _fir_command("serve", "--port", _free_port(), "--prefect-port", _free_port(), "--outputs", outputs),
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _get(url: str, auth: str) -> Any:
    return service.api_call(url, None, auth, "GET", timeout=10)


def test_a_run_killed_with_the_service_is_interrupted_at_its_next_start(tmp_path: Path):
    """SIGKILL of the whole service (server, runner, the run's process, fir serve) during a build launched
    on the manual deployment: restarted, the service marks the run « interrompue », whose page says so,
    says what was recorded and what to do, and no longer refreshes itself."""
    import httpx

    from flows.edition.publish import store
    from flows.portal import accounts
    from tests.portal_helpers import PASSWORD, csrf_of

    home, outputs = tmp_path / "prefect-home", tmp_path / "outputs"
    accounts.add(store.open_catalogue(outputs).engine, "e.dupont", "editor", PASSWORD, "Élise Dupont")
    serve = _start_serve(home, outputs)
    known = {serve.pid}
    restarted: subprocess.Popen[str] | None = None
    try:
        info = _wait_for_service(home, serve, timeout=300)
        auth = _service_auth(info)
        flows = {f["name"]: f["id"] for f in _post(f"{info.api_url}/flows/filter", {}, auth)}
        [manual] = _post(
            f"{info.api_url}/deployments/filter",
            {"deployments": {"name": {"any_": ["manuel"]}}, "flows": {"id": {"any_": [flows["fir-brochure"]]}}},
            auth,
        )
        run = _post(
            f"{info.api_url}/deployments/{manual['id']}/create_flow_run",
            {"parameters": {"region": REGION, "year": 2024, "launched_by": "e.dupont"}},
            auth,
        )
        deadline = time.monotonic() + 240
        while (state := _get(f"{info.api_url}/flow_runs/{run['id']}", auth)["state_type"]) != "RUNNING":
            assert state in ("SCHEDULED", "PENDING") and time.monotonic() < deadline, state
            time.sleep(0.2)
        time.sleep(1)  # the build is under way
        # Everything at once, the Prefect server first: nobody is left to record how the run ended.
        parts = sorted(_descendants(serve.pid), key=lambda pid: b"prefect\x00server" not in _cmdline(pid))
        known |= set(parts)
        for pid in [*parts, serve.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        serve.communicate(timeout=60)
        deadline = time.monotonic() + 30
        while [pid for pid in known if _running(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in known if _running(pid)]

        restarted = _start_serve(home, outputs)
        known.add(restarted.pid)
        info = _wait_for_service(home, restarted, timeout=300)
        known |= _descendants(restarted.pid)
        auth = _service_auth(info)
        flow_run = _get(f"{info.api_url}/flow_runs/{run['id']}", auth)
        assert flow_run["state_type"] == "CRASHED"
        assert flow_run["state"]["message"] == service.INTERRUPTED_BY_STOP

        drafts = store.open_catalogue(outputs).history(REGION, 2024, statuses=None)
        recorded = [r for r in (drafts["revisions"] if drafts else []) if r.get("run_id") == run["id"]]
        with httpx.Client(base_url=info.portal_url.rstrip("/"), timeout=30) as portal:
            form = portal.get("/staff/login")
            login = {"name": "e.dupont", "password": PASSWORD, "csrf": csrf_of(form.text), "next": "/staff/"}
            assert portal.post("/staff/login", data=login).status_code == 303
            page = portal.get(f"/staff/runs/{run['id']}")
        assert page.status_code == 200
        text = " ".join(html.unescape(page.text).split())
        assert "État : <strong>interrompue</strong>" in text and "Construction interrompue" in text
        assert service.INTERRUPTED_BY_STOP in text
        assert "http-equiv" not in text and "toutes les 3 secondes" not in text  # no longer refreshes itself
        if recorded:  # killed after its draft was recorded: the page leads to it
            assert f"Voir le projet (révision {recorded[0]['revision']})" in text
        else:
            assert "Aucun projet de cette construction n'a été enregistré" in text
            assert "Relancez la construction depuis le" in text

        time.sleep(5)  # the new runner polls every 2 s: it does not take the interrupted run up again
        assert _get(f"{info.api_url}/flow_runs/{run['id']}", auth)["state_type"] == "CRASHED"
        restarted.send_signal(signal.SIGTERM)
        out, err = restarted.communicate(timeout=120)
        assert restarted.returncode == 0 and "Traceback" not in err, out + err
        said = "1 construction(s) laissée(s) en cours par l'arrêt précédent du service, marquée(s) « interrompue »"
        assert f"{said} : {run['id']}" in out
    finally:
        for process in (serve, restarted):
            if process is not None:
                known |= _descendants(process.pid)
        _kill_all(known)
        for process in (serve, restarted):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_only_runs_of_our_deployments_left_running_are_marked_interrupted(tmp_path: Path):
    """Against a real Prefect server: RUNNING, PENDING and CANCELLING runs of our deployments are marked; a
    run scheduled for later, a finished one, a run of another deployment are not; on an API that is not the
    service's own, nothing is marked while a runner polled our deployments in the last minute."""
    auth = service.new_auth_string()
    with supervisor.prefect_server_process(_free_port(), auth, tmp_path) as (api, _):
        flow = _post(f"{api}/flows/", {"name": "fir-brochure"}, auth)
        other_flow = _post(f"{api}/flows/", {"name": "autre-flux"}, auth)
        manual = _post(f"{api}/deployments/", {"name": "manuel", "flow_id": flow["id"]}, auth)
        other = _post(f"{api}/deployments/", {"name": "manuel", "flow_id": other_flow["id"]}, auth)

        def run(deployment: dict[str, Any], state: str) -> str:
            details = {"scheduled_time": "2100-01-01T00:00:00Z"} if state == "SCHEDULED" else {}
            body = {"state": {"type": state, "state_details": details}}
            return str(_post(f"{api}/deployments/{deployment['id']}/create_flow_run", body, auth)["id"])

        left = {run(manual, state) for state in ("RUNNING", "PENDING", "CANCELLING")}
        retried = run(manual, "RUNNING")  # started, then awaiting a retry (a SCHEDULED state): started all the same
        retry_at = {"scheduled_time": "2026-01-01T00:00:00Z"}
        retry = {"type": "SCHEDULED", "name": "AwaitingRetry", "state_details": retry_at}
        _post(f"{api}/flow_runs/{retried}/set_state", {"state": retry, "force": True}, auth)
        assert _get(f"{api}/flow_runs/{retried}", auth)["start_time"]
        left.add(retried)
        kept = {run(manual, "SCHEDULED"), run(manual, "COMPLETED"), run(other, "RUNNING")}
        states = {_get(f"{api}/flow_runs/{run_id}", auth)["state_type"] for run_id in left | kept}
        assert states == {"RUNNING", "PENDING", "CANCELLING", "SCHEDULED", "COMPLETED"}

        # a runner polls the deployment now: on an API that is not ours, its runs may be running somewhere
        _post(f"{api}/deployments/get_scheduled_flow_runs", {"deployment_ids": [manual["id"]]}, auth)
        deadline = time.monotonic() + 30  # recorded by a background task of the server
        while not _get(f"{api}/deployments/{manual['id']}", auth).get("last_polled"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert supervisor.mark_interrupted_runs(api, auth, own_server=False) == []
        assert set(supervisor.mark_interrupted_runs(api, auth, own_server=True)) == left
        assert supervisor.mark_interrupted_runs(api, auth, own_server=True) == []  # once
        for run_id in left | kept:
            state = _get(f"{api}/flow_runs/{run_id}", auth)["state"]
            if run_id in left:
                assert (state["type"], state["message"]) == ("CRASHED", service.INTERRUPTED_BY_STOP)
            else:
                assert state["type"] != "CRASHED"
