"""`gains synth` then `gains compute`: files written, counts matching the library, errors on stderr."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from engine_records import indicator
from marginalgains.cli import app
from marginalgains.engine import compute


def test_synth_then_compute_writes_values_and_weakest_links(tmp_path):
    runner = CliRunner()
    synth = runner.invoke(app, ["synth", "--scale", "20000", "--out", str(tmp_path / "syn"), "--seed", "4"])
    assert synth.exit_code == 0, synth.output
    assert "SYNTHETIC data (mi_admissions 4,000, diabetes_care 10,000, eye_screening 6,000 rows)" in synth.output
    out = tmp_path / "values.parquet"
    computed = runner.invoke(app, ["compute", "--catalogue", str(tmp_path / "syn" / "catalogue.yaml"),
                                   "--data", str(tmp_path / "syn"), "--out", str(out)])
    assert computed.exit_code == 0, computed.output
    written = pd.read_parquet(out)
    expected = compute(tmp_path / "syn" / "catalogue.yaml", tmp_path / "syn")
    pd.testing.assert_frame_equal(written, expected.values)
    assert f"22 indicators, {len(written)} values" in computed.output
    links = pd.read_parquet(tmp_path / "values-weakest-links.parquet")
    assert len(links) == len(expected.weakest_links) and set(links["component"]) >= {"urine_albumin", "retinal_screening"}


def test_compute_reports_a_bad_definition_without_a_traceback(records, write_catalogue, tmp_path):
    catalogue = write_catalogue(indicator("typo", table="visits", area="area", period="day", numerator="dun"))
    result = CliRunner().invoke(app, ["compute", "--catalogue", str(catalogue), "--data", str(records),
                                      "--out", str(tmp_path / "v.csv")])
    assert result.exit_code == 2
    assert "indicator 'typo', numerator 'dun': unknown column(s) dun" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "v.csv").exists()
