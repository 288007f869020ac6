"""Secondary suppression: the fewest complementary cells that leave every primary cell protected.

Per linked sub-table (cells joined by constraints), a mixed-integer programme (HiGHS, through
scipy.optimize.milp) chooses which cells to hide: y_i = 1 hides cell i. Its constraints are
conditions every protecting pattern meets in each additive constraint (a total and its parts):

- a hidden cell is never the only hidden cell of a constraint (it would follow by subtraction);
- where a primary cell is a part, the hidden cells of that constraint hold at least the rule's
  protection interval between them (the primary cell can rise only as far as the others can
  fall; a hidden total counts as unlimited).

These conditions see one constraint at a time; in linked tables (areas x sex) a pattern can meet
them and still be narrowed by combining constraints. So the audit's certificates (a closed form
for rectangles of hidden cells, linear programmes for the rest) check the chosen pattern, and each primary cell left too narrow adds a cut: at least one more cell next to
its linked hidden group must be hidden (any pattern without one hides a subset of that group and
is no better). The programme is solved again until the audit passes: the pattern is then proved.
The objective counts hidden cells, with their total count as the tie-break, so the answer hides
the fewest cells and, among those, the fewest people; the same table always gives the same answer.
Reluctant cells (national totals a rule exempts) cost more than all other cells together, so they
are hidden only when no pattern without them protects. Where the cells that must stay visible (the
viewer's own, or known) make the conditions impossible, the programme is solved again with each
condition allowed to fail at a cost above any pattern; a small count the audit then still finds
too narrow, with no cell left that could widen it, is reported unprotectable, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from marginalgains.disclosure.audit import certified_intervals
from marginalgains.disclosure.rules import DisclosureError
from marginalgains.disclosure.structure import System

TOLERANCE = 1e-6
SMALL_GROUP = 40  # hidden cells: a narrow cell's group up to this size gets the exact cut, larger ones a greedy one
ALONE, BATCH = 2_000, 5_000  # cells: larger sub-tables are solved alone, smaller ones in batches up to BATCH
CHEAP = 1e-3  # what hiding a cell that is never published costs, against 1 for a published one
GREEDY_AFTER = 3  # rounds of exact re-optimisation before hidden cells are kept from round to round


@dataclass(frozen=True)
class Suppression:
    """Which cells are hidden, for each hidden cell an interval the attacker's is proved to contain
    (`exact` where it is the attacker's interval itself), and the rounds it took."""

    hidden: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    exact: np.ndarray
    rounds: int
    unprotectable: np.ndarray  # per hidden cell: too narrow, and no cell that could widen it may be hidden


def suppress(system: System, counts: np.ndarray, primary: np.ndarray, visible: np.ndarray,
             protection: float, reluctant: np.ndarray | None = None, cheap: np.ndarray | None = None) -> Suppression:
    """Hide `primary` cells and the complements that protect them; `visible` cells are never hidden,
    `reluctant` ones only when nothing else protects, `cheap` ones (never published themselves: the rest of
    a total over its breakdowns) before any other, since hiding them withholds nothing.

    Each linked sub-table (an indicator's areas x breakdowns, say) shares no constraint with any
    other, so each is protected on its own: time grows with the number of sub-tables, not faster.
    Small sub-tables (an area's months and its year) are protected together in batches, as
    independent blocks of one programme (their optima are each block's own): one solver call for
    thousands of them rather than one each.
    Returns the hidden mask and, in the order of the hidden cells, the interval an attacker with
    every visible count (unrounded) and the constraints is proved unable to narrow.
    """
    if (primary & visible).any():
        raise DisclosureError("a cell cannot be both suppressed and shown in full")
    reluctant = np.zeros(len(counts), dtype=bool) if reluctant is None else reluctant & ~visible
    cheap = np.zeros(len(counts), dtype=bool) if cheap is None else np.asarray(cheap, dtype=bool)
    hidden = primary.copy()
    lower, upper = np.zeros(len(counts)), np.zeros(len(counts))
    exact, stuck = np.ones(len(counts), dtype=bool), np.zeros(len(counts), dtype=bool)
    rounds = 0
    matrix = system.matrix.tocsc()
    for cells in _batches(system.components(), primary):
        rows = np.unique(matrix[:, cells].nonzero()[0])
        sub = System(system.matrix[rows][:, cells].tocsr(), np.searchsorted(cells, system.totals[rows]))
        part = _suppress_linked(sub, counts[cells], primary[cells], visible[cells], protection, reluctant[cells],
                                cheap[cells])
        hidden[cells] = part.hidden
        at = cells[part.hidden]
        lower[at], upper[at], exact[at], stuck[at] = part.lower, part.upper, part.exact, part.unprotectable
        rounds = max(rounds, part.rounds)
    return Suppression(hidden, lower[hidden], upper[hidden], exact[hidden], rounds, stuck[hidden])


def _batches(subtables: np.ndarray, primary: np.ndarray) -> list[np.ndarray]:
    """The cells of each sub-table holding a primary cell, small sub-tables gathered up to BATCH cells (sorted)."""
    labels = np.unique(subtables[primary])
    by_label = np.argsort(subtables, kind="stable")
    starts = np.searchsorted(subtables[by_label], labels)
    sizes = np.bincount(subtables)[labels]
    alone = sizes > ALONE
    batch = np.where(alone, -1 - np.arange(len(labels)), np.cumsum(np.where(alone, 0, sizes)) // BATCH)
    members = [by_label[start:start + size] for start, size in zip(starts, sizes)]
    return [np.sort(np.concatenate([members[i] for i in np.flatnonzero(batch == b)])) for b in np.unique(batch)]


def _suppress_linked(system: System, counts, primary, visible, protection, reluctant, cheap) -> Suppression:
    """The MILP and audit rounds for linked sub-tables, until every primary cell is proved protected
    or proved unprotectable (too narrow, and every cell next to its hidden group must stay visible).

    After each round, sub-tables whose primary cells are all proved are settled: later rounds
    re-solve and re-prove only the others (they share no constraint, so nothing settled changes)."""
    n = len(counts)
    cuts: list[np.ndarray] = []
    candidates = _candidates(system, counts, primary, visible)
    subtables = system.components()
    kept = primary.copy()
    unsettled = np.ones(n, dtype=bool)
    stuck = np.zeros(n, dtype=bool)
    hidden, lower, upper, exact = np.zeros(n, dtype=bool), np.zeros(n), np.zeros(n), np.ones(n, dtype=bool)
    rounds = 0
    while True:
        rounds += 1
        offered = (candidates | kept | (_with_partners(system, _cut_cells(cuts, n), 1) & ~visible)) & unsettled
        cells = np.flatnonzero(offered)
        hidden[unsettled] = False
        hidden[cells] = _choose(system, counts, kept, visible, protection, cells, cuts, primary[cells], reluctant[cells],
                                cheap[cells])
        open_hidden = np.flatnonzero(hidden & unsettled)
        proved = certified_intervals(system, counts, hidden & unsettled, np.where(primary, protection, 0.0))
        lower[open_hidden], upper[open_hidden], exact[open_hidden] = proved
        too_narrow = primary[open_hidden] & (proved[1] - proved[0] < protection - TOLERANCE) & ~stuck[open_hidden]
        narrow = open_hidden[too_narrow]
        new_cuts, cannot = _cuts(system, counts, hidden, visible, reluctant, narrow, exact[narrow])
        if cannot.any():   # keep their groups hidden as they are: nothing next to them may be hidden
            stuck[narrow[cannot]] = True
            kept |= hidden & np.isin(subtables, subtables[narrow[cannot]])
        narrow = narrow[~cannot]
        if not len(narrow):
            return Suppression(hidden, lower[hidden], upper[hidden], exact[hidden], rounds, stuck[hidden])
        unsettled = np.isin(subtables, subtables[narrow])
        cuts = [cut for cut in cuts if unsettled[cut[0]]] + new_cuts
        if not exact[narrow].all() or rounds >= GREEDY_AFTER:
            kept |= hidden   # greedy from here (a large group, or many rounds): keep what is hidden, so rounds converge


def _candidates(system: System, counts, primary, visible, cheapest: int = 8, short: int = 6) -> np.ndarray:
    """Cells worth offering the MILP: primary cells, every cell of a short constraint (a row of
    breakdowns) holding one, the `cheapest` visible cells of each long constraint (a column of
    areas), and the short-constraint partners of those and of their partners (so rectangles close). Other cells stay visible: a complement far
    from every small count, or dearer than the cheapest of its column, is never the better choice
    in a table of areas x breakdowns, and leaving them out keeps the programme small."""
    incidence = system.incidence.tocsr()
    long_rows = incidence[incidence.getnnz(axis=1) > short].tocoo()
    free = ~visible[long_rows.col]
    order = np.lexsort((long_rows.col[free], counts[long_rows.col[free]], long_rows.row[free]))
    rows, cols = long_rows.row[free][order], long_rows.col[free][order]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    cheap = np.zeros(len(counts), dtype=bool)
    cheap[cols[rank < cheapest]] = True
    return _with_partners(system, primary | cheap, 2, short) & ~visible


def _with_partners(system: System, chosen: np.ndarray, steps: int, short: int = 6) -> np.ndarray:
    """`chosen` and the cells sharing a short constraint with them, `steps` times over (a cell offered
    to the MILP without the other cells of its row of breakdowns could only be hidden alone there)."""
    incidence = system.incidence.tocsr()
    rows_short = incidence[incidence.getnnz(axis=1) <= short]
    for _ in range(steps):
        chosen = chosen | (np.asarray(rows_short.T @ (rows_short @ chosen.astype(float))).ravel() > 0)
    return chosen


def _cut_cells(cuts: list[np.ndarray], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for cut in cuts:
        mask[cut] = True
    return mask


def _choose(system: System, counts, fixed, visible, protection, cells, cuts, is_primary, reluctant, cheap
            ) -> np.ndarray:
    """The MILP over `cells` of one linked sub-table; `fixed` cells must be hidden, `is_primary` (over
    `cells`) marks the small counts whose constraints need the protection interval, `reluctant` (over
    `cells`) the cells hidden only when nothing else will do, `cheap` (over `cells`) those whose hiding
    costs almost nothing (a thousandth of a cell). Returns the hidden mask of those cells.

    When the cells that must stay visible make the conditions impossible to meet, each condition
    gets a slack that costs more than hiding every cell: the answer meets all it can."""
    n = len(cells)
    incidence = system.incidence[:, cells]
    rows = np.unique(incidence.nonzero()[0])
    incidence = incidence[rows].tocsr()
    m = len(rows)
    values = counts[cells]
    weights = _capacity_weights(system, rows, cells, values, protection)
    # variables: y (n, binary) then z (m, continuous in [0, 1]): z_r = 1 when constraint r holds a hidden cell
    pairs = incidence.tocoo()
    link = sparse.csr_matrix((np.r_[np.ones(pairs.nnz), -np.ones(pairs.nnz)],
                              (np.r_[np.arange(pairs.nnz), np.arange(pairs.nnz)], np.r_[pairs.col, n + pairs.row])),
                             shape=(pairs.nnz, n + m))
    pair_up = sparse.hstack([incidence, -2 * sparse.identity(m)]).tocsr()
    blocks = [LinearConstraint(link, -np.inf, 0), LinearConstraint(pair_up, 0, np.inf)]
    needs = _capacity_rows(system, rows, cells, is_primary)
    if needs.any():
        capacity = sparse.hstack([weights[needs], sparse.csr_matrix((int(needs.sum()), m))]).tocsr()
        blocks.append(LinearConstraint(capacity, protection, np.inf))
    if cuts:
        position = {c: i for i, c in enumerate(cells)}
        cut_rows = [[position[c] for c in cut] for cut in cuts]
        cut_matrix = sparse.csr_matrix((np.ones(sum(map(len, cut_rows))),
                                        (np.repeat(np.arange(len(cut_rows)), [len(r) for r in cut_rows]),
                                         np.concatenate(cut_rows))), shape=(len(cut_rows), n + m))
        blocks.append(LinearConstraint(cut_matrix, 1, np.inf))
    lower = np.r_[fixed[cells].astype(float), np.zeros(m)]
    upper = np.r_[np.where(visible[cells], 0.0, 1.0), np.ones(m)]
    cost = (1.0 + values / (np.abs(values).sum() + 1.0)) * np.where(cheap, CHEAP, 1.0)
    objective = np.r_[np.where(reluctant, cost + cost.sum(), cost), np.zeros(m)]
    result = milp(objective, integrality=np.r_[np.ones(n), np.zeros(m)], bounds=Bounds(lower, upper),
                  constraints=blocks, options={"mip_rel_gap": 1e-9})
    if result.x is None:
        result = _choose_softly(objective, n, m, lower, upper, blocks, [1, 2] if needs.any() else [1], protection)
    return result.x[:n] > 0.5


def _choose_softly(objective, n, m, lower, upper, blocks, soft, protection):
    """The MILP again with a slack in [0, 1] on every row of the `soft` blocks (pairing and capacity),
    each slack costing more than hiding every cell, so only conditions that cannot be met go unmet."""
    slack_rows = [blocks[b].A.shape[0] for b in soft]
    k = sum(slack_rows)
    penalty = float(objective.sum()) + 1.0
    constraints, offset = [], 0
    for b, block in enumerate(blocks):
        width = sparse.csr_matrix((block.A.shape[0], k))
        if b in soft:
            rows = block.A.shape[0]
            scale = 2.0 if b == 1 else max(protection, 1.0)
            width = sparse.csr_matrix((np.full(rows, scale), (np.arange(rows), offset + np.arange(rows))),
                                      shape=(rows, k))
            offset += rows
        constraints.append(LinearConstraint(sparse.hstack([sparse.csr_matrix(block.A), width]).tocsr(),
                                            block.lb, block.ub))
    result = milp(np.r_[objective, np.full(k, penalty)], integrality=np.r_[np.ones(n), np.zeros(m + k)],
                  bounds=Bounds(np.r_[lower, np.zeros(k)], np.r_[upper, np.ones(k)]), constraints=constraints,
                  options={"mip_rel_gap": 1e-9})
    if result.x is None:   # cannot happen: every soft row can be met by its slack, every cut by its free cells
        raise DisclosureError(f"secondary suppression: the solver found no pattern ({result.message})")
    return result


def _capacity_weights(system: System, rows, cells, values, protection) -> sparse.csr_matrix:
    """How far each cell of each constraint can absorb a rise in a primary part: its count, or unlimited for the total."""
    matrix = system.matrix[rows][:, cells].tocsr()
    is_total = matrix.multiply(matrix > 0)
    parts = abs(matrix.multiply(matrix < 0))
    return (parts @ sparse.diags(values) + is_total * max(protection, 1.0)).tocsr()


def _capacity_rows(system: System, rows, cells, is_primary) -> np.ndarray:
    """Constraints in which some primary cell is a part (not the total)."""
    matrix = system.matrix[rows][:, cells]
    parts = abs(matrix.multiply(matrix < 0)).tocsr()
    return np.asarray(parts @ is_primary.astype(float)).ravel() > 0


def _cuts(system: System, counts, hidden, visible, reluctant, narrow_cells, exact
          ) -> tuple[list[np.ndarray], np.ndarray]:
    """Constraints that rule out the current pattern near each primary cell still too narrow, and
    which of those cells cannot be protected at all (every cell next to its hidden group must stay
    visible, so no pattern widens it).

    Where the audit was exact over a small linked group (at most SMALL_GROUP hidden cells), the
    cut is valid for every protecting pattern: hide at least one more cell next to the group. In a
    large group (a column of areas holds hundreds of hidden cells) that cut is too weak to help
    (one more hidden cell anywhere in the column meets it), so the cell's own constraints get one
    more hidden cell: the largest visible cell of its shortest constraint that has one, reluctant
    cells last (a greedy step, so the answer there may hide more than the fewest cells, never less
    than the proof needs); failing that, the group's cut.
    """
    cannot = np.zeros(len(narrow_cells), dtype=bool)
    if not len(narrow_cells):
        return [], cannot
    groups = system.components(hidden)
    by_cell = system.incidence.tocsc()
    by_row = system.incidence.tocsr()
    free = ~hidden & ~visible
    cuts = []
    sizes = np.bincount(groups[hidden], minlength=groups.max() + 1)
    for i, (cell, whole) in enumerate(zip(narrow_cells, exact, strict=True)):
        candidates = np.empty(0, dtype=int)
        if not (whole and sizes[groups[cell]] <= SMALL_GROUP):
            rows = np.unique(by_cell[:, [cell]].nonzero()[0])
            candidates = _largest_free_in_shortest(by_row, rows, counts, free & ~reluctant)
            if not len(candidates):
                candidates = _largest_free_in_shortest(by_row, rows, counts, free)
        if not len(candidates):
            members = np.flatnonzero(groups == groups[cell])
            neighbours = np.unique(by_row[np.unique(by_cell[:, members].nonzero()[0])].nonzero()[1])
            candidates = neighbours[free[neighbours]]
        if len(candidates):
            cuts.append(candidates)
        else:
            cannot[i] = True
    return cuts, cannot


def _largest_free_in_shortest(by_row, rows, counts, free) -> np.ndarray:
    for row in sorted(rows, key=lambda r: (by_row[r].nnz, r)):
        cells = by_row[row].indices
        cells = cells[free[cells]]
        if len(cells):
            return cells[np.lexsort((cells, -counts[cells]))][:1]
    return np.empty(0, dtype=int)
