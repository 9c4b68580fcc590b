"""The theme: tints derived from the primary keep its hue, and reproduce the hand-picked Hauts-de-France blues;
brand colours darkened for text reach AAA contrast and keep their hue."""

from __future__ import annotations

import math

import pytest

from flows.edition.theme import WHITE, Theme, _oklab, _rgb, contrast, mix, text_shade

HAUTS_DE_FRANCE = "#00467f"
# The tints the designers first picked by hand for #00467f, before they were derived.
HAND_PICKED = {"tint_light": "#eef3f8", "tint_border": "#c9d6e4", "chart_light": "#b9c9dc", "chart_mid": "#6f8fb3"}


def _channels(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _derived(theme: Theme) -> dict[str, str]:
    return {
        "tint_light": theme.tint_light,
        "tint_border": theme.tint_border,
        "chart_light": theme.chart.light,
        "chart_mid": theme.chart.mid,
    }


def test_mixing_with_white_runs_from_white_to_the_colour():
    assert mix("#2E7D32", WHITE, 0) == WHITE
    assert mix("#2E7D32", WHITE, 1) == "#2e7d32"
    assert mix(HAUTS_DE_FRANCE, WHITE, 0.5) == "#83a0c0"  # in OKLab; halfway in sRGB would be #80a3bf


def test_the_hauts_de_france_blue_gives_back_the_hand_picked_tints_to_one_unit_per_channel():
    derived = _derived(Theme.from_brand(HAUTS_DE_FRANCE, "#d4006e"))
    assert derived == {
        "tint_light": "#eff3f7",
        "tint_border": "#c9d6e4",
        "chart_light": "#b9c9dc",
        "chart_mid": "#6e8fb4",
    }
    for name, colour in derived.items():
        assert max(abs(a - b) for a, b in zip(_channels(colour), _channels(HAND_PICKED[name]), strict=True)) <= 1


@pytest.mark.parametrize("primary", ["#2e7d32", "#00467f", "#b71c1c"])
def test_tints_keep_the_primarys_hue_and_run_from_light_to_dark(primary):
    theme = Theme.from_brand(primary, "#d4006e")
    strongest = max(range(3), key=lambda i: _channels(primary)[i])
    lightest_to_darkest = [theme.tint_light, theme.tint_border, theme.chart.light, theme.chart.mid, primary]
    for colour in lightest_to_darkest[:-1]:
        channels = _channels(colour)
        assert max(range(3), key=lambda i: channels[i]) == strongest, colour  # a green brand gets green tints
    sums = [sum(_channels(c)) for c in lightest_to_darkest]
    assert sums == sorted(sums, reverse=True)
    assert theme.accent == "#d4006e" and theme.chart.primary == primary


def _hue(colour: str) -> float:
    """OKLab hue angle, in degrees."""
    _, a, b = _oklab(_rgb(colour))
    return math.degrees(math.atan2(b, a))


def test_the_agencys_magenta_as_text_reaches_aaa_on_white_and_on_the_light_tint():
    """#d4006e reads at 5.2:1 on white and 4.7:1 on the tint (#eff3f7): not AAA; its text shade reaches 7:1."""
    tint = Theme.from_brand(HAUTS_DE_FRANCE, "#d4006e").tint_light
    assert round(contrast("#d4006e", tint), 2) == 4.68
    shade = text_shade("#d4006e", (WHITE, tint))
    assert shade == "#a20053"
    assert round(contrast(shade, WHITE), 2) == 7.89 and round(contrast(shade, tint), 2) == 7.08
    assert text_shade(HAUTS_DE_FRANCE, (WHITE, tint)) == HAUTS_DE_FRANCE  # 9.6:1 and 8.6:1 already


@pytest.mark.parametrize(
    ("brand", "primary"),
    [
        ("#00467f", "#00467f"),
        ("#d4006e", "#00467f"),
        ("#7fd4ff", "#7fd4ff"),
        ("#ffcc00", "#2e7d32"),
        ("#2e7d32", "#2e7d32"),
    ],
)
def test_any_brand_colour_gets_a_text_shade_reaching_aaa_with_its_hue_and_no_darker_than_needed(brand, primary):
    backgrounds = (WHITE, Theme.from_brand(primary, brand).tint_light)
    shade = text_shade(brand, backgrounds)
    assert all(contrast(shade, background) >= 7 for background in backgrounds)
    if all(contrast(brand, background) >= 7 for background in backgrounds):
        assert shade == brand  # a brand that already reads is kept as it is
    else:
        assert abs(_hue(shade) - _hue(brand)) < 3  # darker, the same hue: a yellow brand gives a dark gold
        lighter = mix(shade, brand, 0.9)  # a little back towards the brand: no longer reads at 7:1
        assert min(contrast(lighter, background) for background in backgrounds) < 7
