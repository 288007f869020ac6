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
        (lambda: funnel_band([1, 2], [1, 2], "ratio", phi=2.0, tau2=0.1), "give one adjustment"),
        (lambda: funnel_band([1, 2], [1, 2], "ratio", overdispersion="additive", tau2=0.1), "overdispersion"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def restricted_log_likelihood(tau2, y, v):
    """-2 x the REML log-likelihood of the random-effects model y ~ N(mu, v + tau2), mu estimated."""
    w = 1 / (v + tau2)
    mu = (w * y).sum() / w.sum()
    return np.log(v + tau2).sum() + np.log(w.sum()) + (w * (y - mu) ** 2).sum()


@pytest.mark.parametrize(("kind", "method"), [("ratio", "CQC"), ("proportion", "SHMI")])
def test_reml_tau2_maximises_the_restricted_likelihood(kind, method):
    from scipy.optimize import minimize_scalar

    from marginalgains.stats.overdispersion import area_z_scores, dispersion_from_z

    num, den = (OBSERVED, EXPECTED) if kind == "ratio" else (np.minimum(OBSERVED, 400), np.full(40, 400.0))
    _, _, _, z, se = area_z_scores(num, den, kind, method)
    zw = np.clip(z, *np.quantile(z, [0.1, 0.9]))  # winsorised as for DerSimonian-Laird
    best = minimize_scalar(restricted_log_likelihood, bounds=(0, 1), args=(zw * se, se**2), method="bounded",
                           options={"xatol": 1e-12})
    phi, tau2 = overdispersion(num, den, kind, method=method, tau2_method="REML")
    assert tau2 == pytest.approx(best.x, rel=1e-5)
    assert tau2 > 0 and phi == pytest.approx(dispersion_from_z(z, se, 0.1, False)[0])
    assert tau2 != pytest.approx(overdispersion(num, den, kind, method=method)[1], rel=1e-3)  # not DL again


def test_reml_tau2_is_zero_without_extra_variation():
    expected = np.full(30, 200.0)
    observed = np.full(30, 200.0)  # every area on target: less spread than chance
    assert overdispersion(observed, expected, "ratio", method="CQC", tau2_method="REML")[1] == 0


def test_beta_binomial_rho_is_the_maximum_likelihood_estimate():
    from scipy import optimize, stats

    from marginalgains.stats.overdispersion import beta_binomial_rho

    rng = np.random.default_rng(5)
    den = rng.integers(50, 2000, 60)
    num = stats.betabinom.rvs(den, 0.7 * 40, 0.3 * 40, random_state=rng)  # rho = 1/41
    mean = num.sum() / den.sum()

    def negative_log_likelihood(log_odds_rho):
        rho = 1 / (1 + np.exp(-log_odds_rho[0]))
        a, b = mean * (1 - rho) / rho, (1 - mean) * (1 - rho) / rho
        return -stats.betabinom.logpmf(num, den, a, b).sum()

    reference = optimize.minimize(negative_log_likelihood, [-3.0], method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12})
    expected = 1 / (1 + np.exp(-reference.x[0]))
    assert beta_binomial_rho(num, den) == pytest.approx(expected, rel=1e-4)
    assert 0.01 < expected < 0.05


def test_beta_binomial_rho_is_zero_for_binomial_areas_and_nan_for_one():
    from marginalgains.stats.overdispersion import beta_binomial_rho

    den = np.full(40, 1000.0)
    assert beta_binomial_rho(np.full(40, 300.0), den) == 0
    assert np.isnan(beta_binomial_rho([3], [10]))


def test_beta_binomial_band_widens_plain_proportion_limits():
    rng = np.random.default_rng(8)
    den = rng.integers(500, 5000, 80).astype(float)
    num = np.round(den * np.clip(rng.normal(0.6, 0.08, 80), 0, 1))
    plain = np.asarray(funnel_band(num, den, "proportion"), dtype=int)
    wide = np.asarray(funnel_band(num, den, "proportion", overdispersion="beta_binomial"), dtype=int)
    assert (np.abs(wide) <= np.abs(plain)).all() and np.abs(wide).sum() < np.abs(plain).sum()


@pytest.mark.parametrize("kind", ["proportion", "ratio", "rate", "ratio_of_counts"])
def test_one_area_has_no_spread_to_estimate_and_no_warning(kind):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        phi, tau2 = overdispersion([3], [10], kind, method="CQC")
        band = funnel_band([3], [10], kind, overdispersion="additive", method="CQC")
    assert np.isnan(phi) and np.isnan(tau2)
    assert list(band) == list(funnel_band([3], [10], kind))  # nothing to widen by: the plain band
