"""One pure pass from a snapshot to everything the brochure prints: validate, then compute, then the
catalogue of named figures — each once, in data order.

`fir check` and the build flow both call `prepare`, so they report the same findings for the same
inputs; nothing here reads a file or knows about Prefect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flows.edition.compute import catalogue, published
from flows.edition.compute.figures import Figures, compute_figures
from flows.edition.ingest.snapshot import Snapshot
from flows.edition.validate.findings import Finding
from flows.edition.validate.missing import IncompleteEdition
from flows.edition.validate.reconcile import Report, validate
from flows.edition.wording import wording

SETTINGS_TABLE = "publication"  # the report's group of the build's settings (validate/address.py)


@dataclass(frozen=True)
class Prepared:
    """The validation report, the computed figures, and every printed figure by name."""

    report: Report
    figures: Figures
    catalogue: Mapping[str, str]  # figure name (`thematics.cancer.share`) → the text the brochure prints


def prepare(snapshot: Snapshot, basis: published.Basis | None = None, settings: Sequence[Finding] = ()) -> Prepared:
    """Validate the snapshot's edition, compute its figures and name them. `basis`: the published values
    the latest revision printed and the amounts they were printed with (compute/published.py); `settings`:
    what the checks of the build's settings found (the web edition's address, validate/address.py), reported
    with the inputs' findings.

    Raises InputError for a broken reference between tables, an unknown `[[figure]]` in a text or a
    wording file that cannot be printed from (templates/libelles.toml), and IncompleteEdition while
    amounts or texts are still to fill in; reconciliation errors are in the report (the caller refuses
    to build on them).
    """
    edition = snapshot.edition
    if edition.todo:  # an edition read with `allow_incomplete`: never validated nor built as it is
        raise IncompleteEdition(f"Édition {edition.meta.region} {edition.meta.year}", edition.todo)
    wording()  # the reader's words, checked whole: `fir check` tells what `fir build` would stop on
    report = validate(edition, basis)
    report.findings.extend(settings)
    meta = edition.meta
    report.findings.extend(ignored_settings(meta.region, meta.year, meta.ignored_self_approval))
    figures = snapshot_figures(snapshot, basis)
    names = catalogue.catalogue(edition.tables, figures)
    catalogue.check_names(edition.texts.values(), names)
    return Prepared(report, figures, names)


def snapshot_figures(snapshot: Snapshot, basis: published.Basis | None = None) -> Figures:
    """The figures of the snapshot's edition, computed with its own settings (the missions' reference, the
    lines left out of subsets, the rounding of shares) and its earlier editions' tables."""
    edition, meta = snapshot.edition, snapshot.edition.meta
    return compute_figures(
        edition.tables,
        meta.year,
        edition.missions_ref,
        meta.subset_exclude,
        snapshot.earlier,
        meta.share_rounding,
        basis,
    )


def ignored_settings(region: str, year: int, self_approval: bool) -> tuple[Finding, ...]:
    """A warning when edition.toml still has `[approval] self_approval`: the data under review no longer
    decides who may approve it (the administrators' setting does, flows/policy.py)."""
    if not self_approval:
        return ()
    toml = f"{region}/{year}/edition.toml"
    message = (
        "Le réglage [approval] self_approval d'edition.toml est ignoré : la personne qui lance une construction "
        "ne peut approuver son propre projet que si un administrateur l'autorise pour la région (page "
        f"« Réglages » du portail, ou fir reglages --region {region} --auto-approbation oui). À faire : retirer "
        f"la section [approval] de {toml}."
    )
    return (Finding("warning", SETTINGS_TABLE, message, f"{toml}, réglage [approval] self_approval"),)
