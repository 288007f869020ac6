"""Benchmark: reading a Fingertips export at practice scale, and `gains atlas --fingertips` end to end.

Run: .venv/bin/python benchmarks/bench_fingertips.py [--practices 6500] [--indicators 21] [--repeat 3] [--read-only]
Writes a practice-level export shaped as Fingertips' (England as Country, practices under their
sub-ICB parents, Better/Worse ratings, 15 percentages, 3 crude rates per 1,000, 2 DSRs, one
modelled estimate, deprivation deciles for England), then prints the median time of
`read_fingertips` in process and of the whole command in a fresh process, with its peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.io.fingertips import read_fingertips

DECILES = ["Most deprived decile", "Second most deprived decile", "Third more deprived decile",
           "Fourth more deprived decile", "Fifth more deprived decile", "Fifth less deprived decile",
           "Fourth less deprived decile", "Third less deprived decile", "Second least deprived decile",
           "Least deprived decile"]


def export(practices: int, indicators: int, seed: int = 1) -> pd.DataFrame:
    """One period of `indicators` indicators for `practices` GP practices, England, and England's deciles."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(indicators):
        kind = "percentage" if k < indicators - 6 else "rate" if k < indicators - 3 else "dsr" if k < indicators - 1 else "modelled"
        size = rng.integers(800, 20000, practices).astype(float)
        p = np.clip(rng.normal(0.4 + 0.02 * (k % 10), 0.08, practices), 0.01, 0.99) * (0.05 if kind != "percentage" else 1)
        count = rng.binomial(size.astype(int), p).astype(float)
        multiplier = {"percentage": 100, "rate": 1000, "dsr": 100000, "modelled": 100}[kind]
        value = count / size * multiplier * (rng.uniform(0.8, 1.2, practices) if kind == "dsr" else 1)
        if kind == "modelled":
            count = count + 0.37
        codes = [f"P{i:05d}" for i in range(practices)]
        frame = pd.DataFrame({"Indicator ID": 90000 + k, "Indicator Name": f"Indicator {k} ({kind})",
                              "Parent Code": [f"E38{i % 106:06d}" for i in range(practices)],
                              "Area Code": codes, "Area Name": [f"Practice {c}" for c in codes], "Area Type": "GPs",
                              "Sex": "Persons", "Age": "All ages", "Category Type": "", "Category": "",
                              "Time period": "2022/23", "Value": value, "Lower CI 95.0 limit": value * 0.95,
                              "Upper CI 95.0 limit": value * 1.05, "Count": count, "Denominator": size,
                              "Value note": "Value is modelled or synthetic estimate" if kind == "modelled" else "",
                              "Compared to England value or percentiles": ""})
        england_value = count.sum() / size.sum() * multiplier
        frame["Compared to England value or percentiles"] = np.where(frame["Value"] > england_value * 1.1, "Better 95%",
                                                                     np.where(frame["Value"] < england_value * 0.9,
                                                                              "Worse 95%", "Similar"))
        england = frame.iloc[:1].assign(**{"Area Code": "E92000001", "Area Name": "England", "Area Type": "Country",
                                           "Parent Code": "", "Value": england_value, "Count": count.sum(),
                                           "Denominator": size.sum(), "Compared to England value or percentiles": ""})
        deciles = pd.concat([england] * 10, ignore_index=True).assign(
            **{"Category Type": "GP deprivation deciles in England (IMD2019)", "Category": DECILES,
               "Count": np.round(count.sum() / 10 * np.linspace(0.9, 1.1, 10)), "Denominator": np.round(size.sum() / 10)})
        deciles["Value"] = deciles["Count"] / deciles["Denominator"] * multiplier
        deciles["Lower CI 95.0 limit"], deciles["Upper CI 95.0 limit"] = deciles["Value"] * 0.99, deciles["Value"] * 1.01
        parts += [england, frame, deciles]
    return pd.concat(parts, ignore_index=True)


def command(path: Path, out: Path) -> tuple[float, float, float]:
    """Wall time, CPU time (user + system) and peak RSS (MB) of `gains atlas --fingertips` in a fresh
    process: on the shared machine wall time is mostly the queue for a core, CPU time is the work."""
    gains = Path(sys.executable).parent / "gains"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(gains), "atlas", "--fingertips", str(path), "--out", str(out), "--quiet"], check=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--indicators", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read-only", action="store_true", help="time read_fingertips only, not the whole command")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        table = export(arguments.practices, arguments.indicators)
        table.to_csv(path, index=False)
        reads, cpu = [], []
        for _ in range(arguments.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = read_fingertips(path)
            reads.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        commands = [] if arguments.read_only else [command(path, Path(folder) / "atlas") for _ in range(arguments.repeat)]
    read = result.read
    print(f"Fingertips export: {len(table):,} rows ({arguments.indicators} indicators x {arguments.practices:,} practices, "
          f"England and its deciles); {read.rows_accepted:,} accepted, {read.rows_rejected:,} rejected, "
          f"{sum(read.set_aside.values()):,} set aside; median of {arguments.repeat}:")
    print(f"  read_fingertips    {statistics.median(reads):6.2f} s wall, {statistics.median(cpu):.2f} s CPU "
          f"(in process; best wall {min(reads):.2f} s)")
    if commands:
        print(f"  gains atlas        {statistics.median(c[0] for c in commands):6.2f} s wall, "
              f"{statistics.median(c[1] for c in commands):.2f} s CPU (fresh process, imports included; "
              f"best wall {min(c[0] for c in commands):.2f} s)")
        print(f"  peak memory        {max(c[2] for c in commands):6.0f} MB (resident)")
    print(f"  load average       {', '.join(f'{n:.1f}' for n in os.getloadavg())} (1, 5, 15 minutes, after the runs)")


if __name__ == "__main__":
    main()
