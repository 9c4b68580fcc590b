import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.edition.french import (
    NBSP,
    NNBSP,
    format_amount,
    format_compact,
    format_eur,
    format_number,
    format_pct,
    format_seconds,
    in_sentence,
    is_acronym,
    parse_number,
    to_euros,
)


def test_euros_use_narrow_no_break_space_between_thousands():
    assert format_eur(303_543_407) == f"303{NNBSP}543{NNBSP}407{NBSP}€"


@pytest.mark.parametrize(
    ("euros", "unit", "decimals", "expected"),
    [
        (2_900_000, "M€", 1, "2,9 M€"),
        (522_200_000, "M€", 1, "522,2 M€"),
        (3_000_000, "M€", 0, "3 M€"),
        (645_000, "k€", 0, "645 k€"),
        (2_350_000, "M€", 2, "2,35 M€"),
        (750_000, "€", 0, "750 000 €"),
    ],
)
def test_amounts_print_at_their_published_precision(euros, unit, decimals, expected):
    assert format_amount(euros, unit, decimals).replace(NNBSP, " ").replace(NBSP, " ") == expected


@pytest.mark.parametrize(
    ("euros", "expected"),
    [(153_285_611, "153,3 M€"), (8_978_663, "9 M€"), (208_058, "208 k€"), (2_451_931, "2,5 M€")],
)
def test_compact_amounts_drop_a_trailing_zero(euros, expected):
    assert format_compact(euros).replace(NNBSP, " ").replace(NBSP, " ") == expected


def test_percentages():
    assert format_pct(99.08) == f"99,1{NBSP}%"
    assert format_pct(1.8435, 2, signed=True) == f"+1,84{NBSP}%"
    assert format_pct(-0.5, 1, signed=True) == f"−0,5{NBSP}%"
    assert format_pct(0.0, 1, signed=True) == f"0,0{NBSP}%"


def test_rounding_is_half_up_like_a_reader():
    assert format_number(Decimal("0.125"), 2) == "0,13"
    assert format_number(Decimal("2.45"), 1) == "2,5"


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("303 543 407", 303543407, 0),
        ("303\u202f543\u00a0407", 303543407, 0),
        ("2,9", Decimal("2.9"), 1),
        ("2.35", Decimal("2.35"), 2),
        ("0", 0, 0),
        ("1234567", 1234567, 0),
    ],
)
def test_parse_accepts_french_and_plain_numbers(text, value, decimals):
    assert parse_number(text) == (Decimal(value), decimals)


@pytest.mark.parametrize("text", ["12 €", "-5", "1,234.5", "12 34", "abc", "", "1 2345", "+3"])
def test_parse_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_fractional_euros_are_refused():
    assert to_euros(Decimal("2.35"), "M€") == 2_350_000
    with pytest.raises(ValueError):
        to_euros(Decimal("0.5"), "€")


@given(st.integers(min_value=0, max_value=10**13))
def test_format_then_parse_gives_the_amount_back(euros):
    text = format_eur(euros).removesuffix(f"{NBSP}€")
    assert parse_number(text) == (Decimal(euros), 0)


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["k€", "M€"]), st.integers(0, 3))
def test_format_amount_then_parse_round_trips_at_its_precision(units, unit, decimals):
    value = Decimal(units).scaleb(-decimals)
    euros_exact = value * (1000 if unit == "k€" else 1_000_000)
    if euros_exact != euros_exact.to_integral_value():
        return
    text = format_amount(int(euros_exact), unit, decimals).removesuffix(f"{NBSP}{unit}")
    parsed, dp = parse_number(text)
    assert (parsed, dp) == (value, decimals)


def test_durations_told_to_a_person_use_a_decimal_comma():
    assert format_seconds(21.94) == f"21,9{NBSP}s"
    assert format_seconds(0.05) == f"0,1{NBSP}s"  # half-up, like the rest
    assert format_seconds(3599.6, 0) == f"3{NNBSP}600{NBSP}s"


@pytest.mark.parametrize(
    ("word", "acronym"), [("ES", True), ("ESMS", True), ("CPTS", True), ("E", False), ("Es", False), ("es", False)]
)
def test_an_acronym_is_two_capitals_or_more(word, acronym):
    assert is_acronym(word) is acronym


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Investissements en ES et ESMS", "investissements en ES et ESMS"),
        ("Parcours Cancer", "parcours Cancer"),
        ("ES et ESMS : accompagnement social", "ES et ESMS : accompagnement social"),
        ("CPTS du Hainaut", "CPTS du Hainaut"),
        ("ARS-AREFIE", "ARS-AREFIE"),
        ("L'ARS et ses partenaires", "l'ARS et ses partenaires"),
        ("« Une seule santé »", "« une seule santé »"),
        ("Démocratie sanitaire", "démocratie sanitaire"),
        ("", ""),
    ],
)
def test_a_label_in_a_sentence_lowers_its_first_letter_only(label, expected):
    assert in_sentence(label) == expected


@given(st.text())
def test_a_label_in_a_sentence_keeps_every_other_character_as_typed(label):
    first = re.search(r"[^\W\d_]", label)
    if first is None:
        assert in_sentence(label) == label
        return
    before, letter, after = label[: first.start()], label[first.start()], label[first.start() + 1 :]
    assert in_sentence(label) in (label, before + letter.lower() + after)
