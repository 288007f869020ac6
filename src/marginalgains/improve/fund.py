"""Funding: choose interventions that buy the most benefit within a budget (a mixed-integer program).

Each intervention is taken or not (binary). Options sharing a `group` are mutually exclusive
(tiers of effort with diminishing returns). `min_share` reserves a share of the budget for a tag
(national priorities); `max_per_area` caps what one area may receive. Of an indicator's
breakdowns that share people (Persons and Male, All ages and 65+ yrs) at most one is funded in
any area, so nobody's gain is bought twice; real and SYNTHETIC benefits are never funded together.
HiGHS, through scipy.optimize.milp, finds the optimum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from marginalgains.improve.breakdowns import check_one_period, check_one_source, family, overlapping_pairs, source
from marginalgains.improve.errors import ImproveError
from marginalgains.improve.prioritise import benefit_weights
from marginalgains.io.tabular import ROW_PROBLEMS, read_table
from marginalgains.io.validate import parse_numbers

ALL_AREAS = "all"
EFFECT_UNITS = ("points", "people")
MAX_BUDGET = 1e15
"""No health budget is larger (the NHS in England spends about 2e11 a year): more is a typing slip."""
MAX_CURVE_LEVELS = 200
"""The benefit curve solves one allocation per budget level; more levels than this take minutes to say nothing more."""
ROW_BLOCK = 1024
"""All-areas interventions capped a block of this many at a time, to keep the working memory small."""
BREAKDOWN_COLUMNS = ("indicator_id", "area_code", "family", "sex", "age")
"""What `allocate` needs to keep overlapping breakdowns of one family apart (`read_interventions` adds them)."""


@dataclass
class Allocation:
    """The chosen interventions (`chosen` ids, `table` rows), their total benefit and cost, and the
    source ("real" or "SYNTHETIC") and periods of the gains the benefit was sized on."""

    chosen: list[str]
    total_benefit: float
    total_cost: float
    budget: float
    table: pd.DataFrame
    source: str = "real"
    periods: list[str] = field(default_factory=list)


def allocate(interventions: pd.DataFrame, budget: float, min_share: dict[str, float] | None = None,
             max_per_area: float | None = None, mip_rel_gap: float = 1e-9) -> Allocation:
    """The set of interventions with the greatest total benefit whose cost fits the budget.

    `interventions` has `id, cost, benefit` and optionally `area_code`, `indicator_id`, `group`
    and `tags` (words separated by ";"). `min_share` maps a tag to the least share of the budget
    that tagged interventions must receive; `max_per_area` is the most one area's interventions
    may cost (interventions for all areas are not counted against it). With `family, sex, age`
    (as `read_interventions` gives them), no two interventions on overlapping breakdowns of one
    family are chosen for one area (an all-areas one is in every area); with `source`, real and
    SYNTHETIC interventions are refused together.
    """
    table = _checked_interventions(interventions)
    kind = _one_source(table)
    budget = _checked_budget(budget)
    min_share = dict(min_share or {})
    tags = _tag_sets(table)
    _check_shares(table, tags, min_share, budget)
    if max_per_area is not None and not max_per_area >= 0:
        raise ImproveError(f"max_per_area must be zero or more, got {max_per_area!r}")
    if table.empty:
        return Allocation([], 0.0, 0.0, budget, table, kind)
    matrix, lower, upper = _constraints(table, tags, budget, min_share, max_per_area)
    extra = matrix.shape[1] - len(table)  # 0-1 "breakdown used here" variables: no benefit, need not be whole
    result = milp(np.concatenate([-table["benefit"].to_numpy(dtype=float), np.zeros(extra)]),
                  integrality=np.concatenate([np.ones(len(table)), np.zeros(extra)]),
                  bounds=Bounds(0, 1), constraints=LinearConstraint(matrix, lower, upper),
                  options={"mip_rel_gap": mip_rel_gap})
    if result.status == 2:
        raise ImproveError("no choice of interventions meets every constraint (the budget, the minimum "
                           f"shares {min_share or 'none'}, max_per_area {max_per_area}); relax one of them")
    if result.x is None:
        raise ImproveError(f"the allocation could not be solved: {result.message}")
    chosen = table[result.x[:len(table)] > 0.5].reset_index(drop=True)
    periods = sorted(chosen["period"].astype(str).unique()) if "period" in chosen.columns else []
    return Allocation(chosen["id"].tolist(), float(chosen["benefit"].sum()), float(chosen["cost"].sum()),
                      budget, chosen, kind, periods)


def benefit_curve(interventions: pd.DataFrame, budget: float, step: float | None = None,
                  min_share: dict[str, float] | None = None, max_per_area: float | None = None,
                  on_level: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Optimal benefit at budgets step, 2 x step, ... up to `budget`: what each further step buys.

    `step` defaults to 1,000,000 when the budget is from two million to 200 million, else a tenth
    of the budget; a step giving more than MAX_CURVE_LEVELS levels is refused with the smallest
    step that fits. A budget level whose constraints cannot be met has no benefit (NaN).
    `on_level(levels)` is called as each level is solved (for a progress bar).
    """
    budget = _checked_budget(budget)
    if step is None:
        step = 1_000_000.0 if 2_000_000 <= budget <= MAX_CURVE_LEVELS * 1_000_000 else budget / 10
    if not (step > 0 and np.isfinite(step)):
        raise ImproveError(f"the curve's step must be a positive number, got {step!r}")
    if budget / step > MAX_CURVE_LEVELS:
        raise ImproveError(f"a step of {step:,.2f} gives {budget / step:,.0f} budget levels; the curve takes at most "
                           f"{MAX_CURVE_LEVELS}, so use a step of at least {budget / MAX_CURVE_LEVELS:,.2f}")
    levels = list(np.arange(step, budget, step)) + [budget] if budget > 0 else [0.0]
    rows = []
    for level in levels:
        try:
            result = allocate(interventions, level, min_share, max_per_area)
            rows.append((level, result.total_benefit, result.total_cost, len(result.chosen)))
        except ImproveError:
            rows.append((level, np.nan, np.nan, 0))
        if on_level is not None:
            on_level(len(levels))
    curve = pd.DataFrame(rows, columns=["budget", "benefit", "cost", "interventions"])
    curve["extra_benefit"] = curve["benefit"].diff().fillna(curve["benefit"])
    return curve


def read_interventions(given: str | Path | pd.DataFrame, indicators, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Interventions from a CSV (or frame) turned into `id, cost, benefit, ...` for `allocate`.

    Columns: `id, cost, indicator_id, effect` and optionally `effect_unit` ("points" on the
    indicator's value scale, the default, or "people"), `area_code` (blank or "all" for every
    area), `group`, `tag` (";"-separated; else the indicator's tags) and `title`. An effect is
    capped at the opportunity (the area's gain, or the national gain for an all-areas effect in
    people) and weighted by the indicator's benefit weight. A plan missing one of its options
    would be wrong, so a bad row stops the read, naming the row, column and reason. Each row gets
    the `period`, `family`, `sex`, `age`, `breakdown` and `source` of its indicator's gain; real
    and SYNTHETIC indicators together, or an indicator sized in two periods, are refused.
    """
    table, where = _intervention_table(given)
    missing = [c for c in ("id", "cost", "indicator_id", "effect") if c not in table.columns]
    if missing:
        raise ImproveError(f"{where}: missing columns {', '.join(missing)}")
    _check_intervention_cells(table, where)
    indicators = {i.id: i for i in indicators}
    table["area_code"] = table.get("area_code", pd.Series(ALL_AREAS, index=table.index)).fillna(ALL_AREAS).astype(str).str.strip().replace("", ALL_AREAS)
    table["effect_unit"] = table.get("effect_unit", pd.Series("points", index=table.index)).fillna("points").astype(str).str.strip()
    _check_intervention_rows(table, indicators, opportunities, where)
    check_one_period(opportunities)
    check_one_source(table["indicator_id"], indicators, where)
    table["benefit"] = _capped_people(table, indicators, opportunities) * table["indicator_id"].map(
        benefit_weights(indicators.values()))
    tags = table["tag"] if "tag" in table.columns else pd.Series(np.nan, index=table.index)
    indicator_tags = table["indicator_id"].map(lambda i: ";".join(indicators[i].tags))
    table["tags"] = tags.where(tags.notna() & (tags.astype(str).str.strip() != ""), indicator_tags).astype(str)
    table = table.assign(**_breakdown_labels(table["indicator_id"], indicators, opportunities))
    keep = [c for c in ("id", "title", "cost", "benefit", "area_code", "indicator_id", "period", "breakdown",
                        "family", "sex", "age", "source", "effect", "effect_unit", "group", "tags")
            if c in table.columns]
    return table[keep]


def stacked_indicators(table: pd.DataFrame) -> list[str]:
    """Indicators on which two interventions that are not alternatives (no shared `group`) act in one
    area: each effect is capped at the gain there, but their sum is not, so the sum may count some
    people twice. The CLI says so; put such options in a group when they reach the same people."""
    if table.empty or not {"indicator_id", "area_code"} <= set(table.columns):
        return []
    group = table["group"] if "group" in table.columns else pd.Series(np.nan, index=table.index)
    named = group.notna() & (group.astype(str).str.strip() != "")
    slots = table.assign(_slot=group.astype(str).where(named, "id:" + table["id"].astype(str)))
    everywhere = slots["area_code"] == ALL_AREAS
    general = slots[everywhere].groupby("indicator_id")["_slot"].nunique()
    local = slots[~everywhere].groupby(["indicator_id", "area_code"])["_slot"].nunique().reset_index()
    local["_slot"] += local["indicator_id"].map(general).fillna(0).to_numpy()
    return sorted(set(general.index[general > 1]) | set(local.loc[local["_slot"] > 1, "indicator_id"]))


def _breakdown_labels(indicator_ids: pd.Series, indicators: dict, opportunities: pd.DataFrame) -> dict:
    """What an intervention's gain is of: its indicator's period, breakdown (family, sex, age) and source."""
    used = {i: indicators[i] for i in indicator_ids.unique()}
    labels = {"family": {k: family(i) for k, i in used.items()}, "sex": {k: i.sex for k, i in used.items()},
              "age": {k: i.age for k, i in used.items()}, "breakdown": {k: i.breakdown for k, i in used.items()},
              "source": {k: source(i) for k, i in used.items()}}
    if "period" in opportunities.columns:
        labels["period"] = opportunities.drop_duplicates("indicator_id").set_index("indicator_id")["period"].astype(str)
    return {column: indicator_ids.map(values) for column, values in labels.items()}


def _capped_people(table: pd.DataFrame, indicators: dict, opportunities: pd.DataFrame) -> pd.Series:
    """People (or events) each intervention would gain, never more than the opportunity.

    A named area's effect is capped at that area's gain (its opportunity row joined on indicator
    and area); all-areas effects are sized an indicator at a time (see `_all_areas`).
    """
    gains = opportunities.assign(area_code=opportunities["area_code"].astype(str))
    ids = table["indicator_id"].to_numpy()
    effect = table["effect"].to_numpy(dtype=float)
    points = (table["effect_unit"] == "points").to_numpy()
    multiplier = table["indicator_id"].map({i: indicators[i].multiplier for i in set(ids)}).to_numpy(dtype=float)
    named = (table["area_code"] != ALL_AREAS).to_numpy()
    people = np.zeros(len(table))
    own = table.loc[named, ["indicator_id", "area_code"]].merge(gains, how="left", on=["indicator_id", "area_code"])
    capped = _capped(effect[named], points[named], multiplier[named], own["denominator"].to_numpy(dtype=float),
                     own["gain"].to_numpy(dtype=float))
    people[named] = np.where(np.isnan(capped), 0.0, capped)
    for indicator_id, at in pd.Series(np.flatnonzero(~named)).groupby(ids[~named], sort=False):
        at = at.to_numpy()
        people[at] = _all_areas(effect[at], points[at], multiplier[at], gains[gains["indicator_id"] == indicator_id])
    return pd.Series(people, index=table.index)


def _all_areas(effect: np.ndarray, points: np.ndarray, multiplier: np.ndarray, areas: pd.DataFrame) -> np.ndarray:
    """One indicator's all-areas effects: in points, capped at each area's gain and summed (a block
    of interventions x areas at a time); in people, capped at the national gain."""
    denominator, gain = areas["denominator"].to_numpy(dtype=float), areas["gain"].to_numpy(dtype=float)
    blocks = np.array_split(np.arange(len(effect)), -(-len(effect) // ROW_BLOCK))
    each_area = np.concatenate([np.nansum(_capped(effect[b, None], points[b, None], multiplier[b, None], denominator,
                                                  gain), axis=1) for b in blocks])
    return np.where(points, each_area, np.minimum(effect, areas["gain"].sum()))


def _capped(effect, points, multiplier, denominator, gain) -> np.ndarray:
    """Effects in people (points x denominator / multiplier, or as given) capped at the gain, broadcast."""
    return np.minimum(np.where(points, effect * denominator / multiplier, effect), gain)


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
    _first_bad(where, table, ~table["effect_unit"].isin(EFFECT_UNITS), "effect_unit",
               "effect_unit must be points or people, got " + table["effect_unit"].map(repr))


def _intervention_table(source: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table and its name; a file is read as text by `read_table` (and its ragged rows refused)."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True).copy(), "interventions"
    table = read_table(source)
    problems = table.attrs.get(ROW_PROBLEMS, {})
    if problems:
        row = min(problems)
        raise ImproveError(f"{source}, row {row + 1}: {problems[row]}")
    return table, str(source)


def _check_intervention_cells(table: pd.DataFrame, where: str) -> None:
    """Ids and indicators present and ids unique; cost and effect finite numbers, zero or more."""
    for column in ("id", "indicator_id"):
        text = table[column].astype(object).where(table[column].notna(), None)
        table[column] = text.map(lambda v: v if v is None else str(v).strip())
        _first_bad(where, table, table[column].isna() | (table[column] == ""), column, "missing value")
    _first_bad(where, table, table["id"].duplicated(), "id",
               "intervention id " + table["id"].map(repr) + " appears more than once")
    for column in ("cost", "effect"):
        numbers, reasons = parse_numbers(table[column])
        _first_bad(where, table, table[column].isna(), column, "missing value")
        _first_bad(where, table, reasons.notna(), column, reasons)
        _first_bad(where, table, (numbers < 0) | np.signbit(numbers), column,
                   f"{column} must be zero or more, got " + numbers.map("{:g}".format))
        table[column] = numbers


def _first_bad(where: str, table: pd.DataFrame, mask: pd.Series, column: str, reasons) -> None:
    """Refuse the first row where `mask` holds, naming its row (1 is the first after the header)."""
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(rows):
        reason = reasons if isinstance(reasons, str) else pd.Series(reasons).iloc[rows[0]]
        more = f" (and {len(rows) - 1:,} more rows)" if len(rows) > 1 else ""
        raise ImproveError(f"{where}, row {rows[0] + 1}, column {column!r}: {reason}{more}")


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


def _one_source(table: pd.DataFrame) -> str:
    """The interventions' one source ("real" unless told); real and SYNTHETIC together are refused."""
    if "source" not in table.columns:
        return "real"
    kinds = sorted(table["source"].dropna().astype(str).unique())
    if len(kinds) > 1:
        raise ImproveError(f"interventions, column 'source': {' and '.join(kinds)} together; real and SYNTHETIC "
                           "benefits never add, so allocate them apart")
    return kinds[0] if kinds else "real"


def _checked_budget(budget: float) -> float:
    try:
        budget = float(budget)
    except (TypeError, ValueError):
        raise ImproveError(f"the budget must be a number, got {budget!r}") from None
    if not np.isfinite(budget) or budget < 0:
        raise ImproveError(f"the budget must be zero or more, got {budget:g}")
    if budget > MAX_BUDGET:
        raise ImproveError(f"the budget {budget:g} is more than {MAX_BUDGET:g}, larger than any health budget")
    return budget


def _tag_sets(table: pd.DataFrame) -> pd.Series:
    if "tags" not in table.columns:
        return pd.Series([frozenset()] * len(table), index=table.index)
    return table["tags"].map(lambda t: frozenset(
        w.strip() for w in (t.split(";") if isinstance(t, str) else (t if isinstance(t, (list, tuple, set)) else []))
        if w.strip()))


def _has_tag(tags: pd.Series, tag: str) -> np.ndarray:
    return tags.map(lambda s: tag in s).to_numpy(dtype=bool)


def _check_shares(table: pd.DataFrame, tags: pd.Series, min_share: dict[str, float], budget: float) -> None:
    for tag, share in min_share.items():
        if not 0 <= share <= 1:
            raise ImproveError(f"the minimum share for {tag!r} must be between 0 and 1, got {share!r}")
    if sum(min_share.values()) > 1 + 1e-12:
        raise ImproveError(f"minimum shares add up to more than the whole budget: {min_share}")
    for tag, share in min_share.items():
        available = table.loc[_has_tag(tags, tag), "cost"].sum()
        if available < share * budget:
            raise ImproveError(f"tag {tag!r} must receive {share:.0%} of the budget ({share * budget:,.0f}) "
                               f"but its interventions cost only {available:,.0f} in all")


def _constraints(table: pd.DataFrame, tags: pd.Series, budget: float, min_share: dict[str, float],
                 max_per_area) -> tuple[csr_array, np.ndarray, np.ndarray]:
    """The sparse constraint matrix and its bounds: the budget, one per group, minimum tag shares,
    per-area caps, and overlapping breakdowns kept apart (`_breakdown_rows`, over extra columns).

    Each family of rows gives every intervention a code (its row in the family, -1 for none) and
    a coefficient; the matrix is built from the (row, column, value) triples of all families.
    """
    cost = table["cost"].to_numpy(dtype=float)
    groups = _group_codes(table)
    families = [(np.zeros(len(table), dtype=int), cost, 1, 0.0, budget),
                (groups, np.ones(len(table)), groups.max() + 1, 0.0, 1.0)]
    families += [(np.where(_has_tag(tags, tag), 0, -1), cost, 1, share * budget, np.inf)
                 for tag, share in min_share.items()]
    if max_per_area is not None and "area_code" in table.columns:
        areas = table["area_code"].fillna(ALL_AREAS).astype(str)
        codes = _codes(areas.where(~areas.isin([ALL_AREAS, ""])))
        families.append((codes, cost, codes.max() + 1, 0.0, float(max_per_area)))
    rows, columns, values, lower, upper = [], [], [], [], []
    for codes, coefficient, count, low, high in families:
        member = (codes >= 0) & (coefficient != 0)  # zeros are not stored
        rows.append(len(lower) + codes[member])
        columns.append(np.flatnonzero(member))
        values.append(coefficient[member])
        lower += [low] * int(count)
        upper += [high] * int(count)
    more_rows, more_columns, more_values, more_upper, extra = _breakdown_rows(table)
    rows.append(len(lower) + more_rows)
    columns.append(more_columns)
    values.append(more_values)
    lower += [-np.inf] * len(more_upper)
    upper += list(more_upper)
    matrix = csr_array((np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
                       shape=(len(lower), len(table) + extra))
    return matrix, np.array(lower), np.array(upper)


def _breakdown_rows(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Rows keeping overlapping breakdowns of one family out of one area: (rows, columns, values, upper
    bounds, extra columns).

    Each (indicator, area) with an overlapping breakdown beside it gets a 0-1 column "used here",
    column n + k: every intervention on it is at most that (x_i - used_k <= 0), and two overlapping
    (indicator, area)s that meet (one area, or either for all areas) are used at most one at a time
    (used_j + used_k <= 1).
    """
    empty = (np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0), np.zeros(0), 0)
    if not set(BREAKDOWN_COLUMNS) <= set(table.columns):
        return empty
    kinds = table.drop_duplicates("indicator_id")[["indicator_id", "family", "sex", "age"]]
    kinds = kinds.fillna("").astype(str).rename(columns={"indicator_id": "id"})
    pairs = pd.DataFrame(overlapping_pairs(kinds.itertuples(index=False)), columns=["p", "q"], dtype=object)
    if pairs.empty:
        return empty
    place = pd.DataFrame({"indicator_id": table["indicator_id"].astype(str).to_numpy(),
                          "area_code": table["area_code"].fillna(ALL_AREAS).astype(str).replace("", ALL_AREAS).to_numpy()})
    meeting = _meetings(pairs, place.drop_duplicates())
    if meeting.empty:
        return empty
    sides = [meeting["p"] + "\x1f" + meeting["area_p"], meeting["q"] + "\x1f" + meeting["area_q"]]
    codes, keys = pd.factorize(pd.concat(sides, ignore_index=True))
    first, second = codes[:len(meeting)], codes[len(meeting):]
    conflicts = np.unique(np.column_stack([np.minimum(first, second), np.maximum(first, second)]), axis=0)
    own = pd.Index(keys).get_indexer(place["indicator_id"] + "\x1f" + place["area_code"])
    member = np.flatnonzero(own >= 0)
    n, links = len(table), len(member)
    rows = np.concatenate([np.arange(links), np.arange(links), links + np.repeat(np.arange(len(conflicts)), 2)])
    columns = np.concatenate([member, n + own[member], n + conflicts.ravel()])
    values = np.concatenate([np.ones(links), -np.ones(links), np.ones(2 * len(conflicts))])
    upper = np.concatenate([np.zeros(links), np.ones(len(conflicts))])
    return rows, columns, values, upper, len(keys)


def _meetings(pairs: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """`p, area_p, q, area_q`: the (indicator, area)s of interventions on overlapping breakdowns p and q
    that act on one area: the same area, or either of them for all areas."""
    def side(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        return frame.rename(columns={"indicator_id": name, "area_code": f"area_{name}"})

    everywhere = used["area_code"] == ALL_AREAS
    same = pairs.merge(side(used, "p"), on="p").merge(side(used, "q").assign(area_p=lambda f: f["area_q"]),
                                                       on=["q", "area_p"])
    p_everywhere = pairs.merge(side(used[everywhere], "p"), on="p").merge(side(used[~everywhere], "q"), on="q")
    q_everywhere = pairs.merge(side(used[~everywhere], "p"), on="p").merge(side(used[everywhere], "q"), on="q")
    return pd.concat([same, p_everywhere, q_everywhere], ignore_index=True)


def _group_codes(table: pd.DataFrame) -> np.ndarray:
    """Each intervention's group among those with more than one option (-1 for none)."""
    if "group" not in table.columns:
        return np.full(len(table), -1)
    group = table["group"]
    named = group.notna() & (group.astype(str).str.strip() != "")
    return _codes(group.astype(str).where(named), least=2)


def _codes(labels: pd.Series, least: int = 1) -> np.ndarray:
    """Codes 0, 1, ... of the labels in sorted order, counting only labels with at least `least`
    members; -1 for a missing label or one with fewer."""
    codes, uniques = pd.factorize(labels, sort=True)
    kept = np.bincount(codes[codes >= 0], minlength=len(uniques)) >= least
    number = np.append(np.where(kept, np.cumsum(kept) - 1, -1), -1)  # code -1 (missing) reads the last
    return number[codes]
