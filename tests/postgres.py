"""A real, throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, loopback only.

The catalogue talks to the agency's PostgreSQL in production; its tests run against the real thing, not a mock.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

POSTGRES_ROOT = Path("/usr/lib/postgresql")  # Debian's layout: /usr/lib/postgresql/<version>/bin
SUPERUSER = "postgres"  # the cluster's superuser; the tests connect as `fir`, an ordinary role like the agency's
ROLE = DATABASE = "fir"
_START_ATTEMPTS = 3  # another process may take the free port between picking it and the server binding it


def find_bin_dir(root: Path = POSTGRES_ROOT) -> Path:
    """The bin folder of the highest PostgreSQL version installed under `root`; a clear error when there is none."""
    found = []
    for folder in root.glob("*/bin"):
        version = tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))
        if version and (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            found.append((version, folder))
    if not found:
        raise RuntimeError(
            f"PostgreSQL server programs (initdb, pg_ctl) not found under {root}/*/bin: "
            "run `bash scripts/setup.sh`, which installs Debian's postgresql package"
        )
    return max(found)[1]


def local_url(port: int, database: str = DATABASE, user: str = ROLE) -> str:
    """The SQLAlchemy URL of `database` on the local test server (trust authentication: no password)."""
    url = URL.create("postgresql+psycopg", username=user, host="127.0.0.1", port=port, database=database)
    return url.render_as_string()


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh PostgreSQL cluster on a free loopback port; yield the URL of database `fir` as role `fir`.

    The server is stopped and its folder removed on exit, whether the code inside failed or not.
    """
    bin_dir = find_bin_dir()
    as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root: run it as Debian's `postgres` user
    folder = Path(tempfile.mkdtemp(prefix="fir-postgres-"))
    creator = os.getpid()
    try:
        if as_postgres:
            try:
                account = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise RuntimeError(
                    "running as root, and there is no `postgres` system user to run PostgreSQL as: "
                    "run `bash scripts/setup.sh`, which installs Debian's postgresql package (it creates that user)"
                ) from None
            os.chown(folder, account.pw_uid, account.pw_gid)  # mkdtemp's folder is 0700 and root's
        data = folder / "data"
        _run(
            as_postgres,
            folder,
            bin_dir / "initdb",
            f"--pgdata={data}",
            f"--username={SUPERUSER}",
            "--auth=trust",  # a throwaway cluster reachable only from this machine
            "--encoding=UTF8",
            "--locale=C",  # the same sorting on every machine, whatever its locale
            "--no-sync",  # nothing to keep if the machine crashes: skip initdb's fsyncs
        )
        try:
            port = _start(as_postgres, folder, bin_dir, data)
            with _connect(make_url(local_url(port, "postgres", SUPERUSER))) as connection:
                connection.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(ROLE)))
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE))
                )
            yield local_url(port)
        finally:
            if os.getpid() == creator:  # not from a forked child that inherited the generator
                _stop(as_postgres, folder, bin_dir, data)
    finally:
        if os.getpid() == creator:
            shutil.rmtree(folder, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """Create an empty database `name`, owned by the URL's role on the URL's server, and return its URL.

    One per test: tests on the catalogue then never see each other's tables.
    """
    server = make_url(url)
    with _connect(server) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, name: str) -> None:
    """Drop database `name` from the server of `url` (a URL of another database), closing its sessions left open."""
    with _connect(make_url(url)) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _connect(url: URL) -> psycopg.Connection:
    """A psycopg connection in autocommit mode (CREATE and DROP DATABASE refuse to run in a transaction)."""
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
        connect_timeout=10,
    )


def _start(as_postgres: bool, folder: Path, bin_dir: Path, data: Path) -> int:
    """Configure the cluster for a free loopback port, start it and return the port."""
    config = data / "postgresql.conf"
    base_config = config.read_text()
    attempt = 0
    while True:
        attempt += 1
        port = _free_port()
        config.write_text(
            base_config
            + "\n# fir tests\n"
            + "listen_addresses = '127.0.0.1'\n"
            + f"port = {port}\n"
            + f"unix_socket_directories = '{folder}'\n"  # not /var/run/postgresql, which may be missing or taken
            # A throwaway cluster: losing it in a crash costs nothing, so trade durability for speed.
            + "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
        log = folder / "server.log"
        log.unlink(missing_ok=True)
        try:
            _run(as_postgres, folder, bin_dir / "pg_ctl", "start", f"--pgdata={data}", f"--log={log}", "--wait")
            return port
        except RuntimeError:
            text = log.read_text(errors="replace") if log.exists() else ""
            if attempt == _START_ATTEMPTS or "Address already in use" not in text:
                raise


def _stop(as_postgres: bool, folder: Path, bin_dir: Path, data: Path) -> None:
    """Stop the server: fast (closes the sessions, writes a checkpoint), or immediate if that fails."""
    if not (data / "postmaster.pid").exists():
        return  # never started, or already stopped
    try:
        _run(as_postgres, folder, bin_dir / "pg_ctl", "stop", f"--pgdata={data}", "--mode=fast", "--wait")
    except RuntimeError:
        # Immediate: the postmaster and its children quit at once. Fails too if the server is already dead.
        with contextlib.suppress(RuntimeError):
            _run(as_postgres, folder, bin_dir / "pg_ctl", "stop", f"--pgdata={data}", "--mode=immediate", "--wait")


def _run(as_postgres: bool, folder: Path, program: Path, *arguments: str) -> None:
    """Run a PostgreSQL program, as `postgres` when running as root; its output in the error if it fails."""
    command = [str(program), *arguments]
    if as_postgres:
        command = ["runuser", "-u", SUPERUSER, "--", *command]
    # cwd: the `postgres` user may not be allowed into the caller's current folder.
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        log = folder / "server.log"
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command)} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            + (f"\nserver log:\n{server_log}" if server_log else "")
        )


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
