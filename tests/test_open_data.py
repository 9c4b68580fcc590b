"""The open-data package: valid for the `frictionless` library, its tables equal to the brochure's figures
(the published seeds, the brochure's own tables, the PDF), the XLSX equal to the CSV, the same bytes for
the same inputs; and, built for real, stored with the draft, public only once approved."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from flows import paths
from flows.edition.ingest.snapshot import Snapshot, read_snapshot
from flows.edition.opendata.package import edition_package
from flows.edition.opendata.tables import printed_value
from flows.edition.prepare import Prepared, prepare
from flows.portal.web import create_app
from tests.conftest import REGION
from tests.helpers import SEEDS, approve_draft, brochure_html, fir_build

SEED_2024 = SEEDS / "001_9a348408cb204dc1.txt"
SEED_2018 = SEEDS / "000_665bac0c31600715.txt"
BUILT_AT = dt.datetime(2025, 3, 15, 6, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(scope="module")
def prepared() -> dict[int, tuple[Snapshot, Prepared]]:
    found = {}
    for year in (2018, 2024):
        snapshot = read_snapshot(paths.INPUTS_DIR, REGION, year)
        found[year] = (snapshot, prepare(snapshot))
    return found


@pytest.fixture(scope="module")
def packages(prepared) -> dict[int, bytes]:
    return {year: edition_package(s.edition, p, 1, BUILT_AT) for year, (s, p) in prepared.items()}


def _extract(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder / "datapackage.json"


def _tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    """Every CSV table of a package, as rows of text cells."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            Path(name).stem: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
            if name.endswith(".csv")
        }


def _by(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in rows}


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_package_validates_with_frictionless(packages, year, tmp_path):
    from frictionless import validate

    descriptor = _extract(packages[year], tmp_path)
    report = validate(str(descriptor))
    assert report.valid, report.flatten(["title", "message"])
    assert report.errors == [] and all(task.valid and not task.errors for task in report.tasks)
    meta = json.loads(descriptor.read_text(encoding="utf-8"))
    assert meta["licenses"] == [
        {
            "name": "etalab-2.0",
            "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "title": "Licence Ouverte 2.0",
        }
    ]
    assert meta["created"] == "2025-03-15T06:00:00+01:00"  # the revision's record, not the time of the test
    assert meta["sources"][0]["title"] == "Agence régionale de santé Hauts-de-France"
    # a CSV resource and a sheet of the workbook per table, each validated row by row against its schema
    names = [r["name"] for r in meta["resources"]]
    tables = [n for n in names if not n.endswith("-xlsx")]
    assert names == tables + [f"{n}-xlsx" for n in tables]
    rows = {t.name: t.stats["rows"] for t in report.tasks}
    assert rows["printed_figures"] == rows["printed_figures-xlsx"] == len(_tables(packages[year])["printed_figures"])
    for resource in meta["resources"]:
        for field in resource["schema"]["fields"]:
            assert field["title"] and field["description"] and field["type"] in ("string", "integer", "number")
            if field["type"] == "integer" and field["name"] not in ("mission", "year", "position"):
                assert field["unit"] == "EUR", (resource["name"], field)


def test_2024_tables_equal_the_published_brochure(packages):
    """The seed's thematic table line by line, and the figures of its "en chiffres" text."""
    tables = _tables(packages[2024])
    seed = SEED_2024.read_text(encoding="utf-8")
    lines = re.findall(r"^\| ([^|<]+?)\s+\| ([\d ]+) €\s+\| ([\d,]+)%\s+\|$", seed, re.M)
    assert len(lines) == 25
    thematics = _by(tables["thematics"], "label")
    for label, amount, share in lines:
        assert int(thematics[label]["amount"]) == int(amount.replace(" ", ""))
        assert Decimal(thematics[label]["share_pct"]) == Decimal(share.replace(",", "."))
    total = _by(tables["thematics"], "thematic_id")["total"]
    assert (total["kind"], total["amount"], Decimal(total["share_pct"])) == ("total", "538736879", 100)
    assert _by(tables["thematics"], "thematic_id")["investissements"]["headline"] == "153300000"  # « 153,3 M€ »
    assert "**522,2 M€** dont **517,1 M€**" in seed and "**5,1 M€**" in seed
    revenue = _by(tables["revenue"], "line_id")
    assert [revenue[k]["final"] for k in ("total", "delegations-nationales", "titres-de-recettes")] == [
        "522200000",
        "517100000",
        "5100000",
    ]
    assert revenue["total"]["unit"] == "M€"
    assert "**536,9 M€** en AE et **538,7 M€** en CP" in seed and "99,9 %" in seed and "99,8%" in seed
    execution = _by(tables["execution"], "budget")
    assert (execution["AE"]["executed"], execution["AE"]["rate_pct"]) == ("536900000", "99.9")
    assert (execution["CP"]["executed"], execution["CP"]["rate_pct"]) == ("538700000", "99.8")
    natures = _by(tables["cp_by_nature"], "nature_id")
    assert (natures["commande-publique"]["amount"], natures["operateurs"]["amount"]) == ("3000000", "535700000")
    assert _by(tables["revenue_priorities"], "item_id")["qpv"]["amount"] == "6700000"
    # the comparison with 2018: 305 600 382 € then 522,2 M€
    history = _by(tables["history"], "year")
    assert (history["2018"]["revenue"], history["2024"]["revenue"]) == ("305600382", "522200000")
    assert history["2024"]["revenue_delta"] == str(522_200_000 - 305_600_382)


def test_2018_tables_equal_the_published_brochure(packages):
    tables = _tables(packages[2018])
    seed = SEED_2018.read_text(encoding="utf-8")
    assert "303 543 407 €, soit un taux de consom-\nmation total de 99,1 %" in seed
    assert "305 600 382 €, en hausse de 1,84 %" in seed
    execution = _by(tables["execution"], "budget")
    assert (execution["AE"]["executed"], execution["AE"]["rate_pct"]) == ("303543407", "99.1")
    assert (execution["CP"]["executed"], execution["CP"]["rate_pct"]) == ("306620703", "99.5")
    total = _by(tables["revenue"], "line_id")["total"]
    assert (total["previous_year"], total["final"]) == ("300068674", "305600382")
    printed = _by(tables["printed_figures"], "name")
    assert (printed["revenue.growth"]["printed"], printed["revenue.growth"]["value"]) == ("+1,84\u00a0%", "1.84")
    stages = _by(tables["revenue_stages"], "stage")
    assert (stages["final"]["amount"], stages["final"]["delta"]) == ("305600382", str(305_600_382 - 304_053_570))
    # the missions of the seed's chart, AE then CP, and their shares of the AE and CP executed
    ae = "45 022 026     75 670 273     83 576 684     99 045 234      229 191"
    cp = "43 721 399     79 854 978     83 813 575     98 995 487      235 264"
    assert ae in seed and cp in seed
    missions = tables["missions"]
    assert [int(m["ae"]) for m in missions] == [int(x.replace(" ", "")) for x in re.split(r"\s{2,}", ae)]
    assert [int(m["cp"]) for m in missions] == [int(x.replace(" ", "")) for x in re.split(r"\s{2,}", cp)]
    assert [m["ae_share"] for m in missions] == ["14.8", "24.9", "27.5", "32.6", "0.1"]
    assert sum(Decimal(m["ae_share"]) for m in missions) == Decimal("99.9")  # each rounded on its own, as printed


@pytest.mark.parametrize("year", [2018, 2024])
def test_every_figure_of_the_en_chiffres_tables_is_in_the_package(prepared, packages, year):
    """Each number cell of the brochure's "en chiffres" tables (its HTML, from the same prepare) is a value
    of the package, in euros or in %; and `printed_figures` is the brochure's catalogue, text for text."""
    snapshot, ready = prepared[year]
    tables = _tables(packages[year])
    values: set[tuple[Decimal, str]] = set()
    for name, rows in tables.items():
        for row in rows:
            for column, text in row.items():
                if re.fullmatch(r"-?\d+(\.\d+)?", text or ""):
                    unit = "%" if column.endswith(("_pct", "_share")) else "EUR"
                    values.add((Decimal(text), "" if name == "key_figures" else unit))
    document = brochure_html(snapshot.edition)
    chiffres = document[document.index('id="en-chiffres"') :]
    cells = [html.unescape(c) for c in re.findall(r'<td class="num">([^<]*)</td>', chiffres)]
    assert len(cells) > 20
    for cell in cells:
        if cell in ("", "100,0\u00a0%"):  # the shares' total, a constant of the layout
            continue
        value, unit = printed_value(cell)
        if value is None:  # a bound, `< 0,01 %`: the share itself is in the table
            continue
        assert (abs(value), unit) in {(abs(v), u) for v, u in values}, cell
    printed = {r["name"]: r["printed"] for r in tables["printed_figures"]}
    assert printed == dict(ready.catalogue)


@pytest.mark.parametrize("year", [2018, 2024])
def test_the_workbook_holds_the_same_tables_as_the_csv_files(packages, year):
    data = packages[year]
    tables = _tables(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = load_workbook(io.BytesIO(archive.read(f"fir-{REGION}-{year}-donnees.xlsx")), read_only=True)
    assert workbook.sheetnames == list(tables)
    for name, rows in tables.items():
        sheet = list(workbook[name].iter_rows(values_only=True))
        assert list(sheet[0]) == list(rows[0])
        for cells, row in zip(sheet[1:], rows, strict=True):
            for cell, text in zip(cells, row.values(), strict=True):
                if cell is None:
                    assert text == ""
                elif isinstance(cell, (int, float)):
                    assert Decimal(str(cell)) == Decimal(text), (name, cell, text)
                else:
                    assert cell == text


def test_same_inputs_give_the_same_bytes(prepared, packages):
    snapshot, ready = prepared[2024]
    again = edition_package(snapshot.edition, ready, 1, BUILT_AT)
    assert again == packages[2024]
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "datapackage.json"
        assert {i.date_time for i in infos} == {(2025, 3, 15, 6, 0, 0)}
    later = edition_package(snapshot.edition, ready, 2, BUILT_AT + dt.timedelta(days=1))
    assert later != again and b'"version": "2024.2"' in zipfile.ZipFile(io.BytesIO(later)).read("datapackage.json")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("522,2\u00a0M€", Decimal("522200000"), "EUR"),
        ("645\u00a0k€", Decimal("645000"), "EUR"),
        ("303\u202f543\u202f407\u00a0€", Decimal("303543407"), "EUR"),
        ("+1,84\u00a0%", Decimal("1.84"), "%"),
        ("−3\u202f752\u202f723\u00a0€", Decimal("-3752723"), "EUR"),
        ("<\u00a00,01\u00a0%", None, "%"),
        ("3\u202f010", Decimal("3010"), ""),
    ],
)
def test_printed_values(text, value, unit):
    assert printed_value(text) == (value, unit)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def test_a_published_revision_serves_its_package_and_a_draft_does_not(tmp_path):
    """One real build: the draft holds its package but nothing public shows it; once approved it is in
    outputs/ (current view and revisions/r1/), in manifest.json, listed and served with the same bytes."""
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    run = fir_build(2024, outputs, inputs, approve=False)
    assert "révision 1" in run.stdout
    folder = outputs / REGION / "2024"
    name = f"fir-{REGION}-2024-donnees.zip"
    client = TestClient(create_app(outputs))
    assert not (folder / name).exists()
    assert "Données ouvertes" not in client.get("/").text
    assert client.get(f"/download/{REGION}/2024/1/data").status_code == 404

    approve_draft(REGION, 2024, 1, outputs)
    client = TestClient(create_app(outputs))
    data = (folder / name).read_bytes()
    assert (folder / "revisions" / "r1" / name).read_bytes() == data
    [entry] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["revisions"]
    assert entry["data"]["file"] == f"revisions/r1/{name}" and entry["data"]["size"] == len(data)
    page = client.get("/").text
    assert "Données ouvertes (CSV,\u00a0XLSX)" in html.unescape(page)
    assert f'href="/download/{REGION}/2024/1/data"' in page
    served = client.get(f"/download/{REGION}/2024/1/data")
    assert served.status_code == 200 and served.headers["content-type"] == "application/zip"
    assert "FIR-2024-Hauts-de-France-r1-donnees.zip" in served.headers["content-disposition"]
    assert served.content == data
    # the package built by the flow: dated by the revision's record, its figures those of the printed PDF
    meta = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("datapackage.json"))
    assert meta["created"] == entry["published_at"]
    pdf = subprocess.run(["pdftotext", str(folder / f"fir-{REGION}-2024.pdf"), "-"], capture_output=True, text=True)
    text = _plain(pdf.stdout)
    tables = _tables(data)
    printed = _by(tables["printed_figures"], "name")
    for figure in ("revenue.total", "thematics.investissements", "thematics.total", "execution.CP"):
        assert _plain(printed[figure]["printed"]) in text, figure
    investments = _by(tables["thematics"], "thematic_id")["investissements"]
    assert "153 285 611 € 28,5 %" in text and (investments["amount"], investments["share_pct"]) == ("153285611", "28.5")
