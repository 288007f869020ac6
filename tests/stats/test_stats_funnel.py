"""Funnel limits and bands: the PHE 303-area proportion funnel (every limit row, every label)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from marginalgains.stats import funnel_band, funnel_limits, overdispersion
from marginalgains.stats.funnel import LEVELS, level_label

from stats_fixtures import read_fixture

LABELS = {"High (0.001)": 2, "High (0.025)": 1, "Not significant": 0, "Low (0.025)": -1, "Low (0.001)": -2}


@pytest.fixture(scope="module")
def areas():
    return read_fixture("phe_funnel_prop_inputs.csv")


def test_proportion_limits_match_phe_every_row(areas):
    ref = read_fixture("phe_funnel_prop_outputs.csv")
    pooled = areas.numerator.sum() / areas.denominator.sum() * 100
    got = funnel_limits("proportion", pooled, ref.Population, multiplier=100)
    # the reference figures are printed to 6 decimal places
    np.testing.assert_allclose(got.target, ref.baseline, atol=5e-7)
    np.testing.assert_allclose(got.lower_95, ref.lower_2s_limit, atol=5e-7)
    np.testing.assert_allclose(got.upper_95, ref.upper_2s_limit, atol=5e-7)
    np.testing.assert_allclose(got.lower_99_8, ref.lower_3s_limit, atol=5e-7)
    np.testing.assert_allclose(got.upper_99_8, ref.upper_3s_limit, atol=5e-7)


def test_all_303_labels_match_phe(areas):
    band = funnel_band(areas.numerator, areas.denominator, "proportion")
    expected = areas.significance.map(LABELS).to_numpy()
    assert len(band) == 303
    assert (np.asarray(band, dtype=int) == expected).all()


def test_band_missing_inputs_are_na_and_ratio_uses_expected_counts():
    band = funnel_band([1, np.nan, 30, 10], [10, 10, 20, 10], "ratio")
    assert band.isna().tolist() == [False, True, False, False]
    assert list(band[[0, 2, 3]]) == [-2, 1, 0]


@pytest.mark.parametrize(("level", "suffix"), [(0.95, "2s"), (0.998, "3s")])
def test_ratio_limits_pass_through_phe_funnel_points(level, suffix):
    # PHE tabulates, for each observed count O, the expected count E at which O sits on each line
    ref = read_fixture("phe_funnel_ratio_outputs.csv")
    label = level_label(level)
    upper = funnel_limits("ratio", 1.0, ref[f"upper_{suffix}_exp_events"], confidence=level)
    lower = funnel_limits("ratio", 1.0, ref[f"lower_{suffix}_exp_events"], confidence=level)
    # PHE bisects to 1e-7 on E/(1 + O + E): about 1e-6 relative at the smallest E
    np.testing.assert_allclose(upper[f"upper_{label}"], ref[f"upper_{suffix}_count"] + 1, rtol=2e-5)
    np.testing.assert_allclose(lower[f"lower_{label}"], ref[f"lower_{suffix}_count"] + 1, rtol=2e-5)


def test_rate_limits_pass_through_phe_funnel_points():
    ref = read_fixture("phe_funnel_rate_outputs.csv")
    years, baseline = 3, ref.baseline.iloc[0]
    for side, level in (("upper_2s", 0.95), ("lower_2s", 0.95), ("upper_3s", 0.998), ("lower_3s", 0.998)):
        got = funnel_limits("rate", baseline, ref[f"{side}_population_1_year"] * years, confidence=level,
                            multiplier=1e5)
        column = f"{side.split('_')[0]}_{level_label(level)}"
        np.testing.assert_allclose(got[column], ref[f"{side}_limit"], rtol=2e-5)


def test_all_300_ratio_labels_match_phe():
    ref = read_fixture("phe_funnel_ratio_inputs.csv")
    band = funnel_band(ref.obs, ref.expected, "ratio")
    assert len(ref) == 300
    assert (np.asarray(band, dtype=int) == ref.significance.map(LABELS).to_numpy()).all()


@pytest.mark.parametrize("labels", ["crude_per_100000_with_0", "crude_per_100_with_0"])
def test_crude_rate_labels_match_phe_with_a_zero_count(labels):
    ref = read_fixture("phe_funnel_rate_inputs.csv")
    band = funnel_band(ref["count"], ref["pop"], "rate")
    assert (np.asarray(band, dtype=int) == ref[labels].map(LABELS).to_numpy()).all()


def test_high_side_waits_for_the_count_phe_waits_for():
    # E = 5: P(X >= 10) = 0.032 is not beyond 95%; P(X >= 11) = 0.0137 is (Byars' lower limit of 11 is 5.49 > 5)
    assert stats.poisson.sf(9, 5) == pytest.approx(0.0318, abs=1e-4)
    assert list(funnel_band([10, 11], [5, 5], "ratio")) == [0, 1]
    # the drawn line at E = 5 crosses between them: exact lower limit of O is 5 at O = 10.24
    upper = funnel_limits("ratio", 1.0, [5.0], 0.95).upper_95[0]
    assert stats.chi2.ppf(0.025, 2 * upper * 5) / 2 == pytest.approx(5.0)
    assert 10 / 5 < upper < 11 / 5


def test_no_events_is_never_above_the_funnel_at_tiny_expected_counts():
    expected = np.array([0.001, 0.01, 0.02, 0.024, 0.1])
    limits = funnel_limits("ratio", 1.0, expected, LEVELS)
    assert (limits.upper_95 > 0).all() and (limits.upper_99_8 > 0).all() and (limits.lower_95 == 0).all()
    assert list(funnel_band(np.zeros(5), expected, "ratio")) == [0] * 5
    rate = funnel_band([0, 40, 60], [10, 20000, 20000], "rate")  # the first expects 0.02 events
    assert rate[0] == 0


def test_adjusted_limits_are_never_inside_the_plain_ones_at_tiny_sizes():
    plain = funnel_limits("proportion", 0.2, [2], 0.95)
    wide = funnel_limits("proportion", 0.2, [2], 0.95, tau2=1e-6)
    # the arcsine scale alone would put the lower limit at sin(asin(sqrt(.2)) - 1.96 sqrt(1/8 + 1e-6))^2 = 0.0517,
    # inside PHE's 0.2 - 1.96 sqrt(0.16/2) < 0, floored at 0
    centre, half = np.arcsin(np.sqrt(0.2)), 1.959963984540054 * np.sqrt(1 / 8 + 1e-6)
    assert np.sin(centre - half) ** 2 == pytest.approx(0.0517, abs=1e-4)
    assert plain.lower_95[0] == wide.lower_95[0] == 0
    assert wide.upper_95[0] == pytest.approx(max(np.sin(centre + half) ** 2, plain.upper_95[0]))


def test_rate_limits_are_ratio_limits_scaled_by_target():
    rate = funnel_limits("rate", 50.0, [2000, 20000], confidence=0.95, multiplier=1000)
    ratio = funnel_limits("ratio", 1.0, [100, 1000], confidence=0.95)
    np.testing.assert_allclose(rate.upper_95, ratio.upper_95 * 50)


def test_additive_limits_widen_by_tau2_on_the_arcsine_scale():
    plain = funnel_limits("proportion", 0.2, [1000], 0.95, tau2=0.0)
    wider = funnel_limits("proportion", 0.2, [1000], 0.95, tau2=0.001)
    centre = np.arcsin(np.sqrt(0.2))
    half = 1.959963984540054 * np.sqrt(1 / (4 * 1000) + 0.001)
    assert wider.upper_95[0] == pytest.approx(np.sin(centre + half) ** 2)
    assert wider.upper_95[0] > plain.upper_95[0]


def test_cqc_adjusted_limits_are_squared_back():
    got = funnel_limits("ratio", 1.0, [100], 0.95, phi=2.0, method="CQC")
    half = 1.959963984540054 * np.sqrt(2.0 / (4 * 100))
    assert got.upper_95[0] == pytest.approx((1 + half) ** 2)
    assert got.lower_95[0] == pytest.approx((1 - half) ** 2)


def test_overdispersed_bands_are_fewer_outliers(areas):
    plain = pd.Series(funnel_band(areas.numerator, areas.denominator, "proportion"))
    adjusted = pd.Series(funnel_band(areas.numerator, areas.denominator, "proportion", overdispersion="additive"))
    phi, tau2 = overdispersion(areas.numerator, areas.denominator, "proportion")
    assert phi > 100 and tau2 > 0
    assert (plain.abs() == 2).sum() == 260
    assert (adjusted.abs() == 2).sum() < 20


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: funnel_limits("odds", 1, [10], 0.95), "kind"),
        (lambda: funnel_limits("ratio", 1, [-10], 0.95), "sizes"),
        (lambda: funnel_limits("ratio", 1, [10], 0.95, phi=2, tau2=0.1), "phi"),
        (lambda: funnel_limits("ratio", 1, [10], 0.95, rho=0.1), "rho"),
        (lambda: funnel_band([1, 2], [5, 5], "rate", overdispersion="beta_binomial"), "beta_binomial"),
        (lambda: funnel_limits("proportion", 0.5, [10], rho=1.5), "rho must lie between 0 and 1"),
        (lambda: funnel_band([1, 2], [5, 5], "ratio", tau2_method="ML", overdispersion="additive"), "tau2_method"),
        (lambda: funnel_band([5, 20], [10, 10], "proportion"), "numerator"),
        (lambda: funnel_band([5], [10, 10], "proportion"), "numerator"),
        (lambda: funnel_band([5], [10], "proportion", overdispersion="both"), "overdispersion"),
        (lambda: funnel_limits("ratio", 1, [10], 1.5), "confidence"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


KINDS = ["proportion", "ratio", "rate", "ratio_of_counts"]


@settings(deadline=None)
@given(st.sampled_from(KINDS), st.floats(0.01, 0.99),
       st.lists(st.floats(1, 1e6), min_size=1, max_size=20),
       st.one_of(st.builds(lambda t: {"tau2": t}, st.floats(0, 1)), st.builds(lambda p: {"phi": p}, st.floats(0, 50)),
                 st.builds(lambda r: {"rho": r}, st.floats(0, 1))))
def test_adjusted_limits_contain_the_plain_ones_and_the_target(kind, target, size_list, adjustment):
    if "rho" in adjustment and kind != "proportion":
        adjustment = {"tau2": adjustment["rho"]}
    plain = funnel_limits(kind, target, size_list)
    wide = funnel_limits(kind, target, size_list, method="CQC", **adjustment)
    for level in ("95", "99_8"):
        assert (wide[f"lower_{level}"] <= plain[f"lower_{level}"]).all()
        assert (wide[f"upper_{level}"] >= plain[f"upper_{level}"]).all()
        assert (plain[f"lower_{level}"] <= target + 1e-12).all() and (plain[f"upper_{level}"] >= target - 1e-12).all()


@settings(deadline=None)
@given(st.sampled_from(["proportion", "ratio", "rate"]), st.integers(1, 400), st.floats(0.02, 0.98),
       st.one_of(st.none(), st.floats(0, 0.5)))
def test_band_never_falls_as_the_value_rises(kind, size, target, tau2):
    counts = np.arange(size + 1, dtype=float) if kind == "proportion" else np.arange(3 * size + 3, dtype=float)
    band = funnel_band(counts, np.full(counts.size, float(size)), kind, target=target, tau2=tau2, method="CQC")
    band = np.asarray(band, dtype=int)
    assert (np.diff(band) >= 0).all()
    if tau2 is not None:
        plain = np.asarray(funnel_band(counts, np.full(counts.size, float(size)), kind, target=target), dtype=int)
        assert (np.abs(band) <= np.abs(plain)).all()


@pytest.mark.parametrize("call", [
    lambda: funnel_band([0, 0], [10, 10], "rate", overdispersion="additive", method="CQC"),
    lambda: funnel_band([0, 1], [0, 10], "rate"),
    lambda: funnel_band([3], [10], "proportion", overdispersion="beta_binomial"),
    lambda: funnel_limits("proportion", 0.5, [0, 1], tau2=0.01),
    lambda: funnel_limits("ratio_of_counts", 0.0, [0, 10], tau2=0.01),
])
def test_degenerate_inputs_are_defined_without_warnings(call):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call()
    assert len(result) >= 1


def test_no_events_anywhere_puts_every_area_within_the_funnel():
    assert list(funnel_band([0, 0], [10, 10], "rate", overdispersion="additive", method="CQC")) == [0, 0]
