"""Fuzz the readers: run the reader property tests (tests/io/test_io_properties.py) at volume.

Each property draws arbitrary tables of strings (headers missing, repeated or extra columns;
numbers such as inf, 1e400, -0, 1.234,5; periods such as 9999/00 and 2018-19; ragged rows) or
arbitrary bytes, writes them as a file and reads it with the tidy-values, Fingertips, areas,
interventions and plain-table readers. A reader must raise the project's own error or account
for every row (read = accepted + rejected) without accepting a count that is not finite; any
other exception, or a broken count, is a failure that Hypothesis shrinks to its smallest form
and keeps in .hypothesis/ so the next run (and the test suite) tries it first.

Run from the repository root:

    PYTHONPATH=src .venv/bin/python tools/fuzz_readers.py --examples 5000 [--seed 1]

It prints how long it ran, how many examples each property tried, and what failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

PROPERTIES = Path(__file__).parents[1] / "tests" / "io" / "test_io_properties.py"


def main() -> int:
    parser = argparse.ArgumentParser(description="Fuzz the readers with Hypothesis at volume.")
    parser.add_argument("--examples", type=int, default=5000, help="examples per property")
    parser.add_argument("--seed", type=int, default=None, help="a fixed Hypothesis seed (default: random)")
    arguments = parser.parse_args()
    command = [sys.executable, "-m", "pytest", str(PROPERTIES), "-q", "-p", "no:cacheprovider",
               "--hypothesis-show-statistics"]
    if arguments.seed is not None:
        command.append(f"--hypothesis-seed={arguments.seed}")
    environment = {**os.environ, "MARGINALGAINS_FUZZ_EXAMPLES": str(arguments.examples)}
    started = time.perf_counter()
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    lines = finished.stdout.splitlines()
    tried = [line.strip() for line in lines if "passing examples" in line or line.lstrip().startswith("- ")
             and "examples" in line]
    print(f"ran {seconds:,.0f} s, {arguments.examples:,} examples per property")
    print("\n".join(tried))
    print(lines[-1] if lines else finished.stderr)
    if finished.returncode != 0:
        print(finished.stdout[-6000:])
    return finished.returncode


if __name__ == "__main__":
    raise SystemExit(main())
