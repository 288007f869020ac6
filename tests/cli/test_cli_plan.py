"""`gains prioritise` and `gains fund` at the command line: covariates read as an areas table, every
bad interventions file refused naming its row, tables that fit 80 columns."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from marginalgains.cli import app

FIXTURES = Path(__file__).parents[1] / "improve" / "fixtures"
INPUTS = ["--values", str(FIXTURES / "values.csv"), "--catalogue", str(FIXTURES / "catalogue.yaml")]
runner = CliRunner()


def test_covariates_with_a_repeated_area_code_exit_2_naming_it(tmp_path):
    lines = (FIXTURES / "areas.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    covariates = tmp_path / "areas.csv"
    covariates.write_text("".join(lines + lines[1:2]), encoding="utf-8")
    code = lines[1].split(",")[0]
    result = runner.invoke(app, ["prioritise", *INPUTS, "--covariates", str(covariates)])
    assert result.exit_code == 2
    assert f"error: {covariates}, row {len(lines)}, column 'area_code': {code!r} appears more than once (first in row 1)" in result.output


def test_missing_covariates_file_is_exit_code_2():
    result = runner.invoke(app, ["prioritise", *INPUTS, "--covariates", "absent.csv"])
    assert result.exit_code == 2 and "absent.csv: file not found" in result.output


PLAN_INPUTS = INPUTS
HEADER = "id,cost,indicator_id,effect\n"


def fund(tmp_path, text: str | bytes, *extra):
    path = tmp_path / "interventions.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return runner.invoke(app, ["fund", "--budget", "5000000", "--interventions", str(path), *PLAN_INPUTS, *extra])


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    (HEADER, "has a header but no rows"),
    (HEADER + "a,100,diabetes-9cp,1\nb,100,diabetes-9cp\n", "row 2: ragged row: 3 field(s) where the header has 4"),
    ("id,title,cost,indicator_id,effect\na,Café,100,diabetes-9cp,1\n".encode("latin-1"), "not UTF-8 text (line 2"),
    (HEADER + "a,100,diabetes-9cp,1\n,100,diabetes-9cp,1\n", "row 2, column 'id': missing value"),
    (HEADER + "a,100,,1\n", "row 1, column 'indicator_id': missing value"),
    (HEADER + "a,1e400,diabetes-9cp,1\n", "row 1, column 'cost': not a finite number: '1e400'"),
    (HEADER + "a,100,diabetes-9cp,-1\n", "row 1, column 'effect': effect must be zero or more, got -1"),
    (HEADER + "a,100,diabetes-9cp,1\na,200,diabetes-9cp,1\n", "row 2, column 'id': intervention id 'a' appears more than once"),
])
def test_bad_interventions_files_exit_2_naming_the_row(tmp_path, text, message):
    result = fund(tmp_path, text)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_missing_interventions_file(tmp_path):
    result = runner.invoke(app, ["fund", "--budget", "1", "--interventions", str(tmp_path / "no.csv"), *PLAN_INPUTS])
    assert result.exit_code == 2 and "no.csv: file not found" in result.output


@pytest.mark.parametrize("extra, message", [
    (["--budget", "1e308"], "the budget 1e+308 is more than 1e+15, larger than any health budget"),
    (["--step", "0.01"], "a step of 0.01 gives 500,000,000 budget levels; the curve takes at most 200, "
                         "so use a step of at least 25,000.00"),
])
def test_absurd_budgets_and_steps_are_refused_at_once(tmp_path, extra, message):
    result = fund(tmp_path, (FIXTURES / "interventions.csv").read_text(), *extra)
    assert result.exit_code == 2 and message in result.output


def test_a_cap_per_area_that_no_intervention_is_subject_to_is_an_error(tmp_path):
    """--max-per-area counts only interventions naming an area: with none, it would be silently ignored."""
    result = fund(tmp_path, HEADER + "nurse,400000,diabetes-9cp,1\n", "--max-per-area", "100000")
    assert result.exit_code == 2
    assert (f"--max-per-area caps what one area's own interventions cost, but no intervention in "
            f"{tmp_path / 'interventions.csv'} names an area (area_code)") in " ".join(result.output.split())


def test_fund_tables_fit_80_columns_and_say_one_intervention(tmp_path):
    result = fund(tmp_path, HEADER + "nurse,400000,diabetes-9cp,1\n")
    assert result.exit_code == 0, result.output
    assert "(1 intervention)." in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines()), result.output
    assert "Cost" in result.output and "400,000" in result.output and "…" not in result.output


def test_prioritise_tables_fit_80_columns_with_human_headers():
    result = runner.invoke(app, ["prioritise", *PLAN_INPUTS, "--area", "E38000003", "--count", "all"])
    assert result.exit_code == 0, result.output
    assert all(len(line) <= 80 for line in result.output.splitlines()), result.output
    assert "Gain (95% CI)" in result.output and "significant_gain_lower" not in result.output
    assert "emergency-admissions" in result.output and "…" not in result.output


def test_trimmed_values_and_covariates_are_noted_per_column(tmp_path):
    values_lines = (FIXTURES / "values.csv").read_text(encoding="utf-8").splitlines()
    areas_lines = (FIXTURES / "areas.csv").read_text(encoding="utf-8").splitlines()
    values, covariates = tmp_path / "values.csv", tmp_path / "areas.csv"
    values.write_text("\n".join([values_lines[0], f" {values_lines[1]}", f" {values_lines[2]}", *values_lines[3:]]) + "\n",
                      encoding="utf-8")
    covariates.write_text("\n".join([areas_lines[0], f"{areas_lines[1]} ", *areas_lines[2:]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["prioritise", "--values", str(values), "--catalogue", str(FIXTURES / "catalogue.yaml"),
                                 "--covariates", str(covariates), "--area", "E38000003"])
    assert result.exit_code == 0, result.output
    assert f"note: {values}: spaces trimmed around 2 cell(s) of 'indicator_id'" in result.output
    assert f"note: {covariates}: spaces trimmed around 1 cell(s) of 'rurality'" in result.output


def test_prioritise_reads_a_fingertips_export_with_its_overrides(tmp_path):
    """--fingertips as gains atlas reads it: the overlay's benefit weight multiplies the gain, and
    England (a comparator, Area Type Country) is never ranked as an area."""
    import json

    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("indicators:\n  - {id: '93014 (Persons, 19+ yrs)', benefit_weight: 2.5}\n")
    export = Path(__file__).parents[1] / "io" / "fixtures" / "fingertips_sexes.csv"
    result = runner.invoke(app, ["prioritise", "--fingertips", str(export), "--catalogue", str(overrides), "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    national = {row["indicator_id"]: row for row in output["national"]}
    persons, men = national["93014 (Persons, 19+ yrs)"], national["93014 (Male, 19+ yrs)"]
    assert (persons["benefit_weight"], persons["benefit"]) == (2.5, pytest.approx(2.5 * persons["significant_gain"]))
    assert (men["benefit_weight"], men["benefit"]) == (1.0, pytest.approx(men["significant_gain"]))
    assert {row["area_code"] for row in output["by_area"]} <= {f"E0600000{i}" for i in range(1, 6)}


def test_prioritise_needs_values_or_an_export():
    result = runner.invoke(app, ["prioritise"])
    assert result.exit_code == 2
    assert "give --values (with --catalogue) or --fingertips" in result.output
