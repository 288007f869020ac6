"""Gain, every benchmark, significance gating and the gain's interval, worked by hand."""

import numpy as np
import pandas as pd
import pytest

from marginalgains.improve import ImproveError, opportunity
from marginalgains.stats import wilson

FOUR = pd.DataFrame({"area_code": list("ABCD"), "numerator": [50, 80, 90, 95], "denominator": [100] * 4})


def gains_of(table):
    return dict(zip(table["area_code"], table["gain"].round(6)))


def test_national_benchmark_is_pooled_and_gain_counts_people():
    table = opportunity(FOUR, "national", "high_is_good", multiplier=100)
    assert table["benchmark_value"].iloc[0] == pytest.approx(78.75)  # 315 / 400
    assert gains_of(table) == {"A": 28.75, "B": 0, "C": 0, "D": 0}
    low, high = wilson(315, 400)
    assert table["benchmark_lower"].iloc[0] == pytest.approx(100 * low)
    assert table["benchmark_upper"].iloc[0] == pytest.approx(100 * high)


def test_top_quartile_and_decile_are_percentile_inc():
    quartile = opportunity(FOUR, "top_quartile", "high_is_good", multiplier=100)
    assert quartile["benchmark_value"].iloc[0] == pytest.approx(91.25)  # 90 + 0.25 x 5
    assert gains_of(quartile) == {"A": 41.25, "B": 11.25, "C": 1.25, "D": 0}
    decile = opportunity(FOUR, "top_decile", "high_is_good", multiplier=100)
    assert decile["benchmark_value"].iloc[0] == pytest.approx(93.5)  # 90 + 0.7 x 5
    low = opportunity(FOUR, "top_quartile", "low_is_good", multiplier=100)
    assert low["benchmark_value"].iloc[0] == pytest.approx(72.5)  # 25th: 50 + 0.75 x 30
    assert gains_of(low) == {"A": 0, "B": 7.5, "C": 17.5, "D": 22.5}


def test_best_respects_min_denominator():
    small_star = pd.concat([FOUR, pd.DataFrame({"area_code": ["E"], "numerator": [10], "denominator": [10]})])
    table = opportunity(small_star, "best", "high_is_good", multiplier=100, min_denominator=50)
    assert table["benchmark_value"].iloc[0] == pytest.approx(95)
    assert gains_of(table) == {"A": 45, "B": 15, "C": 5, "D": 0, "E": 0}
    anyone = opportunity(small_star, "best", "high_is_good", multiplier=100)
    assert anyone["benchmark_value"].iloc[0] == pytest.approx(100)


def test_a_number_is_a_target_without_uncertainty_so_gain_limits_are_the_area_limits():
    table = opportunity(FOUR, 85, "high_is_good", multiplier=100).set_index("area_code")
    low, high = wilson(50, 100)
    assert table.loc["A", "gain"] == pytest.approx(35)
    assert table.loc["A", "gain_lower"] == pytest.approx((0.85 - high) * 100)
    assert table.loc["A", "gain_upper"] == pytest.approx((0.85 - low) * 100)
    assert table.loc["B", "gain"] == pytest.approx(5)
    assert table.loc["B", "gain_lower"] == 0  # B's upper limit 86.7 reaches past the target
    assert not table.loc["B", "significant"]
    assert table.loc["A", "significant"]


def test_gain_interval_combines_area_and_benchmark_limits_by_mover():
    table = opportunity(FOUR, "best", "high_is_good", multiplier=100).set_index("area_code")
    a_low, a_high = wilson(50, 100)
    b_low, b_high = wilson(95, 100)
    expected_lower = 0.45 - np.hypot(0.95 - b_low, a_high - 0.5)
    expected_upper = 0.45 + np.hypot(b_high - 0.95, 0.5 - a_low)
    assert table.loc["A", "gain_lower"] == pytest.approx(100 * expected_lower)
    assert table.loc["A", "gain_upper"] == pytest.approx(100 * expected_upper)
    # C's own interval lies below 95 (significant) but not once the best area's noise counts
    assert table.loc["C", "significant"] and not table.loc["C", "robust"]
    assert table.loc["A", "robust"]


def test_significance_needs_the_whole_interval_on_the_wrong_side():
    table = opportunity(FOUR, "top_quartile", "high_is_good", multiplier=100).set_index("area_code")
    assert table["significant"].to_dict() == {"A": True, "B": True, "C": False, "D": False}


def test_peer_best5_is_the_mean_of_the_best_five_peers():
    values = pd.DataFrame({"area_code": [f"P{i}" for i in range(1, 8)],
                           "numerator": [10, 20, 30, 40, 50, 60, 70], "denominator": [100] * 7})
    codes = values["area_code"].tolist()
    pairs = pd.DataFrame([(a, b) for a in codes for b in codes if a != b], columns=["area_code", "peer_code"])
    high = opportunity(values, "peer_best5", "high_is_good", multiplier=100, peers=pairs).set_index("area_code")
    assert high.loc["P1", "benchmark_value"] == pytest.approx(50)  # mean of 70, 60, 50, 40, 30
    assert high.loc["P1", "gain"] == pytest.approx(40)
    assert high.loc["P7", "benchmark_value"] == pytest.approx(40)  # mean of 60 .. 20
    assert high.loc["P7", "gain"] == 0
    low = opportunity(values, "peer_best5", "low_is_good", multiplier=100, peers=pairs).set_index("area_code")
    assert low.loc["P7", "benchmark_value"] == pytest.approx(30)
    assert low.loc["P7", "gain"] == pytest.approx(40)


def test_peer_best5_interval_is_mover_over_the_five():
    values = pd.DataFrame({"area_code": list("ABCDEF"), "numerator": [10, 60, 70, 80, 90, 95],
                           "denominator": [100] * 6})
    pairs = pd.DataFrame({"area_code": ["A"] * 5, "peer_code": list("BCDEF")})
    pairs = pd.concat([pairs, pd.DataFrame({"area_code": list("BCDEF"), "peer_code": ["A"] * 5})])
    row = opportunity(values, "peer_best5", "high_is_good", peers=pairs).iloc[0]
    low, high = wilson(np.array([60, 70, 80, 90, 95]), 100)
    points = np.array([0.6, 0.7, 0.8, 0.9, 0.95])
    assert row["benchmark_value"] == pytest.approx(0.79)
    assert row["benchmark_lower"] == pytest.approx(0.79 - np.sqrt(((points - low) ** 2).sum()) / 5)
    assert row["benchmark_upper"] == pytest.approx(0.79 + np.sqrt(((high - points) ** 2).sum()) / 5)


def test_rates_count_events_avoided():
    values = pd.DataFrame({"area_code": ["A", "B"], "numerator": [20, 5], "denominator": [10000, 10000]})
    table = opportunity(values, 50, "low_is_good", measure="rate", multiplier=100000).set_index("area_code")
    assert table.loc["A", "value"] == pytest.approx(200)
    assert table.loc["A", "gain"] == pytest.approx(15)  # 20 events down to 5
    assert table.loc["B", "gain"] == 0


def area_sample(true_rates, seed=2018):
    rng = np.random.default_rng(seed)
    denominators = rng.integers(200, 2000, size=len(true_rates))
    return pd.DataFrame({"area_code": [f"A{i}" for i in range(len(true_rates))],
                         "numerator": rng.binomial(denominators, true_rates), "denominator": denominators})


def test_noise_is_not_counted_as_opportunity():
    """Dropkin's point: identical areas differ by chance; the gain's lower limit must see that."""
    table = opportunity(area_sample(np.full(150, 0.6)), "top_quartile", "high_is_good")
    total = table["gain"].sum()
    assert total > 1000
    assert table.loc[table["significant"], "gain_lower"].sum() < 0.02 * total
    assert table.loc[table["robust"], "gain"].sum() < 0.1 * total


def test_real_variation_survives_the_gating():
    rates = np.random.default_rng(1).uniform(0.4, 0.8, 150)
    table = opportunity(area_sample(rates), "top_quartile", "high_is_good")
    assert table.loc[table["significant"], "gain_lower"].sum() > 0.5 * table["gain"].sum()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"benchmark": "top_half"}, "unknown benchmark 'top_half'"),
        ({"benchmark": "peer_best5"}, "needs a peers table"),
        ({"polarity": "no_judgement"}, "no judgement"),
        ({"measure": "mean"}, "count-based measure"),
        ({"confidence": 95}, "between 0 and 1"),
        ({"peers": pd.DataFrame({"area_code": ["A"], "peer_code": ["B"]}), "benchmark": "peer_best5"},
         "3 areas have no peers"),
    ],
)
def test_bad_opportunity_requests_are_refused_clearly(kwargs, message):
    with pytest.raises(ImproveError, match=message):
        opportunity(FOUR, **{"benchmark": "national", "polarity": "high_is_good", **kwargs})


def test_one_row_per_area_is_required():
    with pytest.raises(ImproveError, match="repeated: A"):
        opportunity(pd.concat([FOUR, FOUR.head(1)]), "national", "high_is_good")
