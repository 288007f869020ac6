"""Writing output files safely: formula-safe CSV, and files that appear whole or not at all.

Formula injection: a spreadsheet runs a cell beginning with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula. As OWASP recommends for CSV files (CSV Injection), such a text
cell is written with a leading single quote, so it is shown as the text it is. Numbers are not
text and stay as they are, and so does text that is a plain number (`-5`, `+3.2`): negative
numbers stay numbers.

Precision: every float is written in full, as the shortest text that reads back as the same
float (Arrow's conversion: 2.0 is `2`, 0.1 + 0.2 is `0.30000000000000004`), so a value read from
a CSV equals the one computed; rounding is for the page, not the data.

Atomic writes: each file is written under a temporary name beside its destination and renamed
over it only when every file of the set has been written, so a failed run leaves the previous
outputs whole.
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marginalgains.errors import DataError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot be read as formulas (see the module docstring)."""
    safe = frame.copy()
    for position in range(safe.shape[1]):
        cells = safe.iloc[:, position]
        if not (pd.api.types.is_object_dtype(cells.dtype) or pd.api.types.is_string_dtype(cells.dtype)):
            continue  # numbers, booleans, dates: never formulas
        # object columns may mix text with booleans or numbers: judge every cell by its written form
        risky = cells.astype(str).str.startswith(FORMULA_STARTS).to_numpy() & cells.notna().to_numpy()
        if risky.any():
            flagged = cells[risky].astype(str)
            number = flagged.str.fullmatch(_PLAIN_NUMBER.pattern).to_numpy(dtype=bool)
            text = cells.astype(object).copy()
            text.iloc[risky.nonzero()[0][~number]] = "'" + flagged[~number]
            safe.isetitem(position, text)
    header = [("'" + c) if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in safe.columns]
    return safe.set_axis(header, axis=1)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a formula-safe CSV at full precision, atomically."""
    path = Path(path)
    with staged([path]) as (temporary,):
        save_csv(frame, temporary)
    return path


def save_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a formula-safe CSV at full precision to `path` as it is (a `staged` path, say)."""
    full_precision(formula_safe(frame)).to_csv(path, index=False)


def full_precision(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with float columns as their shortest round-trip text (blank for NaN), in one
    vectorised Arrow cast per column."""
    written = frame.copy(deep=False)
    for position in range(frame.shape[1]):
        cells = frame.iloc[:, position]
        if pd.api.types.is_float_dtype(cells.dtype):
            numbers = pa.array(cells.to_numpy(dtype=float, na_value=np.nan), from_pandas=True)  # NaN is null
            text = pc.cast(numbers, pa.string()).to_numpy(zero_copy_only=False)
            written.isetitem(position, pd.Series(text, index=cells.index, dtype=object))
    return written


@contextmanager
def staged(paths: list[Path]) -> Iterator[list[Path]]:
    """Temporary paths to write `paths` to; on success each is renamed over its destination, on
    failure every temporary file is removed and the destinations are left as they were."""
    paths = [Path(p) for p in paths]
    for path in paths:
        _check_writable(path)
    temporaries: list[Path] = []
    try:
        for path in paths:
            temporaries.append(_new_temporary(path))
        yield temporaries
        for temporary, path in zip(temporaries, paths):
            os.replace(temporary, path)
    except OSError as exc:
        raise DataError(f"cannot write {exc.filename or paths[0]}: {exc.strerror or exc}") from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _new_temporary(path: Path) -> Path:
    """A new empty file beside `path`, created with the permissions the umask gives any new file
    (`tempfile.mkstemp` makes it owner-only, and the rename would keep that on the output)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.partial")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return temporary


def _check_writable(path: Path) -> None:
    """Refuse, before anything is written, a destination that is a folder or inside a file."""
    if path.is_dir():
        raise DataError(f"cannot write {path}: a folder of that name is in the way")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError(f"cannot write {path}: {parent} is a file, not a folder")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not os.access(path.parent, os.W_OK):
        raise DataError(f"cannot write {path}: {path.parent} is not writable")
