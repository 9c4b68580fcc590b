"""The tests stand alone: Prefect's home is the session's own temporary folder, for them and their children."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import PREFECT_HOME

SHOW_SETTINGS = (
    "from prefect.settings import get_current_settings as s; c = s(); "
    "print(c.home); print(c.results.local_storage_path); print(c.api.url); print(c.profiles_path)"
)


def _under(path: Path, folder: Path) -> bool:
    return path.resolve() == folder.resolve() or folder.resolve() in path.resolve().parents


def test_prefect_home_is_a_temporary_folder_never_the_users():
    home = Path(os.environ["PREFECT_HOME"])
    assert home == PREFECT_HOME and home.is_dir()
    assert not _under(home, Path.home() / ".prefect")
    assert _under(home, Path(tempfile.gettempdir())) and home.name.startswith("fir-tests-prefect-home-")


def test_prefect_in_this_process_and_in_a_child_uses_the_sessions_home():
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    assert settings.home.resolve() == PREFECT_HOME.resolve()
    child = subprocess.run([sys.executable, "-c", SHOW_SETTINGS], capture_output=True, text=True, check=True)
    home, storage, api_url, profiles = child.stdout.splitlines()
    assert Path(home).resolve() == PREFECT_HOME.resolve()
    assert _under(Path(storage), PREFECT_HOME) and _under(Path(profiles), PREFECT_HOME)
    assert api_url == "None"  # no server of the user's: each run starts its own temporary one


def test_a_process_importing_the_conftest_removes_its_own_home_when_it_exits():
    from flows import paths

    child = subprocess.run(
        [sys.executable, "-c", "import os, tests.conftest; print(os.environ['PREFECT_HOME'])"],
        capture_output=True,
        text=True,
        check=True,
        cwd=paths.PROJECT_ROOT,
    )
    home = Path(child.stdout.strip())
    assert home.name.startswith("fir-tests-prefect-home-") and home != PREFECT_HOME
    assert not home.exists()
    assert PREFECT_HOME.is_dir()  # ours is still there
