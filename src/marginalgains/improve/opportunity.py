"""Opportunity: how many more people would get good care (or avoid harm) if each area matched a benchmark.

gain = max(0, benchmark - value) x denominator / multiplier when high is good (value - benchmark
when low is good). An area is a *significant* opportunity only when its whole confidence interval
lies on the wrong side of the benchmark; the gain's interval combines the area's and the
benchmark's limits by MOVER (Newcombe's method for a difference, generalised by Zou and Donner),
so the headline can count only gains that are not noise (Dropkin 2018).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marginalgains.improve import benchmarks as bm
from marginalgains.improve.errors import ImproveError
from marginalgains.stats._validate import check_confidence

RESULT_COLUMNS = ["value", "lower", "upper", "benchmark_value", "benchmark_lower", "benchmark_upper",
                  "gain", "gain_lower", "gain_upper", "significant", "robust"]


def opportunity(
    values: pd.DataFrame,
    benchmark="national",
    polarity="high_is_good",
    measure="proportion",
    multiplier: float = 1,
    confidence: float = 0.95,
    peers: pd.DataFrame | None = None,
    min_denominator: float = 0,
) -> pd.DataFrame:
    """One row per area: its columns as given plus value, limits, benchmark (with limits), gain
    (with limits), significant, and robust (the gain's lower limit is above zero: the shortfall
    survives the benchmark's own uncertainty too).

    `values` has `area_code, numerator, denominator`, one row per area. `benchmark` is "national",
    "top_quartile", "top_decile", "best", "peer_best5" (needs `peers`, as made by `peers()`) or a
    number on the value's scale. Areas with a denominator below `min_denominator` still get a gain
    but cannot set a benchmark.
    """
    chosen = bm.check_benchmark(benchmark)
    sign = bm.direction(polarity)
    _check_confidence(confidence)
    table = _checked_values(values)
    num = table["numerator"].to_numpy(dtype=float)
    den = table["denominator"].to_numpy(dtype=float)
    area = bm.intervals(num, den, measure, multiplier, confidence)
    eligible = np.isfinite(area.value) & (den >= min_denominator) & (den > 0)
    bench = _benchmark(chosen, table, area, eligible, sign, num, den, measure, multiplier, confidence, peers)
    table = table.drop(columns=[c for c in RESULT_COLUMNS if c in table.columns])
    for name, column in (("value", area.value), ("lower", area.lower), ("upper", area.upper),
                         ("benchmark_value", bench.value), ("benchmark_lower", bench.lower),
                         ("benchmark_upper", bench.upper)):
        table[name] = column
    gain, gain_lower, gain_upper = gains(area, bench, sign, den / multiplier)
    table["gain"], table["gain_lower"], table["gain_upper"] = gain, gain_lower, gain_upper
    table["significant"] = significant(area, bench, sign)
    table["robust"] = gain_lower > 0
    return table


def gains(area: bm.Intervals, bench: bm.Intervals, sign: float, people_per_unit: np.ndarray):
    """Point gain and its MOVER limits, in people (or events), never below zero.

    With d = sign x (benchmark - value), the limits of d are
    d -+ sqrt((benchmark side)^2 + (area side)^2), each side the distance from the estimate to
    the limit that moves d that way.
    """
    d = sign * (bench.value - area.value)
    if sign > 0:
        down = np.hypot(bench.value - bench.lower, area.upper - area.value)
        up = np.hypot(bench.upper - bench.value, area.value - area.lower)
    else:
        down = np.hypot(area.value - area.lower, bench.upper - bench.value)
        up = np.hypot(area.upper - area.value, bench.value - bench.lower)
    scale = np.where(np.isfinite(d), people_per_unit, 0.0)
    d = np.nan_to_num(d, nan=0.0)
    return (np.maximum(d, 0) * scale,
            np.maximum(np.nan_to_num(d - down, nan=0.0), 0) * scale,
            np.maximum(np.nan_to_num(d + up, nan=0.0), 0) * scale)


def significant(area: bm.Intervals, bench: bm.Intervals, sign: float) -> np.ndarray:
    """True where the area's whole interval is on the wrong side of the benchmark value."""
    with np.errstate(invalid="ignore"):
        if sign > 0:
            return np.asarray(area.upper < bench.value)
        return np.asarray(area.lower > bench.value)


def peer_positions(area_codes: pd.Series, peers: pd.DataFrame) -> np.ndarray:
    """An (areas x peers) array of row positions of each area's peers; -1 where a peer has no row."""
    missing_columns = {"area_code", "peer_code"} - set(peers.columns)
    if missing_columns:
        raise ImproveError(f"the peers table needs columns area_code and peer_code; missing {sorted(missing_columns)}")
    index = pd.Index(_text(area_codes))
    codes = index.to_numpy(dtype=object)
    rows = index.get_indexer(_text(peers["area_code"]))  # codes looked up as they are held, not copied to objects
    peer_rows = index.get_indexer(_text(peers["peer_code"]))
    has_peers = np.zeros(len(codes), dtype=bool)
    has_peers[rows[rows >= 0]] = True
    if not has_peers.all():
        lacking = sorted(codes[~has_peers])
        raise ImproveError(f"{len(lacking)} areas have no peers (e.g. {', '.join(lacking[:5])}); "
                           "covariates are missing for them")
    keep = rows >= 0
    rows, peer_rows = rows[keep], peer_rows[keep]
    order = np.argsort(rows, kind="stable")
    rows, peer_rows = rows[order], peer_rows[order]
    slot = np.arange(len(rows)) - np.searchsorted(rows, rows)
    grid = np.full((len(codes), int(slot.max()) + 1), -1, dtype=int)
    grid[rows, slot] = peer_rows
    return grid


def _text(codes: pd.Series) -> pd.Series:
    """Area codes as text: as they are when already text, else each converted."""
    return codes if pd.api.types.is_string_dtype(codes.dtype) and codes.dtype != object else codes.astype(str)


def _benchmark(chosen, table, area, eligible, sign, num, den, measure, multiplier, confidence, peers):
    size = len(table)
    if isinstance(chosen, float):
        return bm.target(chosen, size)
    if chosen == "national":
        return bm.national(num[eligible], den[eligible], measure, multiplier, confidence, size)
    if chosen in ("top_quartile", "top_decile"):
        return bm.percentile(area, eligible, sign, chosen, confidence)
    if chosen == "best":
        return bm.best(area, eligible, sign)
    if peers is None:
        raise ImproveError("the peer_best5 benchmark needs a peers table (from covariates)")
    return bm.peer_best(area, eligible, sign, peer_positions(table["area_code"], peers))


def _checked_values(values: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("area_code", "numerator", "denominator") if c not in values.columns]
    if missing:
        raise ImproveError(f"values need columns area_code, numerator, denominator; missing {', '.join(missing)}")
    repeated = values["area_code"][values["area_code"].duplicated()].astype(str).unique()
    if len(repeated):
        raise ImproveError(f"one row per area is needed; repeated: {', '.join(repeated[:5])} "
                           "(choose one period first)")
    table = values.reset_index(drop=True).copy()
    for column in ("numerator", "denominator"):
        table[column] = pd.to_numeric(table[column], errors="raise").astype(float)
        if (table[column] < 0).any():
            raise ImproveError(f"{column} must not be negative")
    return table


def _check_confidence(confidence: float) -> None:
    try:
        check_confidence(confidence)
    except ValueError as exc:
        raise ImproveError(str(exc)) from None
