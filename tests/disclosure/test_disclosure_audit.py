"""The closed-form rectangle certificate: hand-worked, and never wider than the attacker's exact LP interval."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginalgains.disclosure import Dimension, Structure
from marginalgains.disclosure.audit import deducible_intervals, rectangle_intervals
from marginalgains.disclosure.structure import add_totals, constraint_system

SEXES = ["m", "f"]
AREAS = [f"P{i}" for i in range(8)]   # 8 practices: a column of 9 cells is long, a row of 3 short


def practice_table(counts: list[int]) -> tuple[pd.DataFrame, Structure]:
    cells = pd.DataFrame({"area": np.repeat(AREAS, 2), "sex": SEXES * len(AREAS), "count": counts})
    structure = Structure((Dimension("area", dict.fromkeys(AREAS, "R")), Dimension.breakdown("sex", "all", SEXES)),
                          geography="area")
    return add_totals(cells, structure, ["count"]), structure


def test_rectangle_interval_hand_worked():
    # P0: m 3, f 10; P1: m 12, f 4; the four hidden, everything else published.
    # Moving P0 m by t moves P0 f and P1 m by -t and P1 f by +t: t in [-min(3, 4), min(10, 12)],
    # so P0 m lies anywhere in [0, 13] (and the exact LP agrees: P0 m + P0 f = 13 is published).
    table, structure = practice_table([3, 10, 12, 4] + [20, 30] * 6)
    system = constraint_system(table, structure)
    counts = table["count"].to_numpy(dtype=float)
    hidden = table["area"].isin(["P0", "P1"]).to_numpy() & table["sex"].isin(SEXES).to_numpy()
    lower, upper = rectangle_intervals(system, counts, hidden)
    order = table.loc[hidden, ["area", "sex"]].apply(tuple, axis=1).tolist()
    found = dict(zip(order, zip(lower, upper, strict=True), strict=True))
    assert found[("P0", "m")] == (0.0, 13.0)
    assert found[("P0", "f")] == (0.0, 13.0)     # 10 - min(10, 12), 10 + min(3, 4)
    assert found[("P1", "m")] == (2.0, 15.0)     # 12 - min(10, 12), 12 + min(3, 4)
    assert found[("P1", "f")] == (1.0, 14.0)     # moves with P0 m: 4 - 3, 4 + 10
    exact_lower, exact_upper = deducible_intervals(system, np.where(hidden, 0.0, counts), hidden)
    np.testing.assert_allclose(lower, exact_lower)
    np.testing.assert_allclose(upper, exact_upper)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 40), min_size=16, max_size=16), st.lists(st.booleans(), min_size=24, max_size=24))
def test_rectangle_intervals_lie_inside_the_attackers(counts, hide):
    """Whatever is hidden (totals too), a rectangle's interval never claims more width than the LP finds."""
    table, structure = practice_table(counts)
    system = constraint_system(table, structure)
    values = table["count"].to_numpy(dtype=float)
    hidden = np.zeros(len(table), dtype=bool)
    hidden[:24] = hide
    lower, upper = rectangle_intervals(system, values, hidden)
    exact_lower, exact_upper = deducible_intervals(system, np.where(hidden, 0.0, values), hidden)
    found = np.isfinite(lower)
    assert np.all(lower[found] >= exact_lower[found] - 1e-6)
    assert np.all(upper[found] <= exact_upper[found] + 1e-6)
    assert np.all(lower[found] <= values[hidden][found]) and np.all(upper[found] >= values[hidden][found])
