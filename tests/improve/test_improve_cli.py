"""`gains prioritise` and `gains fund` on the small synthetic fixtures."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marginalgains.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
INPUTS = ["--values", str(FIXTURES / "values.csv"), "--catalogue", str(FIXTURES / "catalogue.yaml")]
runner = CliRunner()


def test_prioritise_json_ranks_judged_indicators_and_filters_by_tag():
    result = runner.invoke(app, ["prioritise", *INPUTS, "--covariates", str(FIXTURES / "areas.csv"), "--json"])
    assert result.exit_code == 0, result.output
    national = json.loads(result.stdout)["national"]
    assert {row["indicator_id"] for row in national} == {"diabetes-9cp", "iapt-recovery", "emergency-admissions"}
    assert [row["rank"] for row in national] == [1, 2, 3]
    assert national[0]["benefit"] >= national[1]["benefit"] >= national[2]["benefit"] > 0
    tagged = runner.invoke(app, ["prioritise", *INPUTS, "--tag", "mental_health", "--json"])
    assert [row["indicator_id"] for row in json.loads(tagged.stdout)["national"]] == ["iapt-recovery"]


def test_fund_json_respects_budget_groups_and_curve():
    result = runner.invoke(app, ["fund", "--budget", "5000000", "--interventions", str(FIXTURES / "interventions.csv"),
                                 *INPUTS, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["total_cost"] <= 5_000_000
    assert not {"dsn-light", "dsn-full"} <= set(plan["chosen"])  # one tier of a group at most
    assert (plan["source"], plan["synthetic"], plan["periods"]) == ("SYNTHETIC", True, ["2023/24"])
    assert plan["stacked_indicators"] == ["iapt-recovery"]  # workforce and digital, both everywhere
    curve = plan["curve"]
    assert [row["budget"] for row in curve] == [1e6, 2e6, 3e6, 4e6, 5e6]
    assert curve[-1]["benefit"] == pytest.approx(plan["total_benefit"])
    assert all(b["benefit"] >= a["benefit"] for a, b in zip(curve, curve[1:]))


def test_bad_cli_inputs_exit_with_a_clear_message(tmp_path):
    negative = runner.invoke(app, ["fund", "--budget", "-1", "--interventions", str(FIXTURES / "interventions.csv"),
                                   *INPUTS])
    assert negative.exit_code == 2 and "budget must be zero or more" in negative.output
    unknown = runner.invoke(app, ["prioritise", *INPUTS, "--benchmark", "top_half"])
    assert unknown.exit_code == 2 and "unknown benchmark 'top_half'" in unknown.output
    bad = tmp_path / "interventions.csv"
    bad.write_text("id,cost,indicator_id,effect,area_code\nx,10,diabetes-9cp,1,E99999999\n")
    stranger = runner.invoke(app, ["fund", "--budget", "100", "--interventions", str(bad), *INPUTS])
    assert stranger.exit_code == 2 and "unknown areas E99999999" in stranger.output


def test_prioritise_sums_quarters_into_the_last_whole_financial_year(tmp_path):
    """Quarterly values are sized on the latest whole year, as in the atlas, not on its last quarter."""
    quarters = [f"2018/19 Q{q}" for q in range(1, 5)] + ["2019/20 Q1"]
    rows = [f"care,A{a},{q},{10 + 8 * a},100" for a in range(8) for q in quarters]
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: care, title: Care, polarity: high_is_good, measure: proportion, multiplier: 100}\n")
    result = runner.invoke(app, ["prioritise", "--values", str(values), "--catalogue", str(catalogue),
                                 "--benchmark", "best", "--count", "all", "--json"])
    assert result.exit_code == 0, result.output
    (national,) = json.loads(result.stdout)["national"]
    assert national["period"] == "2018/19"
    # each area is 8 x (7 - a) percentage points short of the best over 400 people a year
    assert national["total_gain"] == pytest.approx(sum(8 * (7 - a) * 4 for a in range(8)))
