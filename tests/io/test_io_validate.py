"""Row checks shared by the readers: numbers that are not numbers, implausible periods, bounded reasons."""

import pandas as pd
import pytest

from marginalgains.io import validate
from marginalgains.io.values import check_values, read_values

HEADER = "indicator_id,area_code,period,numerator,denominator\n"


def reasons(result):
    return [(r.row, r.column, r.reason) for r in result.rejections]


@pytest.mark.parametrize("cell, reason", [
    ("inf", "not a finite number: 'inf'"),
    ("Infinity", "not a finite number: 'Infinity'"),
    ("1e400", "not a finite number: '1e400'"),
    ("NaN", "not a finite number: 'NaN'"),
    ("1.234,5", "malformed thousands separator: '1.234,5'"),
    ("1,2,3,4", "malformed thousands separator: '1,2,3,4'"),
    ("12,34", "malformed thousands separator: '12,34'"),
    ("0x10", "not a number: '0x10'"),
    ("1_000", "not a number: '1_000'"),
    ("-0", "negative count: -0"),
])
def test_numbers_that_are_not_numbers_are_refused_with_the_reason(write_csv, catalogue, cell, reason):
    path = write_csv(HEADER + "ae-4hr,GOOD,2018/19,5,10\n" + f'ae-4hr,BAD,2018/19,"{cell}",5000\n')
    result = read_values(path, catalogue)
    assert reasons(result) == [(2, "numerator", reason)]
    assert result.values["area_code"].tolist() == ["GOOD"]


@pytest.mark.parametrize("cell, number", [("1,234", 1234.0), ("12,345.5", 12345.5), ("+7", 7.0), (" 8 ", 8.0),
                                          ("1e3", 1000.0), (".5", 0.5)])
def test_well_formed_numbers_are_read(write_csv, catalogue, cell, number):
    path = write_csv(HEADER + f'ae-4hr,A,2018/19,"{cell}",20000\n')
    assert read_values(path, catalogue).values["numerator"].tolist() == [number]


def test_non_finite_numbers_in_memory_are_refused(catalogue):
    frame = pd.DataFrame({"indicator_id": ["ae-4hr"] * 2, "area_code": ["A", "B"], "period": ["2018/19"] * 2,
                          "numerator": [float("inf"), 1.0], "denominator": [10.0, float("nan")]})
    assert reasons(check_values(frame, catalogue, "memory")) == [
        (1, "numerator", "not a finite number: inf"), (2, "denominator", "missing value")]


@pytest.mark.parametrize("period", ["9999/00", "2099", "1066", "2099-01"])
def test_periods_far_outside_the_data_are_refused(write_csv, catalogue, period):
    path = write_csv(HEADER + f"ae-4hr,A,{period},1,2\nae-4hr,A,2018/19,1,2\n")
    (row, column, reason), = reasons(read_values(path, catalogue))
    assert (row, column) == (1, "period")
    assert reason.startswith(f"period '{period}' is outside the plausible years 1900 to ")


def test_the_plausible_years_are_configurable(write_csv, catalogue, monkeypatch):
    monkeypatch.setenv("MARGINALGAINS_PERIOD_YEARS", "2000-2100")
    path = write_csv(HEADER + "ae-4hr,A,2099,1,2\nae-4hr,A,1999,1,2\n")
    assert reasons(read_values(path, catalogue)) == [
        (2, "period", "period '1999' is outside the plausible years 2000 to 2100 "
                      "(set MARGINALGAINS_PERIOD_YEARS=FIRST-LAST to widen them)")]


def test_a_financial_year_written_with_a_hyphen_gets_the_hint(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,A,2018-19,1,2\n")
    assert reasons(read_values(path, catalogue)) == [
        (1, "period", "cannot read period '2018-19': write financial years as 2018/19")]


def test_duplicate_reasons_stay_bounded_however_many_copies(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,A,2018/19,1,2\n" * 3000 + "ae-4hr,B,2018/19,1,2\n" * 2)
    result = read_values(path, catalogue)
    assert result.rows_rejected == 3002 and result.rows_accepted == 0
    many = "duplicate key (indicator_id, area_code, period) in rows 1, 2, 3 and 2,997 more (3,000 copies)"
    assert {r.reason for r in result.rejections[:3000]} == {many}
    assert {r.reason for r in result.rejections[3000:]} == {
        "duplicate key (indicator_id, area_code, period) in rows 3001, 3002"}


def test_row_checks_take_the_problems_a_reader_found():
    frame = pd.DataFrame({"a": ["1", None, "3"]})
    frame.attrs["row_problems"] = {1: "ragged row: 1 field(s) where the header has 2"}
    checks = validate.RowChecks("f.csv", frame)
    assert [str(r) for r in checks.rejections] == ["f.csv, row 2: ragged row: 1 field(s) where the header has 2"]
    assert checks.accepted()["a"].tolist() == ["1", "3"]
