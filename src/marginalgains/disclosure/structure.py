"""How the cells of a table add up: dimensions with hierarchies, and the additive constraints they imply.

A table has one row per cell: a column per dimension (area, sex, period ...) and a count. A
dimension maps child codes to parent codes (practice -> region -> England; male, female -> all).
Every parent cell equals the sum of its children with the same codes in the other dimensions;
these equalities, as a sparse matrix, are everything an attacker can use besides the published
counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from marginalgains.disclosure.rules import DisclosureError


@dataclass(frozen=True)
class Dimension:
    """A column of the table and its hierarchy: `parents[child] = parent` (a parent sums its children)."""

    column: str
    parents: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def breakdown(cls, column: str, total: str, parts) -> Dimension:
        """A flat breakdown whose parts add up to one total (sexes to all persons, say)."""
        return cls(column, {str(p): total for p in parts})

    def roots(self, codes: pd.Series) -> np.ndarray:
        """Whether each code is at the top of the hierarchy (England in a geography)."""
        return ~codes.astype(str).isin(list(self.parents)).to_numpy()


@dataclass(frozen=True)
class Structure:
    """The dimensions of a table; `geography` names the one whose top level is national."""

    dimensions: tuple[Dimension, ...]
    geography: str | None = None

    @property
    def columns(self) -> list[str]:
        return [d.column for d in self.dimensions]

    def dimension(self, column: str) -> Dimension:
        return next(d for d in self.dimensions if d.column == column)

    def national(self, table: pd.DataFrame) -> np.ndarray:
        """Cells at the national level (the top of the geography), which some rules exempt."""
        if self.geography is None:
            return np.zeros(len(table), dtype=bool)
        return self.dimension(self.geography).roots(table[self.geography])


@dataclass(frozen=True)
class System:
    """The additive constraints of a table: matrix @ counts == 0, one row per parent cell and dimension.

    Each row has +1 at the parent cell and -1 at each child cell; `totals[k]` is row k's parent cell.
    """

    matrix: sparse.csr_matrix
    totals: np.ndarray

    @property
    def incidence(self) -> sparse.csr_matrix:
        """Which cells each constraint touches (1 where the matrix is non-zero)."""
        return abs(self.matrix).tocsr()

    def components(self, cells: np.ndarray | None = None) -> np.ndarray:
        """Label of the linked sub-table of each cell (cells joined by a constraint share a label).

        With a boolean mask `cells`, only those cells link (the hidden cells an attacker solves for).
        """
        incidence = self.incidence
        if cells is not None:
            incidence = incidence @ sparse.diags(cells.astype(float))
        m, n = incidence.shape
        graph = sparse.bmat([[sparse.csr_matrix((n, n)), incidence.T], [incidence, sparse.csr_matrix((m, m))]], format="csr")
        return sparse.csgraph.connected_components(graph, directed=False)[1][:n] if m else np.arange(n)


def constraint_system(table: pd.DataFrame, structure: Structure) -> System:
    """The sparse constraints of `table` (rows are cells, positions 0..n-1) under `structure`."""
    _check_columns(table, structure)
    keys = table[structure.columns].astype(str).reset_index(drop=True)
    if keys.duplicated().any():
        row = int(np.flatnonzero(keys.duplicated().to_numpy())[0]) + 1
        raise DisclosureError(f"row {row}: cell {dict(keys.iloc[row - 1])} appears more than once")
    keys["_cell"] = np.arange(len(keys))
    rows, cols, vals, totals = [], [], [], []
    offset = 0
    for dimension in structure.dimensions:
        children = keys[keys[dimension.column].isin(list(dimension.parents))].copy()
        children[dimension.column] = children[dimension.column].map(dimension.parents)
        linked = children.merge(keys, on=structure.columns, suffixes=("", "_total"))
        if linked.empty:
            continue
        parent_cells, constraint = np.unique(linked["_cell_total"].to_numpy(), return_inverse=True)
        rows += [constraint + offset, np.arange(len(parent_cells)) + offset]
        cols += [linked["_cell"].to_numpy(), parent_cells]
        vals += [-np.ones(len(linked)), np.ones(len(parent_cells))]
        totals.append(parent_cells)
        offset += len(parent_cells)
    if not totals:
        return System(sparse.csr_matrix((0, len(keys))), np.empty(0, dtype=int))
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(offset, len(keys)))
    return System(matrix, np.concatenate(totals))


def check_totals(table: pd.DataFrame, structure: Structure, system: System, value: str) -> None:
    """Refuse a table whose totals are not the sums of their parts (naming the first such row)."""
    counts = table[value].to_numpy(dtype=float)
    gaps = system.matrix @ counts
    wrong = np.flatnonzero(np.abs(gaps) > 1e-6)
    if len(wrong):
        k = wrong[0]
        cell = int(system.totals[k])
        where = ", ".join(f"{c}={table[c].iloc[cell]}" for c in structure.columns)
        raise DisclosureError(f"row {cell + 1} ({where}), column {value!r}: the total {counts[cell]:g} is not the "
                              f"sum of its parts {counts[cell] - gaps[k]:g} ({len(wrong)} totals do not add up)")


def add_totals(table: pd.DataFrame, structure: Structure, values: list[str]) -> pd.DataFrame:
    """The table with every parent cell added as the sum of its children (computed from true counts).

    Cells already present are kept as they are; missing parent cells are summed level by level.
    """
    _check_columns(table, structure)
    others = [c for c in table.columns if c not in structure.columns and c not in values]
    if others:
        raise DisclosureError(f"add_totals: columns {others} are neither dimensions nor values")
    result = table.copy()
    for dimension in structure.dimensions:
        level = result
        while True:
            up = level[level[dimension.column].astype(str).isin(list(dimension.parents))].copy()
            if up.empty:
                break
            up[dimension.column] = up[dimension.column].astype(str).map(dimension.parents)
            level = up.groupby(structure.columns, as_index=False, sort=False)[values].sum()
            result = pd.concat([result, level], ignore_index=True)
        result = result.groupby(structure.columns, as_index=False, sort=False)[values].first()
    return result


def _check_columns(table: pd.DataFrame, structure: Structure) -> None:
    missing = [c for c in structure.columns if c not in table]
    if missing:
        raise DisclosureError(f"the table has no column {missing[0]!r} named in its structure")
