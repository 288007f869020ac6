"""Priorities: which indicators, nationally and in each area, hold the most benefit.

benefit = gain x the indicator's benefit weight (a weight of 1, i.e. people or events, when the
catalogue gives none). By default only significant gains count, so noise is never a priority.
Ranks never put the same people twice: of an indicator's overlapping breakdowns only the broadest
is ranked (the others are shown beside it, `within` it), and real and SYNTHETIC indicators are
ranked apart (`source`). An indicator is sized in one period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from marginalgains.improve.breakdowns import check_one_period, counted_within, source
from marginalgains.improve.errors import ImproveError

COUNTS = ("significant", "all")


@dataclass
class Priorities:
    """`national`: one row per indicator, ranked within its source; `by_area`: each area's indicators,
    ranked within its source. Rows of a breakdown counted within a broader one have no rank."""

    national: pd.DataFrame
    by_area: pd.DataFrame
    count: str


def benefit_weights(indicators) -> dict[str, float]:
    """Each indicator's benefit per person (or event) gained: its benefit_weight, else 1."""
    return {i.id: 1.0 if i.benefit_weight is None else float(i.benefit_weight) for i in indicators}


def with_benefit(opportunities: pd.DataFrame, indicators, count: str = "significant") -> pd.DataFrame:
    """Add `counted_gain` (the gain that counts) and `benefit` (it times the indicator's weight)."""
    if count not in COUNTS:
        raise ImproveError(f"count must be one of {', '.join(COUNTS)}, got {count!r}")
    weights = benefit_weights(indicators)
    table = opportunities.copy()
    counted = table["gain"].where(table["significant"], 0.0) if count == "significant" else table["gain"]
    table["counted_gain"] = counted
    table["benefit"] = counted * table["indicator_id"].map(weights).astype(float)
    return table


def filter_tag(indicators, tag: str | None) -> list:
    """Indicators carrying `tag` (all when None); a tag no indicator carries is an error."""
    indicators = list(indicators)
    if tag is None:
        return indicators
    chosen = [i for i in indicators if tag in i.tags]
    if not chosen:
        known = sorted({t for i in indicators for t in i.tags})
        raise ImproveError(f"no indicator is tagged {tag!r}; tags in the catalogue: {', '.join(known) or 'none'}")
    return chosen


def prioritise(opportunities: pd.DataFrame, indicators, tag: str | None = None,
               count: str = "significant") -> Priorities:
    """Rank indicators nationally and, for each area, its own indicators, by benefit.

    `opportunities` is the stacked table of `plan.opportunities` (indicator_id, area_code, gain,
    gain_lower, gain_upper, significant ...). `count="all"` ranks by every gain, noise included.
    """
    chosen = filter_tag(indicators, tag)
    ids = [i.id for i in chosen]
    sized = opportunities[opportunities["indicator_id"].isin(ids)]
    check_one_period(sized)
    present = set(sized["indicator_id"])
    table = with_benefit(sized, chosen, count)
    table = table.assign(**_labels(table["indicator_id"], [i for i in chosen if i.id in present]))
    return Priorities(_national(table, chosen), _by_area(table), count)


def _labels(indicator_ids: pd.Series, indicators) -> dict[str, pd.Series]:
    """Each row's breakdown, source, and the indicator it is counted within (itself when ranked)."""
    by_id = {i.id: i for i in indicators}
    within = counted_within(indicators)
    return {"breakdown": indicator_ids.map({k: i.breakdown for k, i in by_id.items()}),
            "source": indicator_ids.map({k: source(i) for k, i in by_id.items()}),
            "within": indicator_ids.map(within)}


def _ranked(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rank the rows counted in their own right (`within` is themselves) by benefit within `keys` and
    the source (real before SYNTHETIC); each other row follows the row it is counted within."""
    counted = table["within"] == table["indicator_id"]
    table = table.assign(_synthetic=table["source"].eq("SYNTHETIC"), _beside=~counted)
    groups = [*keys, "_synthetic"]
    order = table[counted].sort_values([*groups, "benefit", "indicator_id"],
                                       ascending=[True] * len(groups) + [False, True])
    rank = order.groupby(groups).cumcount() + 1
    table["rank"] = pd.Series(rank, dtype="Int64").reindex(table.index)
    places = order[[*keys, "indicator_id"]].assign(_place=rank).rename(columns={"indicator_id": "within"})
    table = table.merge(places, on=[*keys, "within"], how="left").fillna({"_place": np.inf})
    table = table.sort_values([*groups, "_place", "_beside", "benefit", "indicator_id"],
                              ascending=[True] * (len(groups) + 2) + [False, True], ignore_index=True)
    return table.drop(columns=["_synthetic", "_place", "_beside"])


def _national(table: pd.DataFrame, indicators) -> pd.DataFrame:
    significant = table["significant"].astype(bool)
    grouped = table.assign(
        significant_gain=table["gain"].where(significant, 0.0),
        significant_gain_lower=table["gain_lower"].where(significant, 0.0),
        significant_gain_upper=table["gain_upper"].where(significant, 0.0),
        significant_areas=significant.astype(int),
    ).groupby("indicator_id").agg(
        **({"period": ("period", "first")} if "period" in table else {}),
        breakdown=("breakdown", "first"), source=("source", "first"), within=("within", "first"),
        areas=("area_code", "size"), significant_areas=("significant_areas", "sum"),
        total_gain=("gain", "sum"), significant_gain=("significant_gain", "sum"),
        significant_gain_lower=("significant_gain_lower", "sum"),
        significant_gain_upper=("significant_gain_upper", "sum"), benefit=("benefit", "sum"),
    ).reset_index()
    titles = {i.id: i.title for i in indicators}
    weights = benefit_weights(indicators)
    grouped.insert(1, "title", grouped["indicator_id"].map(titles))
    grouped.insert(2, "benefit_weight", grouped["indicator_id"].map(weights))
    ranked = _ranked(grouped, [])
    return ranked[["rank", *[c for c in ranked.columns if c != "rank"]]]


def _by_area(table: pd.DataFrame) -> pd.DataFrame:
    columns = ["area_code", "indicator_id", "breakdown", "source", "within", "value", "benchmark_value", "gain",
               "gain_lower", "gain_upper", "significant", "benefit"]
    ranked = _ranked(table.loc[table["benefit"] > 0, columns], ["area_code"])
    return ranked[["area_code", "rank", *[c for c in ranked.columns if c not in ("area_code", "rank")]]]
