"""Drafts and sign-off in the store and on the command line: a build's draft is never public until an
approver publishes it; the four-eyes rule, rejections with a reason, stale drafts; every decision and
every refusal has its audit line, and the audit log cannot be changed. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.edition.publish import settings, store
from flows.notices import audit
from flows.portal.signoff import SignOffRefused, sign_off
from tests.store_child import REGION, YEAR, record

NAME = f"fir-{REGION}-{YEAR}"


def _pdfs(tag: str) -> dict[str, bytes]:
    return {
        "pdf": f"%PDF-1.7 {tag}".encode(),
        "archive": f"%PDF-1.7 archive {tag}".encode(),
        "draft": f"%PDF-1.7 PROJET {tag}".encode(),
    }


def _draft(catalogue: store.Catalogue, number: int, tag: str, launched_by: str = "alice", **extra) -> dict:
    with catalogue.lock(REGION, YEAR, timeout=10):
        return catalogue.record_draft(
            REGION, YEAR, "Hauts-de-France", number, _pdfs(tag), {**record(tag), **extra}, [], launched_by
        )


def _decide(catalogue: store.Catalogue, number: int, approve: bool, actor: str, comment: str = "") -> dict:
    return sign_off(catalogue, REGION, YEAR, number, approve, actor, "127.0.0.1", comment)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def catalogue(catalogue_backend: str, tmp_path: Path) -> store.Catalogue:
    return store.open_catalogue(tmp_path / "outputs")


def test_a_draft_is_stored_but_never_public_until_approved(catalogue: store.Catalogue):
    draft = _draft(catalogue, 1, "r1")
    folder = catalogue.outputs / REGION / str(YEAR)
    assert draft["status"] == "draft" and draft["launched_by"] == "alice" and draft["based_on"] is None
    assert catalogue.history(REGION, YEAR)["revisions"] == []  # nothing public
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["revisions"] == []
    assert not (folder / f"{NAME}.pdf").exists() and not (folder / "revisions").exists()
    # the reviewers' marked copy is there to read; the two files approval publishes are stored already
    assert (folder / "projets" / "r1" / f"{NAME}-projet.pdf").read_bytes() == _pdfs("r1")["draft"]
    assert draft["pdf"]["sha256"] == _sha(_pdfs("r1")["pdf"])
    assert [(r, y, e["revision"]) for r, y, _, e in catalogue.drafts()] == [(REGION, YEAR, 1)]

    published = _decide(catalogue, 1, True, "bruno", "relu, chiffres vérifiés")
    assert (published["status"], published["decided_by"], published["comment"]) == (
        "published",
        "bruno",
        "relu, chiffres vérifiés",
    )
    # exactly the bytes recorded at build time, now the current publication; the draft folder is gone
    assert (folder / f"{NAME}.pdf").read_bytes() == _pdfs("r1")["pdf"]
    assert (folder / "revisions" / "r1" / f"{NAME}-archive.pdf").read_bytes() == _pdfs("r1")["archive"]
    assert not (folder / "projets").exists()
    assert catalogue.drafts() == []
    public = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    [entry] = public["revisions"]
    assert "launched_by" not in entry and "decided_by" not in entry and "draft" not in entry


def test_the_person_who_launched_a_build_cannot_approve_it_unless_an_administrator_allows(catalogue: store.Catalogue):
    _draft(catalogue, 1, "r1", launched_by="alice")
    with pytest.raises(SignOffRefused, match="quatre yeux"):
        _decide(catalogue, 1, True, "alice")
    assert catalogue.revision(REGION, YEAR, 1)["status"] == "draft"
    [line] = audit.entries(catalogue.engine, action=audit.APPROVE)
    assert (line.actor, line.outcome, line.target) == ("alice", audit.REFUSED, f"{REGION} {YEAR} r1")
    assert "quatre yeux" in line.detail and "fir reglages" in line.detail
    # what the data under review says (edition.toml's [approval] self_approval, once recorded with the draft)
    # no longer switches the rule off (issue 24, point 12)
    _decide(catalogue, 1, False, "bruno", "erreur de saisie")
    _draft(catalogue, 2, "r2", launched_by="alice", self_approval=True)
    with pytest.raises(SignOffRefused, match="quatre yeux"):
        _decide(catalogue, 2, True, "alice")
    # the administrators' setting of another region does not either; the draft's region's does
    settings.set_self_approval(catalogue.engine, "corse", True, audit.Line("root", "tests", audit.SETTING, "corse"))
    with pytest.raises(SignOffRefused, match="quatre yeux"):
        _decide(catalogue, 2, True, "alice")
    settings.set_self_approval(catalogue.engine, REGION, True, audit.Line("root", "tests", audit.SETTING, REGION))
    assert _decide(catalogue, 2, True, "alice")["status"] == "published"
    # switched back: the rule holds again for the next draft
    settings.set_self_approval(catalogue.engine, REGION, False, audit.Line("root", "tests", audit.SETTING, REGION))
    _draft(catalogue, 3, "r3", launched_by="alice")
    with pytest.raises(SignOffRefused, match="quatre yeux"):
        _decide(catalogue, 3, True, "alice")


def test_a_rejection_needs_a_reason_and_the_rejected_draft_is_never_public(catalogue: store.Catalogue):
    _draft(catalogue, 1, "r1")
    with pytest.raises(SignOffRefused, match="pourquoi"):
        _decide(catalogue, 1, False, "bruno", "  ")
    rejected = _decide(catalogue, 1, False, "bruno", "montant de la mission 2 à revoir")
    assert (rejected["status"], rejected["comment"]) == ("rejected", "montant de la mission 2 à revoir")
    assert catalogue.history(REGION, YEAR)["revisions"] == []
    folder = catalogue.outputs / REGION / str(YEAR)
    assert not (folder / "projets").exists() and not (folder / f"{NAME}.pdf").exists()
    with pytest.raises(SignOffRefused, match="pas un projet en attente"):
        _decide(catalogue, 1, True, "carole")
    with pytest.raises(SignOffRefused, match="aucune révision 7"):
        _decide(catalogue, 7, True, "carole")
    # the next build takes the next number: a number is never given twice
    assert _draft(catalogue, 2, "r2")["revision"] == 2
    assert [(e.action, e.outcome) for e in reversed(audit.entries(catalogue.engine))] == [
        (audit.REJECT, audit.REFUSED),
        (audit.REJECT, audit.OK),
        (audit.APPROVE, audit.REFUSED),
        (audit.APPROVE, audit.REFUSED),
    ]


def test_a_draft_compared_with_an_older_publication_cannot_be_approved(catalogue: store.Catalogue):
    _draft(catalogue, 1, "r1")
    _decide(catalogue, 1, True, "bruno")
    _draft(catalogue, 2, "r2")  # both corrections computed their erratum against revision 1
    _draft(catalogue, 3, "r3")
    assert catalogue.revision(REGION, YEAR, 3)["based_on"] == 1
    folder = catalogue.outputs / REGION / str(YEAR)
    assert (folder / "projets" / "r2").is_dir()
    _decide(catalogue, 3, True, "bruno")
    # r2 is « remplacé » at once: never approvable nor rejectable, its marked copy gone from projets/
    assert catalogue.revision(REGION, YEAR, 2)["status"] == store.SUPERSEDED
    assert store.STATUS_NAMES[store.SUPERSEDED] == "remplacé"
    assert not (folder / "projets").exists()
    assert catalogue.drafts() == []
    with pytest.raises(SignOffRefused, match=r"remplacé, la révision 3.*révision 1.*relancer"):
        _decide(catalogue, 2, True, "bruno")
    with pytest.raises(SignOffRefused, match="remplacé"):
        _decide(catalogue, 2, False, "bruno", "trop tard")
    assert [e["revision"] for e in catalogue.history(REGION, YEAR)["revisions"]] == [1, 3]
    assert [e["revision"] for _, _, _, e in catalogue.drafts(statuses=(store.SUPERSEDED,))] == [2]


def test_the_audit_log_refuses_updates_and_deletions(catalogue: store.Catalogue):
    audit.record(catalogue.engine, "alice", "127.0.0.1", audit.LOGIN, "alice")
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="audit"), catalogue.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert [e.actor for e in audit.entries(catalogue.engine)] == ["alice"]


def _fir(*args: object, user: str, outputs: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args), "--outputs", str(outputs)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "LOGNAME": user})


def test_the_command_line_follows_the_same_rules_and_writes_the_same_audit_lines(catalogue: store.Catalogue):
    outputs = catalogue.outputs
    _draft(catalogue, 1, "r1", launched_by="alice")
    listed = _fir("drafts", user="alice", outputs=outputs)
    assert listed.returncode == 0 and f"{REGION} {YEAR} r1" in listed.stdout
    assert "par ligne de commande (utilisateur système alice)" in listed.stdout
    assert "projets/r1" in listed.stdout

    mine = _fir("approve", REGION, YEAR, 1, "--comment", "ok", user="alice", outputs=outputs)
    assert mine.returncode == 2 and "quatre yeux" in mine.stderr and "Traceback" not in mine.stderr
    no_reason = _fir("reject", REGION, YEAR, 1, user="bruno", outputs=outputs)
    assert no_reason.returncode == 2  # argparse: --comment is required for a rejection
    done = _fir("approve", REGION, YEAR, 1, "--comment", "relu", user="bruno", outputs=outputs)
    assert done.returncode == 0, done.stderr
    assert "publiée (approuvée par ligne de commande (utilisateur système bruno))" in done.stdout
    assert (outputs / REGION / str(YEAR) / f"{NAME}.pdf").read_bytes() == _pdfs("r1")["pdf"]
    lines = [(e.actor, e.action, e.outcome) for e in reversed(audit.entries(catalogue.engine))]
    assert lines == [("alice", audit.APPROVE, audit.REFUSED), ("bruno", audit.APPROVE, audit.OK)]
    assert all(e.address.startswith("ligne de commande") for e in audit.entries(catalogue.engine))
    assert _fir("drafts", user="bruno", outputs=outputs).stdout.strip() == "Aucun projet en attente d'approbation."


def test_the_other_forms_are_stored_with_the_draft_and_published_with_it(catalogue: store.Catalogue):
    """Print, web and data files travel with the draft; approval puts them in outputs/ beside the brochure
    (the web edition in a folder of its own), the print file never in manifest.json; an unknown role is a bug."""
    forms = {"print": b"%PDF-1.6 PDF/X", "web": b"<!doctype html><html lang=fr>", "data": b"PK\x03\x04 zip"}
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", 1, {**_pdfs("r1"), **forms}, record("r1"), [], "alice")
    folder = catalogue.outputs / REGION / str(YEAR)
    assert not (folder / "web").exists() and not (folder / f"{NAME}-impression.pdf").exists()
    _decide(catalogue, 1, True, "bruno", "relu")
    assert (folder / "web" / "index.html").read_bytes() == forms["web"]
    assert (folder / "revisions" / "r1" / "web" / "index.html").read_bytes() == forms["web"]
    assert (folder / f"{NAME}-impression.pdf").read_bytes() == forms["print"]
    assert (folder / f"{NAME}-donnees.zip").read_bytes() == forms["data"]
    [entry] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["revisions"]
    assert entry["web"]["file"] == "revisions/r1/web/index.html" and "print" not in entry
    stray = folder / "revisions" / "r1" / "web" / "old.html"
    stray.write_bytes(b"left by hand")
    catalogue.rewrite_views(REGION, YEAR)
    assert not stray.exists() and (folder / "revisions" / "r1" / "web" / "index.html").is_file()
    with pytest.raises(ValueError), catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", 2, {**_pdfs("r2"), "poster": b"x"}, record("r2"))


def test_the_setting_is_changed_on_the_command_line_with_its_audit_line(catalogue: store.Catalogue):
    """`fir reglages`: the command line's way to the administrators' setting (issue 24, point 12)."""
    outputs = catalogue.outputs
    _draft(catalogue, 1, "r1", launched_by="alice")
    shown = _fir("reglages", user="root", outputs=outputs)
    assert shown.returncode == 0, shown.stderr
    assert (
        f"{REGION}\tapprobation par l'auteur du projet : interdite (règle des quatre yeux)\tjamais changé"
        in shown.stdout
    )
    refused = _fir("approve", REGION, YEAR, 1, user="alice", outputs=outputs)
    assert refused.returncode == 2 and "quatre yeux" in refused.stderr
    # the command an administrator types, as typed: the one run below
    assert "un administrateur lance : " in refused.stderr
    assert f"reglages --region {REGION} --auto-approbation oui --outputs {outputs}" in refused.stderr

    nowhere = _fir("reglages", "--auto-approbation", "oui", user="root", outputs=outputs)
    assert nowhere.returncode == 2 and "indiquez la région" in nowhere.stderr
    assert f"reglages --region {REGION} --auto-approbation oui --outputs {outputs}" in nowhere.stderr
    unknown = _fir("reglages", "--region", "atlantide", "--auto-approbation", "oui", user="root", outputs=outputs)
    assert unknown.returncode == 2 and "région « atlantide » inconnue" in unknown.stderr
    wrong = _fir("reglages", "--region", REGION, "--auto-approbation", "peut-être", user="root", outputs=outputs)
    assert wrong.returncode == 2 and "au choix : oui, non" in wrong.stderr and "Traceback" not in wrong.stderr
    done = _fir("reglages", "--region", REGION, "--auto-approbation", "oui", user="root", outputs=outputs)
    assert done.returncode == 0, done.stderr
    assert "interdite (règle des quatre yeux) → autorisée (inscrit au journal d'audit)" in done.stdout
    assert settings.self_approval(catalogue.engine, REGION) is True
    changes = [(e.actor, e.target, e.outcome) for e in audit.entries(catalogue.engine, action=audit.SETTING)]
    assert changes == [("root", REGION, audit.OK), ("root", "atlantide", audit.REFUSED)]
    assert audit.entries(catalogue.engine, action=audit.SETTING)[0].address.startswith("ligne de commande")
    shown = _fir("reglages", "--region", REGION, user="root", outputs=outputs)
    assert (
        "autorisée\tchangé le " in shown.stdout and "par ligne de commande (utilisateur système root)" in shown.stdout
    )

    mine = _fir("approve", REGION, YEAR, 1, "--comment", "équipe d'une personne", user="alice", outputs=outputs)
    assert mine.returncode == 0, mine.stderr
    assert catalogue.revision(REGION, YEAR, 1)["decided_by"] == "alice"
