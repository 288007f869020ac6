"""Timings for marginalgains.stats on large inputs, against a straightforward per-group pandas version.

Run: .venv/bin/python benchmarks/bench_stats.py   (figures recorded in benchmarks/stats.md)

Data: 1,000,000 area-period rows (10,000 areas x 100 periods) for proportion, rate and
funnel_band; 10,000 series of 100 points for xmr. The per-group baseline runs
``groupby(...).apply`` with the same formulas, timed on 500 groups and scaled up linearly.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from marginalgains.stats import funnel_band, proportion, rate, xmr

AREAS, PERIODS, BASELINE_GROUPS = 10_000, 100, 500


def best_of(function, repeats: int = 3) -> float:
    """Fastest wall time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def make_rows(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    den = rng.integers(50, 5000, AREAS * PERIODS).astype(float)
    num = rng.binomial(den.astype(int), rng.beta(20, 80, den.size)).astype(float)
    return pd.DataFrame({"area": np.repeat(np.arange(AREAS), PERIODS), "numerator": num, "denominator": den})


def wilson_group(group: pd.DataFrame) -> pd.DataFrame:
    z = stats.norm.ppf(0.975)
    x, n = group.numerator, group.denominator
    spread = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    return pd.DataFrame({"value": x / n, "lower": (2 * x + z**2 - spread) / (2 * (n + z**2)),
                         "upper": (2 * x + z**2 + spread) / (2 * (n + z**2))})


def rate_group(group: pd.DataFrame) -> pd.DataFrame:
    o, n = group.numerator, group.denominator
    z = stats.norm.ppf(0.975)
    lower = np.where(o < 10, stats.chi2.ppf(0.025, 2 * o) / 2, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3)
    upper = np.where(o < 10, stats.chi2.ppf(0.975, 2 * o + 2) / 2,
                     (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3)
    return pd.DataFrame({"value": o / n * 1e5, "lower": lower / n * 1e5, "upper": upper / n * 1e5})


def band_group(group: pd.DataFrame, pooled: float) -> pd.Series:
    p = group.numerator / group.denominator
    se = np.sqrt(pooled * (1 - pooled) / group.denominator)
    z95, z998 = stats.norm.ppf(0.975), stats.norm.ppf(0.999)
    return ((p > pooled + z998 * se).astype(int) + (p > pooled + z95 * se) - (p < pooled - z998 * se) - (p < pooled - z95 * se))


def xmr_group(series: pd.Series) -> pd.DataFrame:
    """Limits with screening plus the four MDC rules, written plainly for one series."""
    x = series.to_numpy()
    mean = x.mean()
    mr = np.abs(np.diff(x))
    mr = mr[mr < 3.267 * mr.mean()].mean()
    upl, lpl = mean + 2.66 * mr, mean - 2.66 * mr
    u2, l2 = mean + 2 / 3 * 2.66 * mr, mean - 2 / 3 * 2.66 * mr
    flag = (x > upl) | (x < lpl)
    s = pd.Series(x)
    rising = s.diff().gt(0)
    runs = (~rising).cumsum()
    flag |= (rising.groupby(runs).transform("size") >= 7).to_numpy()
    for beyond in ((x > u2) & (x <= upl), (x < l2) & (x >= lpl)):
        near = pd.Series(beyond)
        window = near.rolling(3, min_periods=3).sum().ge(2).rolling(3, min_periods=1).max().shift(-2, fill_value=0)
        flag |= (near & (window > 0)).to_numpy()
    side = np.sign(x - mean)
    side_runs = pd.Series(np.r_[0, np.cumsum(side[1:] != side[:-1])])
    flag |= (side_runs.groupby(side_runs).transform("size") >= 7).to_numpy() & (side != 0)
    return pd.DataFrame({"mean": mean, "lpl": lpl, "upl": upl, "flag": flag})


def scaled_baseline(frame: pd.DataFrame, key: str, function) -> float:
    """Per-group apply on BASELINE_GROUPS groups, scaled to all groups."""
    subset = frame[frame[key] < BASELINE_GROUPS]
    seconds = best_of(lambda: subset.groupby(key, group_keys=False).apply(function), repeats=1)
    return seconds * frame[key].nunique() / BASELINE_GROUPS


def main() -> None:
    rows = make_rows()
    pooled = rows.numerator.sum() / rows.denominator.sum()
    series = pd.DataFrame({"series": rows.area, "value": rows.numerator / rows.denominator * 100})
    cases = [
        ("proportion (1,000,000 rows)", lambda: proportion(rows.numerator, rows.denominator),
         lambda: scaled_baseline(rows, "area", wilson_group)),
        ("rate (1,000,000 rows)", lambda: rate(rows.numerator, rows.denominator),
         lambda: scaled_baseline(rows, "area", rate_group)),
        ("funnel_band (1,000,000 rows)", lambda: funnel_band(rows.numerator, rows.denominator, "proportion"),
         lambda: scaled_baseline(rows, "area", lambda g: band_group(g, pooled))),
        ("xmr (10,000 series x 100 points)", lambda: xmr(series.value, improvement="increase", groups=series.series),
         lambda: scaled_baseline(series, "series", lambda g: xmr_group(g.value))),
    ]
    print(f"{'function':36} {'stats (s)':>10} {'per-group pandas (s)':>22} {'ratio':>7}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, fast, slow in cases:
            ours = best_of(fast)
            baseline = slow()
            print(f"{name:36} {ours:10.3f} {baseline:22.2f} {baseline / ours:6.0f}x")


if __name__ == "__main__":
    main()
