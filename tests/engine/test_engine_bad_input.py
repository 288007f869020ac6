"""Bad input fails early with one clear message naming the indicator and the expression."""

from __future__ import annotations

import pandas as pd
import pytest

from engine_records import indicator
from marginalgains.engine import compute
from marginalgains.errors import CatalogueError, EngineError

PERIOD = {"column": "day", "grain": "quarter"}


def fails(records, write_catalogue, error=EngineError, **definition):
    keys = {"table": "visits", "area": "area", "period": PERIOD, "numerator": "done", **definition}
    entry = indicator("bad-one", **{key: value for key, value in keys.items() if value is not None})
    with pytest.raises(error) as caught:
        compute(write_catalogue(entry), records)
    return str(caught.value)


def test_missing_table_names_indicator_and_lists_tables(records, write_catalogue):
    message = fails(records, write_catalogue, table="visitz")
    assert "'bad-one'" in message and "'visitz' not found" in message and "visits" in message


@pytest.mark.parametrize("definition, expected", [
    ({"denominator": "flag AND agee > 3"}, "indicator 'bad-one', denominator 'flag AND agee > 3': unknown column(s) agee"),
    ({"numerator": "done AND (age >"}, "indicator 'bad-one', numerator 'done AND (age >': SQL does not parse"),
    ({"numerator": "age > 'old'"}, "indicator 'bad-one', numerator \"age > 'old'\": type mismatch"),
    ({"numerator": "age + 1"}, "indicator 'bad-one', numerator 'age + 1': gives int64, not true/false"),
    ({"numerator": "my_udf(age) = 1"}, "indicator 'bad-one', numerator 'my_udf(age) = 1': unsupported SQL"),
], ids=["unknown-column", "does-not-parse", "type-mismatch", "not-a-condition", "unsupported-function"])
def test_bad_expression_names_indicator_role_and_text(records, write_catalogue, definition, expected):
    assert fails(records, write_catalogue, **definition).startswith(expected)


def test_bundle_process_error_names_the_process(records, write_catalogue):
    message = fails(records, write_catalogue, numerator=None, bundle={"p1": "done", "p2": "dun"})
    assert "indicator 'bad-one', bundle process 'p2' 'dun': unknown column(s) dun" in message


def test_missing_area_column_and_non_date_period(records, write_catalogue):
    assert "area column 'ccg' is not in table 'visits'" in fails(records, write_catalogue, area="ccg")
    message = fails(records, write_catalogue, period={"column": "age", "grain": "month"})
    assert "indicator 'bad-one': period column 'age' is int64, not a date" in message


def test_empty_table(records, write_catalogue):
    pd.DataFrame({"area": pd.Series([], dtype=str), "day": pd.Series([], dtype="datetime64[s]"),
                  "done": pd.Series([], dtype=bool)}).to_parquet(records / "nothing.parquet")
    assert "table 'nothing' is empty, so indicators bad-one cannot be counted" in fails(records, write_catalogue, table="nothing")


def test_a_query_failing_while_counting_names_its_table_and_indicators(records, write_catalogue):
    good = indicator("good", table="care", area="area", period={"column": "year_start", "grain": "financial_year"},
                     numerator="p1")
    bad = indicator("bad-cast", table="visits", area="area", period=PERIOD, numerator="CAST(area AS INTEGER) > 0")
    with pytest.raises(EngineError, match=r"^counting visits: bad-cast failed: Conversion Error"):
        compute(write_catalogue(good, bad), records)


def test_whole_catalogue_is_validated_before_any_counting(records, write_catalogue):
    good = indicator("good", table="visits", area="area", period=PERIOD, numerator="done")
    bad = indicator("late-bad", table="care", area="area", period={"column": "year_start", "grain": "quarter"}, numerator="p9")
    calls = []
    with pytest.raises(EngineError, match="indicator 'late-bad', numerator 'p9': unknown column"):
        compute(write_catalogue(good, bad), records, progress=lambda *a: calls.append(a))
    assert calls == []


def test_unknown_backend_and_missing_data(records, write_catalogue):
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=PERIOD, numerator="done"))
    with pytest.raises(EngineError, match="unknown backend 'oracle'; use one of duckdb, spark"):
        compute(catalogue, records, backend="oracle")
    with pytest.raises(EngineError, match="data '.*nowhere' not found"):
        compute(catalogue, records / "nowhere")


def test_unreachable_cluster_fails_fast_with_its_address(records, write_catalogue):
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=PERIOD, numerator="done"))
    with pytest.raises(EngineError, match=r"Spark master spark://127\.0\.0\.1:9 is unreachable"):
        compute(catalogue, records, backend="spark", spark_master="spark://127.0.0.1:9")


def test_database_url_error_hides_the_password(write_catalogue):
    catalogue = write_catalogue(indicator("x", table="visits", area="area", period=PERIOD, numerator="done"))
    with pytest.raises(EngineError) as caught:
        compute(catalogue, "postgres://analyst:s3cret@127.0.0.1:9/nhs")
    assert "postgres" in str(caught.value) and "s3cret" not in str(caught.value)


@pytest.mark.parametrize("definition, expected", [
    ({"bundle": {"a": "done", "b": "flag"}}, "give exactly one of 'numerator'"),
    ({"numerator": None, "bundle": {"a": "done"}}, "'bundle' must map at least two process names"),
    ({"period": {"column": "day", "grain": "fortnight"}}, "period grain 'fortnight' is not one of"),
    ({"measure": "ratio"}, "measure ratio needs a 'standardisation'"),
    ({"standardisation": {"method": "isr", "strata": ["age"]}}, "an ISR gives observed/expected, so its measure must be 'ratio'"),
])
def test_catalogue_shape_errors_name_the_indicator(records, write_catalogue, definition, expected):
    message = fails(records, write_catalogue, error=CatalogueError, **definition)
    assert message.startswith("indicator 'bad-one'") and expected in message
