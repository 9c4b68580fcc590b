"""The shape of `manifest.json`: an edition's revisions as the JSON file keeps them (typed for mypy,
plain dictionaries on disk and in the download page)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from flows.edition.compute.published import BasisEntry


class ChangeEntry(TypedDict, total=False):
    figure: str
    label: str
    old: str
    new: str
    pages: list[int]  # where the new value is printed (revisions recorded before pages were kept lack it)


class FileEntry(TypedDict):
    file: str  # relative to the edition's folder: revisions/r<N>/<name> (a name may hold a folder: web/index.html)
    sha256: str
    size: int


class WebAddressEntry(TypedDict):
    """The web edition's address a revision prints (validate/address.py) and the setting it comes from."""

    url: str | None  # None: no address printed (no setting gives a public one)
    setting: str  # "edition.toml, [publication] web_url", "FIR_PORTAL_URL", or "" when none is set


class RecordEntry(TypedDict):
    """What a revision says about itself (publish/record.py)."""

    published_at: str
    reason: str
    trigger: str
    code_version: str
    inputs_digest: str
    inputs: dict[str, str]  # input file (relative to inputs/) → SHA-256
    pages: int
    warnings: list[str]
    erratum: list[ChangeEntry]
    figures: dict[str, str]  # figure name → printed text
    basis: dict[str, BasisEntry]  # published values printed, with the amounts they were printed with
    report: NotRequired[list[str]]  # the validation report as `fir check` prints it (drafts' reviewers read it)
    run_id: NotRequired[str]  # the Prefect flow run that built it (the portal's run page links to its draft)
    carried_over: NotRequired[dict[str, object]]  # items carried over from an earlier edition, to confirm
    web_address: NotRequired[WebAddressEntry]  # printed on the back cover (the draft's page shows it)
    # The version of the edition's inputs it was built from (publish/input_versions.py), and of each earlier
    # edition's it compared with (year → version): `fir rebuild` reads them back from the store.
    input_version: NotRequired[int]
    earlier_inputs: NotRequired[dict[str, int]]


class SignOff(TypedDict, total=False):
    """Where a revision stands (publish/store.py): a draft until an approver publishes or rejects it.
    Revisions recorded before drafts existed, and manifest.json, lack these keys."""

    status: str  # draft, published, rejected
    launched_by: str  # who launched the build: an account, or the system user of the command line
    based_on: int | None  # the publication its erratum was computed against
    decided_by: str | None
    decided_at: str | None
    comment: str | None
    draft: FileEntry  # the pdf marked "PROJET — ne pas diffuser"


class RevisionEntry(RecordEntry, SignOff):
    """A revision: its record, its number, its two files and where it stands (publish/store.py)."""

    revision: int
    pdf: FileEntry
    archive: FileEntry
    print: NotRequired[FileEntry]  # the print shop's PDF/X file (staff only, never on the public page)
    web: NotRequired[FileEntry]  # the accessible web edition, one HTML page
    data: NotRequired[FileEntry]  # the open-data package (tables as CSV and XLSX, datapackage.json)


class Manifest(TypedDict):
    region: str
    region_name: str
    year: int
    revisions: list[RevisionEntry]


# The forms of a revision beyond the brochure and its archival copy; revisions built before a form existed
# lack it.
EXTRA_ROLES = ("print", "web", "data")


def files_of(entry: RevisionEntry) -> dict[str, FileEntry]:
    """A revision's files by role: "pdf" (published), "archive" (PDF/A-3), the other forms it was built
    with (EXTRA_ROLES) and, for a build made as a draft, "draft" (the marked copy reviewers read)."""
    files = {"pdf": entry["pdf"], "archive": entry["archive"]}
    for role in (*EXTRA_ROLES, "draft"):
        if role in entry:
            files[role] = entry[role]  # type: ignore[literal-required]
    return files


def name_in_revision(file: FileEntry) -> str:
    """The file's name within its revision's folder (`revisions/r3/web/index.html` → `web/index.html`):
    the current views use the same names at the edition's top."""
    return "/".join(file["file"].split("/")[2:])
