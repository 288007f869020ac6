"""Counts from hand-built records, every figure worked by hand."""

from __future__ import annotations

import duckdb
import pytest

from engine_records import TABLES, indicator
from marginalgains.engine import compute
from marginalgains.io.catalogue import read_catalogue

QUARTERLY = indicator("done-rate", table="visits", area="area", period={"column": "day", "grain": "quarter"},
                      denominator="flag", numerator="done")
YEARLY_OLD = indicator("old-done", table="visits", area="area", period={"column": "day", "grain": "financial_year"},
                       denominator="age >= 65", numerator="done AND flag")
MONTHLY = indicator("all-month", table="visits", area="area", period={"column": "day", "grain": "month"},
                    numerator="age BETWEEN 60 AND 85")
CALENDAR = indicator("all-year", table="visits", area="area", period={"column": "day", "grain": "year"},
                     numerator="age IN (30, 40, 50)")
BUNDLE = indicator("bundle", table="care", area="area", period={"column": "year_start", "grain": "financial_year"},
                   denominator="type = 2", bundle={"p1": "p1", "p2": {"expression": "p2", "title": "Process two"}, "p3": "p3"})


def rows(values, indicator_id):
    chosen = values[values["indicator_id"] == indicator_id]
    return [(r.area_code, r.period, r.numerator, r.denominator) for r in chosen.itertuples()]


def test_conditional_counts_by_financial_quarter(records, write_catalogue):
    values = compute(write_catalogue(QUARTERLY), records).values
    assert rows(values, "done-rate") == [
        ("A", "2017/18 Q4", 1, 1), ("A", "2018/19 Q1", 1, 2), ("B", "2018/19 Q2", 0, 1), ("B", "2018/19 Q4", 1, 1),
    ]
    assert list(values.columns) == ["indicator_id", "area_code", "period", "numerator", "denominator"]


def test_null_conditions_count_as_false_and_grains_label_like_periods_module(records, write_catalogue):
    values = compute(write_catalogue(YEARLY_OLD, MONTHLY, CALENDAR), records).values
    assert rows(values, "old-done") == [("A", "2017/18", 1, 1), ("A", "2018/19", 1, 1), ("B", "2018/19", 0, 2)]
    assert rows(values, "all-month") == [
        ("A", "2018-03", 1, 1), ("A", "2018-04", 0, 1), ("A", "2018-06", 1, 2),
        ("B", "2018-07", 1, 1), ("B", "2019-01", 0, 1), ("B", "2019-03", 0, 1),
    ]
    assert rows(values, "all-year") == [("A", "2018", 2, 4), ("B", "2018", 0, 1), ("B", "2019", 1, 2)]


def test_bundle_counts_components_and_weakest_links(records, write_catalogue):
    result = compute(write_catalogue(BUNDLE), records)
    assert rows(result.values, "bundle") == [("X", "2018/19", 1, 6), ("Y", "2018/19", 1, 1)]
    assert rows(result.values, "bundle/p1") == [("X", "2018/19", 4, 6), ("Y", "2018/19", 1, 1)]
    assert rows(result.values, "bundle/p2") == [("X", "2018/19", 5, 6), ("Y", "2018/19", 1, 1)]
    assert rows(result.values, "bundle/p3") == [("X", "2018/19", 3, 6), ("Y", "2018/19", 1, 1)]
    links = result.weakest_links
    x = links[links["area_code"] == "X"].set_index("component")
    assert x["n_only_missing"].to_dict() == {"p1": 2, "p2": 0, "p3": 2}
    assert set(x["denominator"]) == {6} and set(x["numerator"]) == {1}
    assert links.loc[links["area_code"] == "Y", "n_only_missing"].tolist() == [0, 0, 0]
    assert result.catalogue["bundle/p2"].title == "Title of bundle: Process two"
    assert result.catalogue["bundle/p2"].measure == "proportion"


def test_isr_expected_from_pooled_reference_rates(records, write_catalogue):
    isr = indicator("isr", measure="ratio", table="deaths", area="area", period="when", numerator="died",
                    standardisation={"method": "isr", "strata": ["age_band"], "reference": "data"})
    isr["period"] = {"column": "when", "grain": "financial_year"}
    values = compute(write_catalogue(isr), records).values
    # reference rates: young 1/40, old 10/20; P expects 10/40 + 10/2 = 5.25, Q 30/40 + 10/2 = 5.75
    assert rows(values, "isr") == [("P", "2018/19", 5, pytest.approx(5.25)), ("Q", "2018/19", 6, pytest.approx(5.75))]


def test_isr_with_given_rates_and_dsr_with_given_standard(records, write_catalogue):
    period = {"column": "when", "grain": "financial_year"}
    isr = indicator("isr", measure="ratio", table="deaths", area="area", period=period, numerator="died",
                    standardisation={"method": "isr", "strata": ["age_band"], "reference": {"rates": [
                        {"age_band": "young", "rate": 0.1}, {"age_band": "old", "rate": 0.2}]}})
    dsr = indicator("dsr", measure="dsr", table="deaths", area="area", period=period, numerator="died",
                    standardisation={"method": "dsr", "strata": ["age_band"], "standard": [
                        {"age_band": "young", "weight": 60000}, {"age_band": "old", "weight": 40000}]})
    values = compute(write_catalogue(isr, dsr), records).values
    assert rows(values, "isr") == [("P", "2018/19", 5, pytest.approx(3.0)), ("Q", "2018/19", 6, pytest.approx(5.0))]
    # DSR P = 0.6 x 0.1 + 0.4 x 0.4 = 0.22, Q = 0.4 x 0.6 = 0.24; denominator = observed / DSR
    assert rows(values, "dsr") == [("P", "2018/19", 5, pytest.approx(5 / 0.22)), ("Q", "2018/19", 6, pytest.approx(25.0))]


def test_csv_tables_and_duckdb_file_give_the_same_counts(records, write_catalogue, tmp_path):
    catalogue = write_catalogue(QUARTERLY, BUNDLE)
    expected = compute(catalogue, records).values
    csv_folder = tmp_path / "csv"
    csv_folder.mkdir()
    database = tmp_path / "records.duckdb"
    with duckdb.connect(str(database)) as con:
        for name, build in TABLES.items():
            frame = build()
            frame.to_csv(csv_folder / f"{name}.csv", index=False)
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
    assert compute(catalogue, csv_folder).values.equals(expected)
    assert compute(catalogue, database).values.equals(expected)


def test_partitioned_parquet_folder_is_one_table(records, write_catalogue, tmp_path):
    folder = tmp_path / "partitioned"
    (folder / "visits").mkdir(parents=True)
    visits = TABLES["visits"]()
    visits.iloc[:3].to_parquet(folder / "visits" / "part-0.parquet", index=False)
    visits.iloc[3:].to_parquet(folder / "visits" / "part-1.parquet", index=False)
    values = compute(write_catalogue(QUARTERLY), folder).values
    assert rows(values, "done-rate")[1] == ("A", "2018/19 Q1", 1, 2)


def test_progress_advances_once_per_group_to_the_indicator_total(records, write_catalogue):
    calls = []
    compute(write_catalogue(QUARTERLY, YEARLY_OLD, BUNDLE), records, progress=lambda *a: calls.append(a))
    assert [(done, total) for done, total, _ in calls] == [(1, 3), (2, 3), (3, 3)]
    labels = " ".join(label for _, _, label in calls)  # groups report as they finish, in any order
    assert all(name in labels for name in ("done-rate", "old-done", "bundle"))


def test_queries_run_side_by_side_on_duckdb_and_count_as_one_at_a_time(records, write_catalogue, monkeypatch):
    from marginalgains.engine.backends import DataSource

    catalogue = write_catalogue(QUARTERLY, YEARLY_OLD, MONTHLY, CALENDAR, BUNDLE)
    side_by_side = compute(catalogue, records)
    monkeypatch.setattr(DataSource, "parallel_queries", property(lambda self: 1))
    one_at_a_time = compute(catalogue, records)
    assert side_by_side.values.equals(one_at_a_time.values)
    assert side_by_side.weakest_links.equals(one_at_a_time.weakest_links)


def test_indicators_without_record_keys_are_kept_but_not_counted(records, write_catalogue):
    plain = {"id": "ae", "title": "A&E", "polarity": "high_is_good", "measure": "proportion"}
    result = compute(write_catalogue(QUARTERLY, plain), records)
    assert set(result.values["indicator_id"]) == {"done-rate"}
    assert "ae" in result.catalogue


def test_synthetic_catalogue_reads_and_flags_every_indicator(tmp_path):
    from marginalgains.synth import generate

    generated = generate(tmp_path / "syn", 20_000, seed=3)
    catalogue = read_catalogue(generated.catalogue)
    assert len(catalogue) == 5 + 9 + 8  # five indicators, and the processes of the two bundles
    assert all(i.synthetic for i in catalogue) and all("SYNTHETIC" in i.title for i in catalogue)
    result = compute(catalogue, tmp_path / "syn")
    assert result.catalogue is catalogue
    assert set(result.values["indicator_id"]) == set(result.catalogue.indicators)


def test_threads_cap_the_duckdb_the_engine_opens_and_leave_the_counts_alone(records, write_catalogue, tmp_path,
                                                                             monkeypatch):
    from marginalgains.engine import run

    seen, opened = [], run.open_source

    def read_back(*args, **kwargs):  # the setting as the open database reports it (to a cursor, as queries run)
        source = opened(*args, **kwargs)
        with source.con.con.cursor() as cursor:
            seen.append(cursor.execute("SELECT current_setting('threads')").fetchone()[0])
        return source

    monkeypatch.setattr(run, "open_source", read_back)
    catalogue = write_catalogue(QUARTERLY, BUNDLE)
    database = tmp_path / "records.duckdb"
    with duckdb.connect(str(database)) as con:
        for name, build in TABLES.items():
            con.register("frame", build())
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        default = con.execute("SELECT current_setting('threads')").fetchone()[0]
    assert compute(catalogue, records, threads=1).values.equals(compute(catalogue, records).values)
    assert compute(catalogue, database, threads=3).values.equals(compute(catalogue, records).values)
    assert seen == [1, default, 3, default]
