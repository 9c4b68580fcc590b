"""The theme: tints derived from the primary keep its hue, and reproduce the hand-picked Hauts-de-France blues."""

from __future__ import annotations

import pytest

from flows.edition.theme import WHITE, Theme, mix

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
