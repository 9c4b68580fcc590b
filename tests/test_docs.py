"""Every `fir` command and option a user can type is documented in the README."""

from __future__ import annotations

import argparse

from flows import paths
from flows.cli import make_parser

README = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_is_in_the_readme():
    missing = [name for name in _subcommands() if f"fir {name}" not in README]
    assert not missing, missing


def test_every_build_option_is_in_the_readme_or_inputs_contract():
    build = _subcommands()["build"]
    options = [o for a in build._actions for o in a.option_strings if o.startswith("--") and o != "--help"]
    missing = [o for o in options if o not in README]
    assert not missing, missing


def test_readme_opens_with_the_two_commands_ci_runs():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert first_block == [
        "bash scripts/setup.sh && .venv/bin/fir build --region hauts-de-france --year 2024",
        "bash scripts/setup.sh && .venv/bin/python -m pytest",
    ]
    ci = (paths.PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert first_block[1] in ci
