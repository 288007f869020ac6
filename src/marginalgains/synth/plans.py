"""SYNTHETIC monthly series for the 106 CCGs with improvement plans that started partway through.

Five years of months (April 2019 to March 2024) of three invented indicators, and a plan file:
- a plan that worked: angioplasty in time in one area jumps after its new pathway went live
  (July 2022), a special-cause improvement against limits fixed at the baseline;
- a plan behind its trajectory: readmissions fall after a discharge service started, but too
  slowly for a 15% cut by March 2024;
- a record holder aiming at its own best: the area with the best eye-screening year of all
  (2019/20) slipped, changed how it invites people (a rebase), and aims to beat that year again;
- a plan across three areas (+5 points each), where nothing has changed yet.
Counts are binomial draws, deterministic by seed. Invented patients: not real NHS care.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from marginalgains.io.outputs import write_csv
from marginalgains.synth.areas import ccg_boundaries

FIRST_MONTH, MONTHS = "2019-04", 60
NOTICE = "SYNTHETIC monthly series and plans from marginal-gains (gains demo): invented, not real NHS care or plans."
CATALOGUE = {
    "synthetic": True,
    "source": "SYNTHETIC data from the marginal-gains generator (gains demo); not real patients",
    "licence": "Synthetic data, no licence restrictions",
    "indicators": [
        {"id": "syn-plan-ppci", "title": "SYNTHETIC: STEMI heart attacks treated with primary angioplasty in time",
         "polarity": "high_is_good", "measure": "proportion", "multiplier": 100, "unit": "%"},
        {"id": "syn-plan-readmissions", "title": "SYNTHETIC: emergency readmissions within 30 days of discharge",
         "polarity": "low_is_good", "measure": "proportion", "multiplier": 100, "unit": "%"},
        {"id": "syn-plan-eye-screening", "title": "SYNTHETIC: people with diabetes attending eye screening",
         "polarity": "high_is_good", "measure": "proportion", "multiplier": 100, "unit": "%"},
    ],
}
WORKED, BEHIND, RECORD, GROUP = 10, 20, 30, (40, 41, 42)  # which CCGs (by code order) have plans


@dataclass(frozen=True)
class PlansDemo:
    """What `generate_plans_demo` wrote."""

    values: Path
    catalogue: Path
    plans: Path


def generate_plans_demo(out_dir: str | Path, seed: int = 2012) -> PlansDemo:
    """Write values.csv, catalogue.yaml and plans.yaml (SYNTHETIC) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    areas = ccg_boundaries()
    rng = np.random.default_rng([seed, 11])
    months = pd.period_range(FIRST_MONTH, periods=MONTHS, freq="M")
    frames = [_series(indicator_id, rates, size, areas, months, rng)
              for indicator_id, rates, size in _scenarios(len(areas), months, rng)]
    paths = PlansDemo(out / "values.csv", out / "catalogue.yaml", out / "plans.yaml")
    write_csv(pd.concat(frames, ignore_index=True), paths.values)
    paths.catalogue.write_text(f"# {NOTICE}\n" + yaml.safe_dump(CATALOGUE, sort_keys=False), encoding="utf-8")
    codes = areas["area_code"].tolist()
    paths.plans.write_text(f"# {NOTICE}\n" + yaml.safe_dump({"plans": _plans(codes)}, sort_keys=False), encoding="utf-8")
    (out / "SYNTHETIC.txt").write_text(NOTICE + f"\nseed {seed}\n", encoding="utf-8")
    return paths


def _scenarios(n: int, months: pd.PeriodIndex, rng: np.random.Generator):
    """(indicator id, rate per area x month, people per area-month) for each indicator."""
    index = np.arange(len(months))
    since = lambda label: index >= months.get_loc(pd.Period(label, "M"))  # noqa: E731
    ppci = np.repeat(rng.uniform(0.45, 0.80, (n, 1)), len(months), axis=1)
    ppci[WORKED] = np.where(since("2022-07"), 0.76, 0.52)
    readmissions = np.repeat(rng.uniform(0.10, 0.16, (n, 1)), len(months), axis=1)
    start = months.get_loc(pd.Period("2022-10", "M"))
    readmissions[BEHIND] = 0.15 - 0.012 * np.clip((index - start) / 12, 0, 1)
    eye = np.repeat(rng.uniform(0.70, 0.82, (n, 1)), len(months), axis=1)
    year = index // 12  # 0 = 2019/20
    eye[RECORD] = np.array([0.90, 0.86, 0.84, 0.86, 0.88])[year]
    return [("syn-plan-ppci", ppci, 150), ("syn-plan-readmissions", readmissions, 1200),
            ("syn-plan-eye-screening", eye, 800)]


def _series(indicator_id: str, rates: np.ndarray, size: int, areas: pd.DataFrame, months: pd.PeriodIndex,
            rng: np.random.Generator) -> pd.DataFrame:
    denominator = rng.poisson(size, rates.shape).clip(1)
    return pd.DataFrame({
        "indicator_id": indicator_id,
        "area_code": np.repeat(areas["area_code"].to_numpy(), len(months)),
        "area_name": np.repeat(areas["area_name"].to_numpy(), len(months)),
        "period": np.tile(months.strftime("%Y-%m"), len(areas)),
        "numerator": rng.binomial(denominator, rates).ravel(),
        "denominator": denominator.ravel(),
    })


def _plans(codes: list[str]) -> list[dict]:
    owner = {"organisation": "QHM", "contact": "plans@example.invalid"}
    plans = [
        {"id": "ppci-pathway", "title": "SYNTHETIC: a direct-to-lab pathway for heart attacks",
         "indicator_id": "syn-plan-ppci", "areas": codes[WORKED], "owner": owner, "partners": ["RTD", "RX6"],
         "interventions": [{"allocation": "INT-12", "cost": 180000, "effect": 60},
                           {"text": "Paramedic ECG transmission to the heart attack centre", "cost": 25000}],
         "baseline": {"period": "2021/22"}, "target": "top_quartile", "by": "2024-03",
         "changes": [{"date": "2022-07", "event": "Direct-to-lab pathway went live", "reason": "new service",
                      "rebase": False}],
         "notes": "SYNTHETIC example: the plan that worked."},
        {"id": "readmissions-d2a", "title": "SYNTHETIC: discharge to assess, fewer readmissions",
         "indicator_id": "syn-plan-readmissions", "areas": codes[BEHIND], "owner": owner,
         "interventions": [{"text": "Discharge-to-assess service", "cost": 400000, "effect": 150}],
         "baseline": {"period": "2021/22"}, "target": "-15%", "by": "2024-03",
         "changes": [{"date": "2022-10", "event": "Discharge-to-assess service started", "reason": "winter funding"}],
         "notes": "SYNTHETIC example: improving, but behind its trajectory."},
        {"id": "eye-screening-best", "title": "SYNTHETIC: back to our best year for eye screening",
         "indicator_id": "syn-plan-eye-screening", "areas": codes[RECORD], "owner": owner,
         "baseline": {"period": "2021/22"}, "target": "own_best", "by": "2025-03",
         "changes": [{"date": "2022-04", "event": "Invitations moved to text messages",
                      "reason": "a new way of inviting people: limits recalculated", "rebase": True}],
         "notes": "SYNTHETIC example: the record holder aiming at its own best year (2019/20)."},
        {"id": "ppci-network", "title": "SYNTHETIC: three areas raising angioplasty in time together",
         "indicator_id": "syn-plan-ppci", "areas": [codes[i] for i in GROUP], "owner": owner,
         "baseline": {"period": "2022/23"}, "target": "+5pp", "by": "2025-03",
         "notes": "SYNTHETIC example: a plan across three areas that has not changed anything yet."},
    ]
    return [{**p, "owner": dict(p["owner"])} for p in plans]  # each its own owner: no YAML aliases
