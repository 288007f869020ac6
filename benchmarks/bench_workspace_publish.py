"""Storing and publishing a practice-scale batch in the workspace store, and publishing its replacement.

21 proportions (seven families of Persons, Male and Female) x 6,500 practices x one period, as a tidy
upload read by the library: stored as a draft (`batches.create_draft`), published, then the same
figures stored and published again, which supersedes every value of the first (per indicator,
breakdown and period). Times are wall clock for each step, on a fresh store.

Run:
    .venv/bin/python benchmarks/bench_workspace_publish.py                       # SQLite in a temporary folder
    .venv/bin/python benchmarks/bench_workspace_publish.py --database postgresql://user:pw@127.0.0.1:5432/empty_db
Figures: benchmarks/workspace_publish.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pandas as pd

from marginalgains.io.catalogue import Catalogue, catalogue_from_dict
from marginalgains.io.values import ReadResult, check_values
from marginalgains.store import accounts, batches
from marginalgains.store.database import open_store

SEXES = ["Persons", "Male", "Female"]


def practice_batch(indicators: int, areas: int) -> tuple[Catalogue, ReadResult]:
    catalogue = catalogue_from_dict({"indicators": [
        {"id": f"ind-{k}", "title": f"Indicator {k}", "polarity": "high_is_good", "measure": "proportion",
         "sex": SEXES[k % 3], "age": "All ages", "family": f"ind-{k - k % 3}"} for k in range(indicators)]},
        "benchmark catalogue")
    rng = np.random.default_rng(20261201)
    values = pd.DataFrame({"indicator_id": np.repeat([f"ind-{k}" for k in range(indicators)], areas),
                           "area_code": np.tile([f"P{a:05d}" for a in range(areas)], indicators),
                           "period": "2022/23",
                           "denominator": rng.integers(1_000, 15_000, indicators * areas).astype(float)})
    values["numerator"] = np.floor(values["denominator"] * rng.uniform(0.05, 0.3, len(values)))
    return catalogue, check_values(values, catalogue, "benchmark values")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--indicators", type=int, default=21)
    parser.add_argument("--areas", type=int, default=6_500)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-publish-')}/workspace.sqlite"
    catalogue, read = practice_batch(args.indicators, args.areas)
    store = open_store(url)
    with store.sessions() as db:
        accounts.add_organisation(db, "QWE", "An ICB", "icb")
        db.commit()
    for step in ("first", "replacement"):
        with store.sessions() as db:
            organisation = accounts.organisation_by_code(db, "QWE")
            start = time.perf_counter()
            batch = batches.create_draft(db, organisation, None, "tidy", "values.csv", catalogue, read)
            db.commit()
            stored = time.perf_counter() - start
            start = time.perf_counter()
            superseded = batches.publish(db, batch, None)
            db.commit()
            published = time.perf_counter() - start
        print(f"{store.dialect}, {step} batch of {read.rows_accepted:,} values: stored as a draft in {stored:.2f} s, "
              f"published in {published:.2f} s ({superseded:,} values superseded)")
    store.dispose()


if __name__ == "__main__":
    main()
