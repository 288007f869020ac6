"""Benchmark: `gains atlas` on the bundled A&E data, end to end and by stage.

Run: .venv/bin/python benchmarks/bench_atlas.py [--repeat 5]
Prints the median wall time of each stage and of the whole command (a fresh process, as a user runs it),
and the peak resident memory of that process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from marginalgains.atlas import build_atlas
from marginalgains.io.bundled import ae_values
from marginalgains.report.files import write_atlas


def stage_times(out: Path) -> dict[str, float]:
    started = time.perf_counter()
    catalogue, read = ae_values()
    read_done = time.perf_counter()
    atlas = build_atlas(read.values, catalogue, {"rows_read": read.rows_read})
    built = time.perf_counter()
    write_atlas(atlas, out)
    written = time.perf_counter()
    return {"read": read_done - started, "compute": built - read_done, "render and write": written - built}


def command_time(out: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of `gains atlas` in a fresh process."""
    gains = Path(sys.executable).parent / "gains"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([str(gains), "atlas", "--out", str(out), "--quiet"], check=True)
    elapsed = time.perf_counter() - started
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        stages = [stage_times(out) for _ in range(repeat)]
        commands = [command_time(out) for _ in range(repeat)]
    print(f"gains atlas on the bundled A&E data (9,864 monthly values, 140 providers), median of {repeat}:")
    for name in stages[0]:
        print(f"  {name:<18} {statistics.median(s[name] for s in stages):6.2f} s (in process)")
    print(f"  {'whole command':<18} {statistics.median(c[0] for c in commands):6.2f} s (fresh process, imports included)")
    print(f"  {'peak memory':<18} {max(c[1] for c in commands):6.0f} MB (resident)")


if __name__ == "__main__":
    main()
