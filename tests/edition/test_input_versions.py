"""The versions of an edition's inputs (flows/edition/publish/input_versions.py): recorded once per change,
their files stored once, two saves from one version never losing either, an edit made on disk recorded as its
own version before a portal save, a version restored as a new one, the catalogue taking back from the records
what it lacks, and the store's recovery keeping their objects."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.edition.publish import input_versions as iv
from flows.edition.publish import objects, store
from flows.edition.publish.tables import input_versions as table

REGION, YEAR = "hauts-de-france", 2024
TEXT = f"{REGION}/{YEAR}/texts/fir.md"


@pytest.fixture
def stores(inputs_copy: Path, tmp_path: Path, catalogue_backend: str) -> tuple[sa.Engine, Path, Path]:
    outputs = tmp_path / "outputs"
    return store.open_catalogue(outputs).engine, outputs, inputs_copy


def _record(engine: sa.Engine, outputs: Path, inputs: Path, who: str = "m.martin") -> iv.InputVersion:
    return iv.record_working_copy(engine, outputs, inputs, REGION, YEAR, who, "ligne de commande", "essai")


def _save(engine, outputs, inputs, changes, base, who="c.durand"):  # type: ignore[no-untyped-def]
    return iv.save(engine, outputs, inputs, REGION, YEAR, changes, base, who, "portail", "texte revu", "systeme")


def test_the_working_copy_is_recorded_once_with_every_file_stored_once(stores: tuple[sa.Engine, Path, Path]) -> None:
    engine, outputs, inputs = stores
    first = _record(engine, outputs, inputs)
    assert first.number == 1 and first.author == "m.martin"
    assert {"hauts-de-france/2024/edition.toml", TEXT, "_reference/missions.csv"} <= set(first.files)
    assert not any(path.startswith("hauts-de-france/2018/") for path in first.files)  # another edition's own
    assert _record(engine, outputs, inputs, "quelqu'un d'autre") == first  # nothing changed: no new version
    folder = outputs / REGION / str(YEAR)
    for path, (sha, size) in first.files.items():
        assert objects.object_path(folder, sha).read_bytes() == (inputs / path).read_bytes(), path
        assert size == (inputs / path).stat().st_size
    assert [p.name.split(".")[0] for p in (folder / iv.FOLDER).glob("v*.json")] == ["v1"]
    assert iv.contents(outputs, first) == {path: (inputs / path).read_bytes() for path in first.files}


def test_a_save_records_an_edit_made_on_disk_first_as_its_own_version(stores: tuple[sa.Engine, Path, Path]) -> None:
    engine, outputs, inputs = stores
    first = _record(engine, outputs, inputs)
    toml = inputs / REGION / str(YEAR) / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# modifié sur le serveur\n", encoding="utf-8")
    saved = _save(engine, outputs, inputs, {TEXT: b"# Texte revu\n"}, first.number)
    on_disk, portal = iv.versions(engine, outputs, REGION, YEAR)[1:]
    assert (on_disk.number, on_disk.author, on_disk.message) == (2, "systeme", "modifié sur le disque")
    assert on_disk.files[TEXT] == first.files[TEXT]
    assert saved == portal and (portal.number, portal.author) == (3, "c.durand")
    assert iv.contents(outputs, portal)[f"{REGION}/{YEAR}/edition.toml"] == toml.read_bytes()  # the edit kept
    assert (inputs / TEXT).read_bytes() == b"# Texte revu\n"


def test_the_second_of_two_saves_from_one_version_is_refused_and_nothing_is_lost(
    stores: tuple[sa.Engine, Path, Path],
) -> None:
    engine, outputs, inputs = stores
    base = _record(engine, outputs, inputs)
    before = (inputs / TEXT).read_bytes()
    _save(engine, outputs, inputs, {TEXT: b"version de Claire\n"}, base.number, "c.durand")
    with pytest.raises(iv.SaveConflict) as refused:
        _save(engine, outputs, inputs, {TEXT: b"version de Paul\n"}, base.number, "p.leroy")
    conflict = refused.value
    assert (conflict.path, conflict.theirs.number, conflict.theirs.author) == (TEXT, 2, "c.durand")
    assert (conflict.base, conflict.current) == (before, b"version de Claire\n")
    assert str(conflict).startswith(f"{TEXT} a été modifié depuis que vous l'avez ouvert (version 2, par c.durand")
    assert "rien n'a été enregistré" in str(conflict)
    assert (inputs / TEXT).read_bytes() == b"version de Claire\n"
    assert len(iv.versions(engine, outputs, REGION, YEAR)) == 2
    # another file saved from the same version: no conflict, both changes kept
    other = f"{REGION}/{YEAR}/texts/actions.md"
    assert (inputs / other).is_file()
    merged = _save(engine, outputs, inputs, {other: b"actions revues\n"}, base.number, "p.leroy")
    assert iv.contents(outputs, merged)[TEXT] == b"version de Claire\n"
    assert (inputs / other).read_bytes() == b"actions revues\n"


def test_a_version_restored_is_a_new_version_with_the_same_files(stores: tuple[sa.Engine, Path, Path]) -> None:
    engine, outputs, inputs = stores
    first = _record(engine, outputs, inputs)
    added = f"{REGION}/{YEAR}/texts/brouillon.md"
    second = _save(engine, outputs, inputs, {TEXT: b"autre texte\n", added: b"brouillon\n"}, first.number)
    restored = iv.restore(engine, outputs, inputs, REGION, YEAR, 1, "m.martin", "portail", "systeme")
    assert (restored.number, restored.message) == (second.number + 1, "version 1 rétablie")
    assert restored.digest == first.digest
    assert iv.working_files(inputs, REGION, YEAR) == iv.contents(outputs, first)
    assert not (inputs / added).exists()


def test_the_catalogue_takes_back_from_the_records_the_versions_it_lacks(
    stores: tuple[sa.Engine, Path, Path],
) -> None:
    engine, outputs, inputs = stores
    first = _record(engine, outputs, inputs)
    second = _save(engine, outputs, inputs, {TEXT: b"texte\n"}, first.number)
    with engine.begin() as conn:  # an older copy of the catalogue put back
        conn.execute(sa.delete(table))
    assert iv.versions(engine, outputs, REGION, YEAR) == [first, second]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == 2
    with engine.begin() as conn:  # again, and this time `fir repair` takes them back, edition by edition
        conn.execute(sa.delete(table))
    store.recover_all(store.open_catalogue(outputs), 5)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == 2


def test_the_stores_recovery_keeps_the_objects_of_input_versions(stores: tuple[sa.Engine, Path, Path]) -> None:
    engine, outputs, inputs = stores
    first = _record(engine, outputs, inputs)
    catalogue = store.open_catalogue(outputs)
    recovery = catalogue.recover(REGION, YEAR, verify=True)
    assert recovery.quarantined == []
    assert iv.contents(outputs, first)  # every object still there, intact


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "hauts-de-france/2024/../../x", ".cache/x"])
def test_a_path_leaving_the_inputs_is_refused(stores: tuple[sa.Engine, Path, Path], path: str) -> None:
    engine, outputs, inputs = stores
    with pytest.raises(ValueError, match="chemin refusé"):
        _save(engine, outputs, inputs, {path: b"x"}, None)
    assert iv.versions(engine, outputs, REGION, YEAR) == []
