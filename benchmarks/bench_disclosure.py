"""Benchmark: protecting 6,500 practices x 21 indicators x 2 sexes with their totals.

Run: .venv/bin/python benchmarks/bench_disclosure.py [--practices 6500] [--indicators 21] [--repeat 3]
     [--breakdowns | --months]
Each indicator is a table of practices (in 7 regions, in England) x sex (male, female, all),
every total included (computed from the true counts), counts drawn from a gamma-Poisson mixture
with mean 30 (seed 2012), so about one cell in fifteen is 1 to 7. Prints the median time of
`protect` under nhs-hes-2018 (primary suppression, the MILP per indicator, the audit's
certificates (closed-form rectangles, else LPs) that prove every hidden count, rounding), the cells suppressed by each step, and the narrowest
interval an attacker can deduce for a primary cell. CPU time (all threads of this process) is
printed beside wall time: on a shared machine the wall time mostly measures the other work.

With --breakdowns: the same counts as IndicatorValues, each sex (and Persons) an indicator id of its
family, through `protect_values` with the catalogue's breakdowns, so each family is one linked
table; Persons is Male + Female plus, in one practice in ten, 1 to 3 people of unknown sex (the
rest, a cell of its own). Each count is a ratio's observed count (its denominator an expected
count, not people), so the cells are those of the table above plus the rests.

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
from marginalgains.disclosure.breakdowns import Breakdown
from marginalgains.disclosure.values import protect_subperiods, protect_values
from marginalgains.model import Measure

REGIONS = 7
UNKNOWN_SEX = float(os.environ.get("BENCH_UNKNOWN_SEX", "0.1"))  # share of practices with people of unknown sex


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


def breakdown_values(practices: int, indicators: int, seed: int = 2012
                     ) -> tuple[pd.DataFrame, dict[str, Breakdown], dict[str, str]]:
    """The practice table's Male and Female counts as IndicatorValues of one family per indicator, Persons their
    sum plus people of unknown sex in one practice in ten: (values, breakdowns, practice -> region -> England)."""
    table, structure = practice_table(practices, indicators, seed)
    parents = dict(structure.dimension("area_code").parents)
    areas = table[table["area_code"].str.startswith("P")]
    wide = areas.pivot(index=["indicator_id", "area_code"], columns="sex", values="count")
    rng = np.random.default_rng(seed + 1)
    unknown = np.where(rng.random(len(wide)) < UNKNOWN_SEX, rng.integers(1, 4, len(wide)), 0)
    wide["all"] = wide["male"] + wide["female"] + unknown
    rows = wide.rename(columns={"male": "m", "female": "f", "all": "p"}).stack().rename("numerator").reset_index()
    family = rows["indicator_id"]
    rows["indicator_id"] = family + "-" + rows["sex"]
    values = rows.assign(period="2023/24", denominator=30.0)[["indicator_id", "area_code", "period", "numerator",
                                                               "denominator"]]
    sexes = {"m": "Male", "f": "Female", "p": "Persons"}
    breakdowns = {f"{f}-{k}": Breakdown(f, sex) for f in family.unique() for k, sex in sexes.items()}
    return values, breakdowns, parents


def breakdowns_main(args, rule) -> None:
    values, breakdowns, parents = breakdown_values(args.practices, args.indicators)
    measures = dict.fromkeys(breakdowns, Measure.RATIO)
    times, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        protected = protect_values(values, rule, hierarchy=parents, measures=measures, breakdowns=breakdowns)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    primary = protected.audit[protected.audit["status"] == "primary"]
    print(f"{len(values):,} values ({args.practices:,} practices x {args.indicators} families x Male, Female and "
          f"Persons), {len(protected.cells):,} cells with totals and rests")
    print(f"protect_values with breakdowns (nhs-hes-2018): median {statistics.median(times):.2f} s over "
          f"{args.repeat} runs (min {min(times):.2f} s); CPU median {statistics.median(cpu):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    steps = protected.steps
    print(f"suppressed: {steps['primary']:,} primary, {steps['secondary']:,} secondary, {steps.get('rests', 0):,} "
          f"small rests; rounded {steps['rounded']:,}")
    print(f"narrowest deducible interval of a primary cell: {primary['width'].min():g} (required "
          f"{rule.protection_interval}); {int((~primary['exact']).sum()):,} of {len(primary):,} proved by a "
          "local certificate, the rest exactly")


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
    parser.add_argument("--breakdowns", action="store_true",
                        help="time protect_values with each family's breakdowns linked")
    args = parser.parse_args()
    if args.breakdowns:
        breakdowns_main(args, load_rule("nhs-hes-2018"))
        return
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
