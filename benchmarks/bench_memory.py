"""Benchmark: the memory `gains atlas` needs to read a values file and build the atlas, beside the
estimate `marginalgains.memory` checks before reading (so a run too big is refused at once).

Run: cd benchmarks && PYTHONPATH=../src ../.venv/bin/python bench_memory.py [--shapes practice practice5y 1m] [--formats csv parquet]
For each shape of benchmarks/practice_fixture.py and each format it writes the values (not
measured), then in a fresh process, after the imports, reads them (`sources.from_values_file`)
and runs `build_atlas`, printing the memory added to the process at its peak (VmHWM less the
VmRSS before reading) and the estimate. The estimate should be at or a little above the peak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from practice_fixture import SHAPES, write

from marginalgains import memory

MEASURE = """
import json, re, sys
from pathlib import Path
from marginalgains import sources
from marginalgains.atlas import build_atlas

def status(field):
    return int(re.search(rf"^{field}:\\s+(\\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1)) * 1024

before = status("VmRSS")
inputs = sources.from_values_file(Path(sys.argv[1]), Path(sys.argv[2]))
build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), comparators=inputs.comparators)
print(json.dumps({"before": before, "peak": status("VmHWM")}))
"""


def estimate(path: Path) -> tuple[int, int, int]:
    """Rows, columns and the bytes `marginalgains.memory` expects reading `path` to need."""
    if path.suffix == ".csv":
        rows, columns, size = memory.csv_shape(path)
        return rows, columns, memory.needed(rows, columns, size)
    metadata = pq.read_metadata(path)
    return metadata.num_rows, metadata.num_columns, memory.needed(metadata.num_rows, metadata.num_columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["practice", "practice5y", "1m"], choices=list(SHAPES))
    parser.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    arguments = parser.parse_args()
    print("| shape | format | rows (estimated) | file | estimate | measured peak added | estimate / measured |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for shape in arguments.shapes:
            values, catalogue = write(shape, Path(folder) / shape)
            for kind in arguments.formats:
                path = values
                if kind == "csv":
                    import pandas as pd

                    path = values.with_suffix(".csv")
                    pd.read_parquet(values).to_csv(path, index=False)
                rows, columns, expected = estimate(path)
                run = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(catalogue)],
                                     capture_output=True, text=True, check=True)
                figures = json.loads(run.stdout.strip().splitlines()[-1])
                added = figures["peak"] - figures["before"]
                print(f"| {shape} | {kind} | {rows:,} x {columns} | {memory.show(path.stat().st_size)} | "
                      f"{memory.show(expected)} | {memory.show(added)} | {expected / added:.2f} |", flush=True)


if __name__ == "__main__":
    main()
