"""The charts of the real editions: drawn from their own data, alternative text with the figures shown, SVG
whose text stays text (French number formats), at their print width."""

from __future__ import annotations

import re

import polars as pl
import pytest

from flows import paths
from flows.edition.charts import data as chart_data
from flows.edition.charts import draw as charts
from flows.edition.charts import svg
from flows.edition.ingest import snapshot as ingest
from flows.edition.prepare import prepare
from tests.conftest import REGION

NNBSP, NBSP = "\u202f", "\u00a0"
CM_TO_PT = 72 / 2.54


def _fr(text: str) -> str:
    """Figures written `153,3 M€` in the tests, with a plain space before the unit: the French spaces."""
    return re.sub(r" (?=(?:€|k€|M€|%))", NBSP, text.replace("_", NNBSP))


@pytest.fixture(scope="module")
def chart_inputs() -> dict[str, tuple[pl.DataFrame, str, str | None]]:
    """The data and colour of every chart of the 2018 and 2024 editions (each key once)."""
    result = {}
    for year in (2018, 2024):
        snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, year)
        meta = snapshot.edition.meta
        for key, data in chart_data.chart_data(prepare(snapshot).figures):
            result[key] = (data, meta.primary)
    return result


@pytest.fixture(scope="module")
def drawn(chart_inputs) -> dict[str, tuple[charts.Chart, str]]:
    """Every chart, built and drawn once as the flow does, and its SVG."""
    svg.register_fonts(paths.FONTS_DIR)
    result = {}
    for key, (data, primary) in chart_inputs.items():
        chart = charts.build(key, data, primary)
        result[key] = (chart, svg.chart_svg(chart))
    return result


def test_the_two_editions_have_every_kind_of_chart(drawn):
    assert set(drawn) == {"revenue-stages", "missions", "thematics", "thematic-subset", "history"}
    assert {key: chart.key for key, (chart, _) in drawn.items()} == {key: key for key in drawn}


@pytest.mark.parametrize(
    ("key", "width_cm", "alt"),
    [
        (
            "revenue-stages",
            15,
            [
                "Graphique en barres du total des recettes à chaque étape budgétaire : ",
                "Recettes 2017 300,1 M€; BR1 2018 299,3 M€; BR2 2018 303,1 M€; BR3 2018 304,1 M€; ",
                "BR3 2018 304,1 M€; Recettes 2018 305,6 M€.",
            ],
        ),
        (
            "missions",
            17,
            [
                "Graphique en barres groupées des AE et CP par mission. ",
                "Mission 4 : AE 99 M€ (32,6 %), CP 99 M€ (32,3 %)",
                "Mission 2 : AE 75,7 M€ (24,9 %), CP 79,9 M€ (26,0 %)",
                "Mission 5 : AE 229 k€ (0,1 %), CP 235 k€ (0,1 %).",
            ],
        ),
        (
            "thematics",
            17,
            [
                "25 thématiques classées par montant",
                "Les plus importantes : Investissements en ES et ESMS 153,3 M€ (28,5 %); "
                "Permanence des soins et accès aux soins non programmés 115 M€ (21,4 %)",
            ],
        ),
        (
            "thematic-subset",
            17,
            [
                "23 thématiques classées par montant",
                "Accès aux soins des personnes en situation de vulnérabilité économique et sociale 41,1 M€ (15,2 %)",
            ],
        ),
        (
            "history",
            16,
            ["2018 : recettes 305,6 M€, AE 303,5 M€, CP 306,6 M€; 2024 : recettes 522,2 M€, AE 536,9 M€, CP 538,7 M€."],
        ),
    ],
)
def test_each_chart_has_its_print_width_and_alternative_text_from_its_data(drawn, key, width_cm, alt):
    chart, _ = drawn[key]
    assert chart.width_cm == width_cm
    for part in alt:
        assert _fr(part) in chart.alt, chart.alt


def test_the_thematic_chart_is_tall_enough_for_its_25_bars(drawn):
    # 5,8 mm a bar: two-line labels still clear of each other, and the chart follows the end of its table on
    # one page (issue 23); the stages chart fills what the spending leaves of its page (2018)
    assert drawn["thematics"][0].height_cm == pytest.approx(0.58 * 25 + 1.2)
    assert drawn["revenue-stages"][0].height_cm == 9.5


@pytest.mark.parametrize("key", ["revenue-stages", "missions", "thematics", "thematic-subset", "history"])
def test_the_svg_keeps_text_as_text_in_inter_within_the_print_width(drawn, key):
    chart, svg = drawn[key]
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert len(texts) >= 10, texts
    assert "<use " not in svg and 'id="glyph' not in svg  # no letter drawn as a path
    assert "font-family: 'Inter'" in svg
    assert any(t.endswith(f"{NNBSP}M€") for t in texts)  # axis ticks: 100 M€ with a narrow no-break space
    width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg).group(1))
    assert 0.8 * chart.width_cm * CM_TO_PT <= width <= chart.width_cm * CM_TO_PT * 1.01


@pytest.mark.parametrize(
    ("key", "labels"),
    [
        ("thematics", ["153,3 M€ · 28,5 %", "208 k€ · 0,04 %", "Investissements en ES et ESMS"]),
        ("missions", ["75,7", "79,9", "Mission 2"]),
        ("revenue-stages", ["305,6 M€", "Recettes 2018", "BR1 2018"]),
        ("history", ["522,2 M€", "305,6 M€", "2024"]),
    ],
)
def test_the_values_written_on_the_bars_are_the_figures_in_french(drawn, key, labels):
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", drawn[key][1])
    for label in labels:
        assert _fr(label) in texts, (label, texts)


@pytest.mark.parametrize("key", ["missions", "history"])
def test_the_same_data_gives_the_same_svg(chart_inputs, drawn, key):
    """What lets the chart cache and the PDF checksums hold. (A chart is built for each drawing: drawing
    one plotnine plot a second time moves some coordinates by 1e-6 pt.)"""
    data, primary = chart_inputs[key]
    assert svg.chart_svg(charts.build(key, data.clone(), primary)) == drawn[key][1]


def test_an_unknown_chart_key_is_refused():
    with pytest.raises(KeyError):
        charts.build("camembert", pl.DataFrame(), "#00467f")
