"""The `gains` application: version, light start-up, JSON from every command, help texts intact."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from marginalgains.cli import app
from marginalgains.cli.atlas import DEMO_SCALE

runner = CliRunner()


def test_version_prints_the_package_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"marginal-gains {version('marginal-gains')}"


def test_help_imports_no_heavy_library():
    probe = ("import sys\nfrom marginalgains.cli import app\nfrom typer.testing import CliRunner\n"
             "CliRunner().invoke(app, ['--help'])\n"
             "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'pyarrow', 'altair', 'ibis') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_help_texts_are_whole():
    fund = " ".join(runner.invoke(app, ["fund", "--help"]).output.split())
    assert "effect_unit, area_code, group," in fund and "title." in fund
    assert "default 1,000,000 for budgets from 2 to 200 million" in fund
    assert f"{DEMO_SCALE:,}".replace(",", "") in runner.invoke(app, ["demo", "--help"]).output.replace(",", "")


def test_demo_scale_matches_the_library_default():
    from marginalgains import sources

    assert DEMO_SCALE == sources.DEMO_SCALE


@pytest.mark.parametrize("command", ["atlas", "demo", "synth", "compute", "prioritise", "fund"])
def test_every_command_offers_json(command):
    assert "--json" in runner.invoke(app, [command, "--help"]).output


def test_synth_and_compute_json_carry_numbers(tmp_path):
    synth = runner.invoke(app, ["synth", "--scale", "3000", "--out", str(tmp_path / "s"), "--years", "1", "--json"])
    assert synth.exit_code == 0, synth.output
    made = json.loads(synth.stdout)
    assert made["synthetic"] is True and made["total_rows"] == sum(made["rows"].values()) > 0
    compute = runner.invoke(app, ["compute", "--catalogue", made["files"]["catalogue"], "--data", str(tmp_path / "s"),
                                  "--out", str(tmp_path / "values.parquet"), "--json"])
    assert compute.exit_code == 0, compute.output
    counted = json.loads(compute.stdout)
    assert counted["values"] == sum(counted["values_per_indicator"].values()) and counted["indicators"] >= 5


def test_atlas_json_carries_the_summary_figures(tmp_path):
    result = runner.invoke(app, ["atlas", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    row = next(r for r in report["summary"] if r["indicator_id"] == "ae-4hr" and r["period"] == "2018/19")
    assert row["n_areas"] == 137 and row["fold"] > 1
    assert {"total_gain", "significant_gain", "sentence"} <= set(report["opportunity_figures"][0])


def test_a_hyphenated_financial_year_gets_the_hint_through_the_cli(tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\nscreen,A,2018-19,1,2\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion}\n")
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "row 1, column 'period': cannot read period '2018-19': write financial years as 2018/19" in result.output


@pytest.mark.parametrize("body, message", [
    ("indicators:\n  - {id: x, title: t, polarity: low_is_good, measure: rate, multiplier: .nan}\n",
     "indicator 1 (x): multiplier must be a finite number, got nan"),
    ("indicators:\n  - {id: x, title: t, polarity: low_is_good, measure: rate, synthetic: 'false'}\n",
     "'synthetic' must be true or false (unquoted), got 'false'"),
    ("a: &a [" + ", ".join(["1"] * 100) + "]\n" + "".join(f"{k}: &{k} [*{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, k in
     zip("abcdefgh", "bcdefghi")) + "indicators: []\n", "YAML aliases expand the catalogue to more than 200,000"),
])
def test_catalogue_errors_exit_2_naming_the_field(tmp_path, body, message):
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(body)
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\nx,A,2018/19,1,2\n")
    result = runner.invoke(app, ["atlas", "--values", str(values), "--catalogue", str(catalogue)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
