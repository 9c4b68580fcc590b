"""Shared fixtures: the real editions, fresh copies of inputs, Prefect kept offline."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from flows import paths
from flows.edition.ingest import snapshot as ingest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # flows run in-process in some tests
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

REGION = "hauts-de-france"


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
