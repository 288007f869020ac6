"""`gains demo` and `gains atlas --data`: the synthetic national dataset beside the real A&E data."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.report.html import read_page_data

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--out", str(out), "--scale", "40000"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_headlines_cover_real_and_synthetic_indicators(demo):
    out, output = demo
    summary = pd.read_csv(out / "summary.csv").set_index(["indicator_id", "period"])
    assert "ae-4hr 2018/19: 137 areas, " in output
    for indicator in ("syn-mi-ppci", "syn-diabetes-t2-nine", "syn-eye-screening"):
        row = summary.loc[(indicator, "2018/19")]
        # small CCGs below the indicator's minimum denominator are left out of the spread, and said to be
        assert 0 < row["n_areas"] <= 106
        assert f"{indicator} 2018/19: {int(row['n_areas'])} areas" in output


def test_demo_provenance_names_what_is_synthetic(demo):
    out, _ = demo
    provenance = json.loads((out / "atlas.json").read_text())
    assert {"syn-mi-ppci", "syn-diabetes-t2-nine", "syn-eye-screening"} <= set(provenance["synthetic_indicators"])
    assert "ae-4hr" not in provenance["synthetic_indicators"]
    assert provenance["rows_read"] == provenance["rows_accepted"] + provenance["rows_rejected"]


def test_demo_page_labels_synthetic_data_and_maps_it(demo):
    out, _ = demo
    html = (out / "index.html").read_text()
    assert "use generated data for demonstration" in html
    data = read_page_data(html)
    eye = next(i for i in data["index"]["indicators"] if i["id"] == "syn-eye-screening")
    assert eye["map"] and len(eye["periods"]) == 5 and data["boundaries"]  # one map per financial year
    assert "bundle" in data["views"]["syn-diabetes-t2-nine|2018/19"] and len(data["index"]["pareto"]) == 3  # real people; SYNTHETIC people; SYNTHETIC events


def test_demo_summary_rows_for_every_financial_year(demo):
    out, _ = demo
    summary = pd.read_csv(out / "summary.csv")
    periods = summary.loc[summary["indicator_id"] == "syn-mi-ppci", "period"].tolist()
    assert periods == ["2018/19", "2017/18", "2016/17", "2015/16", "2014/15"]


def test_atlas_straight_from_records(demo, tmp_path):
    out, _ = demo
    data = out / "synthetic-data"
    result = runner.invoke(app, ["atlas", "--catalogue", str(data / "catalogue.yaml"), "--data", str(data),
                                 "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert any(line.startswith("syn-eye-screening 2018/19: ") for line in report["headlines"])
    assert any("best five of its ten most similar areas" in line for line in report["opportunity"])
    demo_summary = pd.read_csv(out / "summary.csv").set_index(["indicator_id", "period"])
    records_summary = pd.read_csv(tmp_path / "summary.csv").set_index(["indicator_id", "period"])
    assert records_summary.loc[("syn-eye-screening", "2018/19"), "pooled"] == demo_summary.loc[("syn-eye-screening", "2018/19"), "pooled"]


def test_demo_writes_the_synthetic_plans_page_beside_the_atlas(demo):
    out, output = demo
    assert (out / "index.html").exists() and (out / "plans.html").exists()
    card = pd.read_csv(out / "plans-scorecard.csv").set_index("plan_id")
    # the three stories of the demo: a plan that worked, one behind, a record holder on its way back
    assert card.loc["ppci-pathway", "status"] == "improving, on trajectory"
    assert card.loc["readmissions-d2a", "status"] == "improving, behind trajectory"
    assert card.loc["eye-screening-best", "status"] == "improving, on trajectory"
    assert "ppci-pathway E38" in output and "(SYNTHETIC plans)" in output
    page = (out / "plans.html").read_text(encoding="utf-8")
    assert 'class="synthetic-banner"' in page and page.count("SYNTHETIC") > 10
