"""Speed of marginalgains.improve at practice scale: peers + opportunity for 6,500 practices x 21
indicators, reading (capping) 2,000 interventions against their opportunities, allocation of 2,000.
The 21 indicators are seven families of Persons, Male and Female, so the allocation keeps each
family's Persons apart from its sexes in every area (a tenth of the interventions act on all areas).

Run: .venv/bin/python benchmarks/bench_improve.py   (targets: under 2 s, under 1 s and under 5 s)
Times are CPU seconds of the process (time.process_time), so a machine shared with other work
slows them less than it does wall time; the load average is printed first.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from marginalgains.improve import allocate, opportunity, peers, read_interventions
from marginalgains.model import Indicator, Measure, Polarity

PRACTICES, INDICATORS, INTERVENTIONS = 6_500, 21, 2_000
SEXES = ("Persons", "Male", "Female")


def practices(rng: np.random.Generator) -> pd.DataFrame:
    codes = [f"P{i:05d}" for i in range(PRACTICES)]
    return pd.DataFrame({"area_code": codes, "population": rng.integers(2_000, 30_000, PRACTICES),
                         "over_65_share": rng.uniform(0.05, 0.35, PRACTICES),
                         "deprivation_score": rng.uniform(3, 60, PRACTICES), "rurality": rng.uniform(0, 1, PRACTICES)})


def peers_and_opportunity(rng: np.random.Generator) -> float:
    areas = practices(rng)
    tables = []
    for _ in range(INDICATORS):
        denominator = rng.integers(50, 2_000, PRACTICES)
        tables.append(areas[["area_code"]].assign(denominator=denominator,
                                                  numerator=rng.binomial(denominator, rng.uniform(0.4, 0.9, PRACTICES))))
    started = time.process_time()
    peer_table = peers(areas, n=10)
    for values in tables:
        opportunity(values, "peer_best5", "high_is_good", multiplier=100, peers=peer_table)
    return time.process_time() - started


def reading_interventions(rng: np.random.Generator) -> float:
    """Half the interventions name a practice, half act on all of them; half in points, half in people."""
    indicators = [Indicator(f"ind{k}", f"Indicator {k}", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100,
                            sex=SEXES[k % 3], family=f"fam{k // 3}") for k in range(INDICATORS)]
    codes = [f"P{i:05d}" for i in range(PRACTICES)]
    opportunities = pd.concat([pd.DataFrame({"indicator_id": i.id, "area_code": codes,
                                             "denominator": rng.integers(50, 2_000, PRACTICES).astype(float),
                                             "gain": rng.gamma(1.5, 10, PRACTICES)}) for i in indicators])
    named = rng.random(INTERVENTIONS) < 0.5
    table = pd.DataFrame({
        "id": [f"I{i}" for i in range(INTERVENTIONS)],
        "cost": rng.integers(10, 500, INTERVENTIONS) * 1_000.0,
        "indicator_id": rng.choice([i.id for i in indicators], INTERVENTIONS),
        "effect": rng.uniform(0.5, 5, INTERVENTIONS),
        "effect_unit": rng.choice(["points", "people"], INTERVENTIONS),
        "area_code": np.where(named, rng.choice(codes, INTERVENTIONS), "all"),
    })
    started = time.process_time()
    read_interventions(table, indicators, opportunities)
    return time.process_time() - started


def allocation(rng: np.random.Generator) -> float:
    kinds = rng.integers(0, INDICATORS, INTERVENTIONS)
    table = pd.DataFrame({
        "id": [f"I{i}" for i in range(INTERVENTIONS)],
        "cost": rng.integers(10, 500, INTERVENTIONS) * 1_000.0,
        "benefit": rng.gamma(2, 50, INTERVENTIONS),
        "group": [f"G{i // 3}" if i % 2 else None for i in range(INTERVENTIONS)],
        "tags": rng.choice(["mental_health", "long_term_conditions", "cancer"], INTERVENTIONS),
        "area_code": np.where(rng.random(INTERVENTIONS) < 0.1, "all",
                              rng.choice([f"A{i}" for i in range(106)], INTERVENTIONS)),
        "indicator_id": [f"ind{k}" for k in kinds], "family": [f"fam{k // 3}" for k in kinds],
        "sex": [SEXES[k % 3] for k in kinds], "age": "",
    })
    started = time.process_time()
    allocate(table, 5_000_000, min_share={"mental_health": 0.3}, max_per_area=250_000)
    return time.process_time() - started


if __name__ == "__main__":
    rng = np.random.default_rng(2024)
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"peers + opportunity, {PRACTICES:,} practices x {INDICATORS} indicators: {peers_and_opportunity(rng):.2f} s (target < 2 s)")
    print(f"reading {INTERVENTIONS:,} interventions against {PRACTICES:,} practices x {INDICATORS} indicators: "
          f"{reading_interventions(rng):.2f} s (target < 1 s)")
    print(f"allocation over {INTERVENTIONS:,} interventions on {INDICATORS} breakdowns: {allocation(rng):.2f} s "
          "(target < 5 s)")
