"""Laws that hold for every table: nothing hidden can be narrowed, nothing small is shown, no more complements than a greedy heuristic."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from marginalgains.disclosure import Dimension, Structure, audit, protect
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
