"""Shared fixtures: the real editions, fresh copies of inputs, Prefect kept offline and in a home of its own,
a real PostgreSQL server."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Prefect reads its settings when it is first imported: everything below is set before any test module
# (or anything they import) imports it, and child processes started by the tests (`fir …`) inherit it.
# A temporary PREFECT_HOME per session, never the user's ~/.prefect: its database, result cache and
# profiles are the session's own, so no test reuses a result computed by another session (or by the
# user's builds) and nothing is left behind.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="fir-tests-prefect-home-")
for _name in (  # settings that would point this session at the user's server, database or files
    "PREFECT_PROFILE",
    "PREFECT_PROFILES_PATH",
    "PREFECT_API_URL",
    "PREFECT_API_KEY",
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_DATABASE_CONNECTION_URL",
    "PREFECT_LOCAL_STORAGE_PATH",
    "PREFECT_RESULTS_LOCAL_STORAGE_PATH",
    "PREFECT_MEMO_STORE_PATH",
):
    os.environ.pop(_name, None)
# no test e-mails the user's colleagues, nor prints the user's portal address
for _name in ("FIR_SMTP_HOST", "FIR_PORTAL_URL", "FIR_SERVICE_URL", "FIR_PORTAL_SECRET"):
    os.environ.pop(_name, None)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # flows run in-process in some tests
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from flows import paths  # noqa: E402
from flows.edition.ingest import snapshot as ingest  # noqa: E402
from tests.postgres import create_database, drop_database, postgres_server  # noqa: E402

REGION = "hauts-de-france"
PREFECT_HOME = Path(os.environ["PREFECT_HOME"])


def _remove_prefect_home(creator: int = os.getpid()) -> None:
    """Remove the session's PREFECT_HOME when the process that made it exits."""
    if os.getpid() == creator:  # not from a forked child
        shutil.rmtree(PREFECT_HOME, ignore_errors=True)


# At exit rather than at pytest_unconfigure: registered before Prefect registers the shutdown of the
# temporary server it starts for in-process flows, so it runs after it; and it also cleans up when this
# module is imported outside a pytest session (`from tests.conftest import REGION` in a script).
atexit.register(_remove_prefect_home)


@pytest.fixture(scope="session")
def edition_2018() -> ingest.Edition:
    return ingest.read_edition(paths.INPUTS_DIR, REGION, 2018)


@pytest.fixture(scope="session")
def edition_2024() -> ingest.Edition:
    return ingest.read_edition(paths.INPUTS_DIR, REGION, 2024)


@pytest.fixture
def inputs_copy(tmp_path: Path) -> Path:
    """A private copy of inputs/ a test may break at will."""
    target = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR, target)
    return target


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a throwaway PostgreSQL server: started when a test first asks for it, stopped at the session's end."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """URL of a fresh, empty database of its own on the session's server, dropped after the test."""
    # uuid4 reads os.urandom: `random` is reseeded identically before each test by pytest-randomly
    name = f"test_{uuid.uuid4().hex}"
    yield create_database(postgres_url, name)
    drop_database(postgres_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogue_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a catalogue test on each database the store supports: the embedded SQLite under outputs/, and
    a real PostgreSQL server (a fresh database, through FIR_DATABASE_URL, inherited by child processes)."""
    if request.param == "postgresql":
        monkeypatch.setenv("FIR_DATABASE_URL", request.getfixturevalue("postgres_database"))
    else:
        monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    return str(request.param)


@pytest.fixture(scope="session")
def real_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, str]]:
    """Both real editions built once per session with the real command, from the project's inputs/: the
    brochure's path and what `fir build` printed. Tests only read them (end-to-end figures, typography)."""
    from tests.helpers import fir_build

    outputs = tmp_path_factory.mktemp("real-builds")
    built = {}
    for year in (2018, 2024):
        run = fir_build(year, outputs)
        # Nothing in English from a library reaches the staff's terminal (WeasyPrint's warm-up page once did).
        assert "weasyprint" not in run.stderr.lower() and "| WARNING |" not in run.stderr, run.stderr
        built[year] = (paths.brochure_path(outputs, REGION, year), run.stdout)
    return built


@pytest.fixture(scope="session")
def portal_editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The editions the portal's tests review (tests/portal_helpers.py), built once per session; each
    module works on its own copy."""
    from tests.portal_helpers import build_editions

    return build_editions(tmp_path_factory.mktemp("portal-editions"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (it cannot download browsers here), one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.helpers import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
