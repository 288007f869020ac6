"""Intervals against PHEindicatormethods' published test figures (every row), and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import mean_ci, poisson_limits, proportion, rate, wilson

from stats_fixtures import read_fixture

LEVELS = {"95%": 0.95, "99.8%": 0.998}
ATOL = 1e-9


def test_byars_rows_match_phe():
    ref = read_fixture("phe_byars_wilson.csv").query("method == 'Byars'")
    for row in ref.itertuples():
        lower, upper = poisson_limits(row.x, LEVELS[row.confidence], method="byars")
        assert upper == pytest.approx(row.uppercl, abs=ATOL)
        if np.isnan(row.lowercl):
            assert np.isnan(lower)
        else:
            assert lower == pytest.approx(row.lowercl, abs=ATOL)


def test_wilson_rows_match_phe_including_fractional_numerator():
    ref = read_fixture("phe_byars_wilson.csv").query("method == 'Wilson'")
    for level, rows in ref.groupby("confidence"):
        lower, upper = wilson(rows.x, rows.n, LEVELS[level])
        np.testing.assert_allclose(lower, rows.lowercl, rtol=0, atol=ATOL)
        np.testing.assert_allclose(upper, rows.uppercl, rtol=0, atol=ATOL)


@pytest.mark.parametrize("multiplier", [1, 100])
def test_proportions_match_phe_with_missing_inputs(multiplier):
    ref = read_fixture("phe_proportion.csv")
    ref = ref[ref.multiplier.eq(multiplier) | ref.Numerator.isna() | ref.Denominator.isna()]
    for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
        got = proportion(ref.Numerator, ref.Denominator, level, multiplier=multiplier)
        np.testing.assert_allclose(got.value, ref.value, rtol=1e-12, atol=0)
        np.testing.assert_allclose(got.lower, ref[f"lower{suffix}"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(got.upper, ref[f"upper{suffix}"], rtol=1e-12, atol=0)
    assert got.iloc[-3:].isna().all().all()


def test_rates_match_phe_exact_below_ten_byars_from_ten():
    ref = read_fixture("phe_rate.csv")
    for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
        got = pd.concat(
            [rate(rows.Numerator, rows.Denominator, multiplier=m, confidence=level) for m, rows in ref.groupby("multiplier", sort=False)]
        )
        np.testing.assert_allclose(got.value, ref.value, rtol=1e-12)
        np.testing.assert_allclose(got.lower, ref[f"lower{suffix}"], rtol=1e-10)
        np.testing.assert_allclose(got.upper, ref[f"upper{suffix}"], rtol=1e-10)


def test_rate_allows_numerator_above_denominator():
    got = rate([250], [220])
    assert got.value[0] == pytest.approx(113636.36363636365)


def test_means_match_phe_student_t():
    values = read_fixture("phe_mean_values.csv")
    results = read_fixture("phe_mean_results.csv").set_index("area")
    groups = {**{a: g["values"] for a, g in values.groupby("area")}, "No grouping": values["values"]}
    for area, series in groups.items():
        expected = results.loc[area]
        for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
            mean, lower, upper = mean_ci(series, level)
            assert mean == pytest.approx(expected.value, rel=1e-12)
            assert lower == pytest.approx(expected[f"lower{suffix}"], rel=1e-10)
            assert upper == pytest.approx(expected[f"upper{suffix}"], rel=1e-10)


def test_exact_poisson_limits_use_chi_square():
    lower, upper = poisson_limits([0, 1, 5], 0.95, method="exact")
    np.testing.assert_allclose(lower, [0.0, 0.025317807984289897, 1.6234863901184199])
    np.testing.assert_allclose(upper, [3.6888794541139354, 5.571643390938898, 11.668332079322669])


def test_auto_switches_to_byars_at_ten():
    auto = poisson_limits([9, 10], 0.95)
    exact = poisson_limits([9, 10], 0.95, method="exact")
    byars = poisson_limits([9, 10], 0.95, method="byars")
    assert auto[0][0] == exact[0][0] and auto[0][1] == byars[0][1]


def test_scalar_inputs_give_scalars():
    lower, upper = wilson(65, 100)
    assert isinstance(lower, float) and lower == pytest.approx(0.5525444329688797)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: wilson([-1], [10]), "numerator"),
        (lambda: wilson([1], [-10]), "denominator"),
        (lambda: wilson([11], [10]), "numerator"),
        (lambda: proportion([1, 2], [10, 10, 10]), "numerator"),
        (lambda: rate([-3], [10]), "numerator"),
        (lambda: poisson_limits([-1]), "count"),
        (lambda: poisson_limits([1], method="normal"), "method"),
        (lambda: wilson([1], [10], confidence=95), "confidence"),
        (lambda: proportion(["a"], [10]), "numerator"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_zero_denominator_and_nan_give_nan_not_a_number():
    got = proportion([0, np.nan, 3], [0, 10, 10])
    assert got.iloc[0].isna().all() and got.iloc[1].isna().all()
    assert got.value[2] == pytest.approx(0.3)
    assert rate([5], [0]).isna().all().all()


def test_empty_arrays_give_empty_results_and_empty_mean_is_nan():
    assert len(proportion([], [])) == 0
    assert np.isnan(mean_ci([])).all()
    mean, lower, upper = mean_ci([4.0])
    assert mean == 4.0 and np.isnan(lower) and np.isnan(upper)
    assert np.isnan(mean_ci([1.0, np.nan, 3.0])).all()
