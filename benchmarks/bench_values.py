"""CPU of checking tidy values (`io.values.check_values`): a 4-row upload, as the workspace checks one
per request, and a practice-scale batch, 21 indicators (seven families of Persons, Male and Female) x
6,500 practices, uploaded as text.

Run: .venv/bin/python benchmarks/bench_values.py   (figures: benchmarks/README.md, values check row)
CPU time (time.process_time) per check: the median of many small checks, the best of 3 large ones.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pandas as pd

from marginalgains.io.catalogue import catalogue_from_dict
from marginalgains.io.values import check_values

SEXES = ["Persons", "Male", "Female"]
INDICATORS, PRACTICES = 21, 6_500


def catalogue():
    return catalogue_from_dict({"indicators": [
        {"id": f"ind-{k}", "title": f"Indicator {k}", "polarity": "high_is_good", "measure": "proportion",
         "multiplier": 100, "sex": SEXES[k % 3], "age": "All ages", "family": f"ind-{k - k % 3}"}
        for k in range(INDICATORS)]}, "benchmark catalogue")


def upload(indicators: int, areas: int) -> pd.DataFrame:
    """Values as a CSV upload reads them: every cell text."""
    rng = np.random.default_rng(20261201)
    denominator = rng.integers(1_000, 15_000, indicators * areas)
    return pd.DataFrame({"indicator_id": np.repeat([f"ind-{k}" for k in range(indicators)], areas),
                         "area_code": np.tile([f"P{a:05d}" for a in range(areas)], indicators),
                         "period": "2022/23",
                         "numerator": np.floor(denominator * rng.uniform(0.05, 0.3, len(denominator))).astype(int).astype(str),
                         "denominator": denominator.astype(str)})


def cpu_ms(frame: pd.DataFrame, kinds, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        read = check_values(frame.copy(), kinds, "upload.csv")
        times.append((time.process_time() - started) * 1000)
        assert read.rows_accepted == len(frame)
    return times


if __name__ == "__main__":
    kinds = catalogue()
    small = upload(4, 1)
    cpu_ms(small, kinds, 20)  # warm: imports and first-call caches
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"4-row upload: {statistics.median(cpu_ms(small, kinds, 300)):.1f} ms CPU (median of 300)")
    large = upload(INDICATORS, PRACTICES)
    print(f"{len(large):,} rows ({INDICATORS} x {PRACTICES:,}): {min(cpu_ms(large, kinds, 3)):.0f} ms CPU (best of 3)")
