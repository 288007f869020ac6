"""Benchmarks to aim at, each with a point value and an interval for every area.

The interval is what stops noise being counted as opportunity (Dropkin 2018): a benchmark set by
the luckiest areas is itself uncertain, and the gain's interval carries that uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import stats as sps

from marginalgains.improve.errors import ImproveError
from marginalgains.model import Measure, Polarity
from marginalgains.stats import proportion, rate

BENCHMARKS = ("national", "top_quartile", "top_decile", "best", "peer_best5")
PEER_BEST = 5
_PERCENTILES = {"top_quartile": 75.0, "top_decile": 90.0}


@dataclass
class Intervals:
    """Values and confidence limits, one entry per area (or one for a pooled figure)."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def check_benchmark(benchmark) -> str | float:
    """A known benchmark name, or a finite number (a target on the value's scale)."""
    if isinstance(benchmark, Real) and not isinstance(benchmark, bool):
        if not np.isfinite(benchmark):
            raise ImproveError(f"a target benchmark must be a finite number, got {benchmark!r}")
        return float(benchmark)
    if benchmark in BENCHMARKS:
        return str(benchmark)
    raise ImproveError(f"unknown benchmark {benchmark!r}: use one of {', '.join(BENCHMARKS)} or a number")


def direction(polarity) -> float:
    """+1 when higher values are better, -1 when lower are; no judgement means no gain to size."""
    polarity = _member(Polarity, polarity, "polarity")
    if polarity is Polarity.NO_JUDGEMENT:
        raise ImproveError("an indicator with no judgement (neither high nor low is good) has no gain to size")
    return 1.0 if polarity is Polarity.HIGH_IS_GOOD else -1.0


def intervals(numerator, denominator, measure, multiplier: float, confidence: float) -> Intervals:
    """Values and limits by the measure's method: Wilson for proportions, Poisson for counts."""
    measure = _member(Measure, measure, "measure")
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if measure is Measure.PROPORTION:
        table = proportion(num, den, confidence=confidence, multiplier=multiplier)
    elif measure in (Measure.RATE, Measure.RATIO, Measure.DSR):
        table = rate(num, den, multiplier=multiplier, confidence=confidence)
    else:
        raise ImproveError(f"opportunity needs a count-based measure (proportion, rate, ratio, dsr), not {measure.value}")
    return Intervals(*(table[c].to_numpy(dtype=float) for c in ("value", "lower", "upper")))


def national(numerator, denominator, measure, multiplier: float, confidence: float, size: int) -> Intervals:
    """The pooled value (all numerators over all denominators) with its own interval."""
    pooled = intervals([np.nansum(numerator)], [np.nansum(denominator)], measure, multiplier, confidence)
    return _repeat(pooled, size)


def percentile(area: Intervals, eligible: np.ndarray, sign: float, which: str, confidence: float) -> Intervals:
    """The top quartile or decile of area values (PERCENTILE.INC), with an interval for two noises.

    Which areas happen to be measured: the distribution-free order-statistic interval for a
    quantile (ranks from the binomial distribution). How noisy the benchmark-setting areas' own
    values are: the same percentile taken over the areas' lower limits and over their upper
    limits. The two are combined as independent sources, MOVER style.
    """
    if not eligible.any():
        raise ImproveError("no area is eligible to set the benchmark (check min_denominator)")
    share = _PERCENTILES[which] if sign > 0 else 100 - _PERCENTILES[which]
    point, lower_limits, upper_limits = (float(np.percentile(a[eligible], share, method="linear"))
                                         for a in (area.value, area.lower, area.upper))
    sampled_low, sampled_high = _order_statistic_interval(np.sort(area.value[eligible]), share / 100, point, confidence)
    lower = point - np.hypot(point - sampled_low, point - min(lower_limits, point))
    upper = point + np.hypot(sampled_high - point, max(upper_limits, point) - point)
    return _repeat(Intervals(np.array([point]), np.array([lower]), np.array([upper])), len(area.value))


def _order_statistic_interval(ordered: np.ndarray, share: float, point: float,
                              confidence: float) -> tuple[float, float]:
    """Values at ranks j and k that bracket the population quantile (estimated by `point`) with
    the stated confidence."""
    alpha = 1 - confidence
    m = ordered.size
    j = int(np.clip(sps.binom.ppf(alpha / 2, m, share), 1, m))
    k = int(np.clip(sps.binom.ppf(1 - alpha / 2, m, share) + 1, 1, m))
    return min(float(ordered[j - 1]), point), max(float(ordered[k - 1]), point)


def best(area: Intervals, eligible: np.ndarray, sign: float) -> Intervals:
    """The best eligible area's value, with that area's own interval."""
    if not eligible.any():
        raise ImproveError("no area is eligible to set the benchmark (check min_denominator)")
    score = np.where(eligible, sign * area.value, -np.inf)
    top = int(np.argmax(score))
    chosen = Intervals(area.value[[top]], area.lower[[top]], area.upper[[top]])
    return _repeat(chosen, len(area.value))


def peer_best(area: Intervals, eligible: np.ndarray, sign: float, peer_index: np.ndarray,
              count: int = PEER_BEST) -> Intervals:
    """Mean of the best `count` eligible peer values for each area, with a MOVER interval.

    `peer_index` is an (areas x peers) array of positions into the area arrays, -1 where a peer has
    no value. The mean's limits combine the chosen peers' own limits by the method of variance
    estimates recovery (Zou and Donner 2008): mean -+ sqrt(sum of squared distances to limits) / k.
    """
    present = peer_index >= 0
    safe = np.where(present, peer_index, 0)
    usable = present & eligible[safe]
    value = np.where(usable, area.value[safe], np.nan)
    order = np.argsort(np.where(usable, -sign * value, np.inf), axis=1, kind="stable")[:, :count]
    chosen = np.take_along_axis(safe, order, axis=1)
    taken = np.take_along_axis(usable, order, axis=1)
    k = taken.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(taken, area.value[chosen], 0.0)
        mean = np.where(k > 0, v.sum(axis=1) / k, np.nan)
        below = np.sqrt(np.where(taken, (area.value[chosen] - area.lower[chosen]) ** 2, 0.0).sum(axis=1)) / k
        above = np.sqrt(np.where(taken, (area.upper[chosen] - area.value[chosen]) ** 2, 0.0).sum(axis=1)) / k
    return Intervals(mean, mean - below, mean + above)


def target(value: float, size: int) -> Intervals:
    """A fixed target: no uncertainty of its own."""
    return Intervals(np.full(size, value), np.full(size, value), np.full(size, value))


def _member(kind, value, what: str):
    try:
        return kind(value)
    except ValueError:
        raise ImproveError(f"unknown {what} {value!r}: use one of {', '.join(m.value for m in kind)}") from None


def _repeat(single: Intervals, size: int) -> Intervals:
    return Intervals(*(np.repeat(np.asarray(a, dtype=float), size) for a in (single.value, single.lower, single.upper)))
