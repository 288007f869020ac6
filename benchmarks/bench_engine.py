"""Benchmark the record-level engine against hand-written DuckDB SQL and pandas.

A 10-indicator catalogue by CCG x financial quarter over the three SYNTHETIC tables. Each
measurement runs in its own process (so its peak memory is its own) and reports wall time and
peak resident memory; each is run `--repeat` times and the best time kept.

    .venv/bin/python benchmarks/bench_engine.py --rows 1000000 10000000 100000000
    .venv/bin/python benchmarks/bench_engine.py --rows 1000000 --spark

Data are generated with `gains synth` into benchmarks/out/rows_<N> when missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

OUT = Path(__file__).parent / "out"
NINE = ["hba1c", "blood_pressure", "cholesterol", "serum_creatinine", "urine_albumin",
        "foot_surveillance", "bmi", "smoking", "retinal_screening"]
DATES = {"mi_admissions": "admission_date", "diabetes_care": "audit_year_start", "eye_screening": "invitation_date"}
# (id, table, denominator, numerator): the same conditions in SQL and in pandas below.
INDICATORS = [
    ("mi-ppci", "mi_admissions", "stemi", "ppci_in_time"),
    ("mi-stemi", "mi_admissions", "TRUE", "stemi"),
    ("mi-died-stemi", "mi_admissions", "stemi", "died_30d"),
    ("mi-died-old", "mi_admissions", "age_band IN ('75-84', '85+')", "died_30d"),
    ("dm-t2-hba1c", "diabetes_care", "diabetes_type = 2", "hba1c"),
    ("dm-t2-urine", "diabetes_care", "diabetes_type = 2", "urine_albumin"),
    ("dm-t1-foot", "diabetes_care", "diabetes_type = 1", "foot_surveillance"),
    ("dm-t2-all-nine", "diabetes_care", "diabetes_type = 2", " AND ".join(NINE)),
    ("eye-uptake", "eye_screening", "TRUE", "attended"),
    ("eye-uptake-t1", "eye_screening", "diabetes_type = 1", "attended"),
]


def catalogue_document() -> dict:
    return {"synthetic": True, "indicators": [
        {"id": id_, "title": id_, "polarity": "high_is_good", "measure": "proportion", "table": table,
         "area": "ccg_code", "period": {"column": DATES[table], "grain": "quarter"},
         "denominator": denominator, "numerator": numerator}
        for id_, table, denominator, numerator in INDICATORS
    ]}


# The ways an analyst writes a conditional count in DuckDB; the fastest is the baseline.
COUNT_STYLES = {
    "filter": "COUNT(*) FILTER (WHERE {condition})",
    "case": "SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)",
    "cast": "SUM(CAST({condition} AS INTEGER))",
    "countif": "COUNT_IF({condition})",
}


def hand_written_sql(data: Path, style: str) -> dict[str, str]:
    """One query per table, as an analyst would write it: conditional counts by area and quarter key."""
    queries = {}
    for table, date in DATES.items():
        counts = []
        for i, (_, source, denominator, numerator) in enumerate(INDICATORS):
            if source != table:
                continue
            for name, condition in ((f"d{i}", denominator), (f"n{i}", f"({denominator}) AND ({numerator})")):
                counts.append(f"{COUNT_STYLES[style].format(condition=condition)} AS {name}")
        quarter = (f"(year({date}) - CAST(month({date}) < 4 AS INTEGER)) * 10 + (month({date}) + 8) % 12 // 3 + 1")
        queries[table] = (f"SELECT ccg_code, {quarter} AS quarter, {', '.join(counts)} "
                          f"FROM read_parquet('{data / (table + '.parquet')}') GROUP BY ALL")
    return queries


def run_engine(data: Path, backend: str) -> int:
    from marginalgains.engine import compute

    return len(compute(data / "bench_catalogue.yaml", data, backend=backend).values)


def run_sql(data: Path, style: str) -> int:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return sum(len(con.execute(query).df()) for query in hand_written_sql(data, style).values())


def run_pandas(data: Path) -> int:
    """The same counts in pandas: read the needed columns, derive conditions, group and sum."""
    import pandas as pd

    rows = 0
    for table, date in DATES.items():
        frame = pd.read_parquet(data / f"{table}.parquet")
        when = pd.to_datetime(frame[date])
        start = when.dt.year - (when.dt.month < 4)
        counts = pd.DataFrame({"ccg_code": frame["ccg_code"], "quarter": start * 10 + (when.dt.month + 8) % 12 // 3 + 1})
        for i, (_, source, _, _) in enumerate(INDICATORS):
            if source == table:
                denominator, numerator = PANDAS_CONDITIONS[i](frame)
                counts[f"d{i}"] = denominator
                counts[f"n{i}"] = denominator & numerator
        rows += len(counts.groupby(["ccg_code", "quarter"], observed=True).sum())
    return rows


def _all_nine(f):
    done = f[NINE[0]]
    for name in NINE[1:]:
        done = done & f[name]
    return done


PANDAS_CONDITIONS = [
    lambda f: (f["stemi"], f["ppci_in_time"]),
    lambda f: (f["stemi"] | True, f["stemi"]),
    lambda f: (f["stemi"], f["died_30d"]),
    lambda f: (f["age_band"].isin(["75-84", "85+"]), f["died_30d"]),
    lambda f: (f["diabetes_type"] == 2, f["hba1c"]),
    lambda f: (f["diabetes_type"] == 2, f["urine_albumin"]),
    lambda f: (f["diabetes_type"] == 1, f["foot_surveillance"]),
    lambda f: (f["diabetes_type"] == 2, _all_nine(f)),
    lambda f: (f["attended"] | True, f["attended"]),
    lambda f: (f["diabetes_type"] == 1, f["attended"]),
]


def measure(method: str, data: Path) -> dict:
    """Run one method in this process; report its time, peak memory and output size (imports untimed)."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    import ibis.backends.duckdb  # noqa: F401  (Ibis loads its backend lazily; loading is not computing)
    import marginalgains.engine  # noqa: F401

    started = time.perf_counter()
    if method == "engine":
        rows = run_engine(data, "duckdb")
    elif method == "engine-spark":
        rows = run_engine(data, "spark")
    elif method.startswith("sql-"):
        rows = run_sql(data, method.removeprefix("sql-"))
    else:
        rows = run_pandas(data)
    seconds = time.perf_counter() - started
    return {"method": method, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "output_rows": rows}


def in_subprocess(method: str, data: Path) -> dict:
    output = subprocess.run([sys.executable, __file__, "--one", method, "--data", str(data)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def prepare(rows: int) -> Path:
    data = OUT / f"rows_{rows}"
    if not (data / "eye_screening.parquet").exists():
        subprocess.run([str(Path(sys.executable).with_name("gains")), "synth", "--scale", str(rows), "--out", str(data),
                        "--seed", "7", "--quiet"], check=True)
    (data / "bench_catalogue.yaml").write_text(yaml.safe_dump(catalogue_document(), sort_keys=False))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pandas-max", type=int, default=10_000_000, help="skip pandas above this many rows")
    parser.add_argument("--spark", action="store_true", help="also time the engine on Spark local[2]")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.data)))
        return
    results = []
    for rows in args.rows:
        data = prepare(rows)
        methods = [f"sql-{style}" for style in COUNT_STYLES] + ["engine"] + (["pandas"] if rows <= args.pandas_max else [])
        methods += ["engine-spark"] if args.spark else []
        for method in methods:
            runs = [in_subprocess(method, data) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            best.update(rows=rows, peak_mb=max(r["peak_mb"] for r in runs))
            results.append(best)
            print(f"{rows:>11,} {method:<13} {best['seconds']:8.2f} s  peak {best['peak_mb']:7.0f} MB  "
                  f"({best['output_rows']} aggregate rows)", flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print_summary(results)


def print_summary(results: list[dict]) -> None:
    by = {(r["rows"], r["method"]): r for r in results}
    for rows in sorted({r["rows"] for r in results}):
        engine = by[(rows, "engine")]["seconds"]
        sql = min(by[(rows, f"sql-{style}")]["seconds"] for style in COUNT_STYLES)
        line = f"{rows:>11,} rows: engine / best hand-written SQL = {engine / sql:.2f}"
        if (rows, "pandas") in by:
            line += f"; pandas / engine = {by[(rows, 'pandas')]['seconds'] / engine:.1f}"
        print(line)


if __name__ == "__main__":
    main()
