"""Funding: choose interventions that buy the most benefit within a budget (a mixed-integer program).

Each intervention is taken or not (binary). Options sharing a `group` are mutually exclusive
(tiers of effort with diminishing returns). `min_share` reserves a share of the budget for a tag
(national priorities); `max_per_area` caps what one area may receive. HiGHS, through
scipy.optimize.milp, finds the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from marginalgains.improve.errors import ImproveError
from marginalgains.improve.prioritise import benefit_weights

ALL_AREAS = "all"
EFFECT_UNITS = ("points", "people")


@dataclass
class Allocation:
    """The chosen interventions (`chosen` ids, `table` rows), their total benefit and cost."""

    chosen: list[str]
    total_benefit: float
    total_cost: float
    budget: float
    table: pd.DataFrame


def allocate(interventions: pd.DataFrame, budget: float, min_share: dict[str, float] | None = None,
             max_per_area: float | None = None, mip_rel_gap: float = 1e-9) -> Allocation:
    """The set of interventions with the greatest total benefit whose cost fits the budget.

    `interventions` has `id, cost, benefit` and optionally `area_code`, `indicator_id`, `group`
    and `tags` (words separated by ";"). `min_share` maps a tag to the least share of the budget
    that tagged interventions must receive; `max_per_area` is the most one area's interventions
    may cost (interventions for all areas are not counted against it).
    """
    table = _checked_interventions(interventions)
    budget = _checked_budget(budget)
    min_share = dict(min_share or {})
    _check_shares(table, min_share, budget)
    if max_per_area is not None and not max_per_area >= 0:
        raise ImproveError(f"max_per_area must be zero or more, got {max_per_area!r}")
    if table.empty:
        return Allocation([], 0.0, 0.0, budget, table)
    rows, lower, upper = _constraints(table, budget, min_share, max_per_area)
    result = milp(-table["benefit"].to_numpy(dtype=float), integrality=np.ones(len(table)),
                  bounds=Bounds(0, 1), constraints=LinearConstraint(csr_array(np.vstack(rows)), lower, upper),
                  options={"mip_rel_gap": mip_rel_gap})
    if result.status == 2:
        raise ImproveError("no choice of interventions meets every constraint (the budget, the minimum "
                           f"shares {min_share or 'none'}, max_per_area {max_per_area}); relax one of them")
    if result.x is None:
        raise ImproveError(f"the allocation could not be solved: {result.message}")
    chosen = table[result.x > 0.5].reset_index(drop=True)
    return Allocation(chosen["id"].tolist(), float(chosen["benefit"].sum()), float(chosen["cost"].sum()),
                      budget, chosen)


def benefit_curve(interventions: pd.DataFrame, budget: float, step: float | None = None,
                  min_share: dict[str, float] | None = None, max_per_area: float | None = None) -> pd.DataFrame:
    """Optimal benefit at budgets step, 2 x step, ... up to `budget`: what each further step buys.

    `step` defaults to 1,000,000 when the budget is at least two million, else a tenth of the
    budget. A budget level whose constraints cannot be met has no benefit (NaN).
    """
    budget = _checked_budget(budget)
    if step is None:
        step = 1_000_000.0 if budget >= 2_000_000 else budget / 10
    if not step > 0:
        raise ImproveError(f"the curve's step must be positive, got {step!r}")
    levels = list(np.arange(step, budget, step)) + [budget] if budget > 0 else [0.0]
    rows = []
    for level in levels:
        try:
            result = allocate(interventions, level, min_share, max_per_area)
            rows.append((level, result.total_benefit, result.total_cost, len(result.chosen)))
        except ImproveError:
            rows.append((level, np.nan, np.nan, 0))
    curve = pd.DataFrame(rows, columns=["budget", "benefit", "cost", "interventions"])
    curve["extra_benefit"] = curve["benefit"].diff().fillna(curve["benefit"])
    return curve


def read_interventions(source: str | Path | pd.DataFrame, indicators, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Interventions from a CSV (or frame) turned into `id, cost, benefit, ...` for `allocate`.

    Columns: `id, cost, indicator_id, effect` and optionally `effect_unit` ("points" on the
    indicator's value scale, the default, or "people"), `area_code` (blank or "all" for every
    area), `group`, `tag` (";"-separated; else the indicator's tags) and `title`. An effect is
    capped at the opportunity (the area's gain, or the national gain for an all-areas effect in
    people) and weighted by the indicator's benefit weight.
    """
    table = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(source, dtype={"area_code": str, "group": str, "id": str})
    where = "interventions" if isinstance(source, pd.DataFrame) else str(source)
    missing = [c for c in ("id", "cost", "indicator_id", "effect") if c not in table.columns]
    if missing:
        raise ImproveError(f"{where}: missing columns {', '.join(missing)}")
    indicators = {i.id: i for i in indicators}
    table["area_code"] = table.get("area_code", pd.Series(ALL_AREAS, index=table.index)).fillna(ALL_AREAS).astype(str).str.strip().replace("", ALL_AREAS)
    table["effect_unit"] = table.get("effect_unit", pd.Series("points", index=table.index)).fillna("points").astype(str).str.strip()
    table["effect"] = pd.to_numeric(table["effect"], errors="coerce")
    _check_intervention_rows(table, indicators, opportunities, where)
    table["benefit"] = _capped_people(table, indicators, opportunities) * table["indicator_id"].map(
        benefit_weights(indicators.values()))
    tags = table["tag"] if "tag" in table.columns else pd.Series(np.nan, index=table.index)
    indicator_tags = table["indicator_id"].map(lambda i: ";".join(indicators[i].tags))
    table["tags"] = tags.where(tags.notna() & (tags.astype(str).str.strip() != ""), indicator_tags).astype(str)
    keep = [c for c in ("id", "title", "cost", "benefit", "area_code", "indicator_id", "effect", "effect_unit",
                        "group", "tags") if c in table.columns]
    return table[keep]


def _capped_people(table: pd.DataFrame, indicators: dict, opportunities: pd.DataFrame) -> pd.Series:
    """People (or events) each intervention would gain, never more than the opportunity."""
    gains = opportunities.set_index(["indicator_id", "area_code"])[["gain", "denominator"]]
    people = pd.Series(0.0, index=table.index)
    for position, row in table.iterrows():
        multiplier = indicators[row["indicator_id"]].multiplier
        areas = gains.loc[row["indicator_id"]]
        if row["area_code"] != ALL_AREAS:
            areas = areas.loc[[row["area_code"]]]
        if row["effect_unit"] == "people" and row["area_code"] == ALL_AREAS:
            people[position] = min(row["effect"], areas["gain"].sum())
            continue
        wanted = row["effect"] * areas["denominator"] / multiplier if row["effect_unit"] == "points" \
            else pd.Series(row["effect"], index=areas.index)
        people[position] = float(np.minimum(wanted, areas["gain"]).sum())
    return people


def _check_intervention_rows(table: pd.DataFrame, indicators: dict, opportunities: pd.DataFrame, where: str) -> None:
    unknown = sorted(set(table["indicator_id"].astype(str)) - set(indicators))
    if unknown:
        raise ImproveError(f"{where}: unknown indicators {', '.join(unknown)} (not in the catalogue)")
    sized = set(opportunities["indicator_id"])
    unsized = sorted(set(table["indicator_id"]) - sized)
    if unsized:
        raise ImproveError(f"{where}: no opportunity to act on for {', '.join(unsized)} "
                           "(no values, or no judgement of which direction is better)")
    known_pairs = set(zip(opportunities["indicator_id"], opportunities["area_code"].astype(str)))
    named = table[table["area_code"] != ALL_AREAS]
    strangers = sorted({f"{a} ({i})" for i, a in zip(named["indicator_id"], named["area_code"])
                        if (i, a) not in known_pairs})
    if strangers:
        raise ImproveError(f"{where}: unknown areas {', '.join(strangers[:10])} (no values for that indicator)")
    bad_units = sorted(set(table["effect_unit"]) - set(EFFECT_UNITS))
    if bad_units:
        raise ImproveError(f"{where}: effect_unit must be points or people, got {', '.join(bad_units)}")
    if table["effect"].isna().any() or (table["effect"] < 0).any():
        raise ImproveError(f"{where}: every effect must be a number, zero or more")


def _checked_interventions(interventions: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("id", "cost", "benefit") if c not in interventions.columns]
    if missing:
        raise ImproveError(f"interventions need columns id, cost, benefit; missing {', '.join(missing)}")
    table = interventions.reset_index(drop=True).copy()
    table["id"] = table["id"].astype(str)
    repeated = table["id"][table["id"].duplicated()].unique()
    if len(repeated):
        raise ImproveError(f"intervention ids must be unique; repeated: {', '.join(repeated[:5])}")
    for column in ("cost", "benefit"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
        bad = table["id"][~(table[column] >= 0) | ~np.isfinite(table[column])]
        if len(bad):
            raise ImproveError(f"every intervention's {column} must be a number, zero or more (see {', '.join(bad[:5])})")
    return table


def _checked_budget(budget: float) -> float:
    try:
        budget = float(budget)
    except (TypeError, ValueError):
        raise ImproveError(f"the budget must be a number, got {budget!r}") from None
    if not np.isfinite(budget) or budget < 0:
        raise ImproveError(f"the budget must be zero or more, got {budget:g}")
    return budget


def _tag_sets(table: pd.DataFrame) -> pd.Series:
    if "tags" not in table.columns:
        return pd.Series([frozenset()] * len(table), index=table.index)
    return table["tags"].map(lambda t: frozenset(
        w.strip() for w in (t.split(";") if isinstance(t, str) else (t if isinstance(t, (list, tuple, set)) else []))
        if w.strip()))


def _check_shares(table: pd.DataFrame, min_share: dict[str, float], budget: float) -> None:
    for tag, share in min_share.items():
        if not 0 <= share <= 1:
            raise ImproveError(f"the minimum share for {tag!r} must be between 0 and 1, got {share!r}")
    if sum(min_share.values()) > 1 + 1e-12:
        raise ImproveError(f"minimum shares add up to more than the whole budget: {min_share}")
    tags = _tag_sets(table)
    for tag, share in min_share.items():
        available = table.loc[tags.map(lambda s, t=tag: t in s), "cost"].sum()
        if available < share * budget:
            raise ImproveError(f"tag {tag!r} must receive {share:.0%} of the budget ({share * budget:,.0f}) "
                               f"but its interventions cost only {available:,.0f} in all")


def _constraints(table: pd.DataFrame, budget: float, min_share: dict[str, float], max_per_area):
    """Rows and bounds: the budget, one-per-group, minimum tag shares, per-area caps."""
    cost = table["cost"].to_numpy(dtype=float)
    rows, lower, upper = [cost], [0.0], [budget]
    if "group" in table.columns:
        groups = table["group"].where(table["group"].notna() & (table["group"].astype(str).str.strip() != ""))
        for _, members in groups.dropna().groupby(groups.dropna().astype(str)).groups.items():
            if len(members) > 1:
                rows.append(table.index.isin(members).astype(float))
                lower.append(0.0)
                upper.append(1.0)
    tags = _tag_sets(table)
    for tag, share in min_share.items():
        rows.append(cost * tags.map(lambda s, t=tag: t in s).to_numpy(dtype=float))
        lower.append(share * budget)
        upper.append(np.inf)
    if max_per_area is not None and "area_code" in table.columns:
        areas = table["area_code"].fillna(ALL_AREAS).astype(str)
        for area in sorted(set(areas) - {ALL_AREAS, ""}):
            rows.append(cost * (areas == area).to_numpy(dtype=float))
            lower.append(0.0)
            upper.append(float(max_per_area))
    return rows, np.array(lower), np.array(upper)
