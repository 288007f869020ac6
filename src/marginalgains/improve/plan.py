"""From IndicatorValues to a plan: each indicator's improvement table, national summary and Pareto.

`improvement_table` is what an atlas page needs for one indicator's latest period: every area's
value, benchmark, gain with its interval, significance, status and peers, plus a national summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from marginalgains.improve.benchmarks import PEER_BEST, check_benchmark, direction
from marginalgains.improve.errors import ImproveError
from marginalgains.improve.opportunity import opportunity
from marginalgains.improve.peers import covariate_columns, peers
from marginalgains.model import Indicator, Measure, Polarity
from marginalgains.periods import period_starts

PeerFinder = Callable[[pd.Series], pd.DataFrame]
"""Gives the peers table (`peers()`) of the areas whose codes it is passed."""
_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                 9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 15: "fifteen", 20: "twenty"}


@dataclass
class OpportunitySummary:
    """National totals for one indicator: all gain, and the part that is not noise."""

    indicator_id: str
    period: str
    benchmark: str | float
    benchmark_label: str
    areas: int
    significant_areas: int
    total_gain: float
    significant_gain: float
    significant_gain_lower: float
    significant_gain_upper: float
    sentence: str
    population: str = ""  # whom the totals cover: the areas counted and the breakdown ("137 areas; Male, All ages")


@dataclass
class ImprovementTable:
    """One indicator's improvement picture: `areas` (one row per area), `peers`, `summary`."""

    indicator: Indicator
    period: str
    benchmark: str | float
    areas: pd.DataFrame
    summary: OpportunitySummary
    peers: pd.DataFrame | None = field(default=None)


def latest_period(values: pd.DataFrame, indicator_id: str) -> tuple[str, pd.DataFrame]:
    """The latest period label of an indicator and its rows."""
    rows = values[values["indicator_id"] == indicator_id]
    if rows.empty:
        raise ImproveError(f"no values for indicator {indicator_id!r}")
    starts = period_starts(rows["period"].astype(str))
    latest = rows.loc[starts == starts.max(), "period"].iloc[0]
    return str(latest), rows[rows["period"] == latest].reset_index(drop=True)


def improvement_table(
    values: pd.DataFrame,
    indicator: Indicator,
    covariates: pd.DataFrame | None = None,
    benchmark: str | float | None = None,
    confidence: float = 0.95,
    n_peers: int = 10,
    peer_table: pd.DataFrame | None = None,
) -> ImprovementTable:
    """Everything an atlas page shows about one indicator's latest period.

    `benchmark` defaults to "peer_best5" when `covariates` (an areas table; its numeric columns
    are the covariates) or a ready `peer_table` is given, else "top_quartile". Areas rows:
    area_code, numerator, denominator, value, lower, upper, benchmark_value, benchmark_lower,
    benchmark_upper, gain, gain_lower, gain_upper, significant, robust, status, peers (codes
    in rank order).
    """
    period, rows = latest_period(values, indicator.id)
    if peer_table is None and covariates is not None:
        peer_table = peers(area_covariates(covariates, rows["area_code"]), n=n_peers)
    return _period_table(indicator, period, rows, benchmark, confidence, peer_table)


def latest_improvement(values: pd.DataFrame, indicator: Indicator, find_peers: PeerFinder | None = None,
                       benchmark: str | float | None = None, confidence: float = 0.95) -> ImprovementTable:
    """`improvement_table` with peers from `find_peers` (see `peer_finder`), as the atlas and
    `opportunities` use it: the latest period is found once and peers are shared between indicators."""
    period, rows = latest_period(values, indicator.id)
    peer_table = find_peers(rows["area_code"]) if find_peers is not None else None
    return _period_table(indicator, period, rows, benchmark, confidence, peer_table)


def _period_table(indicator: Indicator, period: str, rows: pd.DataFrame, benchmark, confidence: float,
                  peer_table: pd.DataFrame | None) -> ImprovementTable:
    """The improvement table of one period's rows (one per area)."""
    chosen = check_benchmark(benchmark if benchmark is not None
                             else "peer_best5" if peer_table is not None else "top_quartile")
    table = opportunity(rows[["area_code", "numerator", "denominator"]], chosen, indicator.polarity,
                        indicator.measure, indicator.multiplier, confidence, peer_table,
                        indicator.min_denominator)
    table["status"] = _status(table, peer_table, direction(indicator.polarity))
    table["peers"] = _peer_lists(table["area_code"], peer_table)
    n = int(peer_table.groupby("area_code").size().max()) if peer_table is not None else 0
    summary = _summary(indicator, period, chosen, table, confidence, n)
    return ImprovementTable(indicator, period, chosen, table, summary, peer_table)


def peer_finder(covariates: pd.DataFrame, n_peers: int = 10) -> PeerFinder:
    """A function giving the peers table of a set of area codes from `covariates`, computed once
    per distinct set (indicators over the same areas share it)."""
    found: dict[tuple[str, ...], pd.DataFrame] = {}

    def find(area_codes: pd.Series) -> pd.DataFrame:
        key = tuple(sorted(set(area_codes.astype(str))))
        if key not in found:
            found[key] = peers(area_covariates(covariates, pd.Series(key)), n=n_peers)
        return found[key]

    return find


def sizing_problem(indicator: Indicator, rows: pd.DataFrame) -> str | None:
    """Why the gain of `indicator` cannot be sized from `rows` (its values), or None when it can.

    The one rule for the atlas and `opportunities`: a gain needs a direction, an indicator of its
    own (a bundle counts its processes), counts behind the values, and values that are those
    counts' rate (a published DSR is not: its counts give the crude rate).
    """
    if indicator.polarity is Polarity.NO_JUDGEMENT:
        return "neither a high nor a low value is better, so there is no direction to gain in"
    if indicator.bundle:
        return f"it is a process of the care bundle {indicator.bundle!r}, whose gain counts it"
    if indicator.modelled:
        return indicator.modelled
    if indicator.measure is Measure.MEAN:
        return "a mean has no count of people or events to gain"
    if indicator.measure is Measure.COUNT:
        return "a count of people or events has no rate to close a gap in"
    if rows.empty:
        return "there are no values for it"
    if not (rows["numerator"].notna() & rows["denominator"].notna()).any():
        return "there are no numerators and denominators to count a gain in"
    if indicator.measure is Measure.DSR and "value" in rows and rows["value"].notna().any():
        return ("its directly standardised rates are published values: their counts give a crude rate, "
                "not the rate shown, so no gain in people can be sized from them")
    return None


def area_covariates(areas: pd.DataFrame, area_codes: pd.Series) -> pd.DataFrame:
    """The numeric covariates of the given areas; an area without a covariates row is an error."""
    if "area_code" not in areas.columns:
        raise ImproveError("the covariates table needs an 'area_code' column")
    wanted = pd.Index(area_codes.astype(str).unique())
    table = _as_numbers(areas.assign(area_code=areas["area_code"].astype(str)))
    missing = wanted.difference(pd.Index(table["area_code"]))
    if len(missing):
        raise ImproveError(f"covariates are missing for {len(missing)} areas (e.g. {', '.join(missing[:5])})")
    columns = covariate_columns(table)
    if not columns:
        raise ImproveError("the covariates table has no numeric covariate columns")
    return table[table["area_code"].isin(wanted)][["area_code", *columns]].reset_index(drop=True)


def pareto(opportunities: pd.DataFrame, column: str = "gain") -> pd.DataFrame:
    """Area x indicator pairs by descending `column`, with each one's share and the cumulative share.

    `opportunities` has indicator_id, area_code and the column: the pairs of one total (one period,
    source and unit, one breakdown of a family, as `atlas.opportunity_totals` groups them); a
    `period`, `source` or `unit` column holding more than one value is refused, as shares of a sum
    across years, real and SYNTHETIC data, or people and events would be untrue. Pairs with none
    are left out.
    """
    for key in ("period", "source", "unit"):
        held = opportunities[key].dropna().astype(str).unique() if key in opportunities.columns else []
        if len(held) > 1:
            raise ImproveError(f"pareto, column {key!r}: the pairs hold {len(held)} values ({', '.join(sorted(held)[:5])}); "
                               "a share of a total adds only one period, source and unit: rank each apart")
    table = opportunities.loc[opportunities[column] > 0, ["indicator_id", "area_code", column]]
    table = table.sort_values([column, "indicator_id", "area_code"], ascending=[False, True, True],
                              ignore_index=True)
    total = table[column].sum()
    table["share"] = table[column] / total if total > 0 else 0.0
    table["cumulative_share"] = table["share"].cumsum()
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def opportunities(
    values: pd.DataFrame,
    indicators,
    covariates: pd.DataFrame | None = None,
    benchmark: str | float | None = None,
    confidence: float = 0.95,
    n_peers: int = 10,
) -> pd.DataFrame:
    """Stacked improvement tables (latest period) for every indicator given whose gain can be sized.

    Indicators that `sizing_problem` turns down (no judgement, a bundle's process, a mean, no
    values or no counts, a published DSR) are skipped. Peers are computed once per distinct set
    of areas.
    """
    frames = []
    find_peers = peer_finder(covariates, n_peers) if covariates is not None else None
    by_indicator = dict(tuple(values.groupby("indicator_id", sort=False)))
    for indicator in indicators:
        rows = by_indicator.get(indicator.id, values.iloc[:0])
        if sizing_problem(indicator, rows):
            continue
        result = latest_improvement(rows, indicator, find_peers, benchmark, confidence)
        frames.append(result.areas.assign(indicator_id=indicator.id, period=result.period,
                                          benchmark=str(result.benchmark)))
    if not frames:
        raise ImproveError("no indicator with values has a direction (high or low is good) to size a gain for")
    table = pd.concat(frames, ignore_index=True)
    first = ["indicator_id", "period", "area_code"]
    return table[first + [c for c in table.columns if c not in first]]


def benchmark_label(benchmark: str | float, n_peers: int = 10) -> str:
    """How a sentence names the benchmark."""
    if isinstance(benchmark, float):
        return f"the target of {benchmark:g}"
    return {
        "national": "the national rate",
        "top_quartile": "the top quarter of areas",
        "top_decile": "the top tenth of areas",
        "best": "the best area",
        "peer_best5": f"the best {_words(PEER_BEST)} of its {_words(n_peers)} most similar areas",
    }[benchmark]


def _as_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """Columns read as text whose every entry is a number become numeric (CSV readers keep text)."""
    converted = table.copy()
    for column in table.columns:
        if column.endswith("_code") or pd.api.types.is_numeric_dtype(table[column]):
            continue
        numbers = pd.to_numeric(table[column], errors="coerce")
        if numbers.notna().sum() == table[column].notna().sum() and numbers.notna().any():
            converted[column] = numbers
    return converted


def _status(table: pd.DataFrame, peer_table: pd.DataFrame | None, sign: float) -> np.ndarray:
    """challenger (short of the benchmark), record_holder (best among its peers, or nationally
    without peers), otherwise at_benchmark."""
    score = sign * table["value"].to_numpy()
    if peer_table is None:
        best_other = np.full(len(table), np.nanmax(score) if np.isfinite(score).any() else np.nan)
    else:
        by_code = pd.Series(score, index=table["area_code"].astype(str))
        peer_score = peer_table.assign(score=by_code.reindex(peer_table["peer_code"].astype(str)).to_numpy())
        best_other = peer_score.groupby("area_code")["score"].max().reindex(by_code.index).to_numpy()
    record = np.isfinite(score) & ~(best_other > score)
    return np.where(table["gain"] > 0, "challenger", np.where(record, "record_holder", "at_benchmark"))


def _peer_lists(area_codes: pd.Series, peer_table: pd.DataFrame | None) -> list[list[str]]:
    if peer_table is None:
        return [[] for _ in range(len(area_codes))]
    ordered = peer_table.sort_values(["area_code", "rank"])
    lists = ordered.groupby("area_code")["peer_code"].agg(list)
    return [lists.get(code, []) for code in area_codes.astype(str)]


def _summary(indicator: Indicator, period: str, benchmark, table: pd.DataFrame, confidence: float,
             n_peers: int) -> OpportunitySummary:
    significant = table["significant"].to_numpy(dtype=bool)
    label = benchmark_label(benchmark, n_peers)
    total = float(table["gain"].sum())
    sig, low, high = (float(table.loc[significant, c].sum()) for c in ("gain", "gain_lower", "gain_upper"))
    population = f"{len(table):,} areas" + (f"; {indicator.breakdown}" if indicator.breakdown else "")
    sentence = _sentence(indicator, period, len(table), label, total, sig, low, high, confidence)
    return OpportunitySummary(indicator.id, period, benchmark, label, len(table), int(significant.sum()),
                              total, sig, low, high, sentence, population)


def _sentence(indicator: Indicator, period: str, n_areas: int, label: str, total: float, sig: float, low: float,
              high: float, confidence: float) -> str:
    """The total in words, naming its period, its areas and (where there is one) its breakdown."""
    more = "more" if indicator.polarity == Polarity.HIGH_IS_GOOD else "fewer"
    who = "people" if indicator.measure == Measure.PROPORTION else "events"
    shown = indicator.breakdown and f"({indicator.breakdown})" not in indicator.title  # a Fingertips title has it
    breakdown = f" ({indicator.breakdown})" if shown else ""
    synthetic = " (SYNTHETIC data)" if indicator.synthetic else ""
    return (f"In {period}{synthetic}, if each of the {n_areas:,} areas matched {label}, {total:,.0f} {more} {who} "
            f"would be counted in \u201c{indicator.title}\u201d{breakdown}; {sig:,.0f} of them ({confidence:.0%} "
            f"interval {low:,.0f} to {high:,.0f}) are in areas whose shortfall is beyond chance.")


def _words(number: int) -> str:
    return _NUMBER_WORDS.get(number, str(number))
