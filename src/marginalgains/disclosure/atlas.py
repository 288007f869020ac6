"""The atlas under a disclosure rule: every table a face writes carries only protected figures.

Applied to the built Atlas (computed from the true counts) before anything is rendered or
written. Each area's counts are protected with protect_values (areas add up to the national
total, whose pooled value the page shows); an area whose count is hidden loses its value, limits,
funnel positions, SPC series and opportunity unless the rule exempts its measure. Summary
spreads of values (minimum, maximum, folds, percentile ratios, cv) are taken over the published
values only; the pooled value is withheld when the national count behind it is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from marginalgains import stats
from marginalgains.atlas import Atlas
from marginalgains.disclosure.protect import Protected
from marginalgains.disclosure.rules import Rule
from marginalgains.disclosure.values import protect_values
from marginalgains.model import VALUE_KEYS

AREA_DERIVED = ["value", "lower95", "upper95", "lower998", "upper998", "funnel_band", "funnel_band_adjusted"]
VALUE_SPREADS = ["min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv"]
RATIOS = {"fold", "fold_trimmed5", "p95_p5", "iqr_ratio"}
GAIN_COLUMNS = ["numerator", "denominator", "value", "lower", "upper", "gain", "gain_lower", "gain_upper",
                "significant", "robust", "status"]


def protect_atlas(atlas: Atlas, rule: Rule) -> Atlas:
    """A copy of `atlas` whose tables hold only what `rule` lets be published, and says so in its provenance."""
    return protect_atlas_for(atlas, rule)[0]


def protect_atlas_for(atlas: Atlas, rule: Rule, audience: Mapping[str, Iterable[str]] | None = None
                      ) -> tuple[Atlas, Protected]:
    """`atlas` protected for an audience that sees, per indicator, the areas in `audience[indicator]` in full
    (the public: none), with the protection of its counts (table, totals, audit, steps)."""
    measures = {i.id: i.measure for i in atlas.catalogue}
    protected = _protect_areas(atlas.areas, rule, measures, audience or {})
    areas = protected.table
    withheld = areas["value_status"] == "follows"
    areas[[c for c in AREA_DERIVED if c in areas]] = areas[[c for c in AREA_DERIVED if c in areas]].where(~withheld)
    hidden_keys = set(map(tuple, areas.loc[withheld, VALUE_KEYS].astype(str).to_numpy()))
    hidden_series = {(i, a) for i, a, _ in hidden_keys}
    provenance = dict(atlas.provenance)
    provenance["methods"] = {**provenance.get("methods", {}), "disclosure": protected.summary()}
    provenance["disclosure"] = {"rule": rule.name, "title": rule.title, "source": rule.source,
                                "description": rule.describe(), "cells": protected.steps}
    return replace(
        atlas, areas=areas.drop(columns=["numerator_status", "denominator_status"]),
        summary=_summary(atlas.summary, areas, protected.totals),
        spc=_without(atlas.spc, hidden_series),
        improvement={k: replace(t, areas=_gains(t.areas, t.indicator.id, t.period, hidden_keys))
                     for k, t in atlas.improvement.items()},
        pareto=atlas.pareto[[(i, a, p) not in hidden_keys for i, a, p in
                             atlas.pareto[VALUE_KEYS].astype(str).to_numpy()]] if len(atlas.pareto) else atlas.pareto,
        provenance=provenance), protected


def _protect_areas(areas: pd.DataFrame, rule: Rule, measures, audience: Mapping[str, Iterable[str]]) -> Protected:
    """protect_values once per group of indicators whose audience sees the same areas in full (indicators
    share no cell, so protecting them apart is protecting them together)."""
    areas = areas.reset_index(drop=True)
    seen = areas["indicator_id"].map(lambda i: "\x1f".join(sorted(map(str, audience.get(i, ())))))
    groups = sorted(set(seen))
    parts = [protect_values(areas[seen == codes], rule, audience=codes.split("\x1f") if codes else None,
                            measures=measures) for codes in groups]
    if len(parts) == 1:
        return parts[0]
    table = pd.concat([p.table.set_axis(np.flatnonzero(seen == codes)) for p, codes in zip(parts, groups)])
    steps = {k: sum(p.steps.get(k, 0) for p in parts) for k in parts[0].steps}
    return Protected(table.sort_index(), pd.concat([p.audit for p in parts], ignore_index=True), steps, rule,
                     pd.concat([p.totals for p in parts], ignore_index=True))


def _summary(summary: pd.DataFrame, areas: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Spreads of values (min, max, folds, percentile ratios, cv) over the published values only;
    the pooled value withheld where the national count behind it is hidden."""
    keys = ["indicator_id", "period"]
    published = areas.dropna(subset=["value"])
    spread = stats.variation_table(published, keys, numerator=None, denominator=None).set_index(keys)
    index = pd.MultiIndex.from_frame(summary[keys].astype(str))
    summary = summary.copy()
    no_ratios = summary["fold_trimmed5"].isna().to_numpy()  # head-counts and lone areas have no ratios
    for column in [c for c in VALUE_SPREADS if c in summary]:
        recomputed = spread[column].reindex(index).to_numpy() if len(spread) else np.full(len(summary), np.nan)
        blank = no_ratios if column in RATIOS else summary[column].isna().to_numpy()
        summary[column] = np.where(blank, np.nan, recomputed)
    national = totals.set_index(keys)
    hidden = national["numerator"].isna() | national["denominator"].isna()
    summary.loc[hidden.reindex(index).fillna(False).to_numpy(), "pooled"] = np.nan
    return summary


def _without(spc: pd.DataFrame, series: set[tuple[str, str]]) -> pd.DataFrame:
    if spc.empty or not series:
        return spc
    keep = [(i, a) not in series for i, a in spc[["indicator_id", "area_code"]].astype(str).to_numpy()]
    return spc[keep].reset_index(drop=True)


def _gains(table: pd.DataFrame, indicator_id: str, period: str, hidden: set[tuple[str, str, str]]) -> pd.DataFrame:
    mask = np.array([(indicator_id, str(a), str(period)) in hidden for a in table["area_code"]], dtype=bool)
    table = table.copy()
    for column in [c for c in GAIN_COLUMNS if c in table]:
        table[column] = table[column].astype(object if table[column].dtype == bool else table[column].dtype)
        table.loc[mask, column] = np.nan if table[column].dtype != object else None
    return table
