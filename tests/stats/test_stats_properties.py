"""Property tests: intervals contain values, wider levels nest, funnels narrow, polarity mirrors,
vectorised results equal element-by-element ones. No per-example deadline: the suite runs in
parallel with other work on two cores, where a slow example is not a wrong one."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from marginalgains.stats import (
    compare, funnel_limits, poisson_limits, proportion, quantile_category, rate, wilson, xmr,
)

counts = st.integers(min_value=0, max_value=10**6)
sizes = st.integers(min_value=1, max_value=10**6)


@st.composite
def num_den(draw):
    den = draw(sizes)
    return draw(st.integers(min_value=0, max_value=den)), den


@settings(deadline=None)
@given(num_den())
def test_proportion_interval_contains_value_and_nests(pair):
    num, den = pair
    narrow = proportion([num], [den], 0.95).iloc[0]
    wide = proportion([num], [den], 0.998).iloc[0]
    assert 0 <= wide.lower <= narrow.lower <= narrow.value <= narrow.upper <= wide.upper <= 1


@settings(deadline=None)
@given(counts, sizes)
def test_rate_interval_contains_value_and_nests(num, den):
    narrow = rate([num], [den], confidence=0.95).iloc[0]
    wide = rate([num], [den], confidence=0.998).iloc[0]
    assert wide.lower <= narrow.lower <= narrow.value <= narrow.upper <= wide.upper


@settings(deadline=None)
@given(st.floats(min_value=0.001, max_value=0.999), st.lists(sizes, min_size=2, max_size=20, unique=True))
def test_proportion_funnel_narrows_with_size(target, size_list):
    limits = funnel_limits("proportion", target, sorted(size_list))
    assert (np.diff(limits.upper_99_8) <= 1e-12).all() and (np.diff(limits.lower_99_8) >= -1e-12).all()
    assert (limits.upper_99_8 >= limits.upper_95).all() and (limits.lower_99_8 <= limits.lower_95).all()


@settings(deadline=None)
@given(st.lists(st.floats(min_value=5, max_value=1e5), min_size=2, max_size=20, unique=True))
def test_ratio_funnel_contains_target_and_narrows(expected):
    limits = funnel_limits("ratio", 1.0, sorted(expected), confidence=0.998)
    assert (limits.lower_99_8 < 1).all() and (limits.upper_99_8 > 1).all()
    width = limits.upper_99_8 - limits.lower_99_8
    assert (np.diff(width) < 1e-9).all()


@settings(deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=30),
       st.floats(-100, 100))
def test_polarity_flips_mirror(rows, benchmark):
    value = np.array([r[0] for r in rows])
    lower, upper = value - [r[1] for r in rows], value + [r[2] for r in rows]
    high = compare(value, lower, upper, benchmark, "high_is_good")
    low = compare(value, lower, upper, benchmark, "low_is_good")
    swap = {"better": "worse", "worse": "better", "similar": "similar", "not_compared": "not_compared"}
    assert low.tolist() == [swap[x] for x in high.tolist()]


@settings(deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60), st.integers(2, 10))
def test_quantile_polarity_mirrors(values, n):
    high = np.asarray(quantile_category(values, n, "high_is_good"), dtype=int)
    low = np.asarray(quantile_category(values, n, "low_is_good"), dtype=int)
    assert (high == n + 1 - low).all() and low.min() >= 1 and low.max() <= n


@settings(deadline=None)
@given(st.lists(num_den(), min_size=1, max_size=15))
def test_vectorised_wilson_equals_elementwise(pairs):
    num, den = np.array(pairs, dtype=float).T
    lower, upper = wilson(num, den)
    for i, (n_i, d_i) in enumerate(pairs):
        assert (lower[i], upper[i]) == wilson(n_i, d_i)


@settings(deadline=None)
@given(st.lists(counts, min_size=1, max_size=15))
def test_vectorised_poisson_equals_elementwise(values):
    lower, upper = poisson_limits(values)
    for i, value in enumerate(values):
        one = poisson_limits(value)
        np.testing.assert_array_equal([lower[i], upper[i]], one)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=2, max_size=25), min_size=1, max_size=6))
def test_grouped_xmr_equals_one_call_per_series(series):
    values = np.concatenate([np.array(s, dtype=float) for s in series])
    groups = np.repeat(np.arange(len(series)), [len(s) for s in series])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = xmr(values, improvement="increase", groups=groups).points
        for g, s in enumerate(series):
            single = xmr(np.array(s, dtype=float), improvement="increase").points
            mine = grouped[grouped.group == g].drop(columns="group").reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, single)
