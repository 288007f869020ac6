"""protect: a table, its structure, a rule and an audience in; the protected table and its audit out.

Steps, in order: primary suppression (the rule's small counts), secondary suppression (the
complements the MILP chooses, proved by the audit), then rounding of the other counts (each cell,
totals included, rounded from its true count). Cells the audience may see in full (its own) and
cells it already has (`known`) are shown as they are; the attacker is assumed to know them, and
every visible count, exactly. National cells under a rule that exempts them are never suppressed
for being small, but they are totals computed from true counts and are protected like any other:
hidden as a complement when, and only when, no pattern without them protects a small count. A
small count that no pattern can protect (the viewer's own or known cells pin it) is hidden and
marked "unprotectable"; protection never fails on a valid table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from marginalgains.disclosure.rules import DisclosureError, Rule
from marginalgains.disclosure.secondary import suppress
from marginalgains.disclosure.structure import Structure, check_totals, constraint_system

STEPS = ("primary", "secondary", "rounded")
UNPROTECTABLE = ("hidden, but the cells the viewer sees in full or already has bound it more narrowly than the "
                 "rule requires, whatever else is hidden")


@dataclass
class Protected:
    """The protected table (same rows; hidden counts NaN, a `<column>_status` per protected column),
    the audit (per hidden cell, the interval an attacker can deduce) and the cells each step touched;
    from the atlas, also `subperiods`: the audit of its hidden monthly cells, each with its `year`; from
    protect_values, also `cells` and `structure`: the joint table of cells as protected, and how they add up."""

    table: pd.DataFrame
    audit: pd.DataFrame
    steps: dict[str, int]
    rule: Rule
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    subperiods: pd.DataFrame = field(default_factory=pd.DataFrame)
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    structure: Structure | None = None

    def summary(self) -> str:
        """One sentence: the rule and how many cells each step suppressed or rounded."""
        s = self.steps
        text = (f"{self.rule.name}: {s['primary']:,} cells suppressed as small counts, {s['secondary']:,} more "
                "so none can be worked out from the totals")
        if self.rule.rounding:
            text += f", {s['rounded']:,} counts rounded to the nearest {self.rule.rounding}"
        if s.get("unprotectable"):
            text += (f"; {s['unprotectable']:,} small counts withheld that cells the viewer sees in full pin more "
                     "narrowly than the rule asks")
        if s.get("rests"):
            text += (f"; {s['rests']:,} small counts left over by breakdowns (a total less its parts: people of "
                     "unknown sex, or outside every age band) protected as cells too")
        if s.get("follows"):
            text += f"; {s['follows']:,} values and intervals withheld with their counts"
        if s.get("exempt"):
            text += f" ({s['exempt']:,} exempt values shown)"
        return text


def protect(table: pd.DataFrame, structure: Structure, rule: Rule, audience: Iterable[str] | None = None,
            values: Iterable[str] = ("count",), known: np.ndarray | None = None, own: np.ndarray | None = None,
            rest: np.ndarray | None = None) -> Protected:
    """Protect each count column in `values` of `table` (one row per cell, totals included).

    `audience`: codes (in the structure's geography) whose own cells the viewer sees in full;
    None is the public. `known` (a boolean mask over the rows): cells the viewer already has from
    another published table (a year's counts, when its months are protected), never hidden and
    assumed known exactly; their status is "known". Cells that follow from the own and known cells
    alone (a region whose one area is the viewer's) are shown too, with status "deduced". `own` (a mask):
    cells shown in full besides the audience's (when what the viewer sees differs by breakdown). `rest` (a
    mask): cells never published themselves, the rest of a total over its breakdowns (people of unknown
    sex, say), which an attacker works out from the published cells: a small one (1..threshold, never 0)
    is protected like any small count, hiding one withholds nothing, and none is rounded; their status is
    "not stated" when left deducible, and their own step `rests` counts the small ones.
    Errors name the row and column (a missing or negative count, totals that do not add up, an audience
    without a geography).
    """
    table = table.reset_index(drop=True)
    system = constraint_system(table, structure)
    shown = _shown_in_full(table, structure, audience) | _mask(own, table, "own")
    known = _mask(known, table, "known")
    rest = _mask(rest, table, "rest")
    shown = shown | known
    deduced = deducible(system, shown) & ~shown
    shown = shown | deduced
    exempt = structure.national(table) & rule.national_exempt & ~shown
    published = table.copy()
    audits, steps = [], dict.fromkeys(STEPS, 0)
    for column in values:
        counts = _checked_counts(table, column)
        check_totals(table, structure, system, column)
        primary = rule.is_primary(counts) & ~shown & ~exempt & ~(rest & (counts == 0))
        result = suppress(system, counts, primary, shown, rule.protection_interval, reluctant=exempt, cheap=rest)
        status = np.where(result.hidden, np.where(primary, "primary", "secondary"),
                          np.where(rest, "not stated", "published")).astype(object)
        status[np.flatnonzero(result.hidden)[result.unprotectable]] = "unprotectable"
        status = np.where(exempt & ~result.hidden, "national", status)
        status = np.where(shown, "own", status)
        status = np.where(known, "known", status)
        status = np.where(deduced, "deduced", status)
        shown_counts = np.where(result.hidden, np.nan, counts)
        if rule.rounding:
            rounded = (status == "published") & (counts % rule.rounding != 0)
            shown_counts = np.where(status == "published", round_to(counts, rule.rounding), shown_counts)
            status = np.where(rounded, "rounded", status)
            steps["rounded"] += int(rounded.sum())
        published[column] = shown_counts
        published[f"{column}_status"] = status
        steps["primary"] += int((primary & ~rest).sum())
        steps["secondary"] += int((result.hidden & ~primary & ~rest).sum())
        if rest.any():
            steps["rests"] = steps.get("rests", 0) + int((primary & rest).sum())
        if result.unprotectable.any():
            steps["unprotectable"] = steps.get("unprotectable", 0) + int(result.unprotectable.sum())
        audits.append(_audit_rows(table, structure, column, result, primary, rule))
    return Protected(published, pd.concat(audits, ignore_index=True), steps, rule)


def deducible(system, known: np.ndarray) -> np.ndarray:
    """`known` and every cell that follows from known cells alone: a constraint (a total and its parts)
    with one cell not known gives that cell (a region whose one practice is the viewer's own, say).
    The viewer can work these out whatever is published, so hiding them protects nothing."""
    known = np.asarray(known, dtype=bool).copy()
    if not known.any():
        return known
    incidence = system.incidence.tocsr()
    while True:
        single = np.asarray(incidence @ (~known).astype(float)).ravel() == 1
        found = (np.asarray(incidence[single].sum(axis=0)).ravel() > 0) & ~known
        if not found.any():
            return known
        known |= found


def round_to(counts: np.ndarray, base: int) -> np.ndarray:
    """Each count to the nearest multiple of `base`, halves up (NHS Digital: 2.5 -> 5)."""
    return np.floor(np.asarray(counts, dtype=float) / base + 0.5) * base


def _mask(flags, table: pd.DataFrame, name: str) -> np.ndarray:
    flags = np.zeros(len(table), dtype=bool) if flags is None else np.asarray(flags, dtype=bool)
    if len(flags) != len(table):
        raise DisclosureError(f"{name}: {len(flags):,} flags for a table of {len(table):,} cells")
    return flags


def _shown_in_full(table, structure: Structure, audience) -> np.ndarray:
    shown = np.zeros(len(table), dtype=bool)
    if audience is not None:
        if structure.geography is None:
            raise DisclosureError("an audience needs a structure with a geography (whose codes it names)")
        shown = shown | table[structure.geography].astype(str).isin([str(a) for a in audience]).to_numpy()
    return shown


def _checked_counts(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        raise DisclosureError(f"the table has no count column {column!r}")
    counts = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(counts) | (counts < 0))
    if len(bad):
        row = bad[0]
        raise DisclosureError(f"row {row + 1}, column {column!r}: a count must be a number of zero or more, "
                              f"got {table[column].iloc[row]!r}")
    return counts


def _audit_rows(table, structure: Structure, column: str, result, primary, rule: Rule) -> pd.DataFrame:
    cells = np.flatnonzero(result.hidden)
    labels = [c for c in table.columns if c in structure.columns or not pd.api.types.is_numeric_dtype(table[c])]
    rows = table.loc[cells, labels].reset_index(drop=True)
    rows.insert(len(rows.columns), "column", column)
    rows["status"] = np.where(result.unprotectable, "unprotectable", np.where(primary[cells], "primary", "secondary"))
    rows["lower"], rows["upper"] = result.lower, result.upper
    rows["width"] = result.upper - result.lower
    rows["exact"] = result.exact
    rows["required"] = np.where(primary[cells], float(rule.protection_interval), 0.0)
    rows["reason"] = np.where(result.unprotectable, UNPROTECTABLE, "")
    return rows
