"""Benchmark: `gains atlas` at practice scale and beyond, end to end and the computation alone.

Run: .venv/bin/python benchmarks/bench_practice.py [--shapes practice practice5y 1m 5m] [--profile]
For each shape of benchmarks/practice_fixture.py it generates the values (not timed), then in
fresh processes measures
  * the whole command, `gains atlas --values ... --catalogue ... --out ...` (read, compute, page, files);
  * the computation alone: reading the values and `build_atlas` (no page, no files);
with wall time, CPU time (user + system: what the work costs whatever else shares the cores) and
the peak resident memory of that process (from wait4's rusage).
Targets: at `practice` (21 x 6,500 x 1) the command under 15 s and 1 GB; at `5m` the computation
under 4 GB. `--profile` prints a pyinstrument profile of the computation of the first shape.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from practice_fixture import SHAPES, write

COMPUTE = """
import sys
from pathlib import Path
from marginalgains import sources
from marginalgains.atlas import build_atlas
folder = Path(sys.argv[1])
inputs = sources.from_values_file(folder / "values.parquet", folder / "catalogue.yaml")
build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), comparators=inputs.comparators)
"""

PROFILE = """
import sys
from pathlib import Path
from pyinstrument import Profiler
from marginalgains import sources
from marginalgains.atlas import build_atlas
folder = Path(sys.argv[1])
with Profiler() as profiler:
    inputs = sources.from_values_file(folder / "values.parquet", folder / "catalogue.yaml")
    build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), comparators=inputs.comparators)
print(profiler.output_text(unicode=False, color=False))
"""


def measured(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and exit code of one fresh process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status:
        sys.stderr.write(process.stderr.read().decode(errors="replace")[-2000:])
    process.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=["practice", "practice5y", "1m"])
    parser.add_argument("--skip-command", action="store_true", help="measure the computation only")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    gains = Path(sys.executable).parent / "gains"
    print(f"{'shape':<11} {'rows':>10}  {'what':<12} {'wall':>8} {'CPU':>8} {'peak RSS':>10}  exit")
    with tempfile.TemporaryDirectory() as scratch:
        for shape in args.shapes:
            folder = Path(scratch) / shape
            values, catalogue = write(shape, folder)
            indicators, areas, periods = SHAPES[shape]
            rows = indicators * areas * periods
            runs = {"computation": [sys.executable, "-c", COMPUTE, str(folder)]}
            if not args.skip_command:
                runs["command"] = [str(gains), "atlas", "--values", str(values), "--catalogue", str(catalogue),
                                   "--out", str(folder / "atlas"), "--quiet"]
            for what, command in runs.items():
                wall, cpu, peak, code = measured(command)
                print(f"{shape:<11} {rows:>10,}  {what:<12} {wall:>6.1f} s {cpu:>6.1f} s {peak:>7,.0f} MB  {code}"
                      f"  (load average {os.getloadavg()[0]:.1f})", flush=True)
        if args.profile:
            subprocess.run([sys.executable, "-c", PROFILE, str(Path(scratch) / args.shapes[0])], check=True)


if __name__ == "__main__":
    main()
