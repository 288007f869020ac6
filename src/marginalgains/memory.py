"""Memory a run needs, checked before a table is read, so a run too big for the machine stops at
once with a message naming the input and the estimate, not with a MemoryError (or the kernel's
out-of-memory kill) minutes in, part-way through.

The estimate is calibrated on the reader and `build_atlas` together (the reader sets the peak;
`benchmarks/bench_memory.py` measures both and prints the estimate beside the measured peak).
It is compared with the memory available: `MemAvailable` in /proc/meminfo, or less where a
cgroup (a container) limits the process. Where neither can be read (not Linux), nothing is
refused. A limit given as `--memory-limit` or `MARGINALGAINS_MEMORY_LIMIT` (`8GB`, `512MiB`)
replaces what is available, and caps a DuckDB the engine opens.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from marginalgains.errors import DataError

LIMIT_VARIABLE = "MARGINALGAINS_MEMORY_LIMIT"
BASE_BYTES = 150 * 10**6
"""What reading and analysing any table adds at least (working arrays, lazily loaded modules)."""
BYTES_PER_CELL = 150
"""Peak bytes per cell read (a cell as text, then checked, then analysed): benchmarks/memory.md."""
CSV_FILE_COPIES = 1
"""A CSV file's bytes are held while Arrow parses them."""
_SAMPLE_BYTES = 1 << 20
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6, "mib": 2**20,
          "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12, "tib": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
_limit: ContextVar[int | None] = ContextVar("memory_limit", default=None)


def parse_size(text: str, where: str = "--memory-limit") -> int:
    """Bytes from `8GB`, `512MiB`, `1.5G` or a plain number of bytes (GB is 10^9 bytes, GiB 2^30)."""
    match = _SIZE.fullmatch(str(text))
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS or float(match.group(1)) * _UNITS[unit] < 1:
        raise DataError(f"{where}: {text!r} is not an amount of memory; write it as 8GB, 512MB or 2GiB")
    return int(float(match.group(1)) * _UNITS[unit])


def show(size: float) -> str:
    """A size as people read it: 3.8 GB, 640 MB."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 10**3:.0f} kB"


@contextmanager
def limited(text: str | None) -> Iterator[None]:
    """Within the block, the run may use `text` of memory (`--memory-limit`); None leaves the default."""
    if text is None:
        yield
        return
    token = _limit.set(parse_size(text))
    try:
        yield
    finally:
        _limit.reset(token)


def given() -> tuple[int, str] | None:
    """The limit set by `--memory-limit` (see `limited`) or MARGINALGAINS_MEMORY_LIMIT, and which; else None."""
    if (bytes_given := _limit.get()) is not None:
        return bytes_given, "--memory-limit"
    if text := os.environ.get(LIMIT_VARIABLE, "").strip():
        return parse_size(text, LIMIT_VARIABLE), LIMIT_VARIABLE
    return None


def limit() -> tuple[int, str] | None:
    """The memory a run may use, and where that figure comes from; None when it cannot be known."""
    return given() or available()


def available() -> tuple[int, str] | None:
    """Memory free for this process: MemAvailable, or what a cgroup limit leaves if that is less."""
    found = []
    meminfo = _read("/proc/meminfo")
    if meminfo and (match := re.search(r"^MemAvailable:\s+(\d+) kB", meminfo, re.MULTILINE)):
        found.append((int(match.group(1)) * 1024, "available (MemAvailable in /proc/meminfo)"))
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        cap, used = _read(limit_file).strip(), _read(usage_file).strip()
        if cap.isdigit() and used.isdigit() and int(cap) < 1 << 60:
            found.append((max(int(cap) - int(used), 0), f"left under the container's limit ({limit_file})"))
    return min(found) if found else None


def needed(rows: int, columns: int, file_bytes: int = 0) -> int:
    """Bytes a run needs beyond what the process holds before it reads a table of this shape (and
    `file_bytes`, the size of a CSV file, which is held while it is parsed)."""
    return BASE_BYTES + rows * columns * BYTES_PER_CELL + file_bytes * CSV_FILE_COPIES


def check_table(path: Path, rows: int, columns: int, file_bytes: int = 0) -> None:
    """Refuse to read a table whose analysis would need more memory than the run may use."""
    budget = limit()
    if budget is None:
        return
    need = needed(rows, columns, file_bytes)
    if need > budget[0]:
        raise DataError(
            f"{path}: about {rows:,} rows x {columns} columns would need about {show(need)} of memory to read and "
            f"analyse, more than the {show(budget[0])} {budget[1]}; the table was not read. Read less (--indicators "
            f"chooses indicators), free memory or use a larger machine, or set --memory-limit "
            f"({LIMIT_VARIABLE}) if more can be used")


def csv_shape(path: Path) -> tuple[int, int, int]:
    """About how many records and columns a CSV file has, and its size: records from the size and
    the mean line length of its first MB, columns from its header."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    rows = max(round(size * max(sample.count(b"\n"), 1) / max(len(sample), 1)) - 1, 0)
    return rows, sample.split(b"\n", 1)[0].count(b",") + 1, size


def check_csv(path: Path) -> None:
    """`check_table` for a CSV file, before any of it is read whole."""
    check_table(path, *csv_shape(path))


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
