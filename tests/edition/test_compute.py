from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.edition.compute import figures as compute
from flows.edition.french import round_half_up
from flows.edition.wording import stage_label


def test_2018_revenue_growth_is_plus_1_84_percent(edition_2018):
    delta, pct = compute.revenue_growth(edition_2018.tables["revenue"])
    assert delta == 305_600_382 - 300_068_674
    assert round(pct, 2) == 1.84


def test_2018_budget_stage_variances(edition_2018):
    stages = compute.revenue_stages(edition_2018.tables["revenue"], 2018)
    assert stages["stage"].to_list() == ["previous_year", "br1", "br2", "br3", "final"]
    printed = [stage_label(stage, year) for stage, year in stages.select("stage", "year").iter_rows()]
    assert printed == ["Recettes 2017", "BR1 2018", "BR2 2018", "BR3 2018", "Recettes 2018"]
    assert stages["amount"].to_list() == [300_068_674, 299_310_111, 303_062_834, 304_053_570, 305_600_382]
    assert stages["delta"].to_list() == [None, -758_563, 3_752_723, 990_736, 1_546_812]


def test_2024_has_a_single_stage_and_no_growth(edition_2024):
    assert compute.revenue_stages(edition_2024.tables["revenue"], 2024)["amount"].to_list() == [522_200_000]
    assert compute.revenue_growth(edition_2024.tables["revenue"]) == (None, None)


@pytest.mark.parametrize(
    ("edition", "budget", "rate"),
    [("2018", "AE", 99.1), ("2018", "CP", 99.5), ("2024", "AE", 99.9), ("2024", "CP", 99.8)],
)
def test_published_execution_rates_are_inputs_not_invented_bases(edition, budget, rate, request):
    ed = request.getfixturevalue(f"edition_{edition}")
    rates = compute.execution_rates(ed.tables["execution"]).filter(pl.col("budget") == budget).row(0, named=True)
    assert rates["rate"] == rate
    assert rates["opened"] is None and rates["rate_source"] == "publié"


def test_execution_rate_is_computed_when_credits_opened_are_known():
    execution = pl.DataFrame(
        {"budget": ["AE"], "executed": [991], "opened": [1000], "rate_pct": [None], "rate_pct_dp": [None]},
        schema_overrides={"rate_pct": pl.Float64, "rate_pct_dp": pl.Int8},
    )
    row = compute.execution_rates(execution).row(0, named=True)
    assert row["rate"] == pytest.approx(99.1) and row["rate_source"] == "calculé"


def test_2024_thematic_shares(edition_2024):
    split = compute.thematic_split(edition_2024.tables["thematics"])
    shares = dict(zip(split["thematic_id"], split["share"], strict=True))
    assert shares["investissements"] == 28.5
    assert shares["permanence-des-soins"] == 21.4
    assert shares["vulnerabilite"] == 7.6
    assert split.height == 25
    # Each share rounded on its own: a reader who divides finds the printed share; here they add up to
    # 100,1 %, which the table says under it. The largest-remainder setting makes them add up to 100,0 %.
    assert round(sum(split["share"]), 1) == 100.1
    assert not compute.shares_add_up([(s, 1) for s in split["share"]])
    allocated = compute.thematic_split(edition_2024.tables["thematics"], compute.LARGEST_REMAINDER)
    assert round(sum(allocated["share"]), 1) == 100.0


def test_2024_subset_without_investment_and_permanence(edition_2024):
    subset = compute.thematic_subset(edition_2024.tables["thematics"], ("investissements", "permanence-des-soins"))
    assert subset.height == 23
    assert int(subset["amount"].sum()) == 538_736_882 - 153_285_611 - 115_072_012
    assert subset["thematic_id"][0] == "vulnerabilite"
    assert round(subset["share_exact"][0], 1) == round(41_139_625 / 270_379_259 * 100, 1) == 15.2
    assert subset["share"][0] == 15.2


def test_2018_mission_shares(edition_2018):
    split = compute.mission_split(
        edition_2018.tables["missions"], edition_2018.tables["execution"], edition_2018.missions_ref
    )
    assert split["ae_share"].to_list() == [14.8, 24.9, 27.5, 32.6, 0.1]  # each rounded: 27,534 % → 27,5 %
    allocated = compute.mission_split(
        edition_2018.tables["missions"],
        edition_2018.tables["execution"],
        edition_2018.missions_ref,
        compute.LARGEST_REMAINDER,
    )
    assert allocated["ae_share"].to_list() == [14.8, 24.9, 27.6, 32.6, 0.1]  # 27,534 % gets the missing tenth
    assert round(sum(allocated["cp_share"]), 1) == 100.0


def test_three_equal_lines_print_33_3_each_and_say_that_the_total_differs():
    frame = compute.with_shares(pl.DataFrame({"amount": [1, 1, 1]}), "amount", 3)
    assert [compute.share_text(r, e) for r, e in zip(frame["share"], frame["share_exact"], strict=True)] == [
        "33,3\u00a0%"
    ] * 3
    assert not compute.shares_add_up([(s, 1) for s in frame["share"]])  # 99,9 %: the table carries the note
    allocated = compute.with_shares(pl.DataFrame({"amount": [1, 1, 1]}), "amount", 3, method=compute.LARGEST_REMAINDER)
    assert sorted(allocated["share"].to_list()) == [33.3, 33.3, 33.4]
    assert compute.shares_add_up([(s, 1) for s in allocated["share"]])


@pytest.mark.parametrize(
    ("amount", "table", "prose"),
    [
        (2, "<\u00a00,01\u00a0%", "moins de 0,01\u00a0%"),  # 0,002 %
        (40, "0,04\u00a0%", "0,04\u00a0%"),  # 0,04 %: two decimals, as the 2024 edition prints it
        (0, "0,0\u00a0%", "0,0\u00a0%"),  # a zero share is zero
        (2_000, "2,0\u00a0%", "2,0\u00a0%"),
    ],
)
def test_a_non_zero_share_never_prints_as_zero(amount: int, table: str, prose: str):
    frame = compute.with_shares(pl.DataFrame({"amount": [amount, 100_000 - amount]}), "amount", 100_000)
    rounded, exact = frame["share"][0], frame["share_exact"][0]
    assert compute.share_text(rounded, exact) == table
    assert compute.share_text(rounded, exact, prose=True) == prose


def test_largest_remainder_adds_up_and_favours_largest_remainders():
    assert compute.largest_remainder([33.333, 33.333, 33.334]) == [Decimal("33.3"), Decimal("33.3"), Decimal("33.4")]
    assert compute.largest_remainder([]) == []
    assert compute.largest_remainder([100.0]) == [Decimal("100.0")]


def test_shares_of_a_zero_total_are_empty():
    frame = compute.with_shares(pl.DataFrame({"amount": [0, 0]}), "amount", 0)
    assert frame["share"].to_list() == [None, None]


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=40).filter(lambda xs: sum(xs) > 0))
def test_largest_remainder_shares_always_add_up_to_the_displayed_total(amounts):
    frame = compute.with_shares(pl.DataFrame({"amount": amounts}), "amount", sum(amounts), method="largest-remainder")
    assert round(sum(Decimal(str(s)) for s in frame["share"]), 1) == Decimal("100.0")
    assert all(abs(s - e) < 0.1 + 1e-9 for s, e in zip(frame["share"], frame["share_exact"], strict=True))


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=40).filter(lambda xs: sum(xs) > 0))
def test_half_up_shares_are_each_the_rounding_of_their_exact_share(amounts):
    frame = compute.with_shares(pl.DataFrame({"amount": amounts}), "amount", sum(amounts))
    for share, exact in zip(frame["share"], frame["share_exact"], strict=True):
        assert Decimal(str(share)) == round_half_up(exact, 1)


def test_compare_reports_a_gap_explained_by_rounding_as_a_warning():
    result = compute.compare(538_736_879, "€", 0, 538_736_882, [Decimal(1)] * 25)
    assert (result.gap, result.status) == (-3, "warning")
    assert compute.compare(522_200_000, "M€", 1, 522_200_000, [Decimal(100_000)] * 2).status == "ok"
    assert compute.compare(538_700_000, "M€", 1, 538_736_879, [Decimal(1)]).status == "ok"
    assert compute.compare(1_000, "€", 0, 1_100, [Decimal(1)] * 3).status == "error"


def test_history_across_editions_2018_to_2024(edition_2018, edition_2024):
    history = compute.editions_history({2018: edition_2018.tables, 2024: edition_2024.tables})
    assert history["year"].to_list() == [2018, 2024]
    assert history["revenue"].to_list() == [305_600_382, 522_200_000]
    last = history.row(1, named=True)
    assert last["revenue_delta"] == 216_599_618 and round(last["revenue_delta_pct"], 1) == 70.9
    assert (last["ae"], last["cp"]) == (536_900_000, 538_700_000)
    assert compute.coarser(("€", 0), ("M€", 1)) == ("M€", 1)


def test_an_edition_never_compares_with_later_ones():
    from flows import paths
    from flows.edition.ingest import snapshot as ingest

    assert dict(ingest.read_snapshot(paths.INPUTS_DIR, "hauts-de-france", 2018).earlier) == {}
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, "hauts-de-france", 2024)
    assert list(snapshot.earlier) == [2018] and snapshot.skipped == ()
