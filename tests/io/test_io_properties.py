"""Property tests over the readers: for arbitrary tables of strings (and arbitrary bytes), each reader
either refuses with the project's own error or accounts for every row (read = accepted + rejected,
plus rows a Fingertips export sets aside),
and never accepts a count that is not a finite number.

`MARGINALGAINS_FUZZ_EXAMPLES` sets the examples per property (default 40, for the test suite);
tools/fuzz_readers.py runs them at volume. No per-example deadline: the suite shares two cores.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marginalgains.errors import GainsError
from marginalgains.improve.fund import read_interventions
from marginalgains.io.areas import read_areas
from marginalgains.io.bundled import ae_catalogue
from marginalgains.io.fingertips import read_fingertips
from marginalgains.io.tabular import read_table
from marginalgains.io.values import read_values
from marginalgains.model import Indicator, Measure, Polarity

EXAMPLES = int(os.environ.get("MARGINALGAINS_FUZZ_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NUMBERISH = ["0", "1", "12", "-3", "-0", "+7", "1,234", "1.234,5", "1,2,3,4", "inf", "-inf", "Infinity", "NaN",
             "nan", "1e400", "1e-3", ".5", "5.", " 8 ", "", "0x10", "1_000", "∞", "١٢", "=1+1", "@SUM(A1)"]
PERIODISH = ["2018/19", "2018-19", "2018-04", "2018-04-31", "2018/19 Q1", "2018/19 Q5", "2016 - 18", "2099",
             "9999/00", "1066", "", "April 2018", "2018"]
cell = st.one_of(st.sampled_from(NUMBERISH + PERIODISH), st.text(max_size=12))


@st.composite
def tables(draw, columns: list[str], known: dict[str, list[str]] | None = None):
    """A header drawn around `columns` (some may be missing, repeated or extra) and rows of strings,
    some short or long (ragged)."""
    header = [c for c in columns if draw(st.booleans()) or draw(st.booleans())]
    header += draw(st.lists(st.sampled_from(columns + ["extra", "Area Name", " numerator "]), max_size=2))
    width = max(len(header), 1)
    known = known or {}
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(st.sampled_from(known[name]) if name in known and draw(st.booleans()) else cell)
               for name in header]
        if draw(st.integers(0, 9)) == 0:  # now and then a ragged row
            row = row[:-1] if row and draw(st.booleans()) else row + ["spare"]
        rows.append(row)
    return header if header else ["only"], rows, width


def write(tmp_path, header, rows, name="table.csv") -> tuple:
    """The table as CSV; returns its path and how many records the file holds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path, len(rows)


def finite(values) -> bool:
    return bool(np.isfinite(pd.to_numeric(pd.Series(values), errors="coerce").astype(float)).all())


VALUE_COLUMNS = ["indicator_id", "area_code", "period", "numerator", "denominator"]


@SETTINGS
@given(table=tables(VALUE_COLUMNS, {"indicator_id": ["ae-4hr", "ae-admit", "nope"], "period": PERIODISH}))
def test_tidy_values_account_for_every_row_and_accept_only_finite_counts(tmp_path_factory, table):
    header, rows, _ = table
    path, records = write(tmp_path_factory.mktemp("v"), header, rows)
    try:
        result = read_values(path, ae_catalogue())
    except GainsError:
        return
    assert result.rows_read == records == result.rows_accepted + result.rows_rejected
    assert finite(result.values["numerator"]) and finite(result.values["denominator"])
    assert (result.values["numerator"] >= 0).all() and (result.values["denominator"] > 0).all()
    assert not np.signbit(result.values["numerator"].to_numpy(dtype=float)).any()
    whole = [row for row in rows if len(row) == len(header)]  # ragged rows are rejected whole, not trimmed
    for position, column in enumerate(name.strip() for name in header):  # trimming is counted, never silent
        if column in VALUE_COLUMNS:
            spaced = sum(row[position] != row[position].strip(" ") for row in whole)
            assert spaced <= result.trimmed.get(str(path), {}).get(column, 0) <= len(whole), column


FINGERTIPS_COLUMNS = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age",
                      "Category Type", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
                      "Count", "Denominator", "Compared to England value or percentiles"]


@SETTINGS
@given(table=tables(FINGERTIPS_COLUMNS, {"Area Type": ["England", "Region", "Counties & UAs (from Apr 2023)"],
                                         "Time period": PERIODISH, "Indicator ID": ["22001", "93721"]}))
def test_fingertips_exports_account_for_every_row_and_accept_only_finite_counts(tmp_path_factory, table):
    header, rows, _ = table
    path, records = write(tmp_path_factory.mktemp("f"), header, rows)
    try:
        result = read_fingertips(path).read
    except GainsError:
        return
    set_aside = sum(result.set_aside.values())  # repeated headers, collapsed copies, breakdown rows: counted apart
    assert result.rows_read == records == result.rows_accepted + result.rows_rejected + set_aside
    for column in ("numerator", "denominator", "value"):
        if column in result.values:
            present = result.values[column].dropna()
            assert finite(present), column


@SETTINGS
@given(table=tables(["area_code", "area_name", "population", "imd"]))
def test_areas_tables_are_refused_or_read_whole_with_finite_covariates(tmp_path_factory, table):
    header, rows, _ = table
    path, records = write(tmp_path_factory.mktemp("a"), header, rows)
    try:
        areas = read_areas(path)
    except GainsError:
        return
    assert len(areas) == records and areas["area_code"].notna().all() and areas["area_code"].is_unique
    for column in areas.columns:
        if pd.api.types.is_float_dtype(areas[column]):
            assert finite(areas[column].dropna()), column


CARE = Indicator("care", "Care", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, multiplier=100, benefit_weight=1.0)
OPPORTUNITIES = pd.DataFrame({"indicator_id": "care", "area_code": ["A", "B"], "denominator": [100.0, 50.0],
                              "gain": [5.0, 1.0]})


@SETTINGS
@given(table=tables(["id", "cost", "indicator_id", "effect", "area_code", "effect_unit"],
                    {"indicator_id": ["care", "other"], "area_code": ["A", "B", "all", ""],
                     "effect_unit": ["points", "people", "percent"]}))
def test_interventions_are_refused_or_read_whole_with_finite_costs_and_benefits(tmp_path_factory, table):
    header, rows, _ = table
    path, records = write(tmp_path_factory.mktemp("i"), header, rows)
    try:
        options = read_interventions(path, [CARE], OPPORTUNITIES)
    except GainsError:
        return
    assert len(options) == records
    assert finite(options["cost"]) and finite(options["benefit"]) and (options["cost"] >= 0).all()


@SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_a_table_or_a_data_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("b") / "bytes.csv"
    path.write_bytes(b"a,b\n" + data if data[:1] != b"\x00" else data)
    try:
        frame = read_table(path)
    except GainsError:
        return
    problems = frame.attrs.get("row_problems", {})
    assert all(0 <= row < len(frame) for row in problems)
