"""`gains atlas` end to end: files, figures, provenance, rejections and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.atlas import SUMMARY_COLUMNS
from marginalgains.cli import app

FINGERTIPS = Path(__file__).parents[1] / "io" / "fixtures" / "fingertips_sample.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    out = tmp_path_factory.mktemp("atlas")
    result = runner.invoke(app, ["atlas", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_bundled_atlas_writes_every_file(bundled):
    out, _ = bundled
    assert {p.name for p in out.iterdir()} == {"index.html", "summary.csv", "areas.csv", "atlas.json"}


def test_summary_has_the_promised_columns_and_rows(bundled):
    out, _ = bundled
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary[["indicator_id", "period"]].values.tolist() == [
        ["ae-4hr", "2018/19"], ["ae-4hr", "2017/18"], ["ae-4hr", "2016/17"],
        ["ae-admit", "2018/19"], ["ae-admit", "2017/18"], ["ae-admit", "2016/17"]]


def test_areas_file_has_limits_and_bands(bundled):
    out, _ = bundled
    areas = pd.read_csv(out / "areas.csv")
    assert {"numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998", "funnel_band"} <= set(areas.columns)
    assert set(areas["funnel_band"].dropna().unique()) <= {-2, -1, 0, 1, 2}
    assert ((areas["lower998"] <= areas["lower95"]) & (areas["lower95"] <= areas["value"])
            & (areas["value"] <= areas["upper95"]) & (areas["upper95"] <= areas["upper998"])).all()
    # rows of the areas file: one per indicator x provider x financial year with data
    assert len(areas) == 2 * (139 + 139 + 137)


def test_provenance(bundled):
    out, _ = bundled
    provenance = json.loads((out / "atlas.json").read_text())
    assert (provenance["rows_read"], provenance["rows_accepted"], provenance["rows_rejected"]) == (9864, 9864, 0)
    assert provenance["confidence_levels"] == [0.95, 0.998]
    assert provenance["licences"] == ["Open Government Licence v3.0"]
    assert "Open Government Licence v3.0" in provenance["attribution"]
    assert {"package_version", "generated_at", "methods", "sources"} <= set(provenance)


def test_terminal_headlines(bundled):
    out, output = bundled
    summary = pd.read_csv(out / "summary.csv").set_index(["indicator_id", "period"])
    row = summary.loc[("ae-4hr", "2018/19")]
    adjusted = int(row["n_high_998_adjusted"]) + int(row["n_low_998_adjusted"])
    assert row["n_high_998_adjusted"] <= row["n_high_998"] and row["n_low_998_adjusted"] <= row["n_low_998"]
    # A&E is overdispersed (phi far above 1): the adjusted count leads, the plain counts beside it
    assert (f"ae-4hr 2018/19: 137 providers, {row['fold']:.1f}-fold range ({row['fold_trimmed5']:.1f}-fold without the 5 "
            f"highest and lowest); {adjusted} beyond the overdispersion-adjusted 99.8% limits "
            f"({int(row['n_high_998_adjusted'])} above, {int(row['n_low_998_adjusted'])} below); "
            f"{int(row['n_high_998'])} above and {int(row['n_low_998'])} below the plain limits") in output
    assert f"to {out}/" in output


def test_page_is_self_contained(bundled):
    out, _ = bundled
    html = (out / "index.html").read_text()
    assert "<script src=" not in html and "<link" not in html and "cdn." not in html.lower()
    assert "Open Government Licence v3.0" in html


def write_values(tmp_path, rows):
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, "
                         "multiplier: 100, unit: '%', source: Test, licence: OGL}\n")
    return values, catalogue


GOOD_ROWS = [f"screen,A{i:02d},2023/24,{300 + 7 * i},{500 + 3 * i}" for i in range(12)]


def test_rejected_rows_are_counted_listed_and_written(tmp_path):
    values, catalogue = write_values(tmp_path, GOOD_ROWS + ["screen,B1,2023/24,-1,10", "screen,B2,2023/24,11,10"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Read 14 rows: 12 accepted, 2 rejected" in result.output
    assert f"{values}, row 13, column 'numerator': negative count: -1" in result.output
    rejections = pd.read_csv(out / "rejections.csv")
    assert rejections["row"].tolist() == [13, 14]
    provenance = json.loads((out / "atlas.json").read_text())
    assert (provenance["rows_read"], provenance["rows_accepted"], provenance["rows_rejected"]) == (14, 12, 2)
    assert pd.read_csv(out / "summary.csv")["n_areas"].tolist() == [12]


def test_strict_turns_a_rejection_into_exit_code_2(tmp_path):
    values, catalogue = write_values(tmp_path, GOOD_ROWS + ["screen,B1,2023/24,-1,10"])
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue),
                                 "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 2
    assert "1 of 13 rows rejected and --strict is set" in result.output
    assert not (tmp_path / "out").exists()


def test_unreadable_input_is_exit_code_2_with_the_reason(tmp_path):
    values, catalogue = write_values(tmp_path, [])
    values.write_text("")
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue)])
    assert result.exit_code == 2 and "the file is empty" in result.output


def test_fingertips_export(tmp_path):
    result = runner.invoke(app, ["atlas", "--fingertips", str(FINGERTIPS), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == {"rows_read": 26, "rows_accepted": 24, "rows_rejected": 1, "rows_set_aside": {
        "deprivation decile and quintile rows (read into the inequality view, not compared as areas)": 1}}
    summary = pd.read_csv(tmp_path / "summary.csv").set_index(["indicator_id", "period"])
    dsr = ("93721 (Persons, <75 yrs)", "2020 - 22")
    assert summary.loc[dsr, "max"] == 44.0  # published DSRs kept as reported
    assert pd.isna(summary.loc[dsr, "n_high_998"])  # no funnel without counts behind the value
    assert pd.isna(summary.loc[dsr, "pooled"])  # a crude pooled rate is not a DSR
    # England and the region are read and accepted, but only the six counties and UAs are compared
    assert summary["n_areas"].tolist() == [6, 6, 6]
    provenance = json.loads((tmp_path / "atlas.json").read_text())
    assert provenance["area_type"] == "Counties & UAs (from Apr 2023)"
    assert provenance["accepted_rows_not_compared_by_area_type"] == {"England": 3, "Region": 3}


def test_console_script_is_installed():
    gains = Path(sys.executable).parent / "gains"
    result = subprocess.run([str(gains), "--help"], capture_output=True, text=True, check=True)
    assert "atlas" in result.stdout and "demo" in result.stdout


def test_a_mean_without_published_limits_is_refused_with_the_reason(tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\nbmi,A,2023/24,300,12\nbmi,B,2023/24,310,11\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: bmi, title: Mean BMI, polarity: low_is_good, measure: mean}\n")
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "indicator 'bmi' is a mean" in result.output


def test_a_dsr_from_counts_gets_byars_limits_scaled_to_the_rate(tmp_path):
    """The engine writes a DSR as O over O/DSR: 40 deaths at 250 per 100,000 is 40 over 16,000."""
    from scipy.stats import norm

    rows = [f"dsr,A{i:02d},2023/24,{40 + i},{(40 + i) / (250 + 10 * i) * 100000}" for i in range(12)]
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: dsr, title: Deaths, polarity: low_is_good, measure: dsr, multiplier: 100000}\n")
    out = tmp_path / "o"
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(out)])
    assert result.exit_code == 0, result.output
    area = pd.read_csv(out / "areas.csv").set_index("area_code").loc["A00"]
    assert area["value"] == pytest.approx(250)
    o, z = 40, norm.ppf(0.975)
    byars_upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * (o + 1) ** 0.5)) ** 3
    assert area["upper95"] == pytest.approx(250 * byars_upper / o)


def test_fingertips_unitary_authorities_listed_under_two_area_types_are_kept(tmp_path):
    """Fingertips lists each UA under both Counties & UAs and Districts & UAs: not duplicates."""
    export = FINGERTIPS.with_name("fingertips_two_area_types.csv")
    result = runner.invoke(app, ["atlas", "--fingertips", str(export), "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == {"rows_read": 11, "rows_accepted": 11, "rows_rejected": 0,
                                                 "rows_set_aside": {}}
    assert pd.read_csv(tmp_path / "summary.csv")["n_areas"].tolist() == [5]  # 3 UAs and 2 counties
    districts = runner.invoke(app, ["atlas", "--fingertips", str(export), "--area-type", "Districts & UAs (from Apr 2023)",
                                    "--out", str(tmp_path / "d")])
    assert districts.exit_code == 0 and pd.read_csv(tmp_path / "d" / "summary.csv")["n_areas"].tolist() == [5]


def test_published_quarterly_rates_stay_at_their_grain(tmp_path):
    """Published values (no counts) cannot be summed into years: each quarter is analysed as published."""
    export = FINGERTIPS.with_name("fingertips_quarterly_dsr.csv")
    published = pd.read_csv(export)
    result = runner.invoke(app, ["atlas", "--fingertips", str(export), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert sorted(summary["period"]) == ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4"]
    latest = published[published["Time period"] == "2022/23 Q4"]
    row = summary.set_index("period").loc["2022/23 Q4"]
    assert (row["n_areas"], row["max"]) == (len(latest), latest["Value"].max())


def test_all_rows_rejected_is_exit_code_2_with_the_rejections_written(tmp_path):
    values, catalogue = write_values(tmp_path, ["screen,A1,FY2018,1,100", "screen,A2,FY2018,1,100"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(out)])
    assert result.exit_code == 2
    assert "all 2 rows were rejected" in result.output
    assert pd.read_csv(out / "rejections.csv")["column"].tolist() == ["period", "period"]


def test_areas_give_tidy_values_names_and_peers(tmp_path):
    values, catalogue = write_values(tmp_path, GOOD_ROWS)
    areas = tmp_path / "areas.csv"
    areas.write_text("area_code,area_name,population,deprivation_score\n"
                     + "\n".join(f"A{i:02d},Area {i},{1000 * (i + 1)},{(i * 7) % 12}" for i in range(12)) + "\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--areas", str(areas),
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert "best five of its ten most similar areas" in json.loads(result.output)["opportunity"][0]
    assert pd.read_csv(out / "areas.csv").set_index("area_code").loc["A03", "area_name"] == "Area 3"


def test_areas_alone_is_refused():
    result = runner.invoke(app, ["atlas", "--areas", "areas.csv"])
    assert result.exit_code == 2 and "--areas describes the areas of" in result.output


def planned_files(folder: Path, **fields) -> list[str]:
    """Monthly screening values of three areas (A rising), a catalogue, and a plan for area A."""
    from marginalgains.plans import Plan, dump_plans

    months = pd.period_range("2022-04", periods=18, freq="M").strftime("%Y-%m")
    rising = [59, 61] * 6 + [64, 66, 67, 68, 69, 70]
    rows = [("up", area, month, n, 100) for area, numerators in (("A", rising), ("B", [50] * 18), ("C", [55] * 18))
            for month, n in zip(months, numerators)]
    pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"]).to_csv(
        folder / "values.csv", index=False)
    (folder / "catalogue.yaml").write_text("indicators:\n  - {id: up, title: Screened, polarity: high_is_good, "
                                           "measure: proportion, multiplier: 100, unit: '%'}\n")
    plan = {"id": "screen-a", "title": "Screen more in A", "indicator_id": "up", "areas": "A",
            "owner": {"organisation": "ORG"}, "baseline": {"period": "2022/23"}, "target": "+12pp", "by": "2024-03", **fields}
    (folder / "plans.yaml").write_text(dump_plans([Plan.from_dict(plan)]))
    return ["--values", str(folder / "values.csv"), "--catalogue", str(folder / "catalogue.yaml"),
            "--plans", str(folder / "plans.yaml")]


def test_plans_are_tracked_over_the_same_values_into_the_area_profiles(tmp_path):
    from marginalgains import sources
    from marginalgains.plans import read_plans, track

    arguments = planned_files(tmp_path)
    result = CliRunner().invoke(app, ["atlas", *arguments, "--out", str(tmp_path / "atlas"), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "atlas" / "index.html").read_text()
    data = json.loads(page.split('<script id="atlas-data" type="application/json">', 1)[1].split("</script>", 1)[0])
    inputs = sources.choose(tmp_path / "values.csv", tmp_path / "catalogue.yaml", None, None)
    (card,) = track(read_plans(tmp_path / "plans.yaml")[0], inputs.values, inputs.catalogue).scorecard.to_dict("records")
    assert data["plans"] == {"A": [{"id": "screen-a", "title": "Screen more in A", "indicator_id": "up", "period": "2023-09",
                                    "status": card["status"], "assurance": card["assurance"],
                                    "gap": pytest.approx(card["gap"])}]}
    # by hand: the 2022/23 mean is 60%, the line to 72% by 2024-03 passes 66% in 2023-09, and A had
    # 70 of 100 then: 4 points ahead, gap = trajectory - value = -4
    assert data["plans"]["A"][0]["gap"] == pytest.approx(-4.0)


def test_a_plan_that_cannot_be_tracked_is_exit_code_2_naming_it(tmp_path):
    arguments = planned_files(tmp_path, areas="Z")
    result = CliRunner().invoke(app, ["atlas", *arguments, "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 2
    assert "plan 'screen-a', field 'areas'" in result.output and "no values of 'up' for area(s) Z" in result.output
    assert not (tmp_path / "atlas" / "index.html").exists()


def test_cells_trimmed_of_spaces_are_reported_per_column_never_silently(tmp_path):
    values, catalogue = write_values(tmp_path, [" screen,A00 ,2023/24, 300,500"] + GOOD_ROWS[1:])
    areas = tmp_path / "areas.csv"
    areas.write_text("area_code,area_name\n" + "\n".join(f"A{i:02d}, Area {i}" for i in range(3)) + "\n")
    out = tmp_path / "out"
    arguments = ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--areas", str(areas), "--out", str(out)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert (f"note: {values}: spaces trimmed around 1 cell(s) of 'indicator_id', 1 cell(s) of 'area_code', "
            "1 cell(s) of 'numerator'") in result.output
    assert f"note: {areas}: spaces trimmed around 3 cell(s) of 'area_name'" in result.output
    expected = {str(values): {"indicator_id": 1, "area_code": 1, "numerator": 1}, str(areas): {"area_name": 3}}
    assert json.loads((out / "atlas.json").read_text())["cells_trimmed"] == expected
    assert json.loads(runner.invoke(app, arguments + ["--json"]).output)["cells_trimmed"] == expected
    untrimmed = runner.invoke(app, ["atlas", "--values", str(write_values(tmp_path, GOOD_ROWS)[0]), "--catalogue",
                                    str(catalogue), "--out", str(out), "--json"])
    assert json.loads(untrimmed.output)["cells_trimmed"] == {}
