"""French number formats for everything a reader sees, and the parser of typed-in amounts.

Conventions (CLDR `fr`, as printed by the agency): narrow no-break space (U+202F) between thousands,
decimal comma, a no-break space (U+00A0) before `€`, `k€`, `M€` and `%`. Rounding is half-up, the
way a reader rounds by hand (Python's default half-even would print 0,125 as 0,12).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

PARIS = ZoneInfo("Europe/Paris")  # the agency's time: every moment shown to the staff is said in it
NNBSP = "\u202f"  # thousands separator
NBSP = "\u00a0"  # before units and %

UNIT_FACTORS: dict[str, int] = {"€": 1, "k€": 1_000, "M€": 1_000_000}

_NUMBER = re.compile(r"^(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d+))?$")


def round_half_up(value: Decimal | int | float, decimals: int) -> Decimal:
    """`value` rounded to `decimals` places, halves away from zero."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value: Decimal | int | float, decimals: int = 0) -> str:
    """`1234567.891` → `1 234 567,9` (with decimals=1)."""
    rounded = round_half_up(value, decimals)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(rounded, format=pattern, locale="fr", decimal_quantization=False)


def format_eur(euros: int) -> str:
    """Whole euros: `303543407` → `303 543 407 €`."""
    return f"{format_number(euros)}{NBSP}€"


def format_amount(euros: int, unit: str = "€", decimals: int = 0) -> str:
    """An amount at the precision it is published with: `(2_900_000, "M€", 1)` → `2,9 M€`."""
    value = Decimal(euros) / UNIT_FACTORS[unit]
    return f"{format_number(value, decimals)}{NBSP}{unit}"


def compact_parts(euros: int, decimals: int = 1) -> tuple[int, str, int]:
    """How an amount is rounded for headings and chart labels: (rounded euros, unit, decimals).

    M€ with one decimal from a million, whole k€ from a thousand; a trailing `,0` is dropped
    (`9 M€`, not `9,0 M€`), as the agency prints it.
    """
    if abs(euros) >= 1_000_000:
        unit = "M€"
    elif abs(euros) >= 1_000:
        unit, decimals = "k€", 0
    else:
        return euros, "€", 0
    value = round_half_up(Decimal(euros) / UNIT_FACTORS[unit], decimals)
    if value == value.to_integral_value():
        decimals = 0
    return int(value * UNIT_FACTORS[unit]), unit, decimals


def format_compact(euros: int, decimals: int = 1) -> str:
    """A rounded amount for headings and chart labels: `153285611` → `153,3 M€`, `208058` → `208 k€`."""
    return format_amount(*compact_parts(euros, decimals))


def format_pct(value: float | Decimal, decimals: int = 1, signed: bool = False) -> str:
    """A percentage given in percent: `99.08` → `99,1 %`; signed: `1.8435` → `+1,84 %`."""
    text = format_number(abs(Decimal(str(value))), decimals)
    sign = ""
    if signed and round_half_up(value, decimals) != 0:
        sign = "+" if value > 0 else "−"
    elif value < 0 and round_half_up(value, decimals) != 0:
        sign = "−"
    return f"{sign}{text}{NBSP}%"


def format_share(value: float | Decimal, decimals: int = 1, exact: float | None = None, prose: bool = False) -> str:
    """A share as a reader can check it: `21,4 %`. A non-zero share below the smallest step a brochure
    prints (two decimals, as `0,04 %`) is `< 0,01 %` — `moins de 0,01 %` in a sentence — never `0,0 %`."""
    if exact is not None and exact > 0 and round_half_up(exact, 2) == 0:
        return f"moins de 0,01{NBSP}%" if prose else f"<{NBSP}0,01{NBSP}%"
    return format_pct(value, decimals)


def format_signed_amount(euros: int, unit: str = "€", decimals: int = 0) -> str:
    """A variance in the unit of the amounts it is between: `+15,7 M€` beside amounts in M€, `+3 752 723 €`."""
    sign = "+" if euros > 0 else "−" if euros < 0 else ""
    return f"{sign}{format_amount(abs(euros), unit, decimals)}"


def format_signed_eur(euros: int) -> str:
    """A variance in euros: `+3 752 723 €`, `−12 €`, `0 €`."""
    sign = "+" if euros > 0 else "−" if euros < 0 else ""
    return f"{sign}{format_eur(abs(euros))}"


def parse_number(text: str) -> tuple[Decimal, int]:
    """Parse a typed-in non-negative number; return it with the number of decimals typed.

    Accepts `303 543 407` (plain, no-break or narrow no-break spaces between thousands),
    `2,9` or `2.9`. Raises ValueError for anything else (signs, currency symbols, letters).
    """
    cleaned = text.strip()
    match = _NUMBER.match(cleaned)
    if not match:
        raise ValueError(text)
    decimals = len(match.group(1) or "")
    digits = re.sub(r"[ \u00a0\u202f]", "", cleaned).replace(",", ".")
    return Decimal(digits), decimals


def to_euros(value: Decimal, unit: str) -> int:
    """`Decimal("2.9")`, `"M€"` → `2900000`; raises ValueError when not a whole number of euros."""
    euros = value * UNIT_FACTORS[unit]
    if euros != euros.to_integral_value():
        raise ValueError(f"{value} {unit}")
    return int(euros)


def format_size(n: int) -> str:
    """A file size as a reader sees it: `1,4 Mo`, `350 Ko`."""
    if n >= 1024**3:
        return f"{format_number(n / 1024**3, 1)}\u00a0Go"
    if n >= 1024 * 1024:
        return f"{format_number(n / 1024 / 1024, 1)}\u00a0Mo"
    return f"{format_number(n / 1024)}\u00a0Ko"


def format_time(moment: str | dt.datetime | None, seconds: bool = False) -> str:
    """A moment as the staff read it, in Paris time, one format everywhere (portal, audit log and its CSV,
    command line): `2026-12-06T17:12:05+00:00` → `06/12/2026 à 18:12` (`… à 18:12:05` with `seconds`, for
    the audit log, where the order of events within a minute matters). Moments are stored in UTC with their
    offset; one without (older records) is taken as UTC. Empty for none."""
    if moment is None or moment == "":
        return ""
    when = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return f"{when.astimezone(PARIS):%d/%m/%Y à %H:%M{':%S' if seconds else ''}}"


def count_of(n: int, singular: str, plural: str | None = None) -> str:
    """`1 montant`, `3 montants`, `0 texte` (French puts 0 and 1 in the singular), `2 tableaux` with `plural`."""
    return f"{n} {singular if n < 2 else plural or singular + 's'}"


def format_seconds(seconds: float, decimals: int = 1) -> str:
    """A duration told to a person: `21.94` → `21,9 s` (the `--timings` JSON keeps plain numbers)."""
    return f"{format_number(seconds, decimals)}{NBSP}s"


_LETTERS = re.compile(r"[^\W\d_]+")  # a run of letters: a word, or one part of `ARS-AREFIE` or `l'ARS`


def is_acronym(word: str) -> bool:
    """`ES`, `ESMS`, `CPTS`: two capitals or more and no small letter, a word whose case is its meaning."""
    return len(word) >= 2 and word.isupper()


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: its first letter in lower case unless its first word is an
    acronym, and every other letter as typed (`Investissements en ES et ESMS` → `investissements en ES
    et ESMS`). A proper noun (`Île-de-France`) needs the label's typed in-sentence form instead."""
    first = _LETTERS.search(label)
    if first is None or is_acronym(first.group()):
        return label
    at = first.start()
    return label[:at] + label[at].lower() + label[at + 1 :]
