"""What a new revision says about itself: the erratum since the previous revision, and the record the
manifest keeps. Built from the prepared figures, never from the input cells.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flows.edition.compute.published import BasisEntry
from flows.edition.ingest.snapshot import Edition
from flows.edition.prepare import Prepared
from flows.edition.publish import revisions
from flows.edition.publish.manifest import ChangeEntry, Manifest, RecordEntry, WebAddressEntry
from flows.edition.render import locations


@dataclass(frozen=True)
class Change:
    """One printed figure whose text changed since the previous revision."""

    figure: str
    label: str
    old: str
    new: str
    pages: tuple[int, ...] = ()  # the pages of the new brochure where it is printed, once laid out


@dataclass(frozen=True)
class Revision:
    """The revision a brochure is printed as: its number, why, and the erratum it carries."""

    number: int
    reason: str
    erratum: tuple[Change, ...] = ()
    previous: int | None = None


@dataclass(frozen=True)
class RevisionRecord:
    """One entry of the manifest (see publish/store.py for the file entries added on publication)."""

    published_at: str
    reason: str
    trigger: str
    code_version: str
    inputs_digest: str
    inputs: Mapping[str, str]
    pages: int
    warnings: tuple[str, ...]
    erratum: tuple[Change, ...]
    figures: Mapping[str, str]
    basis: Mapping[str, BasisEntry]
    report: tuple[str, ...] = ()  # the validation report, for the draft's reviewers
    run_id: str = ""  # the Prefect flow run that built it
    # What the edition carries over unchanged from an earlier one (validate/carried_over.py): the items its
    # approval asks to be confirmed, as {"earlier_year": 2024, "items": [Item.as_json(), …]}.
    carried_over: Mapping[str, object] | None = None
    web_address: WebAddressEntry | None = None  # the web edition's address printed, and its setting
    input_version: int | None = None  # the version of the inputs it was built from (publish/input_versions.py)
    earlier_inputs: Mapping[str, int] | None = None  # earlier edition's year → the version compared with

    def as_json(self) -> RecordEntry:
        entry = RecordEntry(
            published_at=self.published_at,
            reason=self.reason,
            trigger=self.trigger,
            code_version=self.code_version,
            inputs_digest=self.inputs_digest,
            inputs=dict(self.inputs),
            pages=self.pages,
            warnings=list(self.warnings),
            erratum=[
                ChangeEntry(figure=c.figure, label=c.label, old=c.old, new=c.new, pages=list(c.pages))
                for c in self.erratum
            ],
            figures=dict(self.figures),
            basis=dict(self.basis),
            report=list(self.report),
        )
        if self.run_id:
            entry["run_id"] = self.run_id
        if self.carried_over is not None:
            entry["carried_over"] = dict(self.carried_over)
        if self.web_address is not None:
            entry["web_address"] = self.web_address
        if self.input_version is not None:
            entry["input_version"] = self.input_version
            entry["earlier_inputs"] = dict(self.earlier_inputs or {})
        return entry


def revision(decision: revisions.Decision, manifest: Manifest | None, edition: Edition, prepared: Prepared) -> Revision:
    """The revision about to be published, with every printed figure that changed since the latest
    publication (`manifest`: the published history)."""
    previous = revisions.latest(manifest)
    if previous is None:
        return Revision(decision.revision, decision.reason)
    names = dict(prepared.catalogue)
    labels = revisions.figure_labels(edition.tables, [*names, *previous["figures"]])
    changes = revisions.erratum(previous["figures"], names, labels)
    return Revision(
        decision.revision,
        decision.reason,
        tuple(Change(c["figure"], c["label"], c["old"], c["new"]) for c in changes),
        previous["revision"],
    )


def revision_record(
    revision: Revision,
    trigger: str,
    edition: Edition,
    prepared: Prepared,
    pages: int,
    published_at: dt.datetime,
    code_version: str,
    page_numbers: Mapping[str, int] | None = None,
    report: tuple[str, ...] = (),
    run_id: str = "",
    carried_over: Mapping[str, object] | None = None,
    web_address: WebAddressEntry | None = None,
    input_version: int | None = None,
    earlier_inputs: Mapping[str, int] | None = None,
) -> RevisionRecord:
    """The manifest's record of a revision: when, why, from which inputs and code, what it printed, and
    for each changed figure the pages it is printed on (`page_numbers`: the layout's id → page); the
    Prefect run that built it, what it carries over from an earlier edition, the web address it prints and
    the versions of the inputs it was built from."""
    checksums = edition.checksums
    texts = list(edition.texts.values())
    erratum = tuple(
        dataclasses.replace(
            c, pages=tuple(locations.pages(locations.figure_anchors(c.figure, texts), dict(page_numbers or {})))
        )
        for c in revision.erratum
    )
    return RevisionRecord(
        published_at=published_at.isoformat(timespec="seconds"),
        reason=revision.reason,
        trigger=trigger,
        code_version=code_version,
        inputs_digest=revisions.inputs_digest(checksums),
        inputs=checksums,
        pages=pages,
        warnings=tuple(f.message for f in prepared.report.warnings),
        erratum=erratum,
        figures=prepared.catalogue,
        # values first printed by this revision get its number; earlier ones keep theirs
        basis={
            name: BasisEntry(typed=e["typed"], sources=e["sources"], revision=e["revision"] or revision.number)
            for name, e in prepared.figures.basis.items()
        },
        report=report,
        run_id=run_id,
        carried_over=carried_over,
        web_address=web_address,
        input_version=input_version,
        earlier_inputs=earlier_inputs,
    )
