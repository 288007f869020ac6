"""Plans as plain data: every field read, written back and refused with the plan and field named."""

import pytest

from marginalgains.plans import Plan, PlanError, dump_plans, load_plans, parse_target, read_plans
from plans_fixtures import plan

FULL = """
plans:
  - id: ppci-north
    title: Primary angioplasty in time
    indicator_id: syn-mi-ppci
    breakdown: Persons, all ages
    areas: [E38000001, E38000002]
    owner: {organisation: QHM, contact: lead@example.nhs.uk}
    partners: [E06000047, RTD]
    interventions:
      - {allocation: INT-7, cost: 120000, effect: 35}
      - {text: Direct-to-lab pathway, cost: 40000, effect: 10}
      - A plain sentence
    notes: Agreed at the March board.
    baseline: {from: 2023-04, to: 2024-03, values: {E38000001: 61.5, E38000002: 58}}
    target: {form: benchmark, benchmark: peer_best5, values: {E38000001: 72.25, E38000002: 70}}
    by: 2027-03
    trajectory: {stepped: {2024/25: 64, 2025/26: 68, 2026/27: 72.25}}
    changes:
      - {date: 2024-09, event: Pathway live, reason: new service, rebase: true}
    fix_after_n_points: 12
"""


def test_every_field_is_read_and_written_back():
    [read] = load_plans(FULL)
    assert read.areas.codes == ("E38000001", "E38000002")
    assert read.owner.contact == "lead@example.nhs.uk"
    assert read.interventions[0].allocation == "INT-7" and read.interventions[0].effect == 35.0
    assert read.interventions[2].text == "A plain sentence"
    assert (read.baseline.first, read.baseline.last) == ("2023-04", "2024-03")
    assert read.target.benchmark == "peer_best5" and read.target.values["E38000001"] == 72.25
    assert read.trajectory.form == "stepped" and read.trajectory.steps["2025/26"] == 68.0
    assert read.changes[0].rebase is True and read.changes[0].date == "2024-09"
    assert load_plans(dump_plans([read])) == [read]
    assert Plan.from_dict(read.to_dict()) == read


@pytest.mark.parametrize(("text", "form", "amount", "benchmark"), [
    (78, "absolute", 78.0, None), ("78%", "absolute", 78.0, None), ("71.5", "absolute", 71.5, None),
    ("+5pp", "change_points", 5.0, None), ("+5 percentage points", "change_points", 5.0, None),
    ("-2.5 points", "change_points", -2.5, None), ("-10%", "change_relative", -10.0, None),
    ("+4%", "change_relative", 4.0, None), ("top_decile", "benchmark", None, "top_decile"),
    ("own_best", "benchmark", None, "own_best"),
])
def test_target_forms(text, form, amount, benchmark):
    target = parse_target("p", text)
    assert (target.form, target.amount, target.benchmark) == (form, amount, benchmark)


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({"target": "best-ish"}, "target", "cannot read 'best-ish'"),
    ({"by": "March 2027"}, "by", "expected a month"),
    ({"areas": []}, "areas", "give an area code"),
    ({"owner": None}, "owner", "owning organisation"),
    ({"baseline": {"period": "2016 - 18"}}, "baseline.period", "pools several years"),
    ({"baseline": {"from": "2023-05", "to": "2023-01"}}, "baseline.to", "ends before it starts"),
    ({"trajectory": "curved"}, "trajectory", "give linear"),
    ({"trajectory": {"monthly": {"2023-13": 70}}}, "trajectory.monthly.2023-13", "expected a month"),
    ({"trajectory": {"stepped": {"Q5": 70}}}, "trajectory.stepped.Q5", "cannot read period"),
    ({"changes": [{"date": "2023-06", "event": "x", "rebase": "yes"}]}, "changes[0].rebase", "true or false"),
    ({"interventions": [{"cost": 5}]}, "interventions[0]", "allocation id"),
    ({"colour": "blue"}, "colour", "unknown field"),
    ({"fix_after_n_points": 1}, "fix_after_n_points", "at least 2"),
])
def test_bad_fields_name_plan_and_field(fields, field, reason):
    with pytest.raises(PlanError) as caught:
        Plan.from_dict(plan(**fields))
    assert caught.value.plan_id == "p" and caught.value.field == field
    assert reason in str(caught.value) and f"plan 'p', field '{field}'" in str(caught.value)


def test_a_bad_plan_does_not_stop_the_others_being_read():
    good = Plan.from_dict(plan(id="good"))
    text = dump_plans([good, Plan.from_dict(plan(id="good", title="again"))]) + "- {id: bad, title: x}\n"
    plans, errors = read_plans(text)
    assert plans == [good]
    assert [(e.plan_id, e.field) for e in errors] == [("good", "id"), ("bad", "indicator_id")]
    with pytest.raises(PlanError, match="plan 'good', field 'id': this id is used by an earlier plan"):
        load_plans(text)


def test_nested_aliases_are_refused_before_expanding_and_an_ordinary_one_is_read():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)) + "plans: [*u]\n"
    with pytest.raises(PlanError, match=r"line \d+: YAML aliases expand the plan file to more than 200,000 values"):
        read_plans(bomb)
    shared = dump_plans([Plan.from_dict(plan(id="one"))])
    text = shared.replace("- id: one", "- &first\n  id: one", 1) + "- {<<: *first, id: two}\n"
    assert [p.id for p in read_plans(text)[0]] == ["one", "two"]
