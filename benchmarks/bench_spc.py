"""Timings and peak memory for the SPC charts at plan-tracking scale.

Run: .venv/bin/python benchmarks/bench_spc.py   (figures recorded in benchmarks/spc.md)

Data: 10,000 series x 60 months (600,000 points), each series rebased once at a month between
20 and 40, limits fixed after the first 12 points of each segment, a per-point target (a linear
trajectory per series) and an improvement direction: the call plan tracking makes. The other
charts run on the same grid (p, c, run, g and t charts). Each figure is the best of 3 runs of
one vectorised call with ``groups=``; peak memory is tracemalloc's peak for one call.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from marginalgains.stats import cchart, gchart, pchart, run_chart, tchart, xmr

SERIES, MONTHS = 10_000, 60


def best_of(function, repeats: int = 3) -> float:
    """Fastest wall time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(function) -> float:
    """Peak traced allocation of one run, in MB."""
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def make_series(seed: int = 2) -> pd.DataFrame:
    """Monthly proportions per plan x area with a step change at each series' rebase month."""
    rng = np.random.default_rng(seed)
    month = np.tile(np.arange(MONTHS), SERIES)
    series = np.repeat(np.arange(SERIES), MONTHS)
    change = np.repeat(rng.integers(20, 41, SERIES), MONTHS)
    denominator = rng.integers(200, 2000, SERIES * MONTHS).astype(float)
    rate = np.repeat(rng.uniform(0.6, 0.8, SERIES), MONTHS) + np.where(month >= change, 0.03, 0.0)
    numerator = rng.binomial(denominator.astype(int), rate).astype(float)
    start = np.repeat(rng.uniform(60, 80, SERIES), MONTHS)
    return pd.DataFrame({
        "series": series, "month": month, "rebase": month == change, "numerator": numerator,
        "denominator": denominator, "value": numerator / denominator * 100,
        "trajectory": start + (month / (MONTHS - 1)) * 5, "events": rng.poisson(4, SERIES * MONTHS).astype(float),
        "gap": rng.geometric(0.05, SERIES * MONTHS).astype(float),
    })


def main() -> None:
    data = make_series()
    common = {"groups": data.series, "rebase": data.rebase.to_numpy(), "fix_after_n_points": 12}
    cases = [
        ("xmr: rebases + fix_after_n_points=12 + per-point targets",
         lambda: xmr(data.value, improvement="increase", target=data.trajectory, **common)),
        ("xmr: plain (no rebase, no target)", lambda: xmr(data.value, improvement="increase", groups=data.series)),
        ("pchart: rebases + fix + targets",
         lambda: pchart(data.numerator, data.denominator, multiplier=100, improvement="increase",
                        target=data.trajectory, **common)),
        ("cchart: rebases + fix", lambda: cchart(data.events, improvement="decrease", **common)),
        ("run_chart: rebases + fix (Anhoej)", lambda: run_chart(data.value, improvement="increase", **common)),
        ("gchart: rebases + fix", lambda: gchart(data.gap, improvement="increase", **common)),
        ("tchart: rebases + fix", lambda: tchart(data.gap, improvement="increase", **common)),
    ]
    print(f"{SERIES:,} series x {MONTHS} months = {len(data):,} points")
    print(f"{'chart':58} {'best of 3 (s)':>14} {'peak (MB)':>10}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # trial limits are expected for short rebased segments
        for name, call in cases:
            print(f"{name:58} {best_of(call):14.3f} {peak_mb(call):10.0f}")


if __name__ == "__main__":
    main()
