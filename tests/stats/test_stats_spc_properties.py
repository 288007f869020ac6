"""SPC laws over arbitrary series (hypothesis): defined results without RuntimeWarnings, ordered lines,
grouped calls equal to one call per series, for every chart."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from marginalgains.stats import cchart, gchart, pchart, run_chart, tchart, xmr

CHARTS = {
    "xmr": lambda v, **k: xmr(v, improvement="increase", target=10.0, **k),
    "pchart": lambda v, **k: pchart(v, np.full(v.size, 50.0), improvement="decrease", **k),
    "cchart": lambda v, **k: cchart(v, **k),
    "gchart": lambda v, **k: gchart(v, improvement="increase", **k),
    "tchart": lambda v, **k: tchart(np.where(v > 0, v, np.nan), improvement="increase", **k),
    "run_chart": lambda v, **k: run_chart(v, **k),
}
series_lists = st.lists(
    st.lists(st.one_of(st.integers(0, 50).map(float), st.just(np.nan)), min_size=1, max_size=20),
    min_size=1, max_size=5)


def call(name, values, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return CHARTS[name](np.asarray(values, dtype=float), **kwargs)


@settings(max_examples=25, deadline=None)
@given(series_lists, st.sampled_from(sorted(CHARTS)), st.one_of(st.none(), st.integers(2, 15)))
def test_every_chart_is_defined_and_grouped_equals_single(series, name, fix):
    values = np.concatenate([np.array(s, dtype=float) for s in series])
    groups = np.repeat(np.arange(len(series)), [len(s) for s in series])
    grouped = call(name, values, groups=groups, fix_after_n_points=fix).points
    assert len(grouped) == values.size and grouped.point_type.notna().all()
    for g, s in enumerate(series):
        single = call(name, s, fix_after_n_points=fix).points
        mine = grouped[grouped.group == g].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, single)


@settings(max_examples=40, deadline=None)
@given(series_lists.map(lambda s: s[0]), st.sampled_from(["xmr", "pchart", "cchart", "tchart"]))
def test_lines_are_ordered_where_defined(values, name):
    points = call(name, values).points
    lines = points[["lpl", "lower_2s", "mean", "upper_2s", "upl"]].dropna().to_numpy()
    assert (np.diff(lines, axis=1) >= -1e-9 * np.maximum(1, np.abs(lines[:, 1:]))).all()
