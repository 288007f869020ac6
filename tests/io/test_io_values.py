"""Reading tidy values: every kind of bad input is reported with file, row, column and reason."""

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marginalgains.errors import DataError
from marginalgains.io.values import ReadResult, check_values, read_values

HEADER = "indicator_id,area_code,period,numerator,denominator\n"


def reasons(result):
    return [(r.row, r.column, r.reason) for r in result.rejections]


def test_good_rows_are_read_as_numbers(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,RA4,2018/19,900,1000\nae-admit,RA4,2018/19,250,1000\n")
    result = read_values(path, catalogue)
    assert result.rows_read == 2 and result.rows_accepted == 2 and result.rows_rejected == 0
    assert result.values["numerator"].tolist() == [900.0, 250.0]
    assert result.values["grain"].tolist() == ["financial_year", "financial_year"]


@pytest.mark.parametrize("row, column, reason", [
    ("ae-4hr,A,2018/19,-3,10", "numerator", "negative count: -3"),
    ("ae-4hr,A,2018/19,3,-10", "denominator", "negative count: -10"),
    ("ae-4hr,A,2018/19,11,10", "numerator", "numerator 11 is above its denominator 10 for a proportion"),
    ("ae-4hr,A,2018/19,0,0", "denominator", "zero denominator"),
    ("ae-4hr,A,2018/20,1,10", "period", "financial year 2018/20 does not run into the next year"),
    ("ae-4hr,A,April 2018,1,10", "period", "cannot read period 'April 2018'"),
    ("ae-4hr,A,2018-13,1,10", "period", "month 13 is not between 1 and 12"),
    ("nope,A,2018/19,1,10", "indicator_id", "unknown indicator id 'nope' (not in the catalogue)"),
    ("ae-4hr,A,2018/19,lots,10", "numerator", "not a number: 'lots'"),
    ("ae-4hr,A,2018/19,,10", "numerator", "missing value"),
    ("ae-4hr,,2018/19,1,10", "area_code", "missing value"),
])
def test_each_bad_row_is_reported_and_the_good_row_kept(write_csv, catalogue, row, column, reason):
    path = write_csv(HEADER + "ae-4hr,GOOD,2018/19,5,10\n" + row + "\n")
    result = read_values(path, catalogue)
    assert result.rows_read == 2 and result.rows_accepted == 1 and result.rows_rejected == 1
    (rejection,) = result.rejections
    assert (rejection.row, rejection.column) == (2, column)
    assert reason in rejection.reason
    assert str(rejection).startswith(f"{path}, row 2, column '{column}': ")
    assert result.values["area_code"].tolist() == ["GOOD"]


def test_duplicate_keys_reject_every_copy(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,A,2018/19,5,10\nae-4hr,B,2018/19,5,10\nae-4hr,A,2018/19,6,10\n")
    result = read_values(path, catalogue)
    assert [(r.row, r.reason) for r in result.rejections] == [
        (1, "duplicate key (indicator_id, area_code, period) in rows 1, 3"),
        (3, "duplicate key (indicator_id, area_code, period) in rows 1, 3"),
    ]
    assert result.values["area_code"].tolist() == ["B"]


def test_a_date_is_read_as_its_month_and_matches_a_month_label(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,A,2018-04-01,5,10\nae-4hr,A,2018-04,6,10\n")
    result = read_values(path, catalogue)
    assert result.rows_rejected == 2  # the same month twice: a duplicate key
    assert {r.reason for r in result.rejections} == {"duplicate key (indicator_id, area_code, period) in rows 1, 2"}


def test_a_minority_grain_is_refused(write_csv, catalogue):
    path = write_csv(HEADER + "ae-4hr,A,2018/19,5,10\nae-4hr,B,2018/19,5,10\nae-4hr,C,2018-04,5,10\n")
    result = read_values(path, catalogue)
    assert reasons(result) == [(3, "period", "period grain month differs from the indicator's other rows (financial_year)")]


def test_each_indicator_keeps_its_own_grain_and_rejected_rows_do_not_set_it(write_csv, catalogue):
    """Months for one indicator and years for another are both whole; a row already refused (here a
    zero denominator) neither makes a grain the majority nor a key repeated, and rows keep their numbers."""
    path = write_csv(HEADER + "ae-4hr,A,2018-04,5,10\nae-admit,A,2018/19,5,10\nae-admit,A,2018-04,5,0\n"
                     "ae-admit,B,2018-04,5,10\nae-admit,B,2018/19,1,10\nae-admit,B,2018/19,2,10\n")
    result = read_values(path, catalogue)
    assert reasons(result) == [
        (3, "denominator", "zero denominator"),
        (4, "period", "period grain month differs from the indicator's other rows (financial_year)"),
        (5, "period", "duplicate key (indicator_id, area_code, period) in rows 5, 6"),
        (6, "period", "duplicate key (indicator_id, area_code, period) in rows 5, 6")]
    assert result.values[["indicator_id", "area_code", "grain"]].values.tolist() == [
        ["ae-4hr", "A", "month"], ["ae-admit", "A", "financial_year"]]


def test_a_row_with_several_problems_counts_once(write_csv, catalogue):
    path = write_csv(HEADER + "nope,A,2018/20,-1,0\nae-4hr,B,2018/19,1,2\n")
    result = read_values(path, catalogue)
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 2
    assert result.rows_rejected == 1


def test_missing_columns_name_what_is_missing_and_found(write_csv, catalogue):
    path = write_csv("indicator_id,area_code,period,numerator\nae-4hr,A,2018/19,1\n")
    with pytest.raises(DataError, match=r"missing column\(s\) denominator; found indicator_id, area_code, period, numerator"):
        read_values(path, catalogue)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    (HEADER, "has a header but no rows"),
    ("Dear analyst\nplease find the figures attached\n", "not a CSV file"),
], ids=["empty", "header-only", "prose"])
def test_unreadable_text_files_say_why(write_csv, catalogue, text, message):
    with pytest.raises(DataError, match=message):
        read_values(write_csv(text), catalogue)


def test_binary_file_is_not_csv(tmp_path, catalogue):
    path = tmp_path / "values.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataError, match="not a CSV file"):
        read_values(path, catalogue)


def test_missing_file(tmp_path, catalogue):
    with pytest.raises(DataError, match="file not found"):
        read_values(tmp_path / "absent.csv", catalogue)


def test_parquet_is_read_and_checked_the_same_way(tmp_path, catalogue):
    path = tmp_path / "values.parquet"
    pd.DataFrame({"indicator_id": ["ae-4hr", "ae-4hr"], "area_code": ["A", "B"], "period": ["2018/19", "2018/19"],
                  "numerator": [5, 12], "denominator": [10, 10]}).to_parquet(path)
    result = read_values(path, catalogue)
    assert reasons(result) == [(2, "numerator", "numerator 12 is above its denominator 10 for a proportion")]
    assert result.values["numerator"].tolist() == [5.0]


def test_a_corrupt_parquet_file(tmp_path, catalogue):
    path = tmp_path / "values.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_values(path, catalogue)


def test_parquet_dates_and_timestamps_are_read_as_their_months(tmp_path, catalogue):
    path = tmp_path / "values.parquet"
    pd.DataFrame({"indicator_id": ["ae-4hr"] * 2, "area_code": ["A", "B"],
                  "period": [pd.Timestamp("2018-04-01"), pd.Timestamp("2018-05-17 13:45")],
                  "numerator": [5, 6], "denominator": [10, 10]}).to_parquet(path)
    result = read_values(path, catalogue)
    assert result.rows_rejected == 0
    assert result.values["period"].tolist() == ["2018-04", "2018-05"]


@pytest.mark.parametrize("separator, name", [("\t", "tabs"), (";", "semicolons")])
def test_a_file_separated_by_tabs_or_semicolons_is_named_as_such(write_csv, catalogue, separator, name):
    path = write_csv((HEADER + "ae-4hr,A,2018/19,1,2\n").replace(",", separator))
    with pytest.raises(DataError, match=f"^{path}: the columns are separated by {name}, not commas"):
        read_values(path, catalogue)


def test_parquet_numbers_read_as_text_as_written_and_nan_is_missing(tmp_path, catalogue):
    path = tmp_path / "values.parquet"
    pq.write_table(pa.table({"indicator_id": ["ae-4hr"] * 3, "area_code": [101.0, 102.0, 103.5], "period": ["2018/19"] * 3,
                             "numerator": pa.array([5.0, float("nan"), None]), "denominator": [10, 10, 10]}), path)
    result = read_values(path, catalogue)
    assert reasons(result) == [(2, "numerator", "missing value"), (3, "numerator", "missing value")]
    assert result.values["area_code"].tolist() == ["101"]


def test_in_memory_numbers_are_checked_like_a_file(catalogue):
    frame = pd.DataFrame({"indicator_id": ["ae-4hr", "ae-4hr"], "area_code": [" A ", "B"], "period": ["2018/19"] * 2,
                          "numerator": [5, 12], "denominator": [10.0, 10.0]})
    result = check_values(frame, catalogue, "computed values", "records/")
    assert reasons(result) == [(2, "numerator", "numerator 12 is above its denominator 10 for a proportion")]
    assert result.values["area_code"].tolist() == ["A"] and result.files == ["records/"]


def test_results_combine_counts_rejections_and_files(write_csv, catalogue):
    first = read_values(write_csv(HEADER + "ae-4hr,A,2018/19,5,10\n", "a.csv"), catalogue)
    second = read_values(write_csv(HEADER + "ae-4hr,A,2018/19,5,10\nae-4hr,B,2018/19,-1,10\n", "b.csv"), catalogue)
    both = ReadResult.combine(first, second)
    assert (both.rows_read, both.rows_accepted, both.rows_rejected) == (3, 2, 1)
    assert both.files == first.files + second.files and both.rejections == second.rejections


def test_trimmed_cells_are_counted_per_column_for_the_file(write_csv, catalogue):
    path = write_csv(HEADER + " ae-4hr , RA4,2018/19, 900,1000\nae-4hr,RA5 ,2018/19,900,1000\nae-4hr,RA6,2018/19,1,10\n")
    result = read_values(path, catalogue)
    assert result.values["area_code"].tolist() == ["RA4", "RA5", "RA6"]
    assert result.trimmed == {str(path): {"indicator_id": 1, "area_code": 2, "numerator": 1}}


def test_values_given_as_a_table_count_the_codes_trimmed_there(catalogue):
    frame = pd.DataFrame({"indicator_id": ["ae-4hr", "ae-4hr "], "area_code": ["\tRA4", "RA5"],
                          "period": ["2018/19"] * 2, "numerator": [1.0, 2.0], "denominator": [10.0, 10.0]})
    result = check_values(frame, catalogue, "computed", "records")
    assert result.trimmed == {"records": {"indicator_id": 1, "area_code": 1}}
    assert check_values(frame.replace({"ae-4hr ": "ae-4hr", "\tRA4": "RA4"}), catalogue, "computed").trimmed == {}


def test_combined_reads_add_their_trimmed_counts(write_csv, catalogue):
    first = read_values(write_csv(HEADER + "ae-4hr, A,2018/19,1,10\n", "a.csv"), catalogue)
    second = read_values(write_csv(HEADER + "ae-4hr, B,2018/19,1,10\nae-4hr, C,2018/19,1,10\n", "b.csv"), catalogue)
    combined = ReadResult.combine(first, second, first)
    assert combined.trimmed == {str(first.files[0]): {"area_code": 2}, str(second.files[0]): {"area_code": 2}}
