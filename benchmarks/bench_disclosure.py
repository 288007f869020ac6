"""Benchmark: protecting 6,500 practices x 21 indicators x 2 sexes with their totals.

Run: .venv/bin/python benchmarks/bench_disclosure.py [--practices 6500] [--indicators 21] [--repeat 3] [--months]
Each indicator is a table of practices (in 7 regions, in England) x sex (male, female, all),
every total included (computed from the true counts), counts drawn from a gamma-Poisson mixture
with mean 30 (seed 2012), so about one cell in fifteen is 1 to 7. Prints the median time of
`protect` under nhs-hes-2018 (primary suppression, the MILP per indicator, the audit's
certificates (closed-form rectangles, else LPs) that prove every hidden count, rounding), the cells suppressed by each step, and the narrowest
interval an attacker can deduce for a primary cell. CPU time (all threads of this process) is
printed beside wall time: on a shared machine the wall time mostly measures the other work.

With --months: the monthly points of `gains atlas --disclosure` instead, `protect_subperiods` on
practices x indicators x 12 months of a proportion (register mean about 80 a month, events 10%,
seed 2012), each practice's year known (years with a count 1..7 left out, as the atlas withholds
their months).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

from marginalgains.disclosure import Dimension, Structure, add_totals, load_rule, protect
from marginalgains.disclosure.values import protect_subperiods
from marginalgains.model import Measure

REGIONS = 7


def practice_table(practices: int, indicators: int, seed: int = 2012) -> tuple[pd.DataFrame, Structure]:
    """Practices x indicators x sex with regional and national totals, and the structure that adds them up."""
    rng = np.random.default_rng(seed)
    codes = [f"P{i:05d}" for i in range(practices)]
    parents = {code: f"R{i % REGIONS}" for i, code in enumerate(codes)}
    parents.update({f"R{r}": "ENG" for r in range(REGIONS)})
    cells = pd.MultiIndex.from_product([[f"ind{k:02d}" for k in range(indicators)], codes, ["male", "female"]],
                                       names=["indicator_id", "area_code", "sex"]).to_frame(index=False)
    cells["count"] = rng.poisson(rng.gamma(2.0, 15.0, len(cells)))
    structure = Structure((Dimension("indicator_id"), Dimension("area_code", parents),
                           Dimension.breakdown("sex", "all", ["male", "female"])), geography="area_code")
    return add_totals(cells, structure, ["count"]), structure


def monthly_table(practices: int, indicators: int, seed: int = 2012) -> pd.DataFrame:
    """Practices x indicators x 12 months of a proportion, only years whose counts are all 8 or more."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2023-04", periods=12, freq="M").strftime("%Y-%m")
    table = pd.MultiIndex.from_product([[f"ind{k:02d}" for k in range(indicators)],
                                        [f"P{i:05d}" for i in range(practices)], months],
                                       names=["indicator_id", "area_code", "period"]).to_frame(index=False)
    table["denominator"] = rng.poisson(np.repeat(rng.gamma(2.0, 40.0, practices * indicators), 12)) + 1
    table["numerator"] = rng.binomial(table["denominator"], 0.1)
    table["year"] = "2023/24"
    parts = table[["numerator", "denominator"]].assign(remainder=table["denominator"] - table["numerator"])
    years = parts.groupby([table["indicator_id"], table["area_code"]]).transform("sum")
    return table[(years > 7).all(axis=1)].reset_index(drop=True)


def months_main(args, rule) -> None:
    table = monthly_table(args.practices, args.indicators)
    measures = {i: Measure.PROPORTION for i in table["indicator_id"].unique()}
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        protected = protect_subperiods(table, rule, measures=measures)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    primary = protected.audit[protected.audit["status"] == "primary"]
    print(f"{len(table):,} months ({args.practices:,} practices x {args.indicators} indicators, years with a small "
          "count left out)")
    print(f"protect_subperiods (nhs-hes-2018): median {statistics.median(times):.2f} s over {args.repeat} runs "
          f"(min {min(times):.2f} s); CPU median {statistics.median(cpu):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"suppressed cells: {protected.steps['primary']:,} primary, {protected.steps['secondary']:,} secondary; "
          f"months withheld {protected.steps['follows']:,}; narrowest interval of a primary cell "
          f"{primary['width'].min():g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--indicators", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--months", action="store_true", help="time the monthly points (protect_subperiods)")
    args = parser.parse_args()
    if args.months:
        months_main(args, load_rule("nhs-hes-2018"))
        return
    table, structure = practice_table(args.practices, args.indicators)
    rule = load_rule("nhs-hes-2018")
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        protected = protect(table, structure, rule)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    primary = protected.audit[protected.audit["status"] == "primary"]
    print(f"{len(table):,} cells ({args.practices:,} practices x {args.indicators} indicators x 3 sexes, with totals)")
    print(f"protect (nhs-hes-2018): median {statistics.median(times):.2f} s over {args.repeat} runs "
          f"(min {min(times):.2f} s); CPU median {statistics.median(cpu):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"suppressed: {protected.steps['primary']:,} primary, {protected.steps['secondary']:,} secondary; "
          f"rounded {protected.steps['rounded']:,}")
    print(f"narrowest deducible interval of a primary cell: {primary['width'].min():g} (required "
          f"{rule.protection_interval}); {int((~primary['exact']).sum()):,} of {len(primary):,} proved by a "
          "local certificate, the rest exactly")


if __name__ == "__main__":
    main()
