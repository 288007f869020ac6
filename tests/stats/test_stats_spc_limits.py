"""SPC limits: nhspy-plotthedots and NHSRplotthedots 0.2.2 figures, screening, fixed baselines, gaps."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats import pchart, xmr

from spc_helpers import quiet_xmr
from stats_fixtures import plotthedots, xmr_cases


@pytest.mark.parametrize("case", xmr_cases(), ids=lambda c: str(c["values"][:4]))
def test_limits_match_nhspy_plotthedots(case):
    points = quiet_xmr(case["values"]).points
    got = points[["mean", "lpl", "upl", "lower_2s", "upper_2s"]].iloc[0].to_numpy()
    np.testing.assert_allclose(got, case["expected"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", plotthedots()["limits"], ids=lambda c: c["case"])
def test_limits_match_nhsrplotthedots_snapshots(case):
    values = np.array(plotthedots()["y"])
    if case["outlier_at"] is not None:
        values[case["outlier_at"]] = 10
    first = xmr(values, screen_outliers=case["screen_outliers"]).points.iloc[0]
    for column in ("mean", "lpl", "upl"):
        assert f"{first[column]:.7g}" == f"{case[column]:.7g}"


def test_facets_match_nhsrplotthedots_summary():
    reference = plotthedots()
    facets = reference["facets"]
    summary = quiet_xmr(reference["y"], groups=np.repeat([0, 1], 10)).summary
    for column in ("mean", "lpl", "upl"):
        np.testing.assert_allclose(summary[column], facets[column], atol=0.5 * 10 ** -facets["digits"])
    assert summary.points.tolist() == [10, 10] and (summary.variation == "common_cause").all()


def test_screening_drops_large_moving_ranges():
    values = list(range(1, 15)) + [30]
    plain = xmr(values, screen_outliers=False).points.iloc[0]
    screened = xmr(values).points.iloc[0]
    assert plain.upl == pytest.approx(9.0 + 2.66 * 29 / 14)
    assert screened.upl == pytest.approx(9.0 + 2.66 * 1.0)


def test_fix_after_n_points_takes_each_segments_limits_from_its_first_points():
    baseline = [10, 12, 11, 13, 10, 12]  # mean 68/6; moving ranges 2, 1, 2, 3, 2: mean 2
    later = [14, 15, 16, 15, 14, 15, 16, 17]
    rebased = [20, 22, 21, 23, 20, 22, 21, 30, 31]  # fixed on its first 6: mean 128/6, ranges 2, 1, 2, 3, 2
    points = quiet_xmr(baseline + later + rebased, rebase=[14], fix_after_n_points=6).points
    first, second = points.iloc[:14], points.iloc[14:]
    assert np.allclose(first["mean"], 68 / 6) and np.allclose(first.upl, 68 / 6 + 2.66 * 2)
    assert np.allclose(second["mean"], 128 / 6) and np.allclose(second.lpl, 128 / 6 - 2.66 * 2)
    assert second.rule.iloc[-2:].tolist() == ["beyond_limits"] * 2  # the later points do not move the limits
    unfixed = quiet_xmr(baseline + later + rebased, rebase=[14]).points
    assert unfixed["mean"].iloc[0] == pytest.approx(np.mean(baseline + later))


def test_fix_after_n_points_beyond_a_segments_length_uses_all_of_it():
    values = [10, 12, 11, 13, 10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 12]
    assert xmr(values, fix_after_n_points=100).points.equals(xmr(values).points)


def test_fix_after_n_points_counts_missing_points_like_nhsrplotthedots():
    # row_number() <= fix_after_n_points counts rows, missing or not: the basis is 10, nan, 11, 13
    points = quiet_xmr([10, np.nan, 11, 13, 30, 40], fix_after_n_points=4).points
    assert points["mean"].iloc[0] == pytest.approx(34 / 3)
    assert points.upl.iloc[0] == pytest.approx(34 / 3 + 2.66 * 2)  # only the range 11 -> 13 survives


def test_a_missing_value_drops_both_moving_ranges_next_to_it():
    points = quiet_xmr([1, 2, np.nan, 4, 6], screen_outliers=False).points
    assert points["mean"].iloc[0] == pytest.approx(13 / 4)
    assert points.upl.iloc[0] == pytest.approx(13 / 4 + 2.66 * (1 + 2) / 2)  # ranges 1 and 2; none across the gap


def test_pchart_fixed_baseline_pools_its_first_points():
    num, den = np.array([10, 12, 8, 10, 30, 32]), np.array([100, 100, 100, 100, 100, 100])
    result = pchart(num, den, fix_after_n_points=4)  # fixed on 4 points on purpose: not trial limits
    points = result.points
    assert not result.summary.trial_limits.iloc[0]
    p = 40 / 400
    assert np.allclose(points["mean"], p) and np.allclose(points.upl, p + 3 * np.sqrt(p * (1 - p) / 100))
    assert points.rule.iloc[-2:].tolist() == ["beyond_limits"] * 2


def test_sides_of_the_mean_match_the_nhsrplotthedots_snapshot():
    reference = plotthedots()
    points = xmr(reference["y"]).points
    side = np.sign(points.value - points["mean"]).astype(int).tolist()
    expected = reference["relative_to_mean_r1"]
    assert side[: len(expected)] == expected
