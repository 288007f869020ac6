"""Output files: formula-safe CSV cells, and files that appear whole or not at all."""

import csv
import os
import stat

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marginalgains.errors import DataError
from marginalgains.io.outputs import formula_safe, staged, write_csv

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_cells_that_would_be_formulas_get_a_leading_quote():
    frame = pd.DataFrame({"name": HOSTILE + ["Leeds", "-5", "+3.2", "1e-3", None]})
    assert formula_safe(frame)["name"].tolist()[:-1] == ["'" + h for h in HOSTILE] + ["Leeds", "-5", "+3.2", "1e-3"]
    assert pd.isna(formula_safe(frame)["name"].iloc[-1])


def test_numbers_stay_numbers_and_headers_are_neutralised_too():
    frame = pd.DataFrame({"value": [-1.5, 2.0], "=cmd": ["a", "b"]})
    safe = formula_safe(frame)
    assert safe["value"].tolist() == [-1.5, 2.0] and list(safe.columns) == ["value", "'=cmd"]
    assert list(frame.columns) == ["value", "=cmd"]  # the caller's frame is untouched


def test_write_csv_writes_what_a_spreadsheet_shows_as_text(tmp_path):
    path = write_csv(pd.DataFrame({"a": ["=1+1", "ok"], "n": [-3.0, 4.0]}), tmp_path / "x.csv")
    assert list(csv.reader(path.open())) == [["a", "n"], ["'=1+1", "-3"], ["ok", "4"]]
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temporary file left


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30))
def test_every_float_written_reads_back_as_the_same_float(numbers):
    """Full precision: the shortest text that is the same float, read back by Python and by the
    package's own reader (no '%.10g' rounding: 0.1 + 0.2 stays 0.30000000000000004)."""
    import tempfile
    from pathlib import Path

    from marginalgains.io.tabular import read_table
    from marginalgains.io.validate import parse_numbers

    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(pd.DataFrame({"k": "a", "n": numbers}), Path(folder) / "x.csv")
        written = [row[1] for row in list(csv.reader(path.open()))[1:]]
        assert [float(text) for text in written] == numbers
        assert parse_numbers(read_table(path)["n"])[0].tolist() == numbers


def test_full_precision_is_not_rounded_to_ten_figures(tmp_path):
    path = write_csv(pd.DataFrame({"n": [0.1 + 0.2, 1 / 3, 123456.78901234567]}), tmp_path / "x.csv")
    assert path.read_text().splitlines()[1:] == ["0.30000000000000004", "0.3333333333333333", "123456.78901234567"]
    blank = write_csv(pd.DataFrame({"n": [2.0, float("nan")], "m": pd.array([1.5, None], dtype="Float64")}),
                      tmp_path / "y.csv")
    assert blank.read_text().splitlines() == ["n,m", "2,1.5", ","]


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    old = tmp_path / "x.csv"
    old.write_text("old\n")
    with pytest.raises(RuntimeError):
        with staged([old]) as (temporary,):
            temporary.write_text("half")
            raise RuntimeError("the run failed")
    assert old.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_outputs_get_the_permissions_the_umask_gives_any_new_file(tmp_path):
    previous = os.umask(0o022)
    try:
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")
        os.umask(0o027)
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "y.csv")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "x.csv").stat().st_mode) == 0o644  # readable by a web server, as any file
    assert stat.S_IMODE((tmp_path / "y.csv").stat().st_mode) == 0o640


def test_a_folder_or_file_in_the_way_is_refused_before_writing(tmp_path):
    (tmp_path / "index.html").mkdir()
    with pytest.raises(DataError, match="index.html: a folder of that name is in the way"):
        with staged([tmp_path / "index.html"]):
            pass
    (tmp_path / "plain").write_text("")
    with pytest.raises(DataError, match="plain is a file, not a folder"):
        with staged([tmp_path / "plain" / "x.csv"]):
            pass


def test_values_written_as_csv_are_formula_safe(tmp_path):
    from marginalgains.io.values import write_values

    path = tmp_path / "values.csv"
    write_values(pd.DataFrame({"indicator_id": ["x"], "area_code": ["=cmd|' /C calc'!A0"], "period": ["2018/19"],
                               "numerator": [-0.5], "denominator": [2.0]}), path)
    assert list(csv.reader(path.open()))[1] == ["x", "'=cmd|' /C calc'!A0", "2018/19", "-0.5", "2"]


def test_every_csv_the_package_writes_goes_through_the_formula_safe_writer():
    """Each `.to_csv(` in the package is on a frame passed through `formula_safe` (or is the shared writer)."""
    from pathlib import Path

    import marginalgains

    package = Path(marginalgains.__file__).parent
    unsafe = []
    for path in package.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            statement = " ".join(lines[max(number - 2, 0):number + 1])  # a call may span lines
            if ".to_csv(" in line and "formula_safe(" not in statement and "_rejections_frame(" not in line \
                    and path.name != "outputs.py":
                unsafe.append(f"{path.relative_to(package)}:{number + 1}")
    assert unsafe == []


def test_text_mixed_with_booleans_and_numbers_in_one_column():
    frame = pd.DataFrame({"mixed": pd.Series([True, None, "=SUM(A1)", -5.0, "-3", "ok"], dtype=object)})
    assert formula_safe(frame)["mixed"].tolist() == [True, None, "'=SUM(A1)", -5.0, "-3", "ok"]
