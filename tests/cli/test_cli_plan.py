"""`gains prioritise` and `gains fund` at the command line: covariates read as an areas table, every
bad interventions file refused naming its row, tables that fit 80 columns."""

import json
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
    assert "(1 intervention).\nSized on the gains of 2023/24 (SYNTHETIC data)." in result.output
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


BREAKDOWN_CATALOGUE = """indicators:
  - {id: smk-p, title: Quitting, polarity: high_is_good, measure: proportion, multiplier: 100, sex: Persons, family: smk}
  - {id: smk-m, title: Quitting, polarity: high_is_good, measure: proportion, multiplier: 100, sex: Male, family: smk}
  - {id: smk-f, title: Quitting, polarity: high_is_good, measure: proportion, multiplier: 100, sex: Female, family: smk}
  - {id: care, title: Care, polarity: high_is_good, measure: proportion, multiplier: 100, synthetic: true}
"""
BREAKDOWN_VALUES = """indicator_id,area_code,period,numerator,denominator
smk-p,A,2023/24,300,1000
smk-m,A,2023/24,140,500
smk-f,A,2023/24,160,500
smk-p,B,2023/24,400,1000
smk-m,B,2023/24,180,400
smk-f,B,2023/24,220,600
care,A,2023/24,10,100
care,B,2023/24,20,100
"""


def breakdown_inputs(tmp_path, interventions: str) -> list[str]:
    (tmp_path / "catalogue.yaml").write_text(BREAKDOWN_CATALOGUE)
    (tmp_path / "values.csv").write_text(BREAKDOWN_VALUES)
    (tmp_path / "interventions.csv").write_text(interventions)
    return ["--values", str(tmp_path / "values.csv"), "--catalogue", str(tmp_path / "catalogue.yaml"),
            "--interventions", str(tmp_path / "interventions.csv"), "--benchmark", "50"]


def test_fund_buys_persons_or_its_sexes_in_an_area_never_both(tmp_path):
    """Against 50%: Persons A 200 + B 100 people short, A's men 140/500 -> 110, A's women 90, B's women 80.
    p-all (300 people for 300) + m-A (110 for 100) fitted 400 for 410 people, A's 110 men counted twice;
    now p-all alone (300) beats m-A + f-A + f-B (280)."""
    plan = "id,cost,indicator_id,effect,effect_unit,area_code\n" + "".join(
        f"{i},{c},{k},{e},people,{a}\n" for i, c, k, e, a in [
            ("p-all", 300, "smk-p", 1000, "all"), ("m-A", 100, "smk-m", 1000, "A"),
            ("f-A", 100, "smk-f", 1000, "A"), ("f-B", 80, "smk-f", 1000, "B")])
    args = ["fund", "--budget", "400", "--step", "400", *breakdown_inputs(tmp_path, plan)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["chosen"] == ["p-all"] and output["total_benefit"] == pytest.approx(300)
    assert (output["source"], output["synthetic"], output["periods"]) == ("real", False, ["2023/24"])
    assert output["allocation"][0]["breakdown"] == "Persons" and "Male and Female" in output["breakdowns"]
    benefits = {row["id"]: row["benefit"] for row in output["allocation"]}
    assert benefits == {"p-all": pytest.approx(300)}
    table = runner.invoke(app, args)
    assert "Total benefit 300.0 for 300 (1 intervention).\nSized on the gains of 2023/24 (real data)." in table.output
    assert all(len(line) <= 80 for line in table.output.splitlines()), table.output
    assert "Breakdowns: at most one of an indicator's overlapping breakdowns is funded in any area" in \
        " ".join(table.output.split())


def test_fund_refuses_real_and_synthetic_interventions_together(tmp_path):
    plan = "id,cost,indicator_id,effect,area_code\nm-A,100,smk-m,1,A\ncare-A,10,care,1,A\n"
    result = runner.invoke(app, ["fund", "--budget", "400", *breakdown_inputs(tmp_path, plan)])
    assert result.exit_code == 2
    assert (f"{tmp_path / 'interventions.csv'}, column 'indicator_id': interventions act on real (smk-m) and "
            "SYNTHETIC (care) indicators; real and SYNTHETIC benefits never add") in " ".join(result.output.split())


def test_prioritise_ranks_persons_with_its_sexes_within_it_and_synthetic_apart(tmp_path):
    args = ["prioritise", "--count", "all", *breakdown_inputs(tmp_path, "")[:4], "--benchmark", "50", "--area", "A"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    national = {row["indicator_id"]: row for row in json.loads(result.stdout)["national"]}
    assert {k: (r["rank"], r["within"], r["source"], r["total_gain"]) for k, r in national.items()} == {
        "smk-p": (1, "smk-p", "real", pytest.approx(300)), "smk-m": (None, "smk-p", "real", pytest.approx(130)),
        "smk-f": (None, "smk-p", "real", pytest.approx(170)), "care": (1, "care", "SYNTHETIC", pytest.approx(70))}
    table = runner.invoke(app, args)
    assert "Indicators by benefit (all gain x benefit weight) - SYNTHETIC data" in table.output
    assert "within #1: smk-m" in table.output and "within #1: smk-f" in table.output
    assert all(len(line) <= 80 for line in table.output.splitlines()), table.output


def test_an_area_without_a_gain_is_said_to_have_no_priorities(tmp_path):
    args = ["prioritise", *breakdown_inputs(tmp_path, "")[:4], "--benchmark", "5", "--area", "A"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Priorities for A: none (no gain beyond chance)." in result.output
