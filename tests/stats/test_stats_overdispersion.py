"""Overdispersion (phi, tau2) recomputed by hand from Spiegelhalter (2005) / FunnelPlotR's recipe."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats import funnel_band, overdispersion

RNG = np.random.default_rng(11)
EXPECTED = RNG.uniform(20, 400, 40)
OBSERVED = RNG.poisson(EXPECTED * RNG.gamma(20, 1 / 20, 40)).astype(float)


def dersimonian_laird(z, w):
    n = z.size
    phi = np.mean(z**2)
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return phi, tau2


def test_shmi_drops_top_and_bottom_decile_buckets():
    z = np.log(OBSERVED / EXPECTED) * np.sqrt(EXPECTED)
    rank = np.argsort(np.argsort(z)) + 1
    bucket = np.floor(rank * 10 / 41)
    keep = (bucket > 0) & (bucket < 9)
    phi, tau2 = dersimonian_laird(z[keep], EXPECTED[keep])
    got = overdispersion(OBSERVED, EXPECTED, "ratio", method="SHMI")
    assert got == pytest.approx((phi, tau2))
    assert got[0] > 1 and got[1] > 0


def test_cqc_winsorises_square_root_z_scores():
    z = (np.sqrt(OBSERVED / EXPECTED) - 1) * 2 * np.sqrt(EXPECTED)
    z = np.clip(z, *np.quantile(z, [0.1, 0.9]))
    phi, tau2 = dersimonian_laird(z, 4 * EXPECTED)
    assert overdispersion(OBSERVED, EXPECTED, "ratio", method="CQC") == pytest.approx((phi, tau2))


def test_proportion_uses_arcsine_scale_around_pooled():
    den = RNG.integers(200, 2000, 30).astype(float)
    num = RNG.binomial(den.astype(int), RNG.beta(20, 80, 30)).astype(float)
    pooled = num.sum() / den.sum()
    z = (np.arcsin(np.sqrt(num / den)) - np.arcsin(np.sqrt(pooled))) * 2 * np.sqrt(den)
    z = np.clip(z, *np.quantile(z, [0.1, 0.9]))
    assert overdispersion(num, den, "proportion") == pytest.approx(dersimonian_laird(z, 4 * den))


def test_no_overdispersion_gives_zero_tau2():
    expected = np.full(50, 1000.0)
    observed = expected + np.tile([-5.0, 5.0], 25)  # far tighter than Poisson
    phi, tau2 = overdispersion(observed, expected, "ratio", method="CQC")
    assert phi < 1 and tau2 == 0.0


def test_multiplicative_band_never_narrower_than_plain():
    plain = np.abs(np.asarray(funnel_band(OBSERVED, EXPECTED, "ratio"), dtype=int))
    adjusted = np.abs(np.asarray(funnel_band(OBSERVED, EXPECTED, "ratio", overdispersion="multiplicative"), dtype=int))
    assert (adjusted <= plain).all() and adjusted.sum() < plain.sum()


@pytest.mark.parametrize(("kind", "method"), [("ratio", "SHMI"), ("ratio", "CQC"), ("rate", "SHMI")])
def test_a_band_from_an_estimate_already_made_equals_estimating_it_again(kind, method):
    phi, tau2 = overdispersion(OBSERVED, EXPECTED, kind, method=method)
    for how, given in (("additive", {"tau2": tau2}), ("multiplicative", {"phi": max(phi, 1.0)})):
        estimated = funnel_band(OBSERVED, EXPECTED, kind, overdispersion=how, method=method)
        assert funnel_band(OBSERVED, EXPECTED, kind, method=method, **given).tolist() == estimated.tolist()


def test_zero_counts_on_the_log_scale_are_refused_when_not_trimmed():
    observed = np.r_[np.zeros(5), OBSERVED[5:]]
    with pytest.raises(ValueError, match="numerator"):
        overdispersion(observed, EXPECTED, "ratio", method="SHMI")
    assert np.isfinite(overdispersion(observed, EXPECTED, "ratio", method="CQC")[0])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: overdispersion([1, 2], [1, 2], "ratio", method="PHE"), "method"),
        (lambda: overdispersion([1, 2], [1, 2], "ratio", trim=0.6), "trim"),
        (lambda: overdispersion([1, 2], [1], "ratio"), "numerator"),
        (lambda: overdispersion([3, 2], [1, 2], "proportion"), "numerator"),
        (lambda: funnel_band([1, 2], [1, 2], "ratio", phi=2.0, tau2=0.1), "phi and tau2"),
        (lambda: funnel_band([1, 2], [1, 2], "ratio", overdispersion="additive", tau2=0.1), "overdispersion"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
