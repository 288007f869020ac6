"""Run a catalogue over record-level data: validate all, then one aggregate query per group.

Only aggregates leave the backend. The result is the foundation's IndicatorValues inputs
(indicator_id, area_code, period, numerator, denominator), ready for `gains atlas`, plus each
bundle's processes as their own indicators and each area's weakest links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from marginalgains.engine.backends import DataSource, open_source
from marginalgains.engine.compile import AREA, PERIOD, Columns, Group, compile_groups
from marginalgains.engine.definition import Definition, read_definitions
from marginalgains.engine.interrupt import Interrupted, Interrupter
from marginalgains.engine.standardise import standardised
from marginalgains.errors import EngineError
from marginalgains.io.catalogue import Catalogue, read_catalogue
from marginalgains.model import VALUE_INPUTS
from marginalgains.periods import period_starts

WEAKEST_LINK_COLUMNS = ["indicator_id", AREA, PERIOD, "component", "n_only_missing", "numerator", "denominator"]


WHY_MISSING = "__why_missing"


@dataclass
class ComputeResult:
    """What `compute` returns: values, the catalogue with bundle processes, and weakest links.

    `missing` says, for each value row with no area or no period, why: how many records of
    which table have a NULL in which column (None for every other row), for the values check
    to give as the row's reason.
    """

    values: pd.DataFrame
    catalogue: Catalogue
    weakest_links: pd.DataFrame
    missing: pd.Series


def compute(
    catalogue: Catalogue | str | Path,
    data: Any,
    backend: Any = "duckdb",
    progress: Any = None,
    *,
    spark_master: str | None = None,
    database_only: bool = False,
    threads: int | None = None,
    interrupter: Interrupter | None = None,
) -> ComputeResult:
    """Count every record-level indicator of `catalogue` in `data`.

    `data` is a directory of Parquet/CSV files (one table per file or Parquet folder), a DuckDB
    database file, or a database URL (postgres://, bigquery://, snowflake://, databricks:// ...).
    `backend` is "duckdb", "spark" or an Ibis backend object. `progress` is a rich Progress
    (one task advancing per indicator) or a callable `progress(done, total, label)`.
    With `database_only`, a DuckDB file's views may not read other files (see `open_source`).
    `threads` caps the threads of the DuckDB the engine opens (DuckDB's default: every core).
    Another thread may stop the run with `interrupter.interrupt(reason)`: its queries stop at once
    and `compute` raises `Interrupted` (see engine/interrupt.py).
    Everything is validated before the first aggregation runs.
    """
    if not isinstance(catalogue, Catalogue):
        catalogue = read_catalogue(catalogue)
    definitions = read_definitions(catalogue)
    source = open_source(data, backend, spark_master, database_only, threads)
    if interrupter is not None:
        source.interrupter = interrupter
    groups = compile_groups(definitions, source)
    report = _progress_reporter(progress, len(definitions))
    values, links = [], []
    for group, counts in _counted(groups, source):
        for definition in group.definitions:
            columns = group.columns[definition.indicator_id]
            missing = _missing_keys(definition, counts[columns.denominator], counts)
            values.append(_explained(_values(definition, columns, counts), missing))
            if definition.is_bundle:
                values.extend(_explained(v, missing) for v in _component_values(definition, columns, counts))
                links.append(_weakest_links(definition, columns, counts))
        report(len(group.definitions), group.label)
    source.interrupter.check()  # a query that ended as it was stopped still gives no values
    tidy = _tidy(pd.concat(values), [*VALUE_INPUTS, WHY_MISSING])
    missing = tidy.pop(WHY_MISSING)
    return ComputeResult(tidy, catalogue, _tidy_links(links), missing.where(missing.notna(), None))


def _missing_keys(definition: Definition, records: pd.Series, counts: pd.DataFrame) -> pd.DataFrame | None:
    """Why each (area, period) with a NULL area or period has none: the records counted there
    (summed over strata), their table and the NULL column; None when every record has both."""
    keys = counts[[AREA, PERIOD]]
    gap = keys.isna().any(axis=1).to_numpy()
    if not gap.any():
        return None
    found = keys[gap].assign(records=records[gap]).groupby([AREA, PERIOD], dropna=False, as_index=False)["records"].sum()
    no_area = f"no area (column {definition.area!r} is NULL)"
    no_period = f"no {'date' if definition.grain is not None else 'period'} (column {definition.period_column!r} is NULL)"
    area_gap, period_gap = found[AREA].isna().to_numpy(), found[PERIOD].isna().to_numpy()
    lacking = np.select([area_gap & period_gap, area_gap], [f"{no_area} and {no_period}", no_area], no_period)
    found[WHY_MISSING] = (found["records"].map("{:,.0f}".format)
                          + f" record(s) of table {definition.table!r} have " + lacking)
    return found.drop(columns="records")


def _explained(frame: pd.DataFrame, missing: pd.DataFrame | None) -> pd.DataFrame:
    """Value rows with the reason each row lacking an area or period lacks it (NULL keys match)."""
    if missing is None:
        return frame.assign(**{WHY_MISSING: None})
    return frame.merge(missing, on=[AREA, PERIOD], how="left")


def _counted(groups: list[Group], source: DataSource) -> Iterator[tuple[Group, pd.DataFrame]]:
    """Each group with its counts, as queries finish; on our own DuckDB they run side by side,
    so one table's scan fills the cores another's last row groups leave idle."""
    if source.parallel_queries == 1:
        yield from ((group, _run(group, source)) for group in groups)
        return
    with ThreadPoolExecutor(max_workers=source.parallel_queries) as pool:
        running = {pool.submit(_run, group, source): group for group in groups}
        try:
            for finished in as_completed(running):
                yield running[finished], finished.result()
        finally:
            pool.shutdown(cancel_futures=True)


def _run(group: Group, source: DataSource) -> pd.DataFrame:
    try:
        return source.to_pandas(group.query)
    except Interrupted:
        raise
    except Exception as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise EngineError(f"counting {group.label} failed: {message}") from None


def _values(definition: Definition, columns: Columns, counts: pd.DataFrame) -> pd.DataFrame:
    if definition.standardisation is not None:
        rule = definition.standardisation
        strata_counts = counts[[AREA, PERIOD, *rule.strata]].assign(
            observed=counts[columns.numerator], people=counts[columns.denominator]
        )
        frame = standardised(strata_counts, rule, definition.indicator_id)
    else:
        frame = _pick(counts, columns.numerator, columns.denominator)
    return frame.assign(indicator_id=definition.indicator_id)


def _component_values(definition: Definition, columns: Columns, counts: pd.DataFrame) -> list[pd.DataFrame]:
    return [
        _pick(counts, done, columns.denominator).assign(indicator_id=definition.component_id(component))
        for component, done in zip(definition.components, columns.components)
    ]


def _weakest_links(definition: Definition, columns: Columns, counts: pd.DataFrame) -> pd.DataFrame:
    frames = [
        _pick(counts, columns.numerator, columns.denominator).assign(
            indicator_id=definition.indicator_id, component=component.name, n_only_missing=counts[only]
        )
        for component, only in zip(definition.components, columns.weakest)
    ]
    return pd.concat(frames)


def _pick(counts: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    return counts[[AREA, PERIOD]].assign(numerator=counts[numerator], denominator=counts[denominator])


def _tidy(frame: pd.DataFrame, columns: list[str], extra_keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows with people to count, float counts, sorted by indicator, area, period (then `extra_keys`).

    Records with no date or area (NULL) count under a missing period or area (`ComputeResult.missing`
    says how many, from which column), and a text period column may hold labels that are not
    periods: such rows are kept as they are, for the values check to reject with the reason,
    never dropped here or passed off as a period."""
    periods = frame[PERIOD].astype(object)
    frame = frame.astype({"numerator": float, "denominator": float, AREA: str}).assign(
        **{PERIOD: periods.where(periods.notna(), None).map(lambda p: p if p is None else str(p))})
    frame = frame.loc[frame["denominator"] > 0, columns]
    starts = period_starts(frame[PERIOD], unreadable_last=True).to_numpy() if len(frame) else []
    keys = ["indicator_id", AREA, "__start", *extra_keys]
    return frame.assign(__start=starts).sort_values(keys, kind="stable").drop(columns="__start").reset_index(drop=True)


def _tidy_links(links: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(links) if links else pd.DataFrame(columns=WEAKEST_LINK_COLUMNS)
    return _tidy(frame.astype({"n_only_missing": "int64"}), WEAKEST_LINK_COLUMNS, ("component",))


def _progress_reporter(progress: Any, total: int) -> Callable[[int, str], None]:
    """Turn a rich Progress, a callable or None into `report(indicators_done, label)`."""
    if progress is None:
        return lambda advance, label: None
    if hasattr(progress, "add_task") and hasattr(progress, "advance"):
        task = progress.add_task("Counting indicators", total=total)

        def advance_task(advance: int, label: str) -> None:
            progress.update(task, advance=advance, description=f"Counted {label}")

        return advance_task
    done = 0

    def call(advance: int, label: str) -> None:
        nonlocal done
        done += advance
        progress(done, total, label)

    return call
