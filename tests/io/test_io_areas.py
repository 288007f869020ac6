"""Areas tables: codes trimmed and counted, numeric covariates parsed, a bad cell refused by name."""

import pytest

from marginalgains.errors import DataError
from marginalgains.io.areas import read_areas, trimmed_note


def test_spaces_around_codes_are_trimmed_and_reported(write_csv):
    path = write_csv("area_code,area_name,population\n A1 ,Leeds,100\nA2,York , 1,200\n".replace(" 1,200", '" 1,200"'),
                     "areas.csv")
    areas = read_areas(path)
    assert areas["area_code"].tolist() == ["A1", "A2"] and areas["area_name"].tolist() == ["Leeds", "York"]
    assert areas["population"].tolist() == [100.0, 1200.0]
    assert trimmed_note(areas) == (f"{path}: spaces trimmed around 1 cell(s) of 'area_code', 1 cell(s) of "
                                   "'area_name', 1 cell(s) of 'population'")


def test_a_word_in_a_numeric_covariate_is_refused_naming_the_cell(write_csv):
    path = write_csv("area_code,population,imd\nA1,100,3.2\nA2,200,n/a\n", "areas.csv")
    with pytest.raises(DataError, match=r"areas.csv, row 2, column 'imd': not a number: 'n/a' in a column of numbers"):
        read_areas(path)


def test_a_column_of_words_stays_text_and_blanks_are_missing(write_csv):
    areas = read_areas(write_csv("area_code,region,population\nA1,North,100\nA2,South,\n", "areas.csv"))
    assert areas["region"].tolist() == ["North", "South"]
    assert areas["population"].iloc[0] == 100.0 and areas["population"].isna().iloc[1]


@pytest.mark.parametrize("text, message", [
    ("area_code,population\nA1,1\n,2\n", "row 2, column 'area_code': missing value"),
    ("area_code,population\nA1,1\nA1,2\n", "row 2, column 'area_code': 'A1' appears more than once \\(first in row 1\\)"),
    ("area_code,population\nA1,1\nA2,2,3\n", "row 2: ragged row: 3 field\\(s\\) where the header has 2"),
    ("area_code,population\nA1,inf\n", "row 1, column 'population': not a finite number: 'inf'"),
    ("name,population\nA1,1\n", "missing column\\(s\\) area_code"),
])
def test_bad_areas_tables_are_refused_with_row_and_column(write_csv, text, message):
    with pytest.raises(DataError, match=message):
        read_areas(write_csv(text, "areas.csv"))
