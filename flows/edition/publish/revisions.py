"""Revisions of a published edition: when a build makes a new one, and what changed since the last.

Pure: the manifest is a plain dictionary here; reading and writing it is publish.py's job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.edition.compute.published import BasisEntry
from flows.edition.publish.manifest import Manifest, RevisionEntry

if TYPE_CHECKING:  # `decide` is imported by a no-change run, which loads no Polars (flows/unchanged.py)
    import polars as pl

SCHEDULED = "scheduled"
MANUAL = "manual"
FIRST_PUBLICATION = "Première publication"
SCHEDULED_REASON = "Exécution planifiée annuelle"
SCHEDULER = "planification annuelle"  # who launched a scheduled run


class ReasonRequired(Exception):
    """A manual re-run of an edition already published must say why."""


@dataclass(frozen=True)
class Decision:
    build: bool  # False: the inputs are those of the latest revision, nothing to publish
    revision: int  # number of the revision to publish (or the latest one when build is False)
    reason: str
    message: str  # what the user is told


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
            reason or (SCHEDULED_REASON if trigger == SCHEDULED else FIRST_PUBLICATION),
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
            f"données inchangées depuis {what} {last['revision']} du {last['published_at']} : "
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
    default = SCHEDULED_REASON if trigger == SCHEDULED or published else FIRST_PUBLICATION
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
    from flows.edition.compute import figures as compute

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
    stages = dict(compute.STAGES)
    fields = {
        "share": "part",
        "rounded": "montant arrondi",
        "rate": "taux d'exécution",
        "opened": "crédits ouverts",
        "ae": "AE",
        "cp": "CP",
        "ae_share": "part des AE",
        "cp_share": "part des CP",
    }
    labels = {}
    for name in names:
        table, _, rest = name.partition(".")
        key, _, field = rest.partition(".")
        if table == "action" or table == "key_figure":
            title = titles.get(("actions", key), key)
            what = "montant" if table == "action" else "chiffre clé"
            labels[name] = f"« {title} » — {what}{f' {field}' if field else ''}"
        elif table == "missions":
            labels[name] = f"Mission {key} — {fields.get(field, field)}"
        elif table == "revenue" and key == "growth":
            labels[name] = "Recettes — évolution sur un an"
        elif table == "revenue" and key == "stages":
            stage, _, what = field.partition(".")
            step = stages.get(stage, stage).replace(" {year}", "").replace("Recettes {previous}", "année précédente")
            step = step.replace("Recettes", "recettes de l'année")
            labels[name] = f"Recettes — évolution à l'étape « {step} »{' (en %)' if what == 'delta_pct' else ''}"
        elif table == "history":
            measure, _, what = field.partition(".")
            measures = {"revenue": "recettes", "ae": "AE exécutées", "cp": "CP exécutés"}
            suffix = {"delta": " — évolution", "delta_pct": " — évolution en %"}.get(what, "")
            labels[name] = f"Comparaison des éditions — {measures.get(measure, measure)} {key}{suffix}"
        elif table == "revenue":
            stage = stages.get(field or "final", field).replace("Recettes {year}", "recettes de l'année")
            stage = stage.replace(" {year}", "").replace("Recettes {previous}", "recettes de l'année précédente")
            labels[name] = f"Recettes — {titles.get(('revenue', key), key)}, {stage}"
        else:
            title = titles.get((table, key), "Total" if key == "total" else key)
            labels[name] = f"{title}{f' — {fields.get(field, field)}' if field else ''}"
    return labels
