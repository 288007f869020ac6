"""Benchmark: how fast `gains --help` and `gains --version` answer, in a fresh process each time.

Run: .venv/bin/python benchmarks/bench_cli.py [--repeat 15]
Prints the median and fastest wall time and the median CPU time of each command, beside a bare `python -c pass` (the
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


def timed_runs(command: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each fresh process: CPU time is what the command costs
    whatever else shares the cores; wall time is what a user waits on this machine now."""
    walls, cpus = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{command} failed")
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    gains = str(Path(sys.executable).parent / "gains")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, command in (("python -c pass", [sys.executable, "-c", "pass"]),
                          ("gains --help", [gains, "--help"]), ("gains --version", [gains, "--version"])):
        walls, cpus = timed_runs(command, repeat)
        print(f"{name:<16} median {statistics.median(walls):.3f} s, fastest {min(walls):.3f} s; "
              f"CPU median {statistics.median(cpus):.3f} s ({repeat} runs)")
    heavy = subprocess.run([sys.executable, "-c", CHECK_IMPORTS], capture_output=True, text=True, check=True)
    print(f"heavy libraries imported by gains --help: {heavy.stderr.strip()}")


if __name__ == "__main__":
    main()
