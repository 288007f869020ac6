"""Tidy indicator values (CSV or Parquet): `indicator_id, area_code, period, numerator, denominator`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.errors import Rejection
from marginalgains.io import validate
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.outputs import staged, write_csv
from marginalgains.io.selection import Selection
from marginalgains.io.tabular import TRIMMED, read_table
from marginalgains.model import VALUE_INPUTS, VALUE_KEYS, Measure


@dataclass
class ReadResult:
    """Accepted rows plus every rejection; rows read = accepted + rejected + set aside, always.

    Rows set aside are neither (an identical copy kept once, a row not selected), counted by why.
    `trimmed` counts, per input and column, the cells read with spaces trimmed from around them.
    """

    values: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    files: list[str] = field(default_factory=list)
    set_aside: dict[str, int] = field(default_factory=dict)
    trimmed: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> int:
        return len({(r.file, r.row) for r in self.rejections if r.row is not None})

    @property
    def rows_accepted(self) -> int:
        return len(self.values)

    @classmethod
    def combine(cls, *reads: ReadResult) -> ReadResult:
        """One result from several inputs: values stacked, rejections, counts and files added up."""
        set_aside: Counter[str] = Counter()
        trimmed: dict[str, Counter[str]] = {}
        for read in reads:
            set_aside.update(read.set_aside)
            for source, counts in read.trimmed.items():
                trimmed.setdefault(source, Counter()).update(counts)
        return cls(pd.concat([r.values for r in reads], ignore_index=True), [j for r in reads for j in r.rejections],
                   sum(r.rows_read for r in reads), [f for r in reads for f in r.files], dict(set_aside),
                   {source: dict(counts) for source, counts in trimmed.items()})


def read_values(path: str | Path, catalogue: Catalogue, select: Selection | None = None) -> ReadResult:
    """Read and check a tidy values file against a catalogue; bad rows are reported, good rows kept.
    With `select` (--indicators), rows of other indicators are set aside, not rejected."""
    file = str(path)
    frame = read_table(path)
    validate.require_columns(file, frame, VALUE_INPUTS)
    extra = [c for c in ("area_name", "area_type") if c in frame.columns]
    return check_values(frame[VALUE_INPUTS + extra], catalogue, file, select=select)


def check_values(frame: pd.DataFrame, catalogue: Catalogue, file: str, source: str | None = None,
                 select: Selection | None = None, missing: pd.Series | None = None) -> ReadResult:
    """Check a table of values (text or numbers) against a catalogue, as if read from `file`;
    `source` is the input the result lists (default `file`). Cells trimmed of spaces, by the file
    reader (`attrs["trimmed"]`) or here (codes and ids given as values), are counted per column.
    `missing` (by row; None where not known) is why a row has no area code or period, given as
    its reason instead of "missing value" (the engine names the records and the NULL column)."""
    checks = validate.RowChecks(file, frame.reset_index(drop=True))
    missing = pd.Series(None if missing is None else list(missing), index=checks.frame.index, dtype=object)
    trimmed = {c: n for c, n in frame.attrs.get(TRIMMED, {}).items() if c in frame.columns}
    if select is not None:
        ids = checks.frame["indicator_id"].astype(str).str.strip()
        checks.put_aside(~select.matches(file, ids), select.not_selected)
    for column, count in _check_value_rows(checks, catalogue, missing).items():
        trimmed[column] = trimmed.get(column, 0) + count
    checks.rejections.sort(key=lambda r: r.row)
    counts = {c: n for c, n in trimmed.items() if n}
    result = ReadResult(checks.accepted(), checks.rejections, len(frame), [source or file], checks.set_aside,
                        {source or file: counts} if counts else {})
    assert result.rows_accepted + result.rows_rejected + sum(result.set_aside.values()) == result.rows_read
    return result


def _check_value_rows(checks: validate.RowChecks, catalogue: Catalogue, missing: pd.Series) -> dict[str, int]:
    """All row checks for IndicatorValues inputs, in the order a user would fix them; returns how
    many indicator ids and area codes had spaces trimmed. `missing`: see `check_values`."""
    frame = checks.frame
    trimmed = {}
    for column in ("indicator_id", "area_code"):
        text = frame[column]
        if text.dtype == object or isinstance(text.dtype, pd.StringDtype):
            frame[column] = text.str.strip()
            trimmed[column] = int((frame[column].notna() & (frame[column] != text)).sum())
        checks.flag(frame[column].isna() | (frame[column] == ""), column,
                    missing.fillna("missing value") if column == "area_code" else "missing value")
    known = frame["indicator_id"].isin(list(catalogue.indicators))
    checks.flag(~known.to_numpy(), "indicator_id",
                lambda rows: [f"unknown indicator id {str(i)!r} (not in the catalogue)" for i in frame["indicator_id"].iloc[rows]])
    frame["period"], frame["grain"] = validate.periods(checks, "period", missing=missing)
    numerator = validate.numbers(checks, "numerator")
    denominator = validate.numbers(checks, "denominator")
    validate.non_negative(checks, "numerator", numerator)
    validate.non_negative(checks, "denominator", denominator)
    checks.flag((denominator == 0).to_numpy(), "denominator", "zero denominator")
    proportion = frame["indicator_id"].isin([i.id for i in catalogue if i.measure == Measure.PROPORTION])
    above = (proportion & (numerator > denominator)).to_numpy()
    checks.flag(above, "numerator",
                lambda rows: [f"numerator {n:g} is above its denominator {d:g} for a proportion"
                              for n, d in zip(numerator.iloc[rows], denominator.iloc[rows])])
    _mixed_grains(checks)
    validate.duplicates(checks, VALUE_KEYS, "period")
    frame["numerator"], frame["denominator"] = numerator, denominator
    return trimmed


def _mixed_grains(checks: validate.RowChecks) -> None:
    """An indicator's periods must share one grain; rows of a minority grain are refused."""
    frame = checks.frame
    if _one_grain_each(frame["indicator_id"].to_numpy()[~checks.bad], frame["grain"].to_numpy()[~checks.bad]):
        return
    live = frame.loc[~checks.bad]
    main = live.groupby("indicator_id")["grain"].agg(lambda g: g.value_counts().index[0])
    expected = frame["indicator_id"].map(main)
    odd = (~checks.bad) & (frame["grain"] != expected).to_numpy() & expected.notna().to_numpy()
    checks.flag(odd, "period",
                "period grain " + frame["grain"].astype(str) + " differs from the indicator's other rows ("
                + expected.astype(str) + ")")


def _one_grain_each(ids, grains) -> bool:
    """Whether every indicator's rows share one grain (true of no rows): the usual case, found with
    two hashings rather than a grouped count per indicator."""
    id_codes, _ = pd.factorize(ids, use_na_sentinel=False)
    grain_codes, kinds = pd.factorize(grains, use_na_sentinel=False)
    pairs = np.unique(id_codes * max(len(kinds), 1) + grain_codes)
    return bool((np.bincount(pairs // max(len(kinds), 1)) < 2).all())


def write_values(values: pd.DataFrame, path: str | Path) -> None:
    """Write IndicatorValues as Parquet or (formula-safe) CSV by the file's suffix, atomically."""
    path = Path(path)
    if path.suffix.lower() in {".parquet", ".pq"}:
        with staged([path]) as (temporary,):
            values.to_parquet(temporary, index=False)
    else:
        write_csv(values, path)
