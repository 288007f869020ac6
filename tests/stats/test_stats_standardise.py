"""DSR (Dobson with Byars) and ISR, checked by hand from the published formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from marginalgains.stats import dsr, isr, poisson_limits

COUNT = np.array([5.0, 10.0, 20.0])
POP = np.array([1000.0, 2000.0, 3000.0])
STANDARD = np.array([1.0, 2.0, 3.0])


def byars(total, confidence):
    z = stats.norm.ppf(0.5 + confidence / 2)
    lower = total * (1 - 1 / (9 * total) - z / (3 * np.sqrt(total))) ** 3
    upper = (total + 1) * (1 - 1 / (9 * (total + 1)) + z / (3 * np.sqrt(total + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_dsr_dobson_limits(confidence):
    value, lower, upper = dsr(COUNT, POP, STANDARD, confidence=confidence)
    rate = (5 / 1000 * 1 + 10 / 2000 * 2 + 20 / 3000 * 3) / 6
    variance = (1 * 5 / 1000**2 + 4 * 10 / 2000**2 + 9 * 20 / 3000**2) / 36
    blow, bup = byars(35.0, confidence)
    assert value == pytest.approx(rate * 1e5)
    assert lower == pytest.approx((rate + np.sqrt(variance / 35) * (blow - 35)) * 1e5)
    assert upper == pytest.approx((rate + np.sqrt(variance / 35) * (bup - 35)) * 1e5)
    assert lower < value < upper


def test_dsr_suppressed_below_ten_events_and_with_missing_inputs():
    assert np.isnan(dsr([3, 6], [100, 100], [1, 1])).all()
    assert np.isnan(dsr([30, np.nan], [100, 100], [1, 1])).all()
    assert not np.isnan(dsr([4, 6], [100, 100], [1, 1])).any()


def test_isr_expected_ratio_and_limits():
    observed, expected, ratio, lower, upper = isr([5, 10, 20], POP, [60, 80, 150], [10000, 20000, 30000])
    assert expected == pytest.approx(1000 * 0.006 + 2000 * 0.004 + 3000 * 0.005)
    assert ratio == pytest.approx(35 / 29)
    exact = poisson_limits(35.0, 0.95)
    assert (lower, upper) == pytest.approx((exact[0] / 29, exact[1] / 29))


def test_isr_small_counts_use_exact_limits():
    _, expected, _, lower, upper = isr([2, 3], [100, 100], [1, 1], [50, 50])
    assert lower * expected == pytest.approx(stats.chi2.ppf(0.025, 10) / 2)
    assert upper * expected == pytest.approx(stats.chi2.ppf(0.975, 12) / 2)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: dsr([1, 2], [10], [1, 1]), "population"),
        (lambda: dsr([-1, 20], [10, 10], [1, 1]), "count"),
        (lambda: dsr([], [], []), "count"),
        (lambda: isr([1], [10], [1], [-5]), "ref_population"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
