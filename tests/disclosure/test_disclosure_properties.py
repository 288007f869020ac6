"""Laws that hold for every table: nothing hidden can be narrowed, nothing small is shown, no more complements than a greedy heuristic."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from marginalgains.disclosure import Dimension, Structure, audit, load_rule, protect, protect_values
from marginalgains.disclosure.rules import rule_from_dict
from marginalgains.disclosure.structure import add_totals, constraint_system
from marginalgains.disclosure.values import protect_subperiods
from marginalgains.model import Measure

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
    too little hidden count, then of any cell the audit finds too narrow, until the audit passes or no
    visible cell is left beside a narrow one."""
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
        progressed = False
        for cell in np.flatnonzero(hidden)[narrow]:
            rows = system.incidence[:, cell].nonzero()[0]
            progressed |= _hide_smallest(np.unique(incidence[rows].indices), hidden, counts)
        if not progressed:  # nothing left to hide beside the narrow cells: the heuristic can do no more
            return int((hidden & ~primary).sum())


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


PARTS = {"numerator": "denominator", "remainder": "denominator"}


@st.composite
def monthly_tables(draw):
    """1 to 3 areas x 3 to 6 months of a proportion, every year's counts large enough to publish."""
    rule = rule_from_dict({"name": "random", "threshold": draw(st.integers(1, 9)),
                           "protection_interval": draw(st.integers(0, 12))})
    n_areas, n_months = draw(st.integers(1, 3)), draw(st.integers(3, 6))
    small_or_not = st.one_of(st.integers(0, 9), st.integers(10, 40))
    numerators = draw(st.lists(small_or_not, min_size=n_areas * n_months, max_size=n_areas * n_months))
    remainders = draw(st.lists(small_or_not, min_size=n_areas * n_months, max_size=n_areas * n_months))
    months = pd.DataFrame({"indicator_id": "p", "area_code": np.repeat([f"A{i}" for i in range(n_areas)], n_months),
                           "period": [f"2022-{m + 4:02d}" for m in range(n_months)] * n_areas,
                           "numerator": numerators, "denominator": np.add(numerators, remainders), "year": "2022/23"})
    years = months.assign(remainder=months["denominator"] - months["numerator"]).groupby("area_code")[
        ["numerator", "remainder"]].sum()
    least = max(rule.threshold + 1, rule.protection_interval)
    published = years.index[(years >= least).all(axis=1)]
    months = months[months["area_code"].isin(published)].reset_index(drop=True)
    return months, rule


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(monthly_tables())
def test_no_hidden_month_can_be_narrowed_from_its_published_year(case):
    months, rule = case
    assume(len(months))
    protected = protect_subperiods(months, rule, measures={"p": Measure.PROPORTION})
    table = protected.table
    true = months.assign(remainder=months["denominator"] - months["numerator"])
    shown = table["value_status"] != "follows"
    assert not true.loc[shown, ["numerator", "remainder", "denominator"]].stack().between(1, rule.threshold).any()
    cells = true.loc[:, ["area_code", "period", "numerator", "remainder", "denominator"]]
    cells.loc[~shown, ["numerator", "remainder", "denominator"]] = np.nan   # a withheld month: nothing of it
    years = true.groupby("area_code")[["numerator", "remainder", "denominator"]].sum().reset_index()
    cells = pd.concat([cells, years.assign(period="2022/23")]).melt(id_vars=["area_code", "period"], var_name="part",
                                                                    value_name="count")
    structure = Structure((Dimension("period", dict.fromkeys(months["period"], "2022/23")), Dimension("part", PARTS),
                           Dimension("area_code")))
    attack = audit(cells, structure)
    key = ["area_code", "period", "part"]
    counts = true.melt(id_vars=["area_code", "period"], value_vars=list(PARTS) + ["denominator"], var_name="part",
                       value_name="count").set_index(key)["count"]
    attack["true"] = counts.reindex(pd.MultiIndex.from_frame(attack[key])).to_numpy()
    small = rule.is_primary(attack["true"].to_numpy())
    assert (attack.loc[small, "width"] >= rule.protection_interval - 1e-6).all()


@st.composite
def tiny_values(draw):
    """1 to 5 areas of one indicator (a proportion or a rate), in one or two regions or none, counts often
    0 or small, under a shipped or random rule, for the public or an audience of some areas."""
    n = draw(st.integers(1, 5))
    small_or_not = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 60))
    numerators = np.array(draw(st.lists(small_or_not, min_size=n, max_size=n)))
    others = np.array(draw(st.lists(small_or_not, min_size=n, max_size=n)))
    proportion = draw(st.booleans())
    areas = [f"A{i}" for i in range(n)]
    values = pd.DataFrame({"indicator_id": "i", "area_code": areas, "period": "2019/20", "numerator": numerators,
                           "denominator": numerators + others if proportion else others + 1,
                           "value": 1.0, "lower95": 0.5, "upper95": 2.0})
    rule = draw(st.one_of(st.sampled_from([load_rule("nhs-hes-2018"), load_rule("under-10")]),
                          st.builds(lambda t, p, z, e: rule_from_dict({
                              "name": "random", "threshold": t, "protection_interval": p, "zero_is_safe": z,
                              "national_exempt": e}), st.integers(1, 9), st.integers(0, 12), st.booleans(),
                              st.booleans())))
    audience = draw(st.one_of(st.none(), st.lists(st.sampled_from(areas), unique=True)))
    regions = draw(st.one_of(st.none(), st.lists(st.sampled_from(["R1", "R2"]), min_size=n, max_size=n)))
    hierarchy = None if regions is None else {**dict(zip(areas, regions)), "R1": "ENG", "R2": "ENG"}
    return values, rule, audience, hierarchy, Measure.PROPORTION if proportion else Measure.RATE


def _value_cells(rows: pd.DataFrame, totals: pd.DataFrame, proportion: bool) -> pd.DataFrame:
    """The attacker's cells from published rows and totals: each area's counts (the remainder known when both
    its counts are), NaN where hidden."""
    frame = pd.concat([rows[["area_code", "numerator", "denominator"]], totals[["area_code", "numerator",
                                                                                "denominator"]]], ignore_index=True)
    if proportion:
        frame["remainder"] = frame["denominator"] - frame["numerator"]
    return frame.melt(id_vars="area_code", var_name="part", value_name="count")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_values())
def test_protect_values_always_publishes_a_table_the_audit_proves_safe(case):
    values, rule, audience, hierarchy, measure = case
    proportion = measure == Measure.PROPORTION
    protected = protect_values(values, rule, hierarchy=hierarchy, audience=audience, measures={"i": measure})
    table, totals = protected.table, protected.totals
    own = values["area_code"].isin(audience or [])
    # the audience's own rows in full
    assert (table.loc[own, ["numerator", "denominator", "value"]].to_numpy()
            == values.loc[own, ["numerator", "denominator", "value"]].to_numpy(dtype=float)).all()
    assert set(table.loc[own, "numerator_status"]) <= {"own"}
    # the true counts the attacker faces: every published count exactly (rounding ignored: it only widens)
    parents = hierarchy or {a: "national" for a in values["area_code"]}
    true_totals = add_totals(values[["area_code", "numerator", "denominator"]].assign(period="p"),
                             Structure((Dimension("area_code", parents), Dimension("period")), "area_code"),
                             ["numerator", "denominator"]).iloc[len(values):].drop(columns="period")
    true_totals = true_totals.set_index("area_code").reindex(totals["area_code"]).reset_index()
    true = _value_cells(values, true_totals, proportion)
    shown = _value_cells(table, totals, proportion)["count"].notna().to_numpy()
    published = true.assign(count=np.where(shown, true["count"], np.nan))
    national = ~true["area_code"].isin(list(parents)).to_numpy()
    own_cells = true["area_code"].isin(audience or []).to_numpy()
    small = rule.is_primary(true["count"].to_numpy()) & ~own_cells & ~(national & rule.national_exempt)
    structure = Structure((Dimension("part", {"numerator": "denominator", "remainder": "denominator"}
                                     if proportion else {}), Dimension("area_code", parents)), "area_code")
    # what the viewer knows whatever is published: its own cells and all they pin exactly
    everything = audit(true.assign(count=np.where(own_cells, true["count"], np.nan)), structure)
    widest = everything.set_index(["area_code", "part"])["width"].reindex(
        pd.MultiIndex.from_frame(true[["area_code", "part"]])).fillna(0.0).to_numpy()
    # no unprotected small count published (an exempt national one, or one the viewer knows, may be)
    assert not (small & shown & (widest > 1e-6)).any()
    attack = audit(published, structure).set_index(["area_code", "part"])
    narrow = small & ~shown
    narrow[narrow] = (attack["width"].reindex(pd.MultiIndex.from_frame(true.loc[narrow, ["area_code", "part"]]))
                      < rule.protection_interval - 1e-6).to_numpy()
    # narrow only when nothing could protect it: even hiding every cell but the viewer's own
    assert (widest[narrow] < rule.protection_interval - 1e-6).all()
    if narrow.any():
        narrow = pd.MultiIndex.from_frame(true.loc[narrow, ["area_code", "part"]])
        assert (protected.audit.set_index(["area_code", "part"]).loc[narrow, "status"] == "unprotectable").all()
    flagged = protected.audit.loc[protected.audit["status"] == "unprotectable", ["area_code", "part"]]
    assert (attack["width"].reindex(pd.MultiIndex.from_frame(flagged)) < rule.protection_interval - 1e-6).all()
    # values follow their hidden counts
    hidden_rows = table["numerator"].isna() | table["denominator"].isna()
    assert table.loc[hidden_rows, "value"].isna().all() and table.loc[~hidden_rows, "value"].notna().all()
