"""`gains track` and `gains plan new` end to end through the CLI."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.plans import load_plans

sys.path.insert(0, str(Path(__file__).parents[1] / "plans"))
from plans_fixtures import series, values  # noqa: E402

runner = CliRunner()
CATALOGUE = """indicators:
  - {id: up, title: "Patients seen in time", polarity: high_is_good, measure: proportion, multiplier: 100, unit: "%",
     source: test data}
"""
PLANS = """plans:
  - {id: works, title: Faster pathway, indicator_id: up, areas: A, owner: ORG, baseline: {period: 2022/23},
     target: 72, by: 2024-03, changes: [{date: 2023-06, event: Pathway live, reason: funded}]}
  - {id: flat, title: Flat, indicator_id: up, areas: B, owner: ORG, baseline: {period: 2022/23}, target: +5pp,
     by: 2024-03}
  - {id: wrong, title: Wrong side, indicator_id: up, areas: C, owner: ORG, baseline: {period: 2022/23}, target: 50,
     by: 2024-03}
"""


@pytest.fixture
def inputs(tmp_path):
    values(series("up", "A", [59, 61] * 6 + [64, 66, 67, 68, 69, 70]), series("up", "B", [50] * 18),
           series("up", "C", [70] * 18)).to_csv(tmp_path / "values.csv", index=False)
    (tmp_path / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    (tmp_path / "plans.yaml").write_text(PLANS, encoding="utf-8")
    return tmp_path


def data_options(folder: Path) -> list[str]:
    return ["--values", str(folder / "values.csv"), "--catalogue", str(folder / "catalogue.yaml")]


def test_track_prints_status_lines_writes_files_and_exits_2_naming_the_bad_plan(inputs):
    result = runner.invoke(app, ["track", "--plans", str(inputs / "plans.yaml"), *data_options(inputs),
                                 "--out", str(inputs / "out")])
    assert result.exit_code == 2
    assert "works A: improving, on trajectory; 2023-09 70.0 against a trajectory of 66.0" in result.output
    assert "flat B: no significant change" in result.output
    assert "error: plan 'wrong', field 'target': the target 50 for C is worse than its baseline 70" in result.output
    card = pd.read_csv(inputs / "out" / "plans-scorecard.csv")
    assert list(card["plan_id"]) == ["works", "flat"]
    points = pd.read_csv(inputs / "out" / "plans.csv")
    assert len(points) == 36 and points.loc[points["period"] == "2023-06", "change"].dropna().tolist() == \
        ["2023-06: Pathway live (funded)"]
    page = (inputs / "out" / "plans.html").read_text(encoding="utf-8")
    assert page.index('id="scorecard"') < page.index('class="card plan"') and "Plans not tracked" in page


def test_track_json(inputs):
    result = runner.invoke(app, ["track", "--plans", str(inputs / "plans.yaml"), *data_options(inputs),
                                 "--out", str(inputs / "out"), "--json"])
    document = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    assert [row["status"] for row in document["scorecard"]] == ["improving, on trajectory", "no significant change"]
    assert document["errors"] == [{"plan_id": "wrong", "field": "target",
                                   "reason": "the target 50 for C is worse than its baseline 70 (high is good)"}]
    assert document["plans"][0]["baseline"]["values"] == {"A": 60.0}


def test_track_with_an_unreadable_plan_file_exits_2(inputs):
    (inputs / "bad.yaml").write_text("plans: [", encoding="utf-8")
    result = runner.invoke(app, ["track", "--plans", str(inputs / "bad.yaml"), *data_options(inputs)])
    assert result.exit_code == 2 and "bad.yaml: not valid YAML" in result.output


def test_plan_new_fills_baseline_target_and_a_monthly_trajectory(inputs):
    out = inputs / "new.yaml"
    result = runner.invoke(app, ["plan", "new", *data_options(inputs), "--indicator", "up", "--area", "B",
                                 "--target", "top_quartile", "--by", "2024-03", "--baseline", "2022/23",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    [plan] = load_plans(out)
    # baselines 60, 50, 70: top quartile (PERCENTILE.INC at 75%) = 65; 12 months from 50 to 65
    assert plan.baseline.values == {"B": 50.0} and plan.target.values == {"B": pytest.approx(65.0)}
    assert plan.trajectory.form == "monthly" and len(plan.trajectory.steps) == 12
    assert plan.trajectory.steps["2023-04"] == pytest.approx(51.25) and plan.trajectory.steps["2024-03"] == \
        pytest.approx(65.0)
    again = runner.invoke(app, ["plan", "new", *data_options(inputs), "--indicator", "up", "--area", "B",
                                "--target", "+2pp", "--by", "2024-03", "--out", str(out)])
    assert again.exit_code == 2 and "already has a plan with this id" in again.output


def test_plan_new_default_baseline_is_the_latest_twelve_months(inputs):
    out = inputs / "new.yaml"
    result = runner.invoke(app, ["plan", "new", *data_options(inputs), "--indicator", "up", "--area", "A", "--area", "C",
                                 "--target", "+2pp", "--by", "2025-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [plan] = load_plans(out)
    assert (plan.baseline.first, plan.baseline.last) == ("2022-10", "2023-09") and plan.trajectory.form == "linear"
    # A over 2022-10..2023-09: 59, 61, 59, 61, 59, 61, 64, 66, 67, 68, 69, 70 -> 764 / 12
    assert plan.baseline.values["A"] == pytest.approx(764 / 12) and plan.target.values["C"] == pytest.approx(72.0)


@pytest.mark.parametrize(("args", "message"), [
    (["--indicator", "nope", "--area", "A", "--target", "70", "--by", "2025-03"], "unknown indicator 'nope'"),
    (["--indicator", "up", "--area", "Z", "--target", "70", "--by", "2025-03"], "no values of 'up' for area(s) Z"),
    (["--indicator", "up", "--area", "A", "--target", "40", "--by", "2025-03"], "worse than its baseline"),
    (["--indicator", "up", "--area", "A", "--target", "70", "--by", "2023-01"], "field 'by'"),
])
def test_plan_new_bad_input_exits_2(inputs, args, message):
    result = runner.invoke(app, ["plan", "new", *data_options(inputs), *args, "--out", str(inputs / "x.yaml")])
    assert result.exit_code == 2 and message in result.output
    assert not (inputs / "x.yaml").exists()


def test_track_counts_record_level_data_through_the_engine(tmp_path):
    from marginalgains.synth import generate

    generate(tmp_path / "records", scale=20_000, seed=3)
    options = ["--catalogue", str(tmp_path / "records" / "catalogue.yaml"), "--data", str(tmp_path / "records")]
    new = runner.invoke(app, ["plan", "new", *options, "--indicator", "syn-mi-ppci", "--area", "E38000028",
                              "--target", "+5pp", "--by", "2019-03", "--baseline", "2015/16",
                              "--out", str(tmp_path / "plans.yaml")])
    assert new.exit_code == 0, new.output
    result = runner.invoke(app, ["track", "--plans", str(tmp_path / "plans.yaml"), *options,
                                 "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "out" / "plans.csv")
    assert points["period"].str.contains(" Q").all()  # tracked by quarter, the catalogue's grain
    baseline = points.loc[points["phase"] == "baseline", "period"]
    assert len(baseline) and baseline.str.startswith("2015/16").all()
    assert (points.loc[points["phase"] == "plan", "period"] > "2016").all()


def test_track_takes_a_fingertips_api_address_as_written(inputs, monkeypatch):
    """The address reaches the downloader whole (as a path, 'http://' became 'http:/' and was looked
    for as a file); nothing listens on port 9, so the download fails naming the address."""
    monkeypatch.setenv("MARGINALGAINS_CACHE", str(inputs / "cache"))
    address = "http://127.0.0.1:9/api/all_data/csv/by_indicator_id?indicator_ids=93014"
    result = runner.invoke(app, ["track", "--plans", str(inputs / "plans.yaml"), "--fingertips", address,
                                 "--out", str(inputs / "out")])
    assert result.exit_code == 2
    assert f"{address}: the download failed" in " ".join(result.output.split())
