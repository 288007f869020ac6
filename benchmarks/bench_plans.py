"""Speed of marginalgains.plans.track: 10,000 plan x area series of 60 months.

1,000 plans of 10 areas each (linear trajectories, a benchmark target resolved at the baseline
(top decile) for a tenth of them, a dated change with a rebase for a fifth) over 10,000 areas x 60 months of
a proportion indicator: resolve, trajectory, XmR, assurance, gaps, forecast and scorecard.

Run: .venv/bin/python benchmarks/bench_plans.py [--repeat 3]   (target: under 2 s)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from marginalgains.io.catalogue import Catalogue
from marginalgains.model import Indicator, Measure, Polarity
from marginalgains.plans import Plan, track

AREAS, MONTHS, PLAN_AREAS = 10_000, 60, 10


def values(rng: np.random.Generator) -> pd.DataFrame:
    months = pd.period_range("2019-04", periods=MONTHS, freq="M").strftime("%Y-%m")
    denominator = rng.integers(200, 2_000, (AREAS, MONTHS))
    level = rng.uniform(0.4, 0.8, (AREAS, 1))
    benchmarked = (np.arange(AREAS) // PLAN_AREAS) % 10 == 0  # plans aiming at the top decile start below it
    level[benchmarked] = rng.uniform(0.4, 0.5, (int(benchmarked.sum()), 1))
    rate = np.clip(level + np.linspace(0, 0.05, MONTHS), 0, 1)
    return pd.DataFrame({
        "indicator_id": "bench", "area_code": np.repeat([f"A{i:05d}" for i in range(AREAS)], MONTHS),
        "period": np.tile(months, AREAS), "numerator": rng.binomial(denominator, rate).ravel(),
        "denominator": denominator.ravel()})


def plans() -> list[Plan]:
    out = []
    for n in range(AREAS // PLAN_AREAS):
        areas = [f"A{i:05d}" for i in range(n * PLAN_AREAS, (n + 1) * PLAN_AREAS)]
        plan = {"id": f"plan-{n}", "title": f"Plan {n}", "indicator_id": "bench", "areas": areas,
                "owner": {"organisation": f"ORG{n}"}, "baseline": {"period": "2019/20"},
                "target": "top_decile" if n % 10 == 0 else "+5pp", "by": "2024-03"}
        if n % 5 == 0:
            plan["changes"] = [{"date": "2021-10", "event": "new pathway", "reason": "bench", "rebase": True}]
        out.append(Plan.from_dict(plan))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    table, plan_list = values(rng), plans()
    catalogue = Catalogue({"bench": Indicator("bench", "Bench", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, 100, "%")})
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = track(plan_list, table, catalogue)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert not result.errors, result.errors[:3]
    print(f"track: {len(result.scorecard):,} series, {len(result.points):,} points; "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s wall over {args.repeat} runs "
          f"(best CPU time {min(cpu):.2f} s)")
    print(result.scorecard["status"].value_counts().to_string())


if __name__ == "__main__":
    main()
