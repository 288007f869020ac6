"""Writing the atlas folder: formula-safe CSVs, whole outputs after a failed run, no stale rejections."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marginalgains.cli import app

runner = CliRunner()
GOOD = [f"screen,A{i:02d},2023/24,{300 + 7 * i},{500 + 3 * i}" for i in range(12)]


def inputs(tmp_path, rows, names=None):
    values = tmp_path / "values.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, "
                         "multiplier: 100, unit: '%', source: Test, licence: OGL}\n")
    arguments = ["atlas", "--values", str(values), "--catalogue", str(catalogue)]
    if names:
        areas = tmp_path / "areas.csv"
        areas.write_text("area_code,area_name\n" + "".join(f'{code},"{name}"\n' for code, name in names.items()))
        arguments += ["--areas", str(areas)]
    return arguments


def cells(path):
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_every_csv_of_the_atlas_is_formula_safe(tmp_path):
    arguments = inputs(tmp_path, GOOD + ["screen,-cmd,2023/24,5,10", "screen,A99,2023/24,x,10"],
                       {"A00": "=1+2", "A01": "@SUM(1)", "-cmd": "+44 hotline"})
    result = runner.invoke(app, arguments + ["--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    areas = {row["area_code"]: row for row in cells(tmp_path / "out" / "areas.csv")}
    assert areas["A00"]["area_name"] == "'=1+2" and areas["A01"]["area_name"] == "'@SUM(1)"
    assert areas["'-cmd"]["area_name"] == "'+44 hotline"
    assert all(not row["value"].startswith("'") for row in areas.values())  # numbers stay numbers
    rejected, = cells(tmp_path / "out" / "rejections.csv")
    assert rejected["row"] == "14" and rejected["reason"] == "not a number: 'x'"
    summary = cells(tmp_path / "out" / "summary.csv")
    assert [row["indicator_id"] for row in summary] == ["screen"]


def test_out_being_a_file_is_exit_2_and_the_file_is_untouched(tmp_path):
    out = tmp_path / "out"
    out.write_text("keep me")
    result = runner.invoke(app, inputs(tmp_path, GOOD) + ["--out", str(out)])
    assert result.exit_code == 2 and f"--out {out} is a file; give a folder for the atlas" in result.output
    assert out.read_text() == "keep me" and "Traceback" not in result.output


def test_a_failed_run_leaves_the_previous_outputs_whole(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, inputs(tmp_path, GOOD) + ["--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "index.html").unlink()
    (out / "index.html").mkdir()
    result = runner.invoke(app, inputs(tmp_path, GOOD[:6]) + ["--out", str(out)])
    assert result.exit_code == 2 and "index.html: a folder of that name is in the way" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == {
        k: v for k, v in before.items() if k != "index.html"}


def test_a_rerun_without_rejections_removes_the_old_rejections_file(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, inputs(tmp_path, GOOD + ["screen,B1,2023/24,-1,10"]) + ["--out", str(out)]).exit_code == 0
    assert (out / "rejections.csv").exists()
    assert runner.invoke(app, inputs(tmp_path, GOOD) + ["--out", str(out)]).exit_code == 0
    assert not (out / "rejections.csv").exists()
    assert json.loads((out / "atlas.json").read_text())["rows_rejected"] == 0


def without_root_powers() -> list[str]:
    """A command prefix under which a folder without write permission cannot be written. Root
    writes anywhere through CAP_DAC_OVERRIDE, so as root `setpriv` drops it (and read-search,
    and fowner) from the bounding set: the process stays uid 0, so it can still run the
    interpreter under /root, but obeys permission bits like anyone else."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("the tests run as root and setpriv (util-linux) is not installed, so no folder is unwritable")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def gains_without_root_powers(arguments: list[str]) -> subprocess.CompletedProcess:
    gains = Path(sys.executable).with_name("gains")
    return subprocess.run([*without_root_powers(), str(gains), *arguments], capture_output=True, text=True, timeout=300)


def test_an_unwritable_out_folder_is_exit_2_naming_it_and_the_old_outputs_stay_whole(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, inputs(tmp_path, GOOD) + ["--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    out.chmod(0o555)
    try:
        result = gains_without_root_powers(inputs(tmp_path, GOOD[:6]) + ["--out", str(out)])
    finally:
        out.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"error: cannot write {out / 'index.html'}: {out} is not writable" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing half-written, no temporary left


def test_an_out_folder_that_cannot_be_made_is_exit_2_with_the_reason(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        result = gains_without_root_powers(inputs(tmp_path, GOOD) + ["--out", str(locked / "atlas")])
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert f"error: cannot create the folder {locked / 'atlas'}: Permission denied" in result.stderr
    assert "Traceback" not in result.stderr and list(locked.iterdir()) == []


def test_areas_and_summary_csv_read_back_exactly_as_computed(tmp_path):
    """Full precision: every value, limit and summary figure in the CSVs is the float the atlas computed."""
    import pandas as pd

    from marginalgains.atlas import SUMMARY_COLUMNS, build_atlas
    from marginalgains.io.catalogue import catalogue_from_dict
    from marginalgains.report.files import write_atlas

    catalogue = catalogue_from_dict({"indicators": [{"id": "screen", "title": "Screened", "polarity": "high_is_good",
                                                     "measure": "proportion", "multiplier": 100}]})
    values = pd.DataFrame({"indicator_id": "screen", "area_code": [f"A{i:02d}" for i in range(12)],
                           "period": "2023/24", "grain": "year", "numerator": [300.0 + 7 * i for i in range(12)],
                           "denominator": [700.0 + 3 * i for i in range(12)]})
    built = build_atlas(values, catalogue)
    write_atlas(built, tmp_path)
    written = {row["area_code"]: row for row in cells(tmp_path / "areas.csv")}
    for _, area in built.areas.iterrows():
        for column in ("value", "lower95", "upper95", "lower998", "upper998"):
            assert float(written[area["area_code"]][column]) == area[column]
    summary, = cells(tmp_path / "summary.csv")
    computed = built.summary[SUMMARY_COLUMNS].iloc[0]
    for column in ("min", "max", "fold", "cv", "pooled", "phi"):
        assert float(summary[column]) == computed[column]
    assert any(len(summary[c].split(".")[-1]) > 10 for c in ("fold", "cv", "pooled"))  # more than '%.10g' kept
