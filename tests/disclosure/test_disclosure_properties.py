"""Laws that hold for every table: nothing hidden can be narrowed, nothing small is shown, no more complements than a greedy heuristic."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginalgains.disclosure import Dimension, Structure, audit, protect
from marginalgains.disclosure.rules import rule_from_dict
from marginalgains.disclosure.structure import add_totals, constraint_system

SEXES = ["M", "F"]


@st.composite
def tables(draw):
    n_areas = draw(st.integers(2, 5))
    counts = draw(st.lists(st.one_of(st.integers(0, 9), st.integers(10, 60)),
                           min_size=n_areas * 2, max_size=n_areas * 2))
    areas = [f"A{i}" for i in range(n_areas)]
    cells = pd.DataFrame({"area": np.repeat(areas, 2), "sex": SEXES * n_areas, "count": counts})
    structure = Structure((Dimension("area", dict.fromkeys(areas, "all")),
                           Dimension.breakdown("sex", "T", SEXES)), geography="area")
    rule = rule_from_dict({"name": "random", "threshold": draw(st.integers(1, 9)),
                           "protection_interval": draw(st.integers(0, 12))})
    return add_totals(cells, structure, ["count"]), structure, rule


def greedy_complements(table: pd.DataFrame, structure: Structure, rule) -> int:
    """A simple heuristic: hide the smallest visible cell of any constraint left with one hidden cell or
    too little hidden count, then of any cell the audit finds too narrow, until the audit passes."""
    system = constraint_system(table, structure)
    counts = table["count"].to_numpy(dtype=float)
    primary = rule.is_primary(counts)
    hidden = primary.copy()
    incidence = system.incidence.tocsr()
    while True:
        changed = False
        for row in range(incidence.shape[0]):
            cells = incidence[row].indices
            hidden_here = cells[hidden[cells]]
            if len(hidden_here) and (len(hidden_here) == 1 or counts[hidden_here].sum() < rule.protection_interval
                                     and primary[hidden_here].any()):
                changed |= _hide_smallest(cells, hidden, counts)
        if changed:
            continue
        published = table.assign(count=np.where(hidden, np.nan, counts))
        result = audit(published, structure)
        narrow = primary[hidden] & (result["width"].to_numpy() < rule.protection_interval - 1e-6)
        if not narrow.any():
            return int((hidden & ~primary).sum())
        for cell in np.flatnonzero(hidden)[narrow]:
            rows = system.incidence[:, cell].nonzero()[0]
            _hide_smallest(np.unique(incidence[rows].indices), hidden, counts)


def _hide_smallest(cells, hidden, counts) -> bool:
    visible = cells[~hidden[cells]]
    if len(visible) == 0:
        return False
    hidden[visible[np.lexsort((visible, counts[visible]))[0]]] = True
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_protection_holds_and_never_needs_more_complements_than_greedy(case):
    table, structure, rule = case
    protected = protect(table, structure, rule)
    published = protected.table
    shown = published["count"].dropna()
    assert not ((shown >= 1) & (shown <= rule.threshold)).any()
    attack = audit(published, structure)   # exact LPs from the published table alone
    primary = (published.loc[published["count"].isna(), "count_status"] == "primary").to_numpy()
    assert (attack["width"].to_numpy()[primary] >= rule.protection_interval - 1e-6).all()
    assert np.allclose(attack["width"], protected.audit["width"])
    assert protected.steps["secondary"] <= greedy_complements(table, structure, rule)
