"""Hostile and broken record-level input: clean refusals, counted rejections, never a traceback."""

from __future__ import annotations

import time

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from engine_records import indicator
from marginalgains.cli import app
from marginalgains.engine import compute
from marginalgains.errors import EngineError
from marginalgains.io.values import check_values

runner = CliRunner()
MONTH = {"column": "day", "grain": "month"}


def visits(tmp_path, days, table="visits"):
    folder = tmp_path / "recs"
    folder.mkdir(exist_ok=True)
    pd.DataFrame({"area": ["A", "A", "B"], "day": days, "done": [True, False, True]}).to_parquet(
        folder / f"{table}.parquet")
    return folder


def test_a_null_date_is_one_rejected_value_naming_its_records_and_column(tmp_path, write_catalogue):
    folder = visits(tmp_path, pd.to_datetime(["2019-05-01", None, "2019-06-01"]))
    result = compute(write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator="done")),
                     folder)
    read = check_values(result.values, result.catalogue, "values computed from recs", missing=result.missing)
    assert read.rows_read == 3 and read.rows_accepted == 2
    (rejection,) = read.rejections
    assert (rejection.column, rejection.reason) == (
        "period", "1 record(s) of table 'visits' have no date (column 'day' is NULL)")
    assert result.missing.isna().sum() == 2  # the dated values need no reason


def records_with_gaps(tmp_path):
    """Six visits: in area A two with no date (one done), in area B one with no date; one with no area."""
    folder = tmp_path / "gaps"
    folder.mkdir()
    pd.DataFrame({"area": ["A", "A", "A", "B", "B", None],
                  "day": pd.to_datetime(["2019-05-01", None, None, "2019-05-02", None, "2019-05-03"]),
                  "age_band": ["old", "old", "young", "young", "old", "old"],
                  "done": [True, True, False, True, False, True]}).to_parquet(folder / "visits.parquet")
    return folder


@pytest.mark.parametrize("standardised", [False, True])
def test_records_with_no_date_or_area_are_counted_in_each_reason(tmp_path, write_catalogue, standardised):
    entry = indicator("x", table="visits", area="area", period=MONTH, numerator="done")
    if standardised:  # the standardised path counts per stratum: the NULL keys must survive it, not be dropped
        entry.update(measure="ratio", standardisation={"method": "isr", "strata": ["age_band"], "reference": "data"})
    result = compute(write_catalogue(entry), records_with_gaps(tmp_path))
    read = check_values(result.values, result.catalogue, "computed", missing=result.missing)
    assert read.rows_read == 5 and read.rows_accepted == 2  # A and B in 2019-05, and three values without a key
    assert sorted((r.column, r.reason) for r in read.rejections) == [
        ("area_code", "1 record(s) of table 'visits' have no area (column 'area' is NULL)"),
        ("period", "1 record(s) of table 'visits' have no date (column 'day' is NULL)"),
        ("period", "2 record(s) of table 'visits' have no date (column 'day' is NULL)")]


def test_a_text_period_column_without_a_grain_rejects_labels_that_are_not_periods(tmp_path, write_catalogue):
    folder = visits(tmp_path, ["2019-05", "2019-05", "May 2019"])
    result = compute(write_catalogue(indicator("x", table="visits", area="area", period={"column": "day"},
                                               numerator="done")), folder)
    read = check_values(result.values, result.catalogue, "computed")
    assert read.rows_accepted == 1
    assert [r.reason for r in read.rejections] == [
        "cannot read period 'May 2019': expected a month (2018-04), a financial quarter (2018/19 Q1), a financial "
        "year (2018/19), a year (2018) or pooled years (2016 - 18)"]


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty, not a DuckDB database"),
    (b"not a database at all" * 50, "not a readable DuckDB database"),
])
def test_an_empty_or_junk_duckdb_file_is_refused_cleanly(tmp_path, write_catalogue, content, message):
    database = tmp_path / "records.duckdb"
    database.write_bytes(content)
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator="done"))
    with pytest.raises(EngineError, match=message):
        compute(catalogue, database)
    result = runner.invoke(app, ["compute", "--catalogue", str(catalogue), "--data", str(database),
                                 "--out", str(tmp_path / "v.parquet")])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def database_with_a_view_over_a_file(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("area,day,done\nA,2019-05-01,true\n")
    database = tmp_path / "records.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE VIEW visits AS SELECT * FROM read_csv('{secret}')")
    return database


def test_database_only_refuses_a_view_that_reads_other_files(tmp_path, write_catalogue):
    database = database_with_a_view_over_a_file(tmp_path)
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator="done"))
    assert compute(catalogue, database).values["numerator"].tolist() == [1.0]  # the default reads the file ...
    with pytest.raises(EngineError, match=r"view 'visits' reads outside the database .*database-only mode"):
        compute(catalogue, database, database_only=True)  # ... database-only mode refuses it
    result = runner.invoke(app, ["compute", "--catalogue", str(catalogue), "--data", str(database), "--database-only",
                                 "--out", str(tmp_path / "v.parquet")])
    assert result.exit_code == 2 and "reads outside the database" in result.output
    result = runner.invoke(app, ["atlas", "--catalogue", str(catalogue), "--data", str(database), "--database-only",
                                 "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 2 and "reads outside the database" in result.output
    assert not (tmp_path / "atlas" / "index.html").exists()


def test_database_only_applies_only_with_data(tmp_path):
    result = runner.invoke(app, ["atlas", "--database-only", "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 2 and "--database-only applies only with --data" in result.output


def test_database_only_reads_tables_stored_in_the_database(tmp_path, write_catalogue):
    database = tmp_path / "records.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE TABLE visits AS SELECT 'A' AS area, DATE '2019-05-01' AS day, true AS done")
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator="done"))
    assert compute(catalogue, database, database_only=True).values["denominator"].tolist() == [1.0]


@pytest.mark.parametrize("condition, message", [
    ("(" * 3000 + "done" + ")" * 3000, "brackets nested more than 64 deep"),
    ("NOT " * 3000 + "done", "more than the 10,000 a condition may have"),
    ("NOT " * 200 + "done", "nested more than 64 deep"),
    (" OR ".join(["done"] * 3000), "more than the 10,000 a condition may have"),
])
def test_deep_or_long_conditions_are_refused_quickly(records, write_catalogue, condition, message):
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator=condition))
    started = time.perf_counter()
    with pytest.raises(EngineError, match=message):
        compute(catalogue, records)
    assert time.perf_counter() - started < 30  # a guard against the minute-long parse, not a benchmark


def test_a_long_flat_or_within_the_limit_is_counted(records, write_catalogue):
    long_or = " OR ".join(f"age={age}" for age in range(0, 900))
    short = "age >= 0 AND age < 900"
    catalogue = write_catalogue(indicator("long", table="visits", area="area", period=dict(MONTH), numerator=long_or),
                                indicator("short", table="visits", area="area", period=dict(MONTH), numerator=short))
    values = compute(catalogue, records).values
    long_counts = values[values["indicator_id"] == "long"]["numerator"].tolist()
    assert long_counts == values[values["indicator_id"] == "short"]["numerator"].tolist()


def test_records_with_no_date_are_named_by_gains_compute_and_gains_atlas(tmp_path, write_catalogue):
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=MONTH, numerator="done"))
    folder = records_with_gaps(tmp_path)
    computed = runner.invoke(app, ["compute", "--catalogue", str(catalogue), "--data", str(folder),
                                   "--out", str(tmp_path / "values.csv")])
    assert computed.exit_code == 0, computed.output
    assert ("note: 3 value(s) have no area or period, which gains atlas rejects (e.g. 2 record(s) of table 'visits' "
            "have no date (column 'day' is NULL))") in computed.output
    atlas = runner.invoke(app, ["atlas", "--catalogue", str(catalogue), "--data", str(folder), "--out", str(tmp_path / "out")])
    assert atlas.exit_code == 0, atlas.output
    assert "Read 5 rows: 2 accepted, 3 rejected" in atlas.output
    assert (f"values computed from {folder}, row 2, column 'period': 2 record(s) of table 'visits' have no date "
            "(column 'day' is NULL)") in atlas.output
    rejections = pd.read_csv(tmp_path / "out" / "rejections.csv")
    assert rejections["reason"].str.contains("column 'area' is NULL").sum() == 1 and "Traceback" not in atlas.output
