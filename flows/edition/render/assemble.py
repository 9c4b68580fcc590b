"""Bind the laid-out page groups into one tagged PDF, and derive the archival copy from it (pikepdf).

Each group arrives as a PDF/UA-1 document of its own. Binding keeps what makes the whole brochure
accessible and navigable: one structure tree (the groups' elements under one `Document` element, the
parent tree renumbered), every named destination (so the sommaire's links reach other groups), one
outline nested across groups, and the document's language, title and XMP metadata.

The archival copy is the same PDF plus what PDF/A-3a asks for: an sRGB output intent, printable
annotations, the figure tables attached as associated files, and `pdfaid` in the XMP metadata.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from flows.edition.render.font_subsets import share_font_subsets
from flows.edition.render.footers import stamp as stamp_footers
from flows.edition.render.paginate import PageGroup
from flows.edition.wording import words

_ANNOTATION_PRINT = 4  # annotation flag "Print": PDF/A wants annotations printed as shown

# One outline entry: label, page index in the whole PDF, x, y, state ("open"/"closed"), its children.
_OutlineItem = tuple[str, int, float, float, str, list["_OutlineItem"]]


def merge(groups: list[PageGroup], font_dirs: Sequence[Path] = (), footers: PageGroup | None = None) -> bytes:
    """One PDF from the groups' PDFs, in order, each page's footer stamped from `footers` (render/footers.py);
    its file identifier derives from its content.

    Fonts found in `font_dirs` get one subset for the whole PDF instead of one per group.
    """
    out = pikepdf.new()
    tree_root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=tree_root, K=Array()))
    tree_root.K = Array([document])
    parent_tree: list[int | pikepdf.Object] = []
    next_key = 0
    destinations: dict[str, pikepdf.Object] = {}
    first_pages: list[int] = []
    sources = [pikepdf.open(io.BytesIO(group.pdf)) for group in groups]
    try:
        for group, source in zip(groups, sources, strict=True):
            first_pages.append(len(out.pages))
            with warnings.catch_warnings():  # named destinations are carried over below, by name
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(source.pages)
            pages = out.pages[first_pages[-1] :]
            source_root = source.Root.StructTreeRoot
            for element in out.copy_foreign(source_root.K[0]).K:
                element.P = document
                document.K.append(element)
            nums = source_root.ParentTree.Nums
            for index in range(0, len(nums), 2):
                parent_tree += [int(nums[index]) + next_key, _import(out, nums[index + 1])]
            for page in pages:
                page.obj.StructParents = int(page.obj.StructParents) + next_key
                for annotation in page.obj.get("/Annots", Array()):
                    if "/StructParent" in annotation:
                        annotation.StructParent = int(annotation.StructParent) + next_key
            next_key += max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1
            names = source.Root.get("/Names", Dictionary()).get("/Dests", Dictionary()).get("/Names", Array())
            for index in range(0, len(names), 2):
                name = str(names[index])
                if name not in group.stubs:
                    destinations.setdefault(name, _import(out, names[index + 1]))
        tree_root.ParentTree = out.make_indirect(Dictionary(Nums=Array(parent_tree)))
        tree_root.ParentTreeNextKey = next_key
        out.Root.StructTreeRoot = tree_root
        if destinations:
            flat = Array()
            for name in sorted(destinations, key=lambda n: n.encode("utf-8")):
                flat.extend([String(name), destinations[name]])
            out.Root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=flat)))
        _add_outline(out, groups, first_pages)
        if footers is not None:
            with pikepdf.open(io.BytesIO(footers.pdf)) as sheet:
                stamp_footers(out, sheet)
        share_font_subsets(out, list(font_dirs))
        first = sources[0]
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            if key in first.Root:
                out.Root[key] = _import(out, first.Root[key])
        out.Root.Metadata = out.copy_foreign(first.Root.Metadata)
        out.trailer.Info = out.copy_foreign(first.trailer.Info)
        buffer = io.BytesIO()
        # Objects packed into compressed object streams: the structure tree alone is thousands of objects.
        out.save(buffer, min_version="1.7", deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for source in sources:
            source.close()
    return buffer.getvalue()


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """Each anchor's page number in a bound brochure, from its named destinations (`merge` writes one per
    anchor): where an earlier revision laid out what a correction lays out again."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        numbers: dict[tuple[int, int], int] = {page.obj.objgen: index + 1 for index, page in enumerate(document.pages)}
        names = document.Root.get("/Names", Dictionary()).get("/Dests", Dictionary()).get("/Names", Array())
        found = {}
        for index in range(0, len(names) - 1, 2):
            target = names[index + 1]
            target = target.get("/D", target) if isinstance(target, Dictionary) else target
            if isinstance(target, Array) and len(target) and target[0].objgen in numbers:
                found[str(names[index])] = numbers[target[0].objgen]
        return found


def _import(out: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """Copy a value from another PDF: indirect objects through pikepdf (pages map to the copied pages)."""
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return out.copy_foreign(value)
    if isinstance(value, Array):
        return Array([_import(out, item) for item in value])
    if isinstance(value, Dictionary):
        return Dictionary({key: _import(out, item) for key, item in value.items()})
    return value


def _add_outline(out: pikepdf.Pdf, groups: list[PageGroup], first_pages: list[int]) -> None:
    """Nest the bookmarks of every group as WeasyPrint nests them within one document."""
    root: list[_OutlineItem] = []
    last_by_depth = [root]
    skipped: list[int] = []
    previous = 0
    for group, first in zip(groups, first_pages, strict=True):
        for level, label, index, x, y, state in group.bookmarks:
            if level > previous:
                skipped.append(level - previous - 1)
            else:
                temp = level
                while temp < previous:
                    temp += 1 + skipped.pop()
                if temp > previous:
                    skipped.append(temp - previous - 1)
            previous = level
            depth = level - sum(skipped)
            children: list[_OutlineItem] = []
            last_by_depth[depth - 1].append((label, first + index, x, y, state, children))
            del last_by_depth[depth:]
            last_by_depth.append(children)
    if not root:
        return
    outlines = out.make_indirect(Dictionary(Type=Name.Outlines))
    _write_outline_items(out, root, outlines)
    out.Root.Outlines = outlines


def _write_outline_items(out: pikepdf.Pdf, items: list[_OutlineItem], parent: pikepdf.Object) -> int:
    """Write sibling outline items under `parent`; return how many items are visible below it."""
    written: list[pikepdf.Object] = []
    visible = len(items)
    for label, page, x, y, state, children in items:
        item = out.make_indirect(
            Dictionary(Title=String(label), Parent=parent, Dest=Array([out.pages[page].obj, Name.XYZ, x, y, 0]))
        )
        if written:
            item.Prev = written[-1]
            written[-1].Next = item
        count = _write_outline_items(out, children, item) if children else 0
        item.Count = -count if state == "closed" else count
        if state != "closed":
            visible += count
        written.append(item)
    parent.First, parent.Last = written[0], written[-1]
    parent.Count = visible
    return visible


def archival_copy(published: bytes, attachments: list[tuple[str, bytes]], date: dt.datetime) -> bytes:
    """The published PDF made PDF/A-3a, with the edition's figure tables attached as its data."""
    with pikepdf.open(io.BytesIO(published)) as pdf:
        profile = pdf.make_stream(_srgb_profile(), N=3)
        pdf.Root.OutputIntents = Array(
            [
                Dictionary(
                    Type=Name.OutputIntent,
                    S=Name.GTS_PDFA1,
                    OutputConditionIdentifier=String("sRGB2014.icc"),
                    Info=String("sRGB2014.icc"),
                    DestOutputProfile=profile,
                )
            ]
        )
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", Array()):
                annotation.F = _ANNOTATION_PRINT
        specs = []
        for name, data in attachments:
            spec = pikepdf.AttachedFileSpec(
                pdf,
                data,
                description=words("pdf.piece_jointe_donnees", nom=name),
                filename=name,
                mime_type="text/csv",
                creation_date=_pdf_date(date),
                mod_date=_pdf_date(date),
                relationship=Name.Data,
            )
            pdf.attachments[name] = spec
            specs.append(spec.obj)
        if specs:
            pdf.Root.AF = Array(specs)
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
            # PDF/A accepts only XMP properties it knows or whose schema is declared: `pdfuaid` is neither
            if "pdfuaid:part" in xmp:
                del xmp["pdfuaid:part"]
            xmp["pdfaid:part"] = "3"
            xmp["pdfaid:conformance"] = "A"
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
    return fix_pdfa(buffer.getvalue())


def _pdf_date(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")


def _srgb_profile() -> bytes:
    """WeasyPrint's own sRGB profile, found without importing WeasyPrint."""
    spec = importlib.util.find_spec("weasyprint")
    assert spec is not None and spec.submodule_search_locations
    return (Path(next(iter(spec.submodule_search_locations))) / "pdf" / "sRGB2014.icc").read_bytes()


def fix_pdfa(pdf: bytes) -> bytes:
    """Mend the two PDF/A rules the archival copy would otherwise break.

    - PDFA3A-METADATA-FILTER-001: the XMP metadata stream must not be compressed.
    - PDFA3A-STREAM-LENGTH-001: a stream's /Length must match the bytes between `stream` and
      `endstream`. A stream whose last byte is a carriage return reads, to a validator, as ending one
      byte early (CR + the LF before `endstream` look like one end-of-line marker). Compressing again
      does not help: a zlib stream ends with the checksum of its data, whatever the level. Such a
      stream gets a RunLength layer on top of its filters: its bytes then end with the RunLength end
      marker (128). The object streams written while saving are checked in the saved file: if one
      ends with CR, the file is saved in another arrangement (linearized, then without object streams).
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.Root.Metadata
        metadata.write(metadata.read_bytes())  # written back without a filter
        for obj in document.objects:
            if not isinstance(obj, pikepdf.Stream) or obj.objgen == metadata.objgen:
                continue
            raw = obj.read_raw_bytes()
            if not raw.endswith(b"\r"):
                continue
            filter_obj, parms_obj = obj.get("/Filter"), obj.get("/DecodeParms")
            filters = [] if filter_obj is None else list(filter_obj) if isinstance(filter_obj, Array) else [filter_obj]
            parms = [] if parms_obj is None else list(parms_obj) if isinstance(parms_obj, Array) else [parms_obj]
            obj.write(
                _run_length(raw),
                # as Arrays, which is what pikepdf makes of lists (None: a filter without parameters)
                filter=Array([pikepdf.Name.RunLengthDecode, *filters]),
                decode_parms=Array([None, *parms]) if parms else None,
            )
        arrangements = (
            {"object_stream_mode": pikepdf.ObjectStreamMode.generate},
            {"object_stream_mode": pikepdf.ObjectStreamMode.generate, "linearize": True},
            {"object_stream_mode": pikepdf.ObjectStreamMode.disable},  # no stream is compressed while saving
        )
        for arrangement in arrangements:
            out = io.BytesIO()
            # stream_decode_level none: every stream is written as it is, the ones mended above included
            document.save(out, deterministic_id=True, stream_decode_level=pikepdf.StreamDecodeLevel.none, **arrangement)
            if b"\r\nendstream" not in out.getvalue():
                break
    return out.getvalue()


def _run_length(data: bytes) -> bytes:
    """RunLength-encode as literal runs of up to 128 bytes, then the end marker (128)."""
    out = bytearray()
    for start in range(0, len(data), 128):
        chunk = data[start : start + 128]
        out.append(len(chunk) - 1)
        out += chunk
    out.append(128)
    return bytes(out)
