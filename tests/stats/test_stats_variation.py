"""Variation summaries: hand-checked figures, zero handling, and the grouped table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import variation, variation_table

VALUES = np.arange(1.0, 21.0)  # 20 areas: 1..20


def test_fold_percentiles_and_cv_by_hand():
    got = variation(VALUES)
    assert got["n"] == 20 and got["min"] == 1 and got["max"] == 20
    assert got["fold"] == 20
    assert got["fold_trimmed5"] == pytest.approx(15 / 6)  # drop 1..5 and 16..20
    # PERCENTILE.INC: rank 1 + 0.95 x 19 = 19.05 -> 19.05; rank 1.95 -> 1.95
    assert got["p95_p5"] == pytest.approx(19.05 / 1.95)
    assert got["iqr_ratio"] == pytest.approx(15.25 / 5.75)
    assert got["cv"] == pytest.approx(np.std(VALUES, ddof=1) / 10.5)
    assert np.isnan(got["scv"]) and np.isnan(got["eb_ratio"])


def test_trimmed_fold_needs_eleven_areas():
    assert np.isnan(variation(VALUES[:10])["fold_trimmed5"])
    assert variation(VALUES[:11])["fold_trimmed5"] == 1.0  # only the 6th area is left


def test_zero_minimum_gives_nan_folds_not_infinity():
    got = variation([0.0, 2.0, 4.0, 8.0])
    assert np.isnan(got["fold"])
    assert got["iqr_ratio"] == pytest.approx(5.0 / 1.5)


def test_scv_and_pooled_by_hand():
    num = np.array([10.0, 30.0])
    den = np.array([100.0, 100.0])
    got = variation(num / den, num, den)
    assert got["pooled"] == pytest.approx(0.2)
    expected = 100 * np.mean([((10 - 20) / 20) ** 2 - 1 / 20, ((30 - 20) / 20) ** 2 - 1 / 20])
    assert got["scv"] == pytest.approx(expected)
    assert got["cv_weighted"] == pytest.approx(0.1 / 0.2)


def test_empirical_bayes_shrinks_small_areas():
    num = np.array([0, 1, 2, 50, 100, 150, 200, 250, 300, 350], dtype=float)
    den = np.array([10, 10, 10, 1000, 1000, 1000, 1000, 1000, 1000, 1000], dtype=float)
    got = variation(num / den, num, den)
    rates = num / den
    raw = np.quantile(rates, 0.8) / np.quantile(rates, 0.2)
    assert 1 < got["eb_ratio"] < raw


def test_no_extra_variation_gives_eb_ratio_one():
    den = np.full(12, 1000.0)
    num = np.full(12, 100.0)
    assert variation(num / den, num, den)["eb_ratio"] == 1.0


def test_table_equals_one_call_per_group():
    rng = np.random.default_rng(7)
    den = rng.integers(50, 5000, 90).astype(float)
    num = rng.binomial(den.astype(int), 0.1).astype(float)
    frame = pd.DataFrame({"g": np.repeat(["a", "b", "c"], 30), "value": num / den, "numerator": num, "denominator": den})
    table = variation_table(frame, "g").set_index("g")
    for key, rows in frame.groupby("g"):
        single = variation(rows.value, rows.numerator, rows.denominator)
        for name, figure in single.items():
            np.testing.assert_allclose(table.loc[key, name], figure, rtol=1e-12, err_msg=name)


def test_table_with_two_keys_and_missing_values():
    frame = pd.DataFrame({"a": [1, 1, 1, 2, 2], "b": ["x", "x", "x", "y", "y"], "value": [1.0, np.nan, 3.0, 2.0, 8.0]})
    table = variation_table(frame, ["a", "b"], numerator=None, denominator=None)
    assert list(table.columns[:3]) == ["a", "b", "n"]
    assert table.n.tolist() == [2, 2] and table.fold.tolist() == [3.0, 4.0]


def test_empty_and_all_nan_give_nan_summaries():
    for values in ([], [np.nan, np.nan]):
        got = variation(values)
        assert got["n"] == 0 and np.isnan(got["fold"]) and np.isnan(got["cv"])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: variation([1.0, 2.0], numerator=[1.0]), "numerator"),
        (lambda: variation([1.0], [-1.0], [10.0]), "numerator"),
        (lambda: variation_table(pd.DataFrame({"g": [1]}), "g"), "value"),
        (lambda: variation_table(pd.DataFrame({"g": [1], "value": [0.5], "numerator": [1], "denominator": [2]}), "g",
                                 numerator="numerater"), "numerater"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
