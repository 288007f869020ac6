"""Deprivation decile and quintile rows of a Fingertips export: each quantile's value and 95%
interval, and the slope and relative indices of inequality (stats.inequality, PHE's phe_sii)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from marginalgains.io.catalogue import Catalogue
from marginalgains.io.fingertips.columns import lookup, per_distinct
from marginalgains.model import Measure
from marginalgains.stats.inequality import slope_index

KEYS = ["indicator_id", "area_code", "period", "Category Type"]
REPETITIONS = 100_000
_ORDINALS = {"": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_NAMED = re.compile(r"^(?:(second|third|fourth|fifth)\s+)?(most|more|less|least)\s+deprived\s+(?:decile|quintile)")
_NUMBERED = re.compile(r"^(?:decile|quintile)?\s*(\d+)\b")


def is_deprivation(category_type: pd.Series) -> pd.Series:
    """Rows of a deprivation decile or quintile category type."""
    def named(text) -> bool:
        text = str(text).lower()
        return "deprivation" in text and ("decile" in text or "quintile" in text)
    return per_distinct(category_type, named, False).astype(bool)


def quantile_ranks(category_type: pd.Series, category: pd.Series) -> pd.Series:
    """Each row's quantile, 1 the most deprived (NaN when the name is not one Fingertips uses)."""
    size = np.where(category_type.fillna("").str.lower().str.contains("quintile"), 5, 10)
    text = category.fillna("").str.replace(r"\(.*?\)", "", regex=True).str.strip().str.lower()
    named = text.str.extract(_NAMED)
    ordinal = named[0].fillna("").map(_ORDINALS).astype(float)
    rank = pd.Series(np.where(named[1].isin(["most", "more"]), ordinal, size + 1 - ordinal), index=category.index)
    rank = rank.where(named[1].notna())
    rank = rank.where(~text.str.startswith("middle"), (size + 1) / 2)
    numbered = pd.to_numeric(text.str.extract(_NUMBERED)[0], errors="coerce")
    rank = rank.fillna(numbered)
    return rank.where((rank >= 1) & (rank <= size) & (rank == np.round(rank)))


def inequality(rows: pd.DataFrame, catalogue: Catalogue) -> list[dict]:
    """Per indicator, area, period and category type: the quantiles and the SII and RII with 95% limits.

    One simulation per kind of value (proportions on the logit scale, rates on the log scale,
    others as they are), scale and number of quantiles, over all the groups of that kind at once.
    """
    rows = rows.assign(population=rows["denominator"])
    kinds = {i: _value_type(catalogue[i].measure, catalogue[i].multiplier) for i in rows["indicator_id"].unique()}
    size = np.where(rows["Category Type"].str.lower().str.contains("quintile"), 5, 10)
    kind = lookup(rows["indicator_id"], {i: k[0] for i, k in kinds.items()})
    scale = lookup(rows["indicator_id"], {i: k[1] for i, k in kinds.items()}).astype(float)
    frame = rows.assign(value=rows["value"] / scale, lower95=rows["lower95"] / scale,
                        upper95=rows["upper95"] / scale, kind=kind, scale=scale, size=size)
    results = []
    for (value_type, multiplier, quantiles), group in frame.groupby(["kind", "scale", "size"], sort=False):
        try:
            indices = slope_index(group, KEYS, quantile="rank", population="population", value="value",
                                  lower="lower95", upper="upper95", value_type=value_type, multiplier=multiplier,
                                  repetitions=REPETITIONS, levels=list(range(1, quantiles + 1)))
        except ValueError as exc:
            indices = group[KEYS].drop_duplicates().assign(note=str(exc))
        quantile_rows = rows.loc[group.index].groupby(KEYS, sort=False)
        results += [_record(record, quantile_rows.get_group(tuple(record[k] for k in KEYS)))
                    for record in indices.to_dict("records")]
    return results


def _value_type(measure: Measure, multiplier: float) -> tuple[str, float]:
    """PHE's value type for a measure, and what the published values are divided by for it."""
    if measure is Measure.PROPORTION:
        return "proportion", multiplier
    if measure in (Measure.RATE, Measure.DSR):
        return "rate", 1.0
    return "normal", 1.0


def _record(indices: dict, mine: pd.DataFrame) -> dict:
    """One group's quantiles as published, with its indices."""
    quantiles = mine.sort_values("rank")[["rank", "Category", "value", "lower95", "upper95", "population"]]
    figures = {k: _number(indices.get(k)) for k in ("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper")}
    return {
        "indicator_id": indices["indicator_id"], "area_code": indices["area_code"],
        "area_name": str(mine["Area Name"].iloc[0]), "period": indices["period"],
        "category_type": indices["Category Type"],
        "quantiles": [{k: v if k == "category" else _number(v) for k, v in q.items()}
                      for q in quantiles.rename(columns={"Category": "category"}).to_dict("records")],
        "sii": figures["sii"], "sii_lower95": figures["sii_lower"], "sii_upper95": figures["sii_upper"],
        "rii": figures["rii"], "rii_lower95": figures["rii_lower"], "rii_upper95": figures["rii_upper"],
        "note": indices.get("note") or "",
        "method": f"PHEindicatormethods phe_sii (Low and Low 2009), {REPETITIONS:,} simulated repetitions; "
                  "quantile 1 is the most deprived, so the SII is the modelled gap from the most to the least deprived",
    }


def _number(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)
