"""Property-based tests: whatever a user puts in an input file, the program answers with an InputError
(a located message), never with another exception; numbers survive formatting; shares add up.

Files are written in directories made once per module (Hypothesis forbids function-scoped fixtures
in @given tests), and every example rewrites the file it uses.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from flows import paths
from flows.edition.compute import catalogue as references
from flows.edition.compute import figures as compute
from flows.edition.contract import TABLES, RawTable, parse_table
from flows.edition.errors import InputError
from flows.edition.french import NBSP, UNIT_FACTORS, format_amount, parse_number, round_half_up, to_euros
from flows.edition.ingest import snapshot as ingest
from flows.edition.ingest.csv_cells import parse_csv_cells
from flows.edition.ingest.meta import parse_meta
from flows.edition.ingest.texts import parse_text
from flows.edition.ingest.xlsx_cells import parse_xlsx_cells
from flows.edition.validate import reconcile
from flows.edition.validate.missing import IncompleteEdition
from tests.conftest import REGION
from tests.helpers import csv_to_xlsx, input_file


def file_io(max_examples: int) -> settings:
    """Settings of a test that writes files: no per-example deadline (disk latency varies)."""
    return settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies ----------------------------------------------------------------------------------

# Characters that matter to the parsers (digits, spaces of all kinds, marks, signs, units, quotes,
# separators, line ends), so that random cells often come close to valid ones.
CELL_CHARS = "0123456789  \u00a0\u202f,.-+€kM%eElinotaAECP_;\"'\t\r\n\u2028é"
TOKENS = [
    "",
    "0",
    "1",
    "5",
    "6",
    "2,9",
    "2.9",
    "303 543 407",
    "1.234,5",
    "0,5",
    "-3",
    "1e3",
    "99999999999999999999",
    "line",
    "total",
    "AE",
    "CP",
    "€",
    "k€",
    "M€",
    "EUR",
    "%",
    "115 M€",
    "153,3 M€",
    "208 k€",
    "total-x",
    "p1-sat",
]
numbers = st.one_of(
    st.integers(0, 10**25).map(str),
    st.builds(
        lambda whole, sep, decimals: f"{whole}{sep}{decimals}",
        st.integers(0, 10**7),
        st.sampled_from(",."),
        st.text(alphabet="0123456789", min_size=1, max_size=200),
    ),
    st.builds(lambda n: f"{n:,}".replace(",", " "), st.integers(0, 10**22)),
)
cells = st.one_of(
    st.sampled_from(TOKENS),
    numbers,
    st.text(alphabet=CELL_CHARS, max_size=14),
    st.text(max_size=8),
)


# Cells likely to be valid for a column kind, so that whole tables often pass and reach the row rules.
LIKELY = {
    "slug": st.sampled_from(["total", "a", "b", "mission-2", "p1-sat"]),
    "text": st.text(min_size=1, max_size=10),
    "kind": st.sampled_from(["line", "line", "total"]),
    "budget": st.sampled_from(["AE", "CP"]),
    "unit": st.sampled_from(["€", "k€", "M€"]),
    "key_unit": st.sampled_from(["", "%", "€", "k€", "M€"]),
    "int": st.integers(0, 9).map(str),
    "amount": st.one_of(st.sampled_from(["", "0", "2,9", "303 543 407", "1.5"]), numbers),
    "pct": st.sampled_from(["", "0", "99,1", "100,0", "0,04"]),
    "number": st.sampled_from(["3 010", "26,3", "0"]),
    "headline": st.sampled_from(["115 M€", "208 k€", "0,5 €", "1 €"]),
}


def _csv_text(header: list[str], rows: list[list[str]], delimiter: str, quote_all: bool, newline: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@st.composite
def csv_files(draw) -> tuple[str, bytes]:
    """(table name, file bytes): raw bytes, or a CSV of the table's header with arbitrary cells."""
    name = draw(st.sampled_from(sorted(TABLES)))
    if draw(st.booleans()):
        return name, draw(st.binary(max_size=300))
    columns = TABLES[name].column_names
    header = draw(st.one_of(st.just(columns), st.lists(st.sampled_from([*columns, "", "amout", "x"]), max_size=8)))
    width = st.integers(0, len(header) + 1)
    rows = draw(st.lists(width.flatmap(lambda n: st.lists(cells, min_size=n, max_size=n)), max_size=6))
    text = _csv_text(
        header,
        rows,
        draw(st.sampled_from([";", ","])),
        draw(st.booleans()),
        draw(st.sampled_from(["\n", "\r\n", "\r"])),
    )
    if draw(st.booleans()):  # hand-edited files: raw text, quotes not escaped
        text = "\n".join(";".join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]))
    return name, text.encode(encoding, errors="replace")


@st.composite
def raw_tables(draw) -> RawTable:
    """A table as text cells, as CSV and XLSX readers hand it over: arbitrary header and cells."""
    spec = TABLES[draw(st.sampled_from(sorted(TABLES)))]
    columns = spec.column_names
    header = draw(
        st.one_of(
            st.permutations(columns),
            st.lists(st.sampled_from([*columns, " amount ", "", "x"]), max_size=len(columns) + 2),
        )
    )
    kinds = {c.name: c.kind for c in spec.columns}
    row = st.tuples(*(st.one_of(LIKELY[kinds.get(name.strip(), "text")], cells) for name in header)).map(list)
    rows = draw(st.lists(row, max_size=6))
    return RawTable(spec.name, f"{spec.name}.csv", list(header), rows, list(range(2, len(rows) + 2)))


# --- a private copy of the inputs, made once ------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(scope="module")
def inputs_copy_once(workdir) -> Path:
    target = workdir / "inputs"
    shutil.copytree(paths.INPUTS_DIR, target)
    return target


@pytest.fixture(scope="module")
def real_workbook(workdir) -> bytes:
    folder = workdir / "workbook"
    shutil.copytree(paths.INPUTS_DIR / REGION / "2024", folder)
    return csv_to_xlsx(folder).read_bytes()


# --- (a) any input gives a frame or an InputError -------------------------------------------------


@file_io(max_examples=400)
@given(case=csv_files())
def test_any_csv_file_reads_to_a_frame_or_an_input_error(case, workdir):
    name, data = case
    path = workdir / f"{name}.csv"
    path.write_bytes(data)
    try:
        frame = parse_table(parse_csv_cells(input_file(path), name), TABLES[name])
    except InputError as exc:
        assert exc.problems and all(p.file == path.name for p in exc.problems)
        str(exc)  # the message itself can be built
    else:
        assert isinstance(frame, pl.DataFrame) and frame.height > 0


@settings(max_examples=400, deadline=None)
@given(raw=raw_tables())
def test_any_text_cells_parse_to_a_frame_or_an_input_error(raw):
    try:
        frame = parse_table(raw, TABLES[raw.name])
    except InputError as exc:
        assert exc.problems
        str(exc)
    else:
        assert frame.height == len(raw.rows)


REAL_TABLES = {
    year: {p.stem: p.read_text(encoding="utf-8") for p in (paths.INPUTS_DIR / REGION / str(year)).glob("*.csv")}
    for year in (2018, 2024)
}


@st.composite
def edited_tables(draw) -> tuple[int, str, str]:
    """(year, table, new CSV text): a real table with a few cells replaced by arbitrary ones."""
    year = draw(st.sampled_from(sorted(REAL_TABLES)))
    name = draw(st.sampled_from(sorted(REAL_TABLES[year])))
    rows = [line.split(";") for line in REAL_TABLES[year][name].splitlines()]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(1, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) - 1))
        rows[row][column] = draw(cells).replace(";", "").replace('"', "").replace("\n", "").replace("\r", "")
    return year, name, "\n".join(";".join(row) for row in rows) + "\n"


@file_io(max_examples=150)
@given(edit=edited_tables())
def test_an_edited_real_table_is_validated_or_refused_with_an_input_error(edit, inputs_copy_once):
    """The whole check (ingest, references, reconciliations, texts) on a real edition with a few
    cells of one table changed: a report or an InputError, never another exception."""
    year, name, text = edit
    path = inputs_copy_once / REGION / str(year) / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    try:
        report = reconcile.validate(ingest.read_edition(inputs_copy_once, REGION, year))
    except IncompleteEdition as exc:  # an amount emptied: something still to type, on the to-do list
        assert exc.todo and "À compléter" in str(exc)
    except InputError as exc:
        assert exc.problems
        str(exc)
    else:
        assert report.checks > 0
    finally:
        path.write_text(REAL_TABLES[year][name], encoding="utf-8")


@file_io(max_examples=300)
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_workbook_give_tables_or_an_input_error(data, workdir):
    path = workdir / "figures.xlsx"
    path.write_bytes(data)
    try:
        parse_xlsx_cells(input_file(path, "figures.xlsx"))
    except InputError as exc:
        assert exc.problems


@file_io(max_examples=150)
@given(
    cut=st.floats(0, 1),
    patches=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=4),
)
def test_a_damaged_workbook_gives_tables_or_an_input_error(cut, patches, real_workbook, workdir):
    data = bytearray(real_workbook[: max(1, int(len(real_workbook) * (0.5 + cut / 2)))])
    for where, chunk in patches:
        start = int(where * (len(data) - 1))
        data[start : start + len(chunk)] = chunk
    path = workdir / "damaged.xlsx"
    path.write_bytes(bytes(data))
    try:
        tables = parse_xlsx_cells(input_file(path, "figures.xlsx"))
        for name, raw in tables.items():
            parse_table(raw, TABLES[name])
    except InputError as exc:
        assert exc.problems


sheet_values = st.one_of(
    cells.filter(lambda s: all(c >= " " or c == "\t" for c in s)),  # openpyxl refuses control characters
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.none(),
    st.sampled_from(["=1+1", "=SUM(A1:A2)"]),
)


@file_io(max_examples=150)
@given(
    name=st.sampled_from([*sorted(TABLES), "Feuil1", "_notes"]),
    header=st.booleans(),
    rows=st.lists(st.lists(sheet_values, max_size=8), max_size=5),
    number_format=st.sampled_from(["General", "0", "0.0", "#,##0.00", "0%", "@", "0.0E+00"]),
    merge=st.booleans(),
)
def test_any_sheet_cells_give_a_frame_or_an_input_error(name, header, rows, number_format, merge, workdir):
    book = Workbook()
    sheet = book.active
    sheet.title = name
    if header and name in TABLES:
        sheet.append(TABLES[name].column_names)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = number_format
    if merge:
        sheet.merge_cells("A2:B2")
    path = workdir / "generated.xlsx"
    book.save(path)
    try:
        tables = parse_xlsx_cells(input_file(path, "figures.xlsx"))
        for table, raw in tables.items():
            parse_table(raw, TABLES[table])
    except InputError as exc:
        assert exc.problems
        str(exc)


@file_io(max_examples=200)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda front, body: f"---\n{front}\n---\n{body}".encode(), st.text(max_size=60), st.text(max_size=40)
        ),
    )
)
def test_any_markdown_file_reads_to_a_text_or_an_input_error(data, workdir):
    path = workdir / "texte.md"
    path.write_bytes(data)
    try:
        text = parse_text(input_file(path, "texts/texte.md"), "texte")
    except InputError as exc:
        assert exc.problems
        str(exc)
    else:
        assert text.body_line >= 1


REAL_TOML = (paths.INPUTS_DIR / REGION / "2024" / "edition.toml").read_text(encoding="utf-8")
toml_values = st.one_of(
    st.sampled_from(
        ['"x"', "2024", '"2024"', "[]", '["a", 1]', "{}", "true", "1.5", '"../x.svg"', '"#00467f"', '"a\\u0000b"']
    ),
    st.text(max_size=20),
)


@file_io(max_examples=200)
@given(line=st.integers(0, len(REAL_TOML.splitlines()) - 1), value=toml_values, data=st.data())
def test_an_edited_edition_toml_reads_or_gives_an_input_error(line, value, data, workdir):
    lines = REAL_TOML.splitlines()
    key = lines[line].split("=")[0].strip() if "=" in lines[line] else data.draw(st.sampled_from(["logo", "brand"]))
    lines[line] = f"{key} = {value}"
    folder = workdir / REGION / "2024"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "edition.toml").write_text("\n".join(lines), encoding="utf-8")
    try:
        parse_meta(input_file(folder / "edition.toml", "edition.toml"), folder, workdir, REGION, 2024)
    except InputError as exc:
        assert exc.problems
        str(exc)


# --- (b) an amount printed then read back is the same amount ------------------------------------


@st.composite
def amounts(draw) -> tuple[int, str, int]:
    """(euros, unit, decimals) that the unit and decimals can express exactly."""
    unit = draw(st.sampled_from(sorted(UNIT_FACTORS)))
    decimals = draw(st.integers(0, len(str(UNIT_FACTORS[unit])) - 1))  # € 0, k€ up to 3, M€ up to 6
    steps = draw(st.integers(0, 10**12))
    return steps * UNIT_FACTORS[unit] // 10**decimals, unit, decimals


@settings(max_examples=500)
@given(amount=amounts())
def test_a_formatted_amount_parses_back_to_itself(amount):
    euros, unit, decimals = amount
    text = format_amount(euros, unit, decimals)
    assert text.endswith(f"{NBSP}{unit}")
    number, typed = parse_number(text.removesuffix(f"{NBSP}{unit}"))
    assert typed == decimals
    assert to_euros(number, unit) == euros


# --- (c) shares add up to the displayed total ----------------------------------------------------


@settings(max_examples=500)
@given(
    values=st.lists(st.integers(0, 10**10), min_size=1, max_size=30).filter(lambda v: sum(v) > 0),
    gap=st.integers(-5, 5),
)
def test_largest_remainder_shares_add_up_to_the_displayed_total_and_each_is_within_a_tenth(values, gap):
    base = sum(values) + gap  # a declared total may differ from its lines by a rounding gap
    assume(base > 0)
    frame = compute.with_shares(pl.DataFrame({"amount": values}), "amount", base, method=compute.LARGEST_REMAINDER)
    displayed_total = round_half_up(Decimal(sum(values)) * 100 / base, 1)
    shares = [Decimal(str(s)) for s in frame["share"]]
    assert sum(shares) == displayed_total
    if gap == 0:
        assert displayed_total == Decimal("100.0")
    for share, amount in zip(shares, values, strict=True):
        assert share == round_half_up(share, 1)  # one decimal
        assert abs(share - Decimal(amount) * 100 / base) <= Decimal("0.1")


@settings(max_examples=300)
@given(
    values=st.lists(st.integers(0, 10**10), min_size=1, max_size=30).filter(lambda v: sum(v) > 0),
    gap=st.integers(-5, 5),
)
def test_half_up_shares_are_what_a_reader_computes(values, gap):
    base = sum(values) + gap
    assume(base > 0)
    frame = compute.with_shares(pl.DataFrame({"amount": values}), "amount", base)
    shares = [Decimal(str(s)) for s in frame["share"]]
    for share, amount in zip(shares, values, strict=True):
        assert share == round_half_up(Decimal(amount) * 100 / base, 1)  # each share, as a reader divides


# --- (d) resolving figure names never fails ------------------------------------------------------

names = st.dictionaries(st.text(max_size=20), st.text(max_size=10), max_size=5)


@settings(max_examples=500)
@given(text=st.text(), known=names, first_line=st.integers(1, 1000))
def test_resolving_arbitrary_text_never_raises(text, known, first_line):
    resolved, problems = references.resolve(text, known, "texts/x.md", first_line)
    if "[[" not in text:
        assert resolved == text and problems == []
    for problem in problems:
        assert problem.line >= first_line
        str(problem)
    references.find_typed_amounts(text, "texts/x.md", first_line)


@settings(max_examples=300)
@given(
    before=st.text(alphabet=st.characters(blacklist_characters="[]")),
    after=st.text(alphabet=st.characters(blacklist_characters="[]")),
)
def test_a_known_name_is_replaced_by_its_figure(before, after):
    resolved, problems = references.resolve(
        f"{before}[[revenue.total]]{after}", {"revenue.total": "305 600 382 €"}, "x.md"
    )
    assert resolved == f"{before}305 600 382 €{after}" and problems == []
