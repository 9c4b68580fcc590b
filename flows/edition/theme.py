"""The brochure's colours in one place: the edition's two brand colours and what is derived from them.

The tints are the primary mixed with white in OKLab, as CSS `color-mix(in oklab, <primary> p%, white)`
does: OKLab is perceptually even, so a tint keeps the primary's hue and a given share looks as light
for a green brand as for a blue one. The shares were solved so that the Hauts-de-France blue
(#00467f) gives back the tints the designers first picked by hand, to one unit per channel.

The same `Theme` feeds the stylesheet (CSS custom properties written by the template) and the charts,
so a green brand gets green boxes and green bars.
"""

from __future__ import annotations

from dataclasses import dataclass

WHITE = "#ffffff"
INK = "#1d1d1b"  # body text, chart outlines and labels: a warm black, the same for every brand
GRID = "#d9d9d9"  # chart grid lines: neutral, they must not compete with the bars

# Share of the primary in each tint (the rest is white); for #00467f → the colour in the comment.
LIGHT_SHARE = 0.062  # boxes, total rows, part openers: #eff3f7 (hand-picked #eef3f8)
BORDER_SHARE = 0.213  # table rules, action rules: #c9d6e4
CHART_LIGHT_SHARE = 0.2786  # second series, previous year: #b9c9dc
CHART_MID_SHARE = 0.5905  # third series: #6e8fb4 (hand-picked #6f8fb3)


@dataclass(frozen=True)
class ChartPalette:
    """The charts' colours. Derived from the primary alone: a new accent leaves the cached charts valid."""

    primary: str  # first series
    mid: str  # third series: between primary and light, so three series stay apart in greyscale
    light: str  # second series
    ink: str
    grid: str

    @classmethod
    def from_primary(cls, primary: str) -> ChartPalette:
        return cls(
            primary=primary,
            mid=mix(primary, WHITE, CHART_MID_SHARE),
            light=mix(primary, WHITE, CHART_LIGHT_SHARE),
            ink=INK,
            grid=GRID,
        )


@dataclass(frozen=True)
class Theme:
    """Brand colours, their tints and the chart palette of one edition."""

    primary: str
    accent: str
    tint_light: str  # backgrounds under text: dark text keeps its contrast
    tint_border: str  # thin rules between rows and beside actions
    ink: str
    chart: ChartPalette

    @classmethod
    def from_brand(cls, primary: str, accent: str) -> Theme:
        """The theme of an edition's `[brand]` colours (`#rrggbb`, checked when the edition is read)."""
        return cls(
            primary=primary,
            accent=accent,
            tint_light=mix(primary, WHITE, LIGHT_SHARE),
            tint_border=mix(primary, WHITE, BORDER_SHARE),
            ink=INK,
            chart=ChartPalette.from_primary(primary),
        )


# Print: the printer's inks are cyan, magenta, yellow and black, and WeasyPrint converts no colour, so the
# print file's binding writes the theme's colours in CMYK (percent of each ink; `press_plates` below)
# wherever the brochure draws them in RGB. The brand colours, given once here: the
# agency's blue and pink as the FOGRA39 profile renders them (relative colorimetric from sRGB, rounded).
Cmyk = tuple[int, int, int, int]
PROCESS_COLOURS: dict[str, Cmyk] = {"#00467f": (96, 61, 0, 35), "#d4006e": (0, 98, 11, 10)}
PRINT_INK: Cmyk = (0, 0, 0, 100)  # text in black ink alone: no colour fringe if the plates shift
PRINT_GREYS: dict[str, Cmyk] = {"#333": (0, 0, 0, 95), "#444": (0, 0, 0, 90), "#555": (0, 0, 0, 85)}  # secondary text
PAPER: Cmyk = (0, 0, 0, 0)


@dataclass(frozen=True)
class PrintColours:
    """The theme's colours in CMYK, for the print file. Tints are screens of the brand colour's inks (each
    ink at the tint's share), as a printer makes a tint: close to the screen's OKLab tints, not equal."""

    primary: Cmyk
    accent: Cmyk
    tint_light: Cmyk
    tint_border: Cmyk
    ink: Cmyk

    @classmethod
    def from_brand(cls, primary: str, accent: str) -> PrintColours:
        base = process_colour(primary)
        return cls(
            primary=base,
            accent=process_colour(accent),
            tint_light=screen(base, LIGHT_SHARE),
            tint_border=screen(base, BORDER_SHARE),
            ink=PRINT_INK,
        )


def press_plates(theme: Theme, colours: PrintColours) -> dict[tuple[int, int, int], Cmyk]:
    """The theme's colours as the brochure draws them (sRGB channels) → their CMYK values on the press: brand
    colours and tints, the text's ink, the greys of secondary text, white as the paper."""
    found = {
        WHITE: PAPER,
        **PRINT_GREYS,
        theme.tint_light: colours.tint_light,
        theme.tint_border: colours.tint_border,
        theme.ink: colours.ink,
        theme.accent: colours.accent,
        theme.primary: colours.primary,
    }
    return {channels(colour): cmyk for colour, cmyk in found.items()}


def process_colour(colour: str) -> Cmyk:
    """A brand colour in CMYK: the value given in PROCESS_COLOURS, else a naive conversion (no profile: add the
    printer's value to PROCESS_COLOURS for a new brand colour)."""
    if (given := PROCESS_COLOURS.get(colour.lower())) is not None:
        return given
    r, g, b = (channel / 255 for channel in channels(colour))
    k = 1 - max(r, g, b)
    if k >= 1:
        return (0, 0, 0, 100)
    c, m, y = ((1 - x - k) / (1 - k) for x in (r, g, b))
    return (round(c * 100), round(m * 100), round(y * 100), round(k * 100))


def screen(cmyk: Cmyk, share: float) -> Cmyk:
    """A tint of `cmyk`: every ink at `share` of its coverage."""
    c, m, y, k = (round(v * share) for v in cmyk)
    return (c, m, y, k)


AAA_TEXT = 7.0  # WCAG 2.1 AAA contrast ratio for normal text (1.4.6), what the web edition's text reaches


def text_shade(colour: str, backgrounds: tuple[str, ...] = (WHITE,), ratio: float = AAA_TEXT) -> str:
    """`colour` darkened just enough to be read as text on each of `backgrounds` at `ratio` (and to carry
    white text at that ratio when one of them is white): mixed with black in OKLab, as little as needed, so
    the brand keeps its hue; `colour` itself when it already reads. Any agency's brand colour gives one."""
    for step in range(0, 201):
        share = 1 - step / 200
        candidate = mix(colour, "#000000", share) if step else colour.lower()
        if all(contrast(candidate, background) >= ratio for background in backgrounds):
            return candidate
    return "#000000"


def luminance(colour: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""
    r, g, b = _rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two `#rrggbb` colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(colour: str, other: str, share: float) -> str:
    """`share` of `colour` and the rest of `other`, mixed in OKLab; `#rrggbb` in, lower-case `#rrggbb` out."""
    a, b = _oklab(_rgb(colour)), _oklab(_rgb(other))
    mixed = _vec3([share * x + (1 - share) * y for x, y in zip(a, b, strict=True)])
    return "#" + "".join(f"{_to_byte(_encode(c))}" for c in _linear_from_oklab(mixed))


def channels(colour: str) -> tuple[int, int, int]:
    """A colour's sRGB channels, 0…255, from `#rrggbb` or `#rgb`."""
    value = colour.removeprefix("#")
    if len(value) == 3:
        value = "".join(2 * digit for digit in value)
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return (red, green, blue)


def _rgb(colour: str) -> tuple[float, float, float]:
    """sRGB channels in 0…1, linearised."""
    return _vec3([_decode(channel / 255) for channel in channels(colour)])


def _decode(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _encode(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def _to_byte(c: float) -> str:
    return f"{int(c * 255 + 0.5):02x}"


# Björn Ottosson's OKLab (2020): linear sRGB → LMS cone responses → cube root → Lab.
_RGB_TO_LMS = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
_LMS_TO_LAB = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)
_LAB_TO_LMS = (
    (1.0, 0.3963377774, 0.2158037573),
    (1.0, -0.1055613458, -0.0638541728),
    (1.0, -0.0894841775, -1.2914855480),
)
_LMS_TO_RGB = (
    (4.0767416621, -3.3077115913, 0.2309699292),
    (-1.2684380046, 2.6097574011, -0.3413193965),
    (-0.0041960863, -0.7034186147, 1.7076147010),
)


Matrix = tuple[tuple[float, float, float], ...]


def _vec3(values: list[float]) -> tuple[float, float, float]:
    x, y, z = values
    return x, y, z


def _apply(matrix: Matrix, vector: tuple[float, float, float]) -> tuple[float, float, float]:
    return _vec3([sum(m * v for m, v in zip(row, vector, strict=True)) for row in matrix])


def _oklab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    return _apply(_LMS_TO_LAB, _vec3([c ** (1 / 3) for c in _apply(_RGB_TO_LMS, rgb)]))


def _linear_from_oklab(lab: tuple[float, float, float]) -> tuple[float, float, float]:
    return _apply(_LMS_TO_RGB, _vec3([c**3 for c in _apply(_LAB_TO_LMS, lab)]))
