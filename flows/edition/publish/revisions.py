"""Revisions of a published edition: when a build makes a new one, and what changed since the last.

Pure: the manifest is a plain dictionary here; reading and writing it is publish.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.edition.compute.published import BasisEntry
from flows.edition.french import format_time
from flows.edition.publish.manifest import Manifest, RevisionEntry
from flows.edition.wording import KEYS, words

if TYPE_CHECKING:  # only for type hints: `decide` needs no Polars
    import polars as pl

if TYPE_CHECKING:  # `decide` is imported by a no-change run, which loads no Polars (flows/unchanged.py)
    import polars as pl

SCHEDULED = "scheduled"
MANUAL = "manual"
SCHEDULER = "planification annuelle"  # who launched a scheduled run


class ReasonRequired(Exception):
    """A manual re-run of an edition already published must say why."""


@dataclass(frozen=True)
class Decision:
    build: bool  # False: the inputs are those of the latest revision, nothing to publish
    revision: int  # number of the revision to publish (or the latest one when build is False)
    reason: str
    message: str  # what the user is told


def default_reason(trigger: str, published: bool) -> str:
    """The reason a revision records when nobody gave one (the erratum prints it after « Motif : »): a
    scheduled run's, or a first publication's. Worded by templates/libelles.toml."""
    scheduled = trigger == SCHEDULED or published
    return words("erratum.motif_planifie" if scheduled else "erratum.motif_premiere_publication")


def inputs_digest(checksums: Mapping[str, str]) -> str:
    """One checksum for all input files (their relative paths and contents)."""
    joined = "\n".join(f"{path}  {digest}" for path, digest in sorted(checksums.items()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def latest(manifest: Manifest | None) -> RevisionEntry | None:
    """The edition's latest revision, None before the first publication."""
    return manifest["revisions"][-1] if manifest and manifest.get("revisions") else None


def latest_basis(manifest: Manifest | None) -> dict[str, BasisEntry]:
    """The published values the latest revision printed, with the amounts they were printed with."""
    last = latest(manifest)
    return dict(last.get("basis", {})) if last else {}


def decide(
    manifest: Manifest | None,
    checksums: Mapping[str, str],
    reason: str | None,
    trigger: str,
    force: bool = False,
) -> Decision:
    """Whether this run builds a new revision, its number and its recorded reason. `manifest`: every
    revision of the edition, drafts and rejected ones included (numbers are never given twice)."""
    last = latest(manifest)
    if last is None:
        return Decision(
            True,
            1,
            reason or default_reason(trigger, published=False),
            "premier projet de l'édition (révision 1)",
        )
    # A superseded draft (« remplacé ») can never be approved: the same inputs make a new draft of it.
    if last["inputs_digest"] == inputs_digest(checksums) and not force and last.get("status") != "superseded":
        status = last.get("status", "published")
        what = {"draft": "le projet", "rejected": "la révision rejetée"}.get(status, "la révision")
        return Decision(
            False,
            last["revision"],
            last["reason"],
            f"données inchangées depuis {what} {last['revision']} du {format_time(last['published_at'])} : "
            "aucune nouvelle révision" + (" (--force pour reconstruire)" if status == "rejected" else ""),
        )
    published = [
        e["revision"]
        for e in (manifest or {"revisions": []})["revisions"]
        if e.get("status", "published") == "published"
    ]
    if trigger == MANUAL and published and not (reason and reason.strip()):
        raise ReasonRequired(
            f"l'édition est déjà publiée (révision {published[-1]}) : une nouvelle révision doit dire pourquoi, "
            'avec --reason "…" (ex. --reason "correction du montant de la mission 2")'
        )
    number = last["revision"] + 1
    default = default_reason(trigger, bool(published))
    return Decision(True, number, (reason or default).strip(), f"projet de révision {number}")


def erratum(previous: dict[str, str], current: dict[str, str], labels: dict[str, str]) -> list[dict[str, str]]:
    """Every figure whose printed value changed since the previous revision, old and new value."""
    changed = []
    for name in sorted(set(previous) | set(current), key=lambda n: (labels.get(n, n), n)):
        old, new = previous.get(name), current.get(name)
        if old != new:
            changed.append({"figure": name, "label": labels.get(name, name), "old": old or "—", "new": new or "—"})
    return changed


def figure_labels(tables: Mapping[str, pl.DataFrame], names: list[str]) -> dict[str, str]:
    """A reader's label for every figure name of references.catalogue."""

    titles: dict[tuple[str, str], str] = {}
    for table, key, column in (
        ("revenue", "line_id", "label"),
        ("thematics", "thematic_id", "label"),
        ("cp_by_nature", "nature_id", "label"),
        ("revenue_priorities", "item_id", "label"),
        ("actions", "action_id", "title"),
        ("execution", "budget", "label"),
    ):
        if (frame := tables.get(table)) is not None:
            titles.update({(table, str(k)): v for k, v in frame.select(key, column).iter_rows()})
    labels = {}
    for name in names:
        table, _, rest = name.partition(".")
        key, _, field = rest.partition(".")
        labels[name] = _figure_label(table, key, field, titles)
    return labels


def _figure_label(table: str, key: str, field: str, titles: Mapping[tuple[str, str], str]) -> str:
    """The erratum's label of the figure `table.key.field`, in the words of templates/libelles.toml."""

    def named(group: str, code: str) -> str:  # a code the wording file names, else the code itself
        return words(f"erratum.{group}.{code}") if f"erratum.{group}.{code}" in KEYS else code

    if table in ("action", "key_figure"):
        what = "action" if table == "action" else "chiffre_cle"
        title = titles.get(("actions", key), key)
        return (
            words(f"erratum.{what}_rang", titre=title, rang=field) if field else words(f"erratum.{what}", titre=title)
        )
    if table == "missions":
        return words("erratum.mission", numero=key, champ=named("champs", field))
    if table == "revenue" and key == "growth":
        return words("erratum.recettes_evolution")
    if table == "revenue" and key == "stages":
        stage, _, what = field.partition(".")
        wording_key = "erratum.recettes_etape_pct" if what == "delta_pct" else "erratum.recettes_etape"
        return words(wording_key, etape=named("etapes", stage))
    if table == "history":
        measure, _, what = field.partition(".")
        suffix = {"delta": "_ecart", "delta_pct": "_evolution"}.get(what, "")
        return words(f"erratum.historique{suffix}", mesure=named("mesures", measure), annee=key)
    if table == "revenue":
        return words(
            "erratum.recettes_ligne",
            ligne=titles.get(("revenue", key), key),
            etape=named("etapes_ligne", field or "final"),
        )
    title = titles.get((table, key), words("erratum.total") if key == "total" else key)
    return words("erratum.chiffre", titre=title, champ=named("champs", field)) if field else title
