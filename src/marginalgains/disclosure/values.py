"""protect_values: IndicatorValues (numerator, denominator, value, limits) protected, with their totals.

Each indicator x period becomes a table of cells: one per area and part, plus the regional and
national totals computed from the true counts. For a proportion the parts are the numerator, the
remainder (denominator minus numerator: people without the event, a count too) and the
denominator, which is their sum, so publishing both counts of an area is an equation that can
disclose a small remainder. For other measures the numerator is a count on its own, and so is the
denominator when it is a whole number (a population) rather than an expected count. Derived
figures (value, limits) of a row whose numerator or denominator is hidden are withheld too,
unless the rule exempts the indicator's measure (directly standardised rates under NHS Digital's
rule).

With `breakdowns` (indicator id -> its family, sex and age: `catalogue_breakdowns(catalogue)`),
the breakdowns of one family in one period are one table whose sexes add up to Persons and whose
age bands add up to the band containing them, the rest of each total a cell of its own
(marginalgains.disclosure.breakdowns): no hidden Male count is Persons less Female.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from marginalgains.disclosure.breakdowns import JOIN, Breakdown, linked_cells
from marginalgains.disclosure.protect import Protected, protect
from marginalgains.disclosure.rules import DisclosureError, Rule
from marginalgains.disclosure.structure import Dimension, Structure, add_totals
from marginalgains.model import VALUE_KEYS, VALUE_LIMITS, Measure

NATIONAL = "national"
DERIVED = ["value", "lower", "upper", *VALUE_LIMITS]


PARTS = {"numerator": "denominator", "remainder": "denominator"}
CELL_KEYS = ["indicator_id", "period", "part", "area_code"]


def protect_values(values: pd.DataFrame, rule: Rule, hierarchy: Mapping[str, str] | None = None,
                   audience: Iterable[str] | Mapping[str, Iterable[str]] | None = None,
                   measures: Mapping[str, Measure] | None = None,
                   breakdowns: Mapping[str, Breakdown] | None = None) -> Protected:
    """Protect IndicatorValues; `Protected.table` has the same rows, `Protected.totals` the totals.

    `hierarchy` maps each area code to its parent (practice -> region -> England); without it every
    area adds up to one total named "national". `audience`: the area codes the viewer sees in full,
    or per indicator id those codes. `measures` gives each indicator's measure (without it: a
    proportion where no numerator exceeds its denominator, else a count over an expected count).
    `breakdowns` links each family's breakdowns into one table (without it, each id is its own).
    `Protected.cells` and `.structure` are the joint table as protected (with the rests) and its structure.
    """
    values = values.reset_index(drop=True)
    _check_values(values)
    hierarchy = dict(hierarchy) if hierarchy is not None else {}
    root = _root(hierarchy)
    parents = {str(a): hierarchy.get(str(a), root) for a in values["area_code"].unique() if str(a) != root}
    parents.update(hierarchy)
    kinds = _kinds(values, measures)
    cells = _cells(values, kinds)
    by_indicator = Structure((Dimension("indicator_id"), Dimension("period"), Dimension("part", PARTS),
                              Dimension("area_code", parents)), geography="area_code")
    cells = add_totals(cells, by_indicator, ["count"])
    cells, dimensions, rest = linked_cells(cells, breakdowns or {}, CELL_KEYS)
    structure = Structure((*dimensions, Dimension("period"), Dimension("part", PARTS),
                           Dimension("area_code", parents)), geography="area_code")
    codes, own = _audience(cells, audience)
    protected = protect(cells, structure, rule, audience=codes, own=own, rest=rest)
    real = protected.table[~rest]
    table, totals, steps = _back_to_rows(values, real, kinds, rule, set(values["area_code"].astype(str)))
    protected.steps.update(steps)
    return Protected(table, _readable(protected.audit), protected.steps, rule, totals, cells=protected.table,
                     structure=structure)


def protect_subperiods(values: pd.DataFrame, rule: Rule,
                       audience: Iterable[str] | Mapping[str, Iterable[str]] | None = None, measures: Mapping[str, Measure] | None = None,
                       breakdowns: Mapping[str, Breakdown] | None = None) -> Protected:
    """Protect the months (or quarters) of years whose counts the viewer already has.

    `values`: IndicatorValues rows at a sub-annual grain, each with its financial `year` label.
    Per area, the months of a year add up to that year, whose counts another table publishes: each
    year enters as a known cell (the sum of the months given here, never hidden), so a small month
    is hidden with complements among its year's months and no hidden month can be worked out as
    the year minus the others. Only months of published years belong here: the months of a year
    whose counts are hidden would give that year away, and are the caller's to withhold. No
    national monthly totals are published, so each area's year is its own sub-table. Months are
    not rounded (their counts are not shown; their values are). `Protected.table` has the rows of
    `values` with hidden counts NaN and `value_status` "follows" where the value is withheld. With
    `breakdowns`, a family's months are one table as in `protect_values` (its years too).
    """
    values = values.reset_index(drop=True)
    _check_values(values)
    if "year" not in values:
        raise DisclosureError("the values have no column 'year' (each month's financial year)")
    kinds = _kinds(values, measures)
    months = _cells(values, kinds)
    month_year = dict(zip(values["period"].astype(str), values["year"].astype(str)))
    months["year"] = months["period"].map(month_year)
    keys = ["indicator_id", "year", "part", "area_code"]
    years = months.groupby(keys, as_index=False, sort=False)["count"].sum().rename(columns={"year": "period"})
    cells = pd.concat([months.drop(columns="year"), years], ignore_index=True)
    known = np.r_[np.zeros(len(months), dtype=bool), np.ones(len(years), dtype=bool)]
    cells, dimensions, rest = linked_cells(cells, breakdowns or {}, CELL_KEYS)
    known = np.r_[known, np.zeros(int(rest.sum()), dtype=bool)]
    structure = Structure((*dimensions, Dimension("period", month_year), Dimension("part", PARTS),
                           Dimension("area_code")))
    codes, own = _audience(cells, audience)
    if codes is not None:
        known |= cells["area_code"].isin(codes).to_numpy()
    if own is not None:
        known |= own
    protected = protect(cells, structure, replace(rule, rounding=None), known=known, rest=rest)
    table, _, steps = _back_to_rows(values, protected.table[~rest], kinds, rule, set(values["area_code"].astype(str)))
    protected.steps.update(steps)
    return Protected(table, _readable(protected.audit), protected.steps, rule, cells=protected.table,
                     structure=structure)


def _audience(cells: pd.DataFrame, audience) -> tuple[list[str] | None, np.ndarray | None]:
    """The audience as protect takes it: codes seen in full in every indicator, or (per indicator) a mask of cells."""
    if audience is None or not isinstance(audience, Mapping):
        return (None if audience is None else [str(a) for a in audience]), None
    pairs = sorted({(str(i), str(a)) for i, codes in audience.items() for a in codes})
    if not pairs:
        return None, np.zeros(len(cells), dtype=bool)
    keys = pd.MultiIndex.from_arrays([cells["indicator_id"].astype(str), cells["area_code"].astype(str)])
    return None, keys.isin(pd.MultiIndex.from_tuples(pairs))


def _readable(audit: pd.DataFrame) -> pd.DataFrame:
    """The audit with each cell's breakdown as it reads (sex, age; the rests say what they are)."""
    if "age" not in audit:
        return audit
    audit = audit.drop(columns=[c for c in ("sex_label", "age_label") if c in audit])
    codes, ages = pd.factorize(audit["age"].astype(str))
    return audit.assign(age=np.array([age.split(JOIN, 1)[-1] for age in ages], dtype=object)[codes])


def _check_values(values: pd.DataFrame) -> None:
    missing = [c for c in [*VALUE_KEYS, "numerator", "denominator"] if c not in values]
    if missing:
        raise DisclosureError(f"the values have no column {missing[0]!r}")
    for column in ("numerator", "denominator"):
        numbers = pd.to_numeric(values[column], errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy() | (numbers < 0).to_numpy())
        if len(bad):
            raise DisclosureError(f"row {bad[0] + 1}, column {column!r}: a count must be a number of zero or more, "
                                  f"got {values[column].iloc[bad[0]]!r}")


def _root(hierarchy: dict[str, str]) -> str:
    if not hierarchy:
        return NATIONAL
    roots = sorted(set(hierarchy.values()) - set(hierarchy))
    if len(roots) != 1:
        raise DisclosureError(f"the area hierarchy must have one top (national) area, found {roots or 'none'}")
    return roots[0]


def _kinds(values: pd.DataFrame, measures: Mapping[str, Measure] | None) -> pd.DataFrame:
    """Per indicator: its measure and kind: 'proportion', 'population' (a count over a whole-number
    denominator) or 'expected' (a count over an expected count, which is not a count of people)."""
    rows = []
    for indicator, group in values.groupby("indicator_id", sort=True):
        whole = bool((group["denominator"] % 1 == 0).all())
        measure = (measures or {}).get(indicator)
        if measure is None:
            within = (group["numerator"] <= group["denominator"]).all()
            measure = Measure.PROPORTION if whole and within else Measure.RATIO
        if measure == Measure.PROPORTION:
            kind = "proportion"
        elif measure in (Measure.RATE, Measure.DSR) and whole:
            kind = "population"
        else:
            kind = "expected"
        rows.append((indicator, Measure(measure), kind))
    return pd.DataFrame(rows, columns=["indicator_id", "measure", "kind"]).set_index("indicator_id")


def _cells(values: pd.DataFrame, kinds: pd.DataFrame) -> pd.DataFrame:
    keys = values[VALUE_KEYS].astype(str)
    kind = values["indicator_id"].map(kinds["kind"])
    frames = [keys.assign(part=np.where(kind == "proportion", "numerator", "events"),
                          count=values["numerator"].to_numpy(dtype=float))]
    has_denominator = (kind != "expected").to_numpy()
    frames.append(keys[has_denominator].assign(
        part=np.where(kind[has_denominator] == "proportion", "denominator", "population"),
        count=values.loc[has_denominator, "denominator"].to_numpy(dtype=float)))
    proportion = (kind == "proportion").to_numpy()
    frames.append(keys[proportion].assign(
        part="remainder", count=(values["denominator"] - values["numerator"])[proportion].to_numpy(dtype=float)))
    return pd.concat(frames, ignore_index=True)[["indicator_id", "period", "part", "area_code", "count"]]


def _back_to_rows(values, cells: pd.DataFrame, kinds: pd.DataFrame, rule: Rule, areas: set[str]):
    cells = cells.assign(part=cells["part"].replace({"events": "numerator", "population": "denominator"}))
    wide = cells.pivot(index=VALUE_KEYS, columns="part", values=["count", "count_status"])
    wide = wide.reindex(columns=pd.MultiIndex.from_product([["count", "count_status"], ["numerator", "denominator"]]))
    table = values.copy()
    keys = pd.MultiIndex.from_frame(values[VALUE_KEYS].astype(str))
    for part in ("numerator", "denominator"):
        table[part] = wide[("count", part)].reindex(keys).to_numpy(dtype=float)
        status = wide[("count_status", part)].reindex(keys).to_numpy(dtype=object)
        table[f"{part}_status"] = np.where(pd.isna(status), "not a count", status)
    hidden = table["numerator"].isna() | table["denominator"].isna() & (table["denominator_status"] != "not a count")
    exempt = values["indicator_id"].map(kinds["measure"]).isin(rule.exempt_measures)
    derived = [c for c in DERIVED if c in table]
    follows = hidden & ~exempt
    table.loc[follows, derived] = np.nan
    table["value_status"] = np.where(follows, "follows", np.where(hidden, "exempt", "published"))
    table.loc[table["denominator_status"] == "not a count", "denominator"] = values["denominator"]
    totals = wide[~wide.index.get_level_values("area_code").isin(areas)]
    totals = pd.DataFrame({
        "numerator": totals[("count", "numerator")], "numerator_status": totals[("count_status", "numerator")],
        "denominator": totals.get(("count", "denominator")),
        "denominator_status": totals.get(("count_status", "denominator")),
    }).reset_index()
    return table, totals, {"follows": int(follows.sum()), "exempt": int((hidden & exempt).sum())}
