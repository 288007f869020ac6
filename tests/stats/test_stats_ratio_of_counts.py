"""Ratio of counts (FunnelPlotR's "RC" type): O/D of two counts on the log((O + 0.5)/(D + 0.5)) scale.

Every expected figure is recomputed here from the formulas in docs/methods.md with plain numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marginalgains.stats import funnel_band, funnel_limits, overdispersion
from marginalgains.stats.overdispersion import ratio_of_counts_z

Z95 = 1.959963984540054
Z998 = 3.090232306167813

# Twelve areas: readmissions O (OBS) against a comparator count D (DEN). Area 0 has a zero count,
# area 10 has more events than its comparator (O > D is allowed: this is not a proportion).
OBS = np.array([0, 3, 12, 25, 40, 61, 18, 95, 7, 150, 60, 210], dtype=float)
DEN = np.array([4, 10, 30, 40, 90, 100, 60, 150, 35, 400, 50, 380], dtype=float)


def by_hand(o, d, target=None, trim=0.1):
    """z-scores, phi and tau2 from the documented formulas (winsorised at trim, 1 - trim)."""
    t = o.sum() / d.sum() if target is None else target
    y = np.log((o + 0.5) / (d + 0.5))
    centre = np.log((t * d + 0.5) / (d + 0.5))
    s = np.sqrt(1 / (o + 0.5) + 1 / (d + 0.5))
    z = (y - centre) / s
    zw = np.clip(z, np.quantile(z, trim), np.quantile(z, 1 - trim))
    n = z.size
    phi = np.mean(zw**2)
    w = 1 / s**2
    tau2 = 0.0 if n * phi < n - 1 else (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum())
    return z, s, phi, tau2


def limits_by_hand(t, d, z, phi=1.0, tau2=0.0):
    s0 = np.sqrt(1 / (t * d + 0.5) + 1 / (d + 0.5))
    h = z * np.sqrt(phi * s0**2 + tau2)
    lower = ((t * d + 0.5) * np.exp(-h) - 0.5) / d
    upper = ((t * d + 0.5) * np.exp(h) - 0.5) / d
    return np.clip(lower, 0, None), upper


def test_phi_and_tau2_by_hand_for_twelve_areas():
    z, s, phi, tau2 = by_hand(OBS, DEN)
    assert np.isfinite(z).all()  # the +0.5 gives the zero count a finite log
    got = overdispersion(OBS, DEN, "ratio_of_counts")
    assert got == pytest.approx((phi, tau2), rel=1e-12)
    assert got[0] > 1 and got[1] > 0


def test_an_on_target_area_scores_zero():
    # FunnelPlotR centres on log(t); we centre on the transform of the on-target count tD
    t = OBS.sum() / DEN.sum()
    z, s = ratio_of_counts_z(np.array([t * 8, 0.0]), np.array([8.0, 8.0]), t)
    assert z[0] == 0 and s[1] == pytest.approx(np.sqrt(1 / 0.5 + 1 / 8.5))
    assert funnel_band([t * 8], [8.0], "ratio_of_counts", target=t)[0] == 0
    funnel_plot_r = (np.log((t * 8 + 0.5) / 8.5) - np.log(t)) / np.sqrt(1 / (t * 8 + 0.5) + 1 / 8.5)
    assert abs(funnel_plot_r) > 0.05


def test_winsorised_like_proportions_and_method_is_not_used():
    z, s, phi, tau2 = by_hand(OBS, DEN)
    # SHMI bucket dropping would keep ranks 2..11 of 12 unwinsorised: a different phi
    rank = np.argsort(np.argsort(z)) + 1
    bucket = np.floor(rank * 10 / 13)
    keep = (bucket > 0) & (bucket < 9)
    assert np.mean(z[keep] ** 2) != pytest.approx(phi)
    for method in ("SHMI", "CQC"):
        assert overdispersion(OBS, DEN, "ratio_of_counts", method=method) == pytest.approx((phi, tau2))


def test_given_target_and_trim_are_used():
    _, _, phi, tau2 = by_hand(OBS, DEN, target=0.4, trim=0.2)
    assert overdispersion(OBS, DEN, "ratio_of_counts", trim=0.2, target=0.4) == pytest.approx((phi, tau2))


def test_no_overdispersion_gives_zero_tau2():
    d = np.full(40, 2000.0)
    o = 1000 + np.tile([-3.0, 3.0], 20)  # far tighter than Poisson
    phi, tau2 = overdispersion(o, d, "ratio_of_counts")
    assert phi < 1 and tau2 == 0.0


def test_plain_limits_by_hand():
    got = funnel_limits("ratio_of_counts", 0.5, [10, 100, 1000])
    for level, z in (("95", Z95), ("99_8", Z998)):
        lower, upper = limits_by_hand(0.5, np.array([10.0, 100, 1000]), z)
        np.testing.assert_allclose(got[f"lower_{level}"], lower, rtol=1e-12)
        np.testing.assert_allclose(got[f"upper_{level}"], upper, rtol=1e-12)
    assert (got.lower_99_8 < 0.5).all() and (got.upper_99_8 > 0.5).all()
    # the +0.5 back-transform: O + 0.5 = (tD + 0.5) exp(h) at D = 100
    h = Z95 * np.sqrt(1 / 50.5 + 1 / 100.5)
    assert got.upper_95[1] * 100 + 0.5 == pytest.approx(50.5 * np.exp(h))


def test_adjusted_limits_by_hand_and_wider():
    sizes = np.array([10.0, 100, 1000])
    plain = funnel_limits("ratio_of_counts", 0.5, sizes, 0.95)
    multiplicative = funnel_limits("ratio_of_counts", 0.5, sizes, 0.95, phi=2.0)
    additive = funnel_limits("ratio_of_counts", 0.5, sizes, 0.95, tau2=0.05)
    for frame, phi, tau2 in ((multiplicative, 2.0, 0.0), (additive, 1.0, 0.05)):
        lower, upper = limits_by_hand(0.5, sizes, Z95, phi, tau2)
        np.testing.assert_allclose(frame.lower_95, lower, rtol=1e-12)
        np.testing.assert_allclose(frame.upper_95, upper, rtol=1e-12)
        assert (frame.upper_95 > plain.upper_95).all() and (frame.lower_95 <= plain.lower_95).all()
    # additive limits stay open as D grows: they tend to t exp(+/- z sqrt(tau2))
    wide = funnel_limits("ratio_of_counts", 0.5, [1e9], 0.95, tau2=0.05)
    assert wide.upper_95[0] == pytest.approx(0.5 * np.exp(Z95 * np.sqrt(0.05)), rel=1e-4)


def test_multiplier_scales_target_and_limits():
    per_100 = funnel_limits("ratio_of_counts", 50.0, [20, 200], multiplier=100)
    plain = funnel_limits("ratio_of_counts", 0.5, [20, 200])
    np.testing.assert_allclose(per_100.drop(columns="size"), plain.drop(columns="size") * 100)


def test_bands_are_the_drawn_limits_at_each_area_denominator():
    pooled = OBS.sum() / DEN.sum()
    band = np.asarray(funnel_band(OBS, DEN, "ratio_of_counts"), dtype=int)
    drawn = funnel_limits("ratio_of_counts", pooled, DEN)
    value = OBS / DEN
    expected = (
        (value > drawn.upper_99_8).astype(int) + (value > drawn.upper_95)
        - (value < drawn.lower_99_8) - (value < drawn.lower_95)
    )
    assert band.tolist() == expected.tolist()
    assert band[10] == 2  # 60 of 50 against a pooled 0.49
    assert band[9] < 0  # 150 of 400


def test_band_equals_null_standard_error_z_test():
    pooled = OBS.sum() / DEN.sum()
    s0 = np.sqrt(1 / (pooled * DEN + 0.5) + 1 / (DEN + 0.5))
    z0 = np.log((OBS + 0.5) / (pooled * DEN + 0.5)) / s0
    expected = (z0 > Z998).astype(int) + (z0 > Z95) - (z0 < -Z998) - (z0 < -Z95)
    assert np.asarray(funnel_band(OBS, DEN, "ratio_of_counts"), dtype=int).tolist() == expected.tolist()


def test_adjusted_bands_flag_fewer_areas():
    plain = np.abs(np.asarray(funnel_band(OBS, DEN, "ratio_of_counts"), dtype=int))
    for how in ("multiplicative", "additive"):
        adjusted = np.abs(np.asarray(funnel_band(OBS, DEN, "ratio_of_counts", overdispersion=how), dtype=int))
        assert (adjusted <= plain).all() and adjusted.sum() < plain.sum()


def test_zero_count_at_a_small_denominator_is_not_an_outlier():
    band = funnel_band([0, 0, 1, 100], [2, 200, 2, 200], "ratio_of_counts", target=0.5)
    # a lower limit at D = 2 is floored at 0, so no count can fall below it
    assert list(band) == [0, -2, 0, 0]
    assert funnel_limits("ratio_of_counts", 0.5, [2]).lower_95[0] == 0


def test_missing_and_zero_denominators():
    o = np.r_[OBS, np.nan, 5.0]
    d = np.r_[DEN, 20.0, 0.0]
    band = funnel_band(o, d, "ratio_of_counts")
    assert band.isna().tolist() == [False] * 12 + [True, True]
    assert list(band[:12]) == list(funnel_band(OBS, DEN, "ratio_of_counts"))
    assert overdispersion(o, d, "ratio_of_counts") == pytest.approx(overdispersion(OBS, DEN, "ratio_of_counts"))
    limits = funnel_limits("ratio_of_counts", 0.5, [np.nan, 10])
    assert limits.iloc[0, 2:].isna().all() and limits.iloc[1, 2:].notna().all()
    assert np.isnan(overdispersion([np.nan, 1], [10, 0], "ratio_of_counts")).all()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: overdispersion([-1, 2], [3, 4], "ratio_of_counts"), "numerator"),
        (lambda: overdispersion([1, 2], [3, -4], "ratio_of_counts"), "denominator"),
        (lambda: overdispersion([1, 2, 3], [3, 4], "ratio_of_counts"), "numerator"),
        (lambda: funnel_band([1, 2], [3], "ratio_of_counts"), "denominator"),
        (lambda: funnel_band([1, 2], [3, 4], "ratio_of_counts", target=-0.5), "target"),
        (lambda: funnel_limits("ratio_of_counts", 0.5, [-10]), "sizes"),
        (lambda: funnel_limits("ratio_of_counts", -0.5, [10]), "target"),
        (lambda: funnel_limits("ratio_of_counts", 0.5, [10], phi=2, tau2=0.1), "phi"),
        (lambda: overdispersion([1, 2], [3, 4], "ratio_of_count"), "kind"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


targets = st.floats(min_value=0.01, max_value=20)
size_lists = st.lists(st.floats(min_value=1, max_value=1e6), min_size=2, max_size=20, unique=True)


@settings(deadline=None)
@given(targets, size_lists)
def test_limits_contain_target_nest_and_narrow_with_size(target, sizes):
    limits = funnel_limits("ratio_of_counts", target, sorted(sizes))
    assert (limits.lower_99_8 <= limits.lower_95).all() and (limits.lower_95 < target).all()
    assert (limits.upper_95 > target).all() and (limits.upper_99_8 >= limits.upper_95).all()
    assert (np.diff(limits.upper_95) <= 1e-12 * target).all()
    assert (np.diff(limits.lower_95) >= -1e-12 * target).all()


@settings(deadline=None)
@given(targets, st.floats(min_value=1, max_value=1e6), st.floats(1, 50), st.floats(0, 50),
       st.floats(0, 2), st.floats(0, 2))
def test_limits_widen_with_phi_and_tau2(target, size, phi_a, phi_b, tau_a, tau_b):
    def limits(**adjustment):
        frame = funnel_limits("ratio_of_counts", target, [size], 0.998, **adjustment)
        return frame.lower_99_8[0], frame.upper_99_8[0]

    (low_a, up_a), (low_b, up_b) = limits(phi=phi_a), limits(phi=phi_a + phi_b)
    assert up_b >= up_a and low_b <= low_a
    (low_a, up_a), (low_b, up_b) = limits(tau2=tau_a), limits(tau2=tau_a + tau_b)
    assert up_b >= up_a and low_b <= low_a
    plain = limits()
    assert plain == pytest.approx(limits(phi=1.0)) and plain == pytest.approx(limits(tau2=0.0))


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=3, max_size=30))
def test_vectorised_band_equals_one_area_at_a_time(pairs):
    o, d = np.array(pairs, dtype=float).T
    target = o.sum() / d.sum()
    together = np.asarray(funnel_band(o, d, "ratio_of_counts", target=target), dtype=int)
    alone = [int(funnel_band([oi], [di], "ratio_of_counts", target=target)[0]) for oi, di in zip(o, d)]
    assert together.tolist() == alone
    assert pd.Series(together).between(-2, 2).all()
