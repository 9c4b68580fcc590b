"""When a build publishes a new revision, what it records as changed, and the labels readers see."""

from __future__ import annotations

import hashlib

import pytest

from flows import paths
from flows.edition.ingest import snapshot as ingest
from flows.edition.prepare import prepare
from flows.edition.publish import revisions
from tests.conftest import REGION

# The reasons a revision records when none is given, as templates/libelles.toml words them.
FIRST_PUBLICATION = "Première publication"
SCHEDULED_REASON = "Exécution planifiée annuelle"


@pytest.fixture(scope="module")
def checksums_2018() -> dict[str, str]:
    """The SHA-256 of every input file of the real 2018 edition."""
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, 2018)
    return edition.checksums


def _manifest(*entries: dict) -> dict:
    return {"region": REGION, "region_name": "Hauts-de-France", "year": 2018, "revisions": list(entries)}


def _entry(number: int, checksums: dict[str, str], reason: str = FIRST_PUBLICATION) -> dict:
    return {
        "revision": number,
        "published_at": f"2025-03-1{number}T06:00:00+01:00",
        "reason": reason,
        "inputs_digest": revisions.inputs_digest(checksums),
    }


def _changed(checksums: dict[str, str]) -> dict[str, str]:
    """The same inputs with missions.csv edited."""
    return {**checksums, f"{REGION}/2018/missions.csv": hashlib.sha256(b"edited").hexdigest()}


# --- decide -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("manifest", [None, {}, _manifest()])
def test_the_first_publication_is_revision_1_without_a_reason(manifest, checksums_2018):
    decision = revisions.decide(manifest, checksums_2018, None, revisions.MANUAL)
    assert decision == revisions.Decision(True, 1, FIRST_PUBLICATION, "premier projet de l'édition (révision 1)")


def test_a_first_publication_keeps_a_given_reason_and_a_scheduled_one_says_so(checksums_2018):
    assert revisions.decide(None, checksums_2018, "édition avancée", revisions.MANUAL).reason == "édition avancée"
    scheduled = revisions.decide(None, checksums_2018, None, revisions.SCHEDULED)
    assert (scheduled.build, scheduled.revision, scheduled.reason) == (True, 1, SCHEDULED_REASON)


@pytest.mark.parametrize("trigger", [revisions.MANUAL, revisions.SCHEDULED])
@pytest.mark.parametrize("reason", [None, "motif quelconque"])
def test_unchanged_inputs_publish_nothing_and_name_the_latest_revision(checksums_2018, trigger, reason):
    manifest = _manifest(_entry(1, _changed(checksums_2018)), _entry(2, checksums_2018, "correction"))
    decision = revisions.decide(manifest, dict(reversed(checksums_2018.items())), reason, trigger)
    assert (decision.build, decision.revision, decision.reason) == (False, 2, "correction")
    assert decision.message == (
        "données inchangées depuis la révision 2 du 12/03/2025 à 06:00 : aucune nouvelle révision"
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_changed_inputs_need_a_reason_from_a_manual_run(checksums_2018, reason):
    manifest = _manifest(_entry(1, checksums_2018))
    with pytest.raises(revisions.ReasonRequired, match=r"déjà publiée \(révision 1\).*--reason"):
        revisions.decide(manifest, _changed(checksums_2018), reason, revisions.MANUAL)


def test_changed_inputs_with_a_reason_make_the_next_revision(checksums_2018):
    manifest = _manifest(_entry(1, checksums_2018), _entry(2, _changed(checksums_2018), "correction"))
    decision = revisions.decide(manifest, checksums_2018, "  retour aux chiffres publiés ", revisions.MANUAL)
    assert decision == revisions.Decision(True, 3, "retour aux chiffres publiés", "projet de révision 3")


def test_a_scheduled_run_on_changed_inputs_needs_no_reason(checksums_2018):
    manifest = _manifest(_entry(1, checksums_2018))
    decision = revisions.decide(manifest, _changed(checksums_2018), None, revisions.SCHEDULED)
    assert (decision.build, decision.revision, decision.reason) == (True, 2, SCHEDULED_REASON)


def test_force_publishes_unchanged_inputs_but_still_needs_a_reason(checksums_2018):
    manifest = _manifest(_entry(1, checksums_2018))
    forced = revisions.decide(manifest, checksums_2018, "mise en page corrigée", revisions.MANUAL, force=True)
    assert (forced.build, forced.revision, forced.reason) == (True, 2, "mise en page corrigée")
    with pytest.raises(revisions.ReasonRequired):
        revisions.decide(manifest, checksums_2018, None, revisions.MANUAL, force=True)


def test_latest_is_the_last_revision_or_none():
    assert revisions.latest(None) is None and revisions.latest(_manifest()) is None
    assert revisions.latest(_manifest({"revision": 1}, {"revision": 2})) == {"revision": 2}


# --- inputs_digest ----------------------------------------------------------------------------------------


def test_inputs_digest_is_the_sha256_of_the_sorted_path_digest_lines():
    checksums = {"b/x.csv": "22", "a/y.csv": "11"}
    expected = hashlib.sha256(b"a/y.csv  11\nb/x.csv  22").hexdigest()
    assert revisions.inputs_digest(checksums) == expected


def test_inputs_digest_is_stable_whatever_the_order_and_changes_with_any_file(checksums_2018):
    digest = revisions.inputs_digest(checksums_2018)
    assert revisions.inputs_digest(dict(sorted(checksums_2018.items(), reverse=True))) == digest
    assert revisions.inputs_digest(dict(checksums_2018)) == digest
    assert revisions.inputs_digest(_changed(checksums_2018)) != digest
    path, value = next(iter(checksums_2018.items()))
    renamed = {**{k: v for k, v in checksums_2018.items() if k != path}, path + ".old": value}
    assert revisions.inputs_digest(renamed) != digest  # the same bytes under another name
    assert revisions.inputs_digest({k: v for k, v in checksums_2018.items() if k != path}) != digest


# --- erratum ----------------------------------------------------------------------------------------------


def test_the_erratum_lists_changed_added_and_removed_figures_by_label():
    previous = {"missions.2.ae": "75 670 273 €", "execution.AE": "303 543 407 €", "gone": "1 €", "same": "2 €"}
    current = {"missions.2.ae": "75 670 274 €", "execution.AE": "303 543 408 €", "new": "3 €", "same": "2 €"}
    labels = {"missions.2.ae": "Mission 2 — AE", "execution.AE": "Autorisations d'engagement"}
    assert revisions.erratum(previous, current, labels) == [
        {
            "figure": "execution.AE",
            "label": "Autorisations d'engagement",
            "old": "303 543 407 €",
            "new": "303 543 408 €",
        },
        {"figure": "missions.2.ae", "label": "Mission 2 — AE", "old": "75 670 273 €", "new": "75 670 274 €"},
        {"figure": "gone", "label": "gone", "old": "1 €", "new": "—"},  # no label: its name, sorted as such
        {"figure": "new", "label": "new", "old": "—", "new": "3 €"},
    ]
    assert revisions.erratum(current, current, labels) == []


# --- figure_labels ----------------------------------------------------------------------------------------


def _labels(edition: ingest.Edition) -> dict[str, str]:
    """A label for every figure the brochure names, as the erratum prints them."""
    return revisions.figure_labels(edition.tables, list(prepare(ingest.Snapshot(edition)).catalogue))


@pytest.fixture(scope="module")
def labels_2018(edition_2018) -> dict[str, str]:
    return _labels(edition_2018)


@pytest.fixture(scope="module")
def labels_2024(edition_2024) -> dict[str, str]:
    return _labels(edition_2024)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("missions.2.ae", "Mission 2 — AE"),
        ("missions.4.cp_share", "Mission 4 — part des CP"),
        ("execution.AE", "Autorisations d'engagement"),
        ("execution.CP.rate", "Crédits de paiement — taux d'exécution"),
        ("revenue.growth", "Recettes — évolution sur un an"),
        ("revenue.total.br2", "Recettes — Total enveloppe, BR2"),
        ("revenue.total", "Recettes — Total enveloppe, recettes de l'année"),
        ("revenue.dotation-2017.previous_year", "Recettes — Dotation 2017, recettes de l'année précédente"),
        ("action.tabac", "« La mise en œuvre du plan de lutte contre tout tabagisme » — montant"),
        (
            "key_figure.vaccination-pharmaciens.2",
            "« L'expérimentation de la vaccination antigrippale réalisée en pharmacie » — chiffre clé 2",
        ),
    ],
)
def test_2018_figures_get_a_readers_label(labels_2018, name, label):
    assert labels_2018[name] == label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("thematics.total", "Total"),
        ("thematics.investissements", "Investissements en ES et ESMS"),
        ("thematics.investissements.share", "Investissements en ES et ESMS — part"),
        ("thematics.investissements.rounded", "Investissements en ES et ESMS — montant arrondi"),
        ("cp_by_nature.commande-publique", "Achat et commande publique"),
        ("revenue.total", "Recettes — Total des recettes, recettes de l'année"),
    ],
)
def test_2024_figures_get_a_readers_label(labels_2024, name, label):
    assert labels_2024[name] == label


def test_every_figure_gets_a_label_and_a_figure_gone_from_the_tables_keeps_its_key(edition_2018, labels_2018):
    assert len(labels_2018) == 122 and all(labels_2018.values())  # 114 amounts, shares and rates, 8 variances
    assert labels_2018["revenue.stages.br1.delta"] == "Recettes — évolution à l'étape « BR1 »"
    assert (
        labels_2018["revenue.stages.final.delta_pct"] == "Recettes — évolution à l'étape « recettes de l'année » (en %)"
    )
    # a figure of the previous revision whose line no longer exists: labelled from its name
    assert revisions.figure_labels(edition_2018.tables, ["missions.9.ae", "thematics.x.share"]) == {
        "missions.9.ae": "Mission 9 — AE",
        "thematics.x.share": "x — part",
    }
