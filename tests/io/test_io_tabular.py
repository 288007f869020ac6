"""Opening tables: row numbers stay true to the file whatever its rows look like."""

import pytest

from marginalgains.errors import DataError
from marginalgains.io.tabular import ROW_PROBLEMS, read_table
from marginalgains.io.values import read_values

HEADER = b"indicator_id,area_code,period,numerator,denominator\n"


def reasons(result):
    return [(r.row, r.column, r.reason) for r in result.rejections]


def write(tmp_path, data: bytes, name="values.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ragged_rows_are_rejected_as_ragged_in_their_place(tmp_path, catalogue):
    path = write(tmp_path, HEADER + b"ae-4hr,A,2018/19,1,2\nae-4hr,B,2018/19,1\nae-4hr,C,2018/19,1,2,9\n"
                 b"ae-4hr,D,2018/19,3,4\n")
    result = read_values(path, catalogue)
    assert reasons(result) == [(2, None, "ragged row: 4 field(s) where the header has 5"),
                               (3, None, "ragged row: 6 field(s) where the header has 5")]
    assert result.values["area_code"].tolist() == ["A", "D"]
    assert result.rows_read == 4 == result.rows_accepted + result.rows_rejected


def test_a_bare_carriage_return_rejects_its_row_and_later_rows_keep_their_numbers(tmp_path, catalogue):
    path = write(tmp_path, HEADER + b"ae-4hr,A,2018/19,1,2\r\nae-4hr,B,2018/19,1\r2\r\nae-4hr,C,2018/19,5,5x\r\n")
    result = read_values(path, catalogue)
    assert reasons(result) == [
        (2, None, "a carriage return inside the row (it would split the record in two)"),
        (3, "denominator", "not a number: '5x'")]
    assert result.rows_read == 3


def test_old_mac_files_ending_lines_with_carriage_returns_are_read(tmp_path, catalogue):
    path = write(tmp_path, HEADER.rstrip(b"\n") + b"\rae-4hr,A,2018/19,1,2\rae-4hr,B,2018/19,3,4\r")
    result = read_values(path, catalogue)
    assert result.rows_accepted == 2 and not result.rejections


def test_a_blank_line_keeps_its_row_number(tmp_path, catalogue):
    path = write(tmp_path, HEADER + b"ae-4hr,A,2018/19,1,2\n\nae-4hr,B,2018/19,1,x\n")
    assert reasons(read_values(path, catalogue)) == [(2, None, "empty row (every cell blank)"),
                                                    (3, "denominator", "not a number: 'x'")]


def test_a_quoted_newline_is_one_record(tmp_path):
    frame = read_table(write(tmp_path, b'a,b\n"two\nlines",1\n3,4\n'))
    assert frame.to_dict("records") == [{"a": "two\nlines", "b": "1"}, {"a": "3", "b": "4"}]
    assert frame.attrs[ROW_PROBLEMS] == {}


def test_cells_are_trimmed_and_blanks_are_missing(tmp_path):
    frame = read_table(write(tmp_path, b"a,b\n  007 ,\n"))
    assert frame.to_dict("records") == [{"a": "007", "b": None}]


@pytest.mark.parametrize("name", ["values.csv", "values.parquet"])
def test_a_repeated_column_is_refused_naming_both_places(tmp_path, name):
    if name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq
        path = tmp_path / name
        pq.write_table(pa.table([pa.array([1]), pa.array([2])], names=["numerator", "numerator"]), path)
    else:
        path = write(tmp_path, b"area_code,numerator,denominator,numerator\nA,1,2,3\n", name)
    with pytest.raises(DataError, match=r"column 'numerator' appears twice in the header \(columns \d and \d\)"):
        read_table(path)


def test_latin1_text_is_refused_naming_the_line(tmp_path):
    path = write(tmp_path, "area_code,area_name\nA,Ynys Môn\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 text \(line 2 has the byte 0xf4\); save it as CSV UTF-8"):
        read_table(path)


def test_a_folder_is_not_a_table(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        read_table(tmp_path)


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    frame = read_table(write(tmp_path, b"\xef\xbb\xbfa,b\n1,2\n"))
    assert list(frame.columns) == ["a", "b"]
