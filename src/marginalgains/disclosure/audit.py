"""The attacker's view: for each hidden cell, the least and greatest count consistent with what is published.

An attacker who knows the published counts, that counts are never negative and how the cells add
up (the table's constraints) can solve two linear programmes per hidden cell: the minimum and the
maximum of that cell subject to all of it. The width of that interval is the protection.

Hidden cells that share no constraint cannot inform each other, so the programme splits into
linked groups of hidden cells. The groups are solved together, as one block-diagonal programme
per round (round r minimises the r-th cell of every group at once), so the number of solver
calls is twice the size of the largest group, not twice the number of hidden cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from marginalgains.disclosure.rules import DisclosureError
from marginalgains.disclosure.structure import Structure, System, constraint_system

UNBOUNDED = np.inf


def audit(published: pd.DataFrame, structure: Structure, value: str = "count",
          rounding: int | None = None, rounded: np.ndarray | None = None) -> pd.DataFrame:
    """Per hidden cell (NaN in `value`), the interval an attacker can deduce: `lower`, `upper`, `width`.

    Uses only what is published: the visible counts and the structure. With `rounding` (the base),
    the cells marked in `rounded` (all visible cells when not given) are known only to within half
    the base either side. `upper` is infinite when nothing published bounds the cell.
    """
    system = constraint_system(published, structure)
    counts = published[value].to_numpy(dtype=float)
    hidden = np.isnan(counts)
    spread = np.zeros(len(counts))
    if rounding:
        marked = ~hidden if rounded is None else np.asarray(rounded, dtype=bool) & ~hidden
        spread[marked] = (rounding - 1) // 2 if rounding % 2 else rounding / 2
    lower, upper = deducible_intervals(system, np.where(hidden, 0.0, counts), hidden, spread)
    cells = published.loc[hidden, structure.columns].reset_index(drop=True)
    cells["lower"], cells["upper"] = lower, upper
    cells["width"] = upper - lower
    return cells


def deducible_intervals(system: System, counts: np.ndarray, hidden: np.ndarray,
                        spread: np.ndarray | None = None, only: np.ndarray | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Least and greatest value of each hidden cell given the visible `counts` (hidden entries ignored).

    `spread` (optional, per cell): a visible cell is known only to lie within count +- spread
    (rounded publication). `only` (a mask over the cells): solve for those hidden cells alone
    (the others come back NaN). Returns arrays in the order of the hidden cells.
    """
    spread = np.zeros(len(counts)) if spread is None else np.where(hidden, 0.0, spread)
    free = hidden | (spread > 0)
    cells = np.flatnonzero(free)
    if not hidden.any():
        return np.empty(0), np.empty(0)
    groups = system.components(free)[cells]
    matrix = system.matrix.tocsc()
    visible = np.where(free, 0.0, counts)
    touched = np.unique(matrix[:, cells].nonzero()[0])
    equations = matrix[touched][:, cells].tocsr()
    rhs = -(system.matrix[touched] @ visible)
    ceiling = _ceiling(counts[~hidden])
    floor_ = np.where(hidden[cells], 0.0, np.maximum(counts[cells] - spread[cells], 0.0))
    top = np.where(hidden[cells], ceiling, counts[cells] + spread[cells])
    is_target = hidden[cells] if only is None else hidden[cells] & only[cells]
    order = np.lexsort((cells, groups))
    order = order[is_target[order]]
    position = _position_in_group(groups[order])
    lower, upper = np.full(len(cells), np.nan), np.full(len(cells), np.nan)
    for rank in range(int(position.max()) + 1 if len(position) else 0):
        targets = order[position == rank]
        active = np.flatnonzero(np.isin(groups, groups[targets]))
        rows = np.unique(equations[:, active].nonzero()[0])
        sub = equations[rows][:, active]
        local = np.searchsorted(active, targets)
        bounds = np.column_stack([floor_[active], top[active]])
        lower[targets] = _optimise(sub, rhs[rows], local, bounds, +1.0)
        upper[targets] = _optimise(sub, rhs[rows], local, bounds, -1.0)
    lower, upper = lower[hidden[cells]], upper[hidden[cells]]
    upper[upper >= ceiling / 2] = UNBOUNDED
    return lower, upper


def _ceiling(visible: np.ndarray) -> float:
    """A stand-in for infinity: far above any bound the visible counts can imply (those are at most their sum).

    A cell reaching half of it is unbounded (its bound came from another cell at the ceiling)."""
    return 1000.0 * (np.abs(visible).sum() + 1.0)


def _position_in_group(sorted_groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... within each run of equal labels (labels already sorted)."""
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    sizes = np.diff(np.r_[starts, len(sorted_groups)])
    return np.arange(len(sorted_groups)) - np.repeat(starts, sizes)


def _optimise(equations: sparse.csr_matrix, rhs: np.ndarray, targets: np.ndarray, bounds: np.ndarray,
              sign: float) -> np.ndarray:
    """Minimise (sign=+1) or maximise (sign=-1) each target; groups are independent blocks."""
    objective = np.zeros(equations.shape[1])
    objective[targets] = sign
    result = linprog(objective, A_eq=equations if equations.shape[0] else None,
                     b_eq=rhs if equations.shape[0] else None, bounds=bounds, method="highs")
    if result.status != 0:
        raise DisclosureError(f"the published counts are inconsistent with the table's totals ({result.message})")
    return result.x[targets]


def certified_intervals(system: System, counts: np.ndarray, hidden: np.ndarray, required: np.ndarray,
                        exact_up_to: int = 40, hubs: int = 2, short: int = 6
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An interval for each hidden cell that the attacker's interval is proved to contain, in two LPs.

    The protector knows every true count. For each hidden cell j it solves the attacker's
    programme over a neighbourhood L_j of hidden cells, holding every other hidden cell at its
    true value: the attacker knows less than that, so the attacker's interval contains the one
    found (fixing cells only shrinks what is feasible). L_j is j's whole linked group when the
    group has at most `exact_up_to` cells (the interval is then exact); otherwise the hidden cells
    of j's constraints that hold few hidden cells (`short`), the `hubs` largest hidden cells of
    each longer constraint, and the short-constraint partners of those (so the rectangles of a
    two-way table close). Every neighbourhood is a separate block of one block-diagonal programme,
    so the minima of all cells come from one solve and the maxima from another. Cells of large
    groups that a rectangle (`rectangle_intervals`, closed form) already proves wide enough need no
    LP at all: the typical pattern of a table of areas x breakdowns. A local interval
    narrower than the cell's `required` width (per cell) is solved again exactly over its whole
    group (nothing held fixed then), all such cells again in one block-diagonal pair of LPs.
    Returns (lower, upper, exact) in the order of the hidden cells.
    """
    cells = np.flatnonzero(hidden)
    if len(cells) == 0:
        return np.empty(0), np.empty(0), np.empty(0, dtype=bool)
    neighbourhoods, exact = _neighbourhoods(system, counts, cells, exact_up_to, hubs, short)
    lower, upper = rectangle_intervals(system, counts, hidden, short)
    wide = np.isfinite(lower) & (upper - lower >= required[cells] - 1e-6)
    exact = exact & ~wide
    todo = np.flatnonzero(~wide)
    if len(todo):
        lower[todo], upper[todo] = _local_intervals(system, counts, hidden, cells, neighbourhoods[todo], todo)
    unsure = ~exact & (upper - lower < required[cells] - 1e-6)
    if unsure.any():
        again = np.flatnonzero(unsure)
        groups = system.components(hidden)[cells]
        whole = sparse.csr_matrix(groups[again][:, None] == groups[None, :])
        lower[again], upper[again] = _local_intervals(system, counts, hidden, cells, whole, again)
        exact = exact | unsure
    return lower, upper, exact


def _local_intervals(system: System, counts, hidden, cells, neighbourhoods, todo) -> tuple[np.ndarray, np.ndarray]:
    """The block-diagonal LPs for the hidden cells `todo` (positions in `cells`), each over its neighbourhood."""
    block, member = neighbourhoods.nonzero()
    variables = cells[member]
    columns = system.matrix.tocsc()[:, variables].tocoo()
    keys = block[columns.col].astype(np.int64) * system.matrix.shape[0] + columns.row
    _, equation = np.unique(keys, return_inverse=True)
    n_eq, n_var = int(equation.max()) + 1 if len(equation) else 0, len(variables)
    equations = sparse.csr_matrix((columns.data, (equation, columns.col)), shape=(n_eq, n_var))
    rhs = np.bincount(equation, weights=columns.data * counts[variables[columns.col]], minlength=n_eq)
    ceiling = _ceiling(counts[~hidden])
    targets = np.flatnonzero(todo[block] == member)
    bounds = np.column_stack([np.zeros(n_var), np.full(n_var, ceiling)])
    lower = _optimise(equations, rhs, targets, bounds, +1.0)
    upper = _optimise(equations, rhs, targets, bounds, -1.0)
    upper[upper >= ceiling / 2] = UNBOUNDED
    return lower, upper


def _neighbourhoods(system: System, counts, cells, exact_up_to, hubs, short):
    """Boolean h x h matrix (row j: the hidden cells free in j's block) and whether each block is exact."""
    h = len(cells)
    incidence = system.incidence[:, cells].tocsr()
    incidence = incidence[np.flatnonzero(incidence.getnnz(axis=1))]
    per_row = incidence.getnnz(axis=1)
    few = incidence[per_row <= short]
    many = incidence[per_row > short].tocoo()
    rank = np.lexsort((many.col, -counts[cells[many.col]], many.row))
    position = np.empty(len(rank), dtype=int)
    starts = np.r_[0, np.flatnonzero(np.diff(many.row[rank])) + 1]
    position[rank] = np.arange(len(rank)) - np.repeat(starts, np.diff(np.r_[starts, len(rank)]))
    keep = position < hubs
    hub = sparse.csr_matrix((np.ones(keep.sum()), (many.row[keep], many.col[keep])), shape=many.shape)
    partners = (few.T @ few).tocsr()
    identity = sparse.identity(h, format="csr")
    across = partners + identity
    local = ((across @ (many.T.tocsr() @ hub + identity) @ across) > 0).astype(float)
    groups = system.components(np.isin(np.arange(system.matrix.shape[1]), cells))[cells]
    _, group, size = np.unique(groups, return_inverse=True, return_counts=True)
    exact = size[group] <= exact_up_to
    membership = sparse.csr_matrix((np.ones(h), (np.arange(h), group)), shape=(h, len(size)))
    whole = (sparse.diags(exact.astype(float)) @ membership @ membership.T).tocsr()
    local = sparse.diags((~exact).astype(float)) @ local
    return (whole + local).tocsr() > 0, exact


def rectangle_intervals(system: System, counts: np.ndarray, hidden: np.ndarray, short: int = 6,
                        partners: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form inner intervals from rectangles of hidden cells, with no LP (NaN where none is found).

    A rectangle is four hidden cells j, k, l, m, each in exactly two constraints: j and k share a
    short constraint (a row of breakdowns), l and m another, j and l a third, k and m a fourth.
    Moving j by t and the other three by the signs that keep those four constraints (and so every
    constraint) balanced is consistent with everything published while every moved cell stays
    at zero or more, so the attacker's interval contains j's range along that move, whatever the
    other hidden cells are. Each (j, k) is tried against the `partners` pairs (l, m) of the same two
    long constraints with the largest counts, and the widest range either side is kept.
    Returns (lower, upper) in the order of the hidden cells.
    """
    cells = np.flatnonzero(hidden)
    lower, upper = np.full(len(cells), np.nan), np.full(len(cells), np.nan)
    pairs = _short_pairs(system, counts, hidden, short)
    if len(pairs["j"]) == 0:
        return lower, upper
    # pairs sorted by their two long constraints, the largest reach first: the partners of a key lead its run
    reach = np.minimum(pairs["x_j"], pairs["x_k"])
    order = np.lexsort((pairs["k"], pairs["j"], -reach, pairs["long_k"], pairs["long_j"]))
    pairs = {name: column[order] for name, column in pairs.items()}
    key = np.column_stack([pairs["long_j"], pairs["long_k"]])
    starts = np.r_[0, np.flatnonzero((np.diff(key, axis=0) != 0).any(axis=1)) + 1]
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    ends = np.r_[starts[1:], len(order)]
    for offset in range(partners + 1):
        partner = starts[run] + offset
        ok = partner < ends[run]
        me, other = np.flatnonzero(ok), partner[ok]
        ok = pairs["short"][me] != pairs["short"][other]
        me, other = me[ok], other[ok]
        _widen(lower, upper, cells, {name: column[me] for name, column in pairs.items()},
               {name: column[other] for name, column in pairs.items()})
    return lower, upper


def _widen(lower, upper, cells, pair, partner) -> None:
    """Widen each j's interval by its rectangle with the partner pair (l, m) where the move balances."""
    d_k = -pair["a_short_j"] / pair["a_short_k"]
    d_l = -pair["a_long_j"] / partner["a_long_j"]
    d_m = -partner["a_short_j"] * d_l / partner["a_short_k"]
    balanced = np.abs(pair["a_long_k"] * d_k + partner["a_long_k"] * d_m) < 1e-9
    moves = np.column_stack([np.ones(len(d_k)), d_k, d_l, d_m])[balanced]
    values = np.column_stack([pair["x_j"], pair["x_k"], partner["x_j"], partner["x_k"]])[balanced]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = values / np.abs(moves)
    rise = np.where(moves < 0, ratio, np.inf).min(axis=1)    # t can grow until a falling cell reaches 0
    fall = np.where(moves > 0, ratio, np.inf).min(axis=1)    # and shrink until a rising one does
    position = np.searchsorted(cells, pair["j"][balanced])
    x = pair["x_j"][balanced]
    np.fmax.at(upper, position, x + rise)
    np.fmin.at(lower, position, x - fall)


def _short_pairs(system: System, counts, hidden, short) -> dict[str, np.ndarray]:
    """Ordered pairs (j, k) of hidden cells in exactly two constraints that share a short one, with
    each cell's other (long) constraint, the coefficients and the counts."""
    matrix = system.matrix.tocsc()
    degree = np.diff(matrix.indptr)
    size = np.diff(system.matrix.tocsr().indptr)
    eligible = np.flatnonzero(hidden & (degree == 2))
    start = matrix.indptr[eligible]
    first, second = matrix.indices[start], matrix.indices[start + 1]
    a_first, a_second = matrix.data[start], matrix.data[start + 1]
    first_short = size[first] <= short
    keep = first_short ^ (size[second] <= short)   # one short constraint (the row) and one long (the column)
    first_short = first_short[keep]
    rows = {"cell": eligible[keep],
            "short": np.where(first_short, first[keep], second[keep]),
            "long": np.where(first_short, second[keep], first[keep]),
            "a_short": np.where(first_short, a_first[keep], a_second[keep]),
            "a_long": np.where(first_short, a_second[keep], a_first[keep])}
    rows["x"] = counts[rows["cell"]]
    order = np.lexsort((rows["cell"], rows["short"]))
    rows = {name: column[order] for name, column in rows.items()}
    j_at, k_at = [np.empty(0, dtype=int)], [np.empty(0, dtype=int)]
    for offset in range(1, min(short, len(order))):    # cells of one short constraint are adjacent once sorted
        same = np.flatnonzero(rows["short"][offset:] == rows["short"][:-offset])
        j_at += [same, same + offset]
        k_at += [same + offset, same]
    j_at, k_at = np.concatenate(j_at), np.concatenate(k_at)
    distinct = rows["long"][j_at] != rows["long"][k_at]
    j_at, k_at = j_at[distinct], k_at[distinct]
    pairs = {"j": rows["cell"][j_at], "k": rows["cell"][k_at], "short": rows["short"][j_at]}
    for name in ("long", "a_short", "a_long", "x"):
        pairs[f"{name}_j"], pairs[f"{name}_k"] = rows[name][j_at], rows[name][k_at]
    return pairs
