"""Priorities: which indicators, nationally and in each area, hold the most benefit.

benefit = gain x the indicator's benefit weight (a weight of 1, i.e. people or events, when the
catalogue gives none). By default only significant gains count, so noise is never a priority.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from marginalgains.improve.errors import ImproveError

COUNTS = ("significant", "all")


@dataclass
class Priorities:
    """`national`: one row per indicator, ranked; `by_area`: each area's indicators, ranked."""

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
    table = with_benefit(opportunities[opportunities["indicator_id"].isin(ids)], chosen, count)
    return Priorities(_national(table, chosen), _by_area(table), count)


def _national(table: pd.DataFrame, indicators) -> pd.DataFrame:
    significant = table["significant"].astype(bool)
    grouped = table.assign(
        significant_gain=table["gain"].where(significant, 0.0),
        significant_gain_lower=table["gain_lower"].where(significant, 0.0),
        significant_gain_upper=table["gain_upper"].where(significant, 0.0),
        significant_areas=significant.astype(int),
    ).groupby("indicator_id").agg(
        **({"period": ("period", "first")} if "period" in table else {}), areas=("area_code", "size"), significant_areas=("significant_areas", "sum"),
        total_gain=("gain", "sum"), significant_gain=("significant_gain", "sum"),
        significant_gain_lower=("significant_gain_lower", "sum"),
        significant_gain_upper=("significant_gain_upper", "sum"), benefit=("benefit", "sum"),
    ).reset_index()
    titles = {i.id: i.title for i in indicators}
    weights = benefit_weights(indicators)
    grouped.insert(1, "title", grouped["indicator_id"].map(titles))
    grouped.insert(2, "benefit_weight", grouped["indicator_id"].map(weights))
    grouped = grouped.sort_values(["benefit", "indicator_id"], ascending=[False, True], ignore_index=True)
    grouped.insert(0, "rank", np.arange(1, len(grouped) + 1))
    return grouped


def _by_area(table: pd.DataFrame) -> pd.DataFrame:
    columns = ["area_code", "indicator_id", "value", "benchmark_value", "gain", "gain_lower", "gain_upper",
               "significant", "benefit"]
    rows = table.loc[table["benefit"] > 0, columns]
    rows = rows.sort_values(["area_code", "benefit", "indicator_id"], ascending=[True, False, True],
                            ignore_index=True)
    rows.insert(1, "rank", rows.groupby("area_code").cumcount() + 1)
    return rows
