"""Laws of plans that hold for any input (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from marginalgains.plans import Plan, dump_plans, load_plans, track
from marginalgains.plans.forecast import grouped_trend
from plans_fixtures import CATALOGUE, plan, series

codes = st.lists(st.from_regex(r"[A-Z][A-Z0-9]{2,8}", fullmatch=True), min_size=1, max_size=4, unique=True)
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).map(str.strip).filter(bool)


@given(areas=codes, title=text, notes=text, amount=st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 3)),
       rebase=st.booleans(), month=st.integers(1, 12))
@settings(max_examples=60, deadline=None)
def test_a_plan_survives_the_file_format(areas, title, notes, amount, rebase, month):
    original = Plan.from_dict(plan(areas=areas, title=title, notes=notes, target={"form": "change_points",
                                   "amount": amount}, changes=[{"date": f"2023-{month:02d}", "event": title,
                                                                "reason": notes, "rebase": rebase}]))
    assert load_plans(dump_plans([original])) == [original]


@given(baseline=st.integers(20, 60), gain=st.integers(1, 30), months=st.integers(2, 30))
@settings(max_examples=30, deadline=None)
def test_a_linear_trajectory_climbs_evenly_from_baseline_to_target(baseline, gain, months):
    by_index = 2023 * 12 + 2 + months  # months after 2023-03
    by = f"{by_index // 12}-{by_index % 12 + 1:02d}"
    data = series("up", "A", [baseline] * 12 + [baseline] * (months + 3))
    result = track([Plan.from_dict(plan(target=baseline + gain, by=by))], data, CATALOGUE)
    line = result.points.loc[result.points["phase"] == "plan", "trajectory"].to_numpy()
    steps = np.diff(line[:months])
    assert np.allclose(steps, gain / months) and np.isclose(line[months - 1], baseline + gain)
    assert np.allclose(line[months:], baseline + gain)  # held after the due month


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=3, max_size=30),
       st.floats(-5, 5, allow_nan=False), st.floats(-50, 50, allow_nan=False))
@settings(max_examples=60, deadline=None)
def test_trend_slope_is_shift_invariant_and_scales(y, factor, shift):
    x = np.arange(len(y), dtype=float)
    base = grouped_trend(np.zeros(len(y), int), x, np.array(y), 1)["slope"].iloc[0]
    moved = grouped_trend(np.zeros(len(y), int), x, factor * np.array(y) + shift, 1)["slope"].iloc[0]
    assert np.isclose(moved, factor * base, atol=1e-6)
