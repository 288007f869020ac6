"""`gains prioritise` reads its covariates as an areas table, like `gains atlas --areas`."""

from pathlib import Path

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
