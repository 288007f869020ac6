"""Benchmark: how fast `gains --help` and `gains --version` answer, in a fresh process each time.

Run: .venv/bin/python benchmarks/bench_cli.py [--repeat 15]
Prints the median and fastest wall time of each command, beside a bare `python -c pass` (the
interpreter's own start-up, which no command can beat), and whether the heavy libraries
(pandas, numpy, scipy, pyarrow, altair, ibis) were imported to answer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "scipy", "pyarrow", "altair", "ibis")
CHECK_IMPORTS = ("import sys; sys.argv = ['gains', '--help']\n"
                 "from marginalgains.cli import main\n"
                 "try:\n    main()\nexcept SystemExit:\n    pass\n"
                 f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")


def wall_times(command: list[str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    gains = str(Path(sys.executable).parent / "gains")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, command in (("python -c pass", [sys.executable, "-c", "pass"]),
                          ("gains --help", [gains, "--help"]), ("gains --version", [gains, "--version"])):
        times = wall_times(command, repeat)
        print(f"{name:<16} median {statistics.median(times):.3f} s, fastest {min(times):.3f} s ({repeat} runs)")
    heavy = subprocess.run([sys.executable, "-c", CHECK_IMPORTS], capture_output=True, text=True, check=True)
    print(f"heavy libraries imported by gains --help: {heavy.stderr.strip()}")


if __name__ == "__main__":
    main()
