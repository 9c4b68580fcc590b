"""Property: whatever the file system holds in place of the real inputs — a folder where a file was, a
link to nowhere or to itself, a named pipe, an empty, binary or truncated file, a file or folder
without permissions — `fir check` answers with a report (exit 0) or located messages (exit 1), never
with a traceback, and never waits forever."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import paths
from tests.check_helpers import fir_check

# Every file and folder of the real inputs; the texts (most of the files) drawn as often as the rest.
TARGETS = sorted(path.relative_to(paths.INPUTS_DIR).as_posix() for path in paths.INPUTS_DIR.rglob("*"))
TEXTS = [target for target in TARGETS if "/texts/" in target]
OTHERS = [target for target in TARGETS if target not in TEXTS]
DAMAGES = (
    "folder",
    "broken link",
    "looping link",
    "link to a folder",
    "fifo",
    "empty",
    "garbage",
    "truncated",
    "no permission",
)
SECONDS_PER_CHECK = 60  # a check takes a fraction of a second; more means it waits on something (a FIFO)

damage = st.tuples(
    st.sampled_from(OTHERS) | st.sampled_from(TEXTS),
    st.sampled_from(DAMAGES),
    st.binary(min_size=1, max_size=300),
    st.floats(0, 1),
)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _damage(path: Path, kind: str, garbage: bytes, cut: float) -> None:
    """Put `kind` where `path` is (a file or a folder); nothing when an earlier damage removed it."""
    if not path.parent.is_dir() or not (path.exists() or path.is_symlink()):
        return
    if kind == "truncated":
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * cut)])
        return
    if kind == "no permission":  # no effect for root, a PermissionError for anyone else
        if not path.is_symlink():
            path.chmod(0)
        return
    _remove(path)
    if kind == "folder":
        path.mkdir()
    elif kind == "broken link":
        path.symlink_to(path.parent / "nowhere")
    elif kind == "looping link":
        path.symlink_to(path.name)
    elif kind == "link to a folder":
        path.symlink_to(".")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(garbage)


def _restore_permissions(root: Path) -> None:
    """Let the temporary tree be removed (a folder without permissions cannot be emptied otherwise)."""
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(stat.S_IRWXU)


class Stuck(Exception):
    """The check waited longer than any check takes."""


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def stuck(signum: int, frame: object) -> None:
        raise Stuck(f"fir check did not answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damages=st.lists(damage, min_size=1, max_size=3), year=st.sampled_from([2018, 2024]))
def test_fir_check_on_a_damaged_input_tree_reports_or_refuses_without_traceback(damages, year):
    with tempfile.TemporaryDirectory(prefix="fir-damaged-") as tmp:
        inputs = Path(tmp) / "inputs"
        shutil.copytree(paths.INPUTS_DIR, inputs)
        try:
            for target, kind, garbage, cut in damages:
                _damage(inputs / target, kind, garbage, cut)
            with _time_limit(SECONDS_PER_CHECK):
                code, output = fir_check(inputs, year)
        finally:
            _restore_permissions(Path(tmp))
    assert code in (0, 1), output
    assert "Traceback" not in output, output
    if code == 1:
        # the errors, or (a truncated line leaves an amount empty) the edition's to-do list, its errors first
        assert "Données invalides" in output or "[ERREUR]" in output or "incomplète : ce qui reste" in output, output
