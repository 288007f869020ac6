"""Run charts: medians, Anhoej's longest run and crossings (qicharts2 figures), IHI shift and trend rules."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from marginalgains.stats import run_chart
from marginalgains.stats.spc.layout import layout
from marginalgains.stats.spc.runs import runs_analysis

from stats_fixtures import qicharts2


@pytest.mark.parametrize("example", ["montgomery_7_3_c", "montgomery_7_6_t"])
def test_runs_analysis_matches_qicharts2_against_its_centre_line(example):
    case = qicharts2()[example]
    values = np.array(case.get("counts") or case["time_between"])
    if "exclude_1based" in case:  # qicharts2's exclude leaves the points out of the runs analysis
        values = np.delete(values, np.array(case["exclude_1based"]) - 1)
    runs = runs_analysis(np.sign(values - case["cl"]), layout(values.size, None, None))
    expected = case["runs"]
    assert runs["useful"][0] == expected["n.useful"]
    for ours, theirs in (("longest_run", "longest.run"), ("longest_run_max", "longest.run.max"),
                         ("crossings", "n.crossings"), ("crossings_min", "n.crossings.min")):
        assert runs[ours][0] == expected[theirs], ours
    assert bool(runs["runs_signal"][0]) == expected["runs.signal"]


def test_cdi_run_chart_matches_the_qicharts2_vignette():
    cdi = qicharts2()["cdi"]
    result = run_chart(cdi["n"], improvement="decrease", fix_after_n_points=cdi["before"])
    summary = result.summary.iloc[0]
    assert summary["median"] == cdi["median_before"]
    assert summary.longest_run == cdi["longest_run_below"] and summary.runs_signal
    points = result.points
    flagged = points[points.rule == "shift"]
    assert len(flagged) == cdi["longest_run_below"] and (flagged.value < cdi["median_before"]).all()
    assert (flagged.point_type == "special_cause_improvement").all()
    assert result.variation == "improvement_low"


def test_hand_worked_alternating_series_has_no_signal():
    values = [3, 5, 4, 6, 2, 7, 1, 8]  # median 4.5; every point crosses: 8 runs of 1, 7 crossings
    summary = run_chart(values).summary.iloc[0]
    assert summary["median"] == 4.5 and summary.useful == 8
    assert summary.longest_run == 1 and summary.longest_run_max == 6  # round(log2(8)) + 3
    assert summary.crossings == 7 and summary.crossings_min == 1  # qbinom(0.05, 7, 0.5): P(X <= 1) = 8/128
    assert not summary.runs_signal


def test_points_on_the_median_and_missing_points_neither_break_nor_extend_a_run():
    values = [5, 1, 1, 5, 1, np.nan, 1, 1, 5, 9, 9, 9, 5, 9]  # median 5: five 1s below, four 9s above
    result = run_chart(values, shift_points=5)
    summary = result.summary.iloc[0]
    assert summary.useful == 9 and summary.crossings == 1 and summary.longest_run == 5
    rules = result.points.rule.tolist()
    assert rules[1:5] == ["shift", "shift", "", "shift"] and rules[6:8] == ["shift", "shift"]
    assert rules[9:] == [""] * 5
    assert pd.isna(result.points.value.iloc[5]) and result.points.point_type.iloc[5] == "common_cause"


def test_ihi_trend_rule_is_an_option():
    values = [4, 6, 5, 7, 1, 2, 3, 4, 5, 6, 4, 6, 5]
    assert (run_chart(values).points.rule == "").all()
    trend = run_chart(values, trend_points=5).points
    assert trend.rule.iloc[4:10].tolist() == ["trend"] * 6


def test_grouped_run_charts_equal_single_ones_and_rebase_splits_the_median():
    rng = np.random.default_rng(7)
    values = rng.poisson(10, 90).astype(float)
    groups = np.repeat(["x", "y", "z"], 30)
    grouped = run_chart(values, groups=groups, shift_points=6)
    for name in "xyz":
        mine = grouped.points[grouped.points.group == name].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, run_chart(values[groups == name], shift_points=6).points)
    split = run_chart(values[:30], rebase=[15]).points
    assert split["median"].iloc[0] == np.median(values[:15]) and split["median"].iloc[-1] == np.median(values[15:30])


def test_degenerate_run_charts():
    empty = run_chart([np.nan, np.nan]).summary.iloc[0]
    assert empty.useful == 0 and not empty.runs_signal and np.isnan(empty.longest_run)
    flat = run_chart([3.0] * 10).summary.iloc[0]
    assert flat.useful == 0 and flat["median"] == 3.0
    with pytest.raises(ValueError, match="shift_points"):
        run_chart([1, 2, 3], shift_points=1)
    with pytest.raises(ValueError, match="assurance"):
        _ = run_chart([1, 2, 3]).assurance


def plain_runs_analysis(values: list[float]) -> tuple[int, float, float, float, float, bool]:
    """qicharts2 runs.analysis for one series around its median, written plainly (rle of the signs)."""
    kept = [v for v in values if not np.isnan(v)]
    median = float(np.median(kept)) if kept else np.nan
    signs = [int(np.sign(v - median)) for v in kept if v != median]
    if not signs:
        return 0, np.nan, np.nan, np.nan, np.nan, False
    lengths = [len(list(run)) for _, run in itertools.groupby(signs)]
    n, longest, crossings = len(signs), max(lengths), len(lengths) - 1
    longest_max, crossings_min = round(np.log2(n)) + 3, stats.binom.ppf(0.05, n - 1, 0.5)
    return n, longest, longest_max, crossings, crossings_min, longest > longest_max or crossings < crossings_min


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(0, 9).map(float), st.just(np.nan)), min_size=1, max_size=40),
                min_size=1, max_size=4))
def test_runs_analysis_equals_a_plain_transcription(series):
    values = np.concatenate([np.array(s, dtype=float) for s in series])
    groups = np.repeat(np.arange(len(series)), [len(s) for s in series])
    summary = run_chart(values, groups=groups).summary
    columns = ["useful", "longest_run", "longest_run_max", "crossings", "crossings_min", "runs_signal"]
    for g, s in enumerate(series):
        got = summary.loc[g, columns].tolist()
        np.testing.assert_equal([float(v) for v in got], [float(v) for v in plain_runs_analysis(s)])
