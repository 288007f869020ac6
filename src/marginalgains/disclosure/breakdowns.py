"""Breakdowns of one indicator protected as one table: sexes add up to Persons, age bands to All ages.

An indicator's breakdowns are separate indicator ids sharing a `family` (model.Indicator: sex,
age, family). Protected apart, Persons less Female would give a hidden Male count back. Here the
cells of a family are keyed by its sex and age instead of its id, and two dimensions link them:

- **sex**: every named sex (Male, Female, ...) is a part of the total ("", Persons or All) at the
  same age;
- **age**: every band is a part of the smallest band of the family strictly containing it (All
  ages contains every band). Bands are read as ranges of whole years from their labels ("18-64
  yrs", "65+ yrs", "<75 yrs", "Under 18", "All ages"); the parts of one band are then pairwise
  disjoint, so they are a partition of it once the rest is counted (below). Bands that overlap
  without one containing the other cannot be a partition of anything and are refused; a label
  that is not a range of years (Reception, Year 6) is its own table, linked to no other band.

Counts need not add up exactly (people of unknown sex, ages outside every band, a breakdown not
published for an area): the rest, total less the sum of its parts, is a cell of its own ("not
stated"), a count an attacker can work out from the published cells, so it is protected like any
other. It is never published (hiding it withholds nothing), and a rest below zero means the
totals do not add up: an error naming the indicator, area, period and breakdowns. A rest of 0
(the breakdowns add up exactly, as they mostly do) is left out, which is to take it as known to
be 0: the most an attacker could know, so the protection proved holds a fortiori, and the table
is then no larger than its published cells.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from marginalgains.disclosure.rules import DisclosureError
from marginalgains.disclosure.structure import Dimension

SEX_TOTALS = ("", "persons", "all")
ALL_SEXES = "Persons"
SEX_REST = "(sex not stated)"
INFINITE_AGE = 1_000
JOIN = "\x1f"  # family and age label, in one age code: each family has its own tree of bands


@dataclass(frozen=True)
class Breakdown:
    """The breakdown of one indicator id: the family its breakdowns share and its sex and age."""

    family: str
    sex: str = ""
    age: str = ""

    @classmethod
    def of(cls, indicator) -> Breakdown:
        """From a model.Indicator (or anything with id, family, sex and age)."""
        return cls(indicator.family or indicator.id, indicator.sex, indicator.age)


def catalogue_breakdowns(indicators: Iterable) -> dict[str, Breakdown]:
    """Each indicator's breakdown, by id, from a catalogue (any iterable of model.Indicator)."""
    return {indicator.id: Breakdown.of(indicator) for indicator in indicators}


def age_range(label: str) -> tuple[int, int] | None:
    """The whole years [from, to) an age label covers, or None when it is not a range of years."""
    text = label.strip().lower()
    if text in ("", "all ages"):
        return 0, INFINITE_AGE
    patterns = [(r"(\d+)\s*(?:-|to)\s*(\d+)", lambda a, b: (a, b + 1)),
                (r"(\d+)\s*(?:\+|and over|and above|or over)", lambda a: (a, INFINITE_AGE)),
                (r"(?:<|under)\s*(\d+)", lambda a: (0, a)),
                (r"(\d+)\s*(?:yrs?|years?)?", lambda a: (a, a + 1))]
    for pattern, span in patterns:
        found = re.fullmatch(pattern + r"\s*(?:yrs?|years?)?", text)
        if found:
            return span(*map(int, found.groups()))
    return None


def age_parents(family: str, labels: Iterable[str]) -> dict[str, str]:
    """Each age label of `family` that is a part, mapped to the smallest label strictly containing it."""
    spans = {label: age_range(label) for label in sorted(set(labels))}
    spans = {label: span for label, span in spans.items() if span is not None}
    parents = {}
    for label, (start, end) in spans.items():
        containing = []
        for other, (o_start, o_end) in spans.items():
            if other == label or end <= o_start or o_end <= start:
                continue  # itself, or disjoint
            if o_start <= start and end <= o_end and (o_end - o_start) > (end - start):
                containing.append((o_end - o_start, other))
            elif not (start <= o_start and o_end <= end and (end - start) > (o_end - o_start)):
                first, second = sorted([label, other])
                raise DisclosureError(f"indicator {family!r}: age bands {first!r} and {second!r} overlap without one "
                                      "containing the other, so they are no partition and cannot be protected "
                                      "as one table")
        if containing:
            parents[label] = min(containing)[1]
    return parents


def age_rest(label: str) -> str:
    return f"(not in a listed band of {label or 'All ages'})"


def is_sex_total(sex: pd.Series) -> np.ndarray:
    return sex.astype(str).str.strip().str.lower().isin(SEX_TOTALS).to_numpy()


def linked_cells(cells: pd.DataFrame, breakdowns: Mapping[str, Breakdown], keys: list[str], value: str = "count"
                 ) -> tuple[pd.DataFrame, list[Dimension], np.ndarray]:
    """`cells` (with an `indicator_id` and the other `keys`) keyed by family, sex and age instead, with
    the rest of every total as a cell of its own: `(cells, [family, sex, age dimensions], rest mask)`.

    The rows of `cells` come first, in order; the rests follow. Indicators not in `breakdowns` are
    their own family."""
    position, ids = pd.factorize(cells["indicator_id"].astype(str))
    known = {i: breakdowns.get(i) or Breakdown(i) for i in ids}
    table = pd.DataFrame([(b.family, b.sex, b.age) for b in known.values()], index=list(known),
                         columns=["family", "sex_label", "age_label"])
    table["sex_key"] = np.where(is_sex_total(table["sex_label"]), ALL_SEXES, table["sex_label"])
    table["age_key"] = np.where(table["age_label"].str.strip().str.lower().isin(["", "all ages"]), "All ages",
                                table["age_label"])
    _check_distinct(table)
    table["age_code"] = table["family"] + JOIN + table["age_key"]
    linked = cells.assign(**{c: table[column].to_numpy()[position] for c, column in [
        ("family", "family"), ("sex_label", "sex_label"), ("age_label", "age_label"), ("sex", "sex_key"),
        ("age", "age_code")]})
    ages = table.groupby("family")["age_key"].unique()
    tree = {f"{family}{JOIN}{child}": f"{family}{JOIN}{parent}"
            for family, labels in ages.items() for child, parent in age_parents(family, labels).items()}
    rest_keys = [k for k in keys if k != "indicator_id"]
    by_sex = _rests(linked, "sex", {s: ALL_SEXES for s in linked.loc[linked["sex"] != ALL_SEXES, "sex"].unique()},
                    lambda total: SEX_REST, rest_keys, value)
    with_sex = pd.concat([linked, by_sex], ignore_index=True)
    by_age = _rests(with_sex, "age", tree, lambda total: total + JOIN + age_rest(total.split(JOIN, 1)[1]),
                    rest_keys, value)
    rests = pd.concat([by_sex, by_age], ignore_index=True)
    rests = rests[rests[value] > 1e-9]  # a rest of 0 is known to be 0: no cell (the module's docstring)
    result = pd.concat([linked, rests], ignore_index=True)
    rest = np.r_[np.zeros(len(cells), dtype=bool), np.ones(len(rests), dtype=bool)]
    sexes = {s: ALL_SEXES for s in result.loc[result["sex"] != ALL_SEXES, "sex"].unique()}
    ages_rest = {code: code.rsplit(JOIN, 1)[0] for code in by_age["age"].unique()}
    dimensions = [Dimension("family"), Dimension("sex", sexes), Dimension("age", {**tree, **ages_rest})]
    return result, dimensions, rest


def _check_distinct(table: pd.DataFrame) -> None:
    key = ["family", "sex_key", "age_key"]
    same = table[table.duplicated(key, keep=False)]
    if len(same):
        first = same.iloc[0]
        ids = sorted(same[(same[key] == first[key]).all(axis=1)].index)
        raise DisclosureError(f"indicators {ids} are the same breakdown ({first['sex_label'] or 'Persons'}, "
                              f"{first['age_label'] or 'All ages'}) of family {first['family']!r}: each breakdown "
                              "must be one indicator")


def _rests(cells: pd.DataFrame, column: str, parents: Mapping[str, str], rest_code, keys: list[str],
           value: str) -> pd.DataFrame:
    """Per total cell of `column` with at least one part: the rest (total less its parts), refused below zero."""
    others = [k for k in ["family", "sex", "age", *keys] if k != column]
    parts = cells[cells[column].isin(list(parents))]
    if parts.empty:
        return cells.iloc[:0]
    parts = parts.assign(**{column: parts[column].map(parents)})
    summed = parts.groupby([*others, column], as_index=False, sort=False)[value].sum()
    totals = cells[cells[column].isin(set(parents.values()))]
    totals = totals.merge(summed, on=[*others, column], suffixes=("", "_parts"))
    totals = totals.assign(**{value: totals[value] - totals[f"{value}_parts"]})
    negative = totals[totals[value] < -1e-9]
    if len(negative):
        _refuse(negative.iloc[0], cells, column, parents, value, len(negative))
    rests = totals.drop(columns=f"{value}_parts")
    return rests.assign(**{column: rests[column].map(rest_code)}, indicator_id="", sex_label="", age_label="")


def _refuse(row: pd.Series, cells: pd.DataFrame, column: str, parents: Mapping[str, str], value: str,
            how_many: int) -> None:
    """The DisclosureError for a total smaller than the sum of its breakdowns."""
    others = [k for k in cells.columns if k in ("family", "sex", "age", "period", "part", "area_code") and k != column]
    same = (cells[others].astype(str) == row[others].astype(str)).all(axis=1)
    total = cells[same & (cells[column] == row[column])]
    parts = cells[same & cells[column].map(parents).eq(row[column])]

    def name(cell: pd.Series) -> str:
        sex = cell["sex_label"] if cell["indicator_id"] else cell["sex"]
        age = cell["age_label"] if cell["indicator_id"] else cell["age"].split(JOIN, 1)[1]
        label = ", ".join(p for p in (sex or ALL_SEXES, age or "All ages"))
        said = cell["indicator_id"] or "the rest"
        return f"{said} {cell[value]:g}" if f"({label})" in said else f"{said} ({label}) {cell[value]:g}"

    part = f", {row['part']}" if "part" in row and row["part"] not in ("events", "numerator") else ""
    raise DisclosureError(
        f"indicator {total['indicator_id'].iloc[0] or row['family']!r}, area {row['area_code']}, period "
        f"{row['period']}{part}: the breakdowns do not add up: {name(total.iloc[0])} is less than its parts "
        f"{', '.join(name(p) for _, p in parts.iterrows())} (sum {parts[value].sum():g}); "
        f"{how_many} totals of this kind are short")
