"""XmR, p and u charts: nhspy-plotthedots limits (every case), the MDC rules, grouped calls."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import pchart, uchart, xmr

from stats_fixtures import xmr_cases

STABLE = [10, 12, 11, 13, 10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 12]


def quiet_xmr(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xmr(*args, **kwargs)


@pytest.mark.parametrize("case", xmr_cases(), ids=lambda c: str(c["values"][:4]))
def test_limits_match_nhspy_plotthedots(case):
    points = quiet_xmr(case["values"]).points
    got = points[["mean", "lpl", "upl", "lower_2s", "upper_2s"]].iloc[0].to_numpy()
    np.testing.assert_allclose(got, case["expected"], rtol=0, atol=1e-12)


def test_screening_drops_large_moving_ranges():
    values = list(range(1, 15)) + [30]
    plain = xmr(values, screen_outliers=False).points.iloc[0]
    screened = xmr(values).points.iloc[0]
    assert plain.upl == pytest.approx(9.0 + 2.66 * 29 / 14)
    assert screened.upl == pytest.approx(9.0 + 2.66 * 1.0)


def test_beyond_limits_takes_priority_and_improvement_names_the_side():
    values = STABLE + [30]
    result = xmr(values, improvement="decrease")
    assert result.points.point_type.iloc[-1] == "special_cause_concern"
    assert result.points.rule.iloc[-1] == "beyond_limits"
    assert result.variation == "concern_high"
    assert (result.points.point_type.iloc[:-1] == "common_cause").all()


def test_trend_of_seven_flags_the_run_and_six_is_an_option():
    values = [12, 11, 13, 12, 11, 12, 13, 11, 12, 13, 11.0, 11.2, 11.4, 11.6, 11.8, 12.0, 12.2]
    seven = xmr(values, improvement="increase").points
    assert (seven.rule.iloc[-7:] == "trend").all()
    assert seven.point_type.iloc[-7:].eq("special_cause_improvement").all()
    assert (seven.point_type.iloc[:-7] == "common_cause").all()
    shorter = xmr(values[:-1], improvement="increase").points
    assert (shorter.point_type == "common_cause").all()
    six = xmr(values[:-1], improvement="increase", trend_points=6).points
    assert (six.rule.iloc[-6:] == "trend").all()


def test_shift_of_seven_on_one_side():
    values = [12, 10] * 5 + [11.5, 11.5, 11.6, 11.4, 11.3, 11.6, 11.7]
    points = xmr(values).points
    assert (points.rule.iloc[-7:] == "shift").all()
    assert (points.point_type.iloc[-7:] == "special_cause_neutral_high").all()
    assert (points.rule.iloc[:-7] == "").all()


def test_two_of_three_flags_only_the_points_beyond_two_sigma():
    values = [10, 11] * 10 + [13, 10.5, 13]
    points = xmr(values, screen_outliers=False).points
    last = points.iloc[-1]
    assert last.upper_2s < 13 < last.upl  # the setup: both 13s lie between the 2-sigma line and the limit
    assert points.rule.iloc[-3:].tolist() == ["two_of_three", "", "two_of_three"]
    assert (points.rule.iloc[:-3] == "").all()
    off = xmr(values, screen_outliers=False, two_of_three=None).points
    assert (off.rule.iloc[-3:] == "").all()


def test_inclusive_two_of_three_counts_points_beyond_the_limit():
    values = [10, 11] * 10 + [13, 16]
    mdc = xmr(values, screen_outliers=False).points
    assert mdc.upper_2s.iloc[0] < 13 < mdc.upl.iloc[0] < 16
    assert mdc.rule.iloc[-2:].tolist() == ["", "beyond_limits"]
    inclusive = xmr(values, screen_outliers=False, two_of_three="inclusive").points
    assert inclusive.rule.iloc[-2:].tolist() == ["two_of_three", "beyond_limits"]


def test_assurance_from_target_against_limits():
    for target, expected in ((5.0, "consistent_pass"), (12.0, "inconsistent"), (20.0, "consistent_fail")):
        assert xmr(STABLE, improvement="increase", target=target).assurance == expected
    assert xmr(STABLE, improvement="decrease", target=20.0).assurance == "consistent_pass"
    assert xmr(STABLE, target=20.0).assurance is None


def test_rebase_recomputes_limits_per_segment():
    values = [10.0] * 2 + [11.0, 10.0] * 6 + [20.0, 21.0] * 7
    points = xmr(values, rebase=[14]).points
    assert points["mean"].iloc[0] == pytest.approx(np.mean(values[:14]))
    assert points["mean"].iloc[-1] == pytest.approx(20.5)


def test_fewer_than_thirteen_points_warns_trial_limits():
    with pytest.warns(UserWarning, match="trial limits"):
        result = xmr(STABLE[:12])
    assert bool(result.summary.trial_limits.iloc[0])


def test_grouped_call_equals_series_by_series():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"area": np.repeat(["b", "a", "c"], 40), "value": rng.normal(100, 10, 120).round(1)})
    frame.loc[75:81, "value"] = np.arange(120, 127)  # a rising run in series "c"... and "a"
    shuffled = frame.sample(frac=1, random_state=1).sort_index(kind="stable")
    grouped = xmr(shuffled.value, improvement="increase", target=90, groups=shuffled.area)
    for area, rows in frame.groupby("area"):
        single = xmr(rows.value, improvement="increase", target=90)
        mine = grouped.points[grouped.points.group == area].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, single.points)
        summary = grouped.summary.set_index("group").loc[area]
        assert summary.variation == single.variation and summary.assurance == single.assurance
    with pytest.raises(ValueError, match="variation"):
        _ = grouped.variation


def test_missing_values_are_skipped():
    values = STABLE[:7] + [np.nan] + STABLE[7:]
    points = xmr(values).points
    assert pd.isna(points.point_type.iloc[7]) and pd.isna(points.rule.iloc[7])
    assert points["mean"].iloc[0] == pytest.approx(np.mean(STABLE))


def test_pchart_limits_and_laney():
    num = np.array([50, 55, 48, 52, 60, 47, 51, 49, 53, 50, 52, 48, 51])
    den = np.full(13, 500)
    points = pchart(num, den).points
    p = num.sum() / den.sum()
    assert points.upl.iloc[0] == pytest.approx(p + 3 * np.sqrt(p * (1 - p) / 500))
    laney = pchart(num, den, laney=True).points
    z = (num / den - p) / np.sqrt(p * (1 - p) / 500)
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    assert laney.upl.iloc[0] == pytest.approx(p + 3 * sigma_z * np.sqrt(p * (1 - p) / 500))


def test_uchart_limits_floor_at_zero():
    points = uchart([1, 0, 2, 1, 0, 1, 3, 1, 0, 2, 1, 1, 0], [10] * 13, multiplier=1000).points
    u = 13 / 130
    assert points["mean"].iloc[0] == pytest.approx(u * 1000)
    assert points.upl.iloc[0] == pytest.approx((u + 3 * np.sqrt(u / 10)) * 1000)
    assert points.lpl.iloc[0] == 0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: xmr([]), "values"),
        (lambda: xmr([1, 2, 3], groups=[1, 2]), "groups"),
        (lambda: xmr([1, 2, 3], improvement="up"), "improvement"),
        (lambda: xmr([1, 2, 3], two_of_three="sometimes"), "two_of_three"),
        (lambda: xmr([1, 2, 3], rebase=[5]), "rebase"),
        (lambda: xmr(["a"]), "values"),
        (lambda: pchart([5, 12], [10, 10]), "numerator"),
        (lambda: uchart([5, -1], [10, 10]), "numerator"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=name):
            call()
