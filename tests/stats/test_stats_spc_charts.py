"""SPC chart assembly: grouped calls equal series-by-series calls, trial limits, bad and degenerate input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import pchart, uchart, xmr

from spc_helpers import STABLE


def test_grouped_call_equals_series_by_series():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"area": np.repeat(["b", "a", "c"], 40), "value": rng.normal(100, 10, 120).round(1)})
    frame.loc[75:81, "value"] = np.arange(120, 127)  # a rising run in series "a"
    frame.loc[[5, 50], "value"] = np.nan
    target = np.linspace(80, 120, 120)
    frame = frame.assign(target=target, time=frame.groupby("area").cumcount())
    shuffled = frame.sort_values(["time", "area"])  # series interleaved, time order kept within each
    grouped = xmr(shuffled.value, improvement="increase", target=shuffled.target, groups=shuffled.area,
                  fix_after_n_points=20, rebase=np.asarray(shuffled.index) == 60)
    assert grouped.points.index.equals(pd.RangeIndex(120))
    for area, rows in frame.groupby("area"):
        rebase = np.flatnonzero(rows.index == 60)
        single = xmr(rows.value, improvement="increase", target=rows.target, fix_after_n_points=20,
                     rebase=rebase if rebase.size else None)
        mine = grouped.points.loc[np.asarray(shuffled.area == area)]
        mine = mine.set_index(shuffled.index[np.asarray(shuffled.area == area)]).sort_index()
        pd.testing.assert_frame_equal(mine.drop(columns="group").reset_index(drop=True), single.points)
        summary = grouped.summary.set_index("group").loc[area]
        assert summary.variation == single.variation and summary.assurance == single.assurance
    with pytest.raises(ValueError, match="variation"):
        _ = grouped.variation


def test_fewer_than_thirteen_points_warns_trial_limits():
    with pytest.warns(UserWarning, match="trial limits") as record:
        result = xmr(STABLE[:12])
        pchart([1, 2], [3, 4])
    assert bool(result.summary.trial_limits.iloc[0])
    assert [warning.filename for warning in record] == [__file__] * 2  # the caller's line, whichever chart
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = xmr(STABLE[:12], fix_after_n_points=12)  # the limits were fixed at 12 on purpose: final
    assert not fixed.summary.trial_limits.iloc[0]
    with pytest.warns(UserWarning, match="trial limits"):
        growing = xmr(STABLE[:12], fix_after_n_points=20)  # still gathering its baseline
    assert growing.summary.trial_limits.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gappy = xmr([np.nan] * 3 + STABLE[:12], fix_after_n_points=12)  # baseline complete, 9 observed
    assert not gappy.summary.trial_limits.iloc[0]


def test_variation_icon_is_the_latest_observed_point():
    result = xmr(STABLE + [30, np.nan], improvement="increase")
    assert result.points.point_type.iloc[-1] == "common_cause"  # missing: common cause, as NHSRplotthedots
    assert result.variation == "improvement_high"
    assert result.summary.points.iloc[0] == 16


@pytest.mark.parametrize(
    ("values", "mean", "limit"),
    [
        ([np.nan], np.nan, np.nan),
        ([np.nan, np.nan, np.nan], np.nan, np.nan),
        ([4.0], 4.0, np.nan),  # one point: no moving range, so no limits
        ([5.0] * 20, 5.0, 5.0),  # constant: zero moving range, limits on the mean
    ],
)
def test_degenerate_series_give_defined_results_without_runtime_warnings(values, mean, limit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = xmr(values, improvement="increase", target=3.0)
    points = result.points
    np.testing.assert_array_equal(points["mean"], mean)
    np.testing.assert_array_equal(points.lpl, limit)
    np.testing.assert_array_equal(points.upl, limit)
    assert (points.point_type == "common_cause").all() and (points.rule == "").all()
    observed = int(np.sum(~np.isnan(values)))
    assert result.summary.points.iloc[0] == observed
    assert (result.variation == "common_cause") if observed else pd.isna(result.variation)


def test_a_constant_series_flags_any_departure():
    points = xmr([5.0] * 20 + [6.0], improvement="increase").points
    assert points.lpl.iloc[0] == points.upl.iloc[0] == pytest.approx(5.0 + 1 / 21)
    assert points.rule.iloc[-1] == "beyond_limits"


def test_an_all_missing_series_beside_a_good_one():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = xmr([np.nan] * 3 + STABLE, groups=["a"] * 3 + ["b"] * 15, improvement="increase")
    summary = result.summary.set_index("group")
    assert summary.points.tolist() == [0, 15] and pd.isna(summary.variation["a"])
    assert summary.variation["b"] == "common_cause"
    pd.testing.assert_frame_equal(result.points.iloc[3:].drop(columns="group").reset_index(drop=True),
                                  xmr(STABLE, improvement="increase").points)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: xmr([]), "values"),
        (lambda: xmr([1, 2, 3], improvement="up"), "improvement"),
        (lambda: xmr([1, 2, 3], two_of_three="sometimes"), "two_of_three"),
        (lambda: xmr([1, 2, 3], trend_points=1), "trend_points"),
        (lambda: xmr([1, 2, 3], fix_after_n_points=1), "fix_after_n_points"),
        (lambda: xmr([1, 2, 3], fix_after_n_points=2.5), "fix_after_n_points"),
        (lambda: xmr(["a"]), "values"),
        (lambda: xmr([1, 2, 3], target=["x", 1, 2]), "target"),
        (lambda: pchart([5, 12], [10, 10]), "numerator"),
        (lambda: uchart([5, -1], [10, 10]), "numerator"),
        (lambda: pchart([], []), "numerator"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_zero_denominators_give_missing_points_not_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        points = pchart([0, 0, 0], [0, 0, 0], laney=True, improvement="increase", target=0.5).points
    assert points[["value", "mean", "lpl", "upl"]].isna().all().all()
    assert (points.point_type == "common_cause").all() and points.assurance.isna().all()
