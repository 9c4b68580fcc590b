"""What `fir` tells a person to run next works when pasted into a shell as printed: the same installation's
`fir`, the `--inputs` / `--outputs` the person gave, every word quoted (here in folders whose names hold a
space and a quote)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

from flows import paths
from flows.commands import suggest
from tests.conftest import REGION
from tests.helpers import APPROVER, build_command


def _as_typed(command: str, answer: str = "", person: str | None = None) -> subprocess.CompletedProcess:
    """A command line printed by `fir`, run by a shell as a person would paste it."""
    env = {**os.environ, "LOGNAME": person} if person else None
    return subprocess.run(command, shell=True, input=answer, capture_output=True, text=True, timeout=300, env=env)


def test_suggest_carries_the_options_given_and_quotes_them(tmp_path: Path):
    inputs = tmp_path / "mes données" / "inputs"
    line = suggest("check", "--region", REGION, "--year", 2025, inputs=inputs, outputs=paths.OUTPUTS_DIR)
    words = shlex.split(line)
    assert words[1:] == [
        "check",
        "--region",
        REGION,
        "--year",
        "2025",
        "--inputs",
        str(inputs),
    ]  # default outputs left out
    assert Path(words[0]).name == "fir"


def test_after_a_build_the_approval_printed_works_as_typed(tmp_path: Path):
    outputs = tmp_path / "sorties de l'agence" / "outputs"
    built = subprocess.run(
        build_command(2018, outputs), capture_output=True, text=True, timeout=600, env={**os.environ, "LOGNAME": "r"}
    )
    assert built.returncode == 0, built.stdout + built.stderr
    lines = built.stdout.splitlines()
    approve = lines[lines.index(next(line for line in lines if line.endswith("Pour publier :"))) + 1]
    command = approve.removesuffix("(ou dans le portail)").strip()
    assert command.endswith(f"approve {REGION} 2018 1 --comment relu --outputs {shlex.quote(str(outputs))}")
    result = _as_typed(command, person=APPROVER)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Révision 1 de {REGION} 2018 publiée" in result.stdout
    assert (outputs / REGION / "2018" / f"fir-{REGION}-2018.pdf").is_file()


def test_the_first_account_printed_by_an_empty_list_works_as_typed(tmp_path: Path):
    outputs = tmp_path / "sorties de l'agence" / "outputs"
    listed = _as_typed(suggest("user", "list", outputs=outputs))
    assert listed.returncode == 0, listed.stderr
    found = re.search(
        r"Créer le premier \(remplacer prenom.nom par votre identifiant\) : (.+)$", listed.stdout, re.MULTILINE
    )
    assert found is not None, listed.stdout
    created = _as_typed(found.group(1), answer="une phrase de passe\nune phrase de passe\n")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Compte « prenom.nom » créé" in created.stdout
    assert _as_typed(suggest("user", "list", outputs=outputs)).stdout.startswith("prenom.nom\t")


def test_the_repair_asked_for_a_damaged_store_works_as_typed(tmp_path: Path):
    from flows.edition.publish.errors import StoreDamaged
    from flows.operations import operational_message

    outputs = tmp_path / "sorties de l'agence" / "outputs"
    outputs.mkdir(parents=True)
    message = operational_message(StoreDamaged(outputs / REGION / "2018" / "manifest.json", "absent"), outputs)
    assert message is not None
    found = re.search(r"puis lancer « (.+) »\.$", message)
    assert found is not None, message
    result = _as_typed(found.group(1))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Aucune édition publiée dans {outputs}")
