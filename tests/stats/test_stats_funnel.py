"""Funnel limits and bands: the PHE 303-area proportion funnel (every limit row, every label)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import funnel_band, funnel_limits, overdispersion

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


def test_ratio_limits_are_exact_poisson_with_interpolation():
    got = funnel_limits("ratio", 1.0, [10, 100], confidence=0.95)
    # Spiegelhalter (2005): (r - (F(r) - p)/(F(r) - F(r-1))) / E with r = qpois(p, E)
    np.testing.assert_allclose(got.lower_95, [0.37751905, 0.80366340], rtol=1e-6)
    np.testing.assert_allclose(got.upper_95, [1.61599495, 1.19580884], rtol=1e-6)
    assert got.lower_95.min() >= 0
    assert funnel_limits("ratio", 1.0, [1.0], 0.95).lower_95[0] == 0


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
        (lambda: funnel_band([5, 20], [10, 10], "proportion"), "numerator"),
        (lambda: funnel_band([5], [10, 10], "proportion"), "numerator"),
        (lambda: funnel_band([5], [10], "proportion", overdispersion="both"), "overdispersion"),
        (lambda: funnel_limits("ratio", 1, [10], 1.5), "confidence"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
