"""Benchmark comparison, quantile categories and the recent-trend marker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import compare, quantile_category, trend


def test_compare_with_polarity_and_missing():
    args = ([1, 2, 3, np.nan], [0.5, 1.5, 2.1, 1], [1.5, 2.5, 3.1, 2], 2)
    assert compare(*args, polarity="low_is_good").tolist() == ["better", "similar", "worse", "not_compared"]
    assert compare(*args, polarity="high_is_good").tolist() == ["worse", "similar", "better", "not_compared"]
    assert compare(*args).tolist() == ["lower", "similar", "higher", "not_compared"]
    assert compare(*args, confidence=0.998).name == "compared_99_8"


def test_interval_touching_benchmark_is_similar():
    assert compare([2.5], [2.0], [3.0], 2.0, "high_is_good").tolist() == ["similar"]


def test_quantile_category_uses_percentile_inc_cut_points():
    values = np.arange(1.0, 11.0)  # cut points 2.8, 4.6, 6.4, 8.2
    assert list(quantile_category(values, 5)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(quantile_category([1.0, 2.0, 3.0, 4.0, 5.0], 4)) == [1, 1, 2, 3, 4]  # cut points 2, 3, 4: equal goes lower
    got = quantile_category([1.0, np.nan, 3.0], 2, "high_is_good")
    assert got.isna().tolist() == [False, True, False] and got[0] == 2 and got[2] == 1


def test_trend_marker():
    value = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    assert trend(value, value - 0.2, value + 0.2) == "increasing"
    assert trend(value[::-1], value - 0.2, value + 0.2) == "decreasing"
    assert trend(value, value - 20, value + 20) == "no_significant_change"
    assert trend(value[:4], value[:4] - 1, value[:4] + 1) == "cannot_be_calculated"
    with_gap = np.array([10.0, np.nan, 12.0, 13.0, 14.0])
    assert trend(with_gap, with_gap - 0.2, with_gap + 0.2) == "cannot_be_calculated"


def test_trend_slope_z_by_hand():
    value = np.array([10.0, 10.5, 10.2, 10.9, 11.0])
    se = np.array([0.2, 0.3, 0.2, 0.25, 0.2])
    t = np.arange(5.0)
    w = 1 / se**2
    tm = np.sum(w * t) / w.sum()
    ym = np.sum(w * value) / w.sum()
    z = np.sum(w * (t - tm) * (value - ym)) / np.sqrt(np.sum(w * (t - tm) ** 2))
    half = 1.959963984540054 * se
    expected = "increasing" if z > 3.2905267314919255 else "no_significant_change"
    assert trend(value, value - half, value + half) == expected
    assert trend(value, value - half, value + half, confidence=0.95) == ("increasing" if z > 1.959963984540054 else "no_significant_change")


def test_grouped_trend_takes_the_last_five_points_per_group():
    values = [5, 4, 3, 1, 2, 3, 4, 5, 9, 9, 9, 9, 9]
    lower = [v - 0.1 for v in values]
    upper = [v + 0.1 for v in values]
    got = trend(values, lower, upper, groups=list("aaaaaaaa") + list("bbbbb"))
    assert got.to_dict() == {"a": "increasing", "b": "no_significant_change"}


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: compare([1], [2], [0], 1), "lower"),
        (lambda: compare([1, 2], [0, 1, 2], [2, 3], 1), "lower"),
        (lambda: compare([1], [0], [2], 1, polarity="up"), "polarity"),
        (lambda: quantile_category([1, 2], n=1), "n"),
        (lambda: trend([1, 2], [0], [3, 3]), "lower"),
        (lambda: trend([1, 2], [0, 1], [2, 3], groups=["a"]), "groups"),
        (lambda: trend([1, 2], [0, 1], [2, 3], groups=["a", None]), "groups must not contain missing ids"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_empty_quantiles_are_empty():
    assert len(quantile_category([], 5)) == 0
    assert isinstance(quantile_category([np.nan], 5), pd.arrays.IntegerArray)
