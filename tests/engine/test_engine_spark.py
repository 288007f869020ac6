"""Spark local[2] gives exactly DuckDB's counts, on hand-built records and on ~1M synthetic rows."""

from __future__ import annotations

import pytest

from marginalgains.engine import compute
from marginalgains.synth import generate
from test_engine_counts import BUNDLE, MONTHLY, QUARTERLY, YEARLY_OLD

pytestmark = pytest.mark.spark


def test_spark_hand_built_counts_equal_duckdb(spark, records, write_catalogue):
    catalogue = write_catalogue(QUARTERLY, YEARLY_OLD, MONTHLY, BUNDLE)
    on_duckdb = compute(catalogue, records)
    on_spark = compute(catalogue, records, backend="spark")
    assert on_spark.values.equals(on_duckdb.values)
    assert on_spark.weakest_links.equals(on_duckdb.weakest_links)
    assert on_spark.values.loc[on_spark.values["indicator_id"] == "bundle", "numerator"].tolist() == [1, 1]


def test_spark_equals_duckdb_on_a_million_synthetic_rows(spark, tmp_path):
    generated = generate(tmp_path / "syn", 1_000_000, seed=11)
    on_duckdb = compute(generated.catalogue, tmp_path / "syn")
    on_spark = compute(generated.catalogue, tmp_path / "syn", backend="spark")
    assert len(on_duckdb.values) > 10_000
    assert on_duckdb.values["denominator"].sum() > 1_000_000  # bundles count people once per process
    assert on_spark.values.equals(on_duckdb.values)
    assert on_spark.weakest_links.equals(on_duckdb.weakest_links)


def test_gains_atlas_on_spark_gives_duckdbs_atlas(spark, tmp_path):
    """The whole command, `gains atlas --data --backend spark`, agrees with the DuckDB run figure for figure."""
    import pandas as pd
    from typer.testing import CliRunner

    from marginalgains.cli import app

    generate(tmp_path / "syn", 30_000, seed=4)
    summaries = {}
    for backend in ("duckdb", "spark"):
        out = tmp_path / backend
        result = CliRunner().invoke(app, ["atlas", "--catalogue", str(tmp_path / "syn" / "catalogue.yaml"),
                                          "--data", str(tmp_path / "syn"), "--backend", backend, "--out", str(out)])
        assert result.exit_code == 0, result.output
        summaries[backend] = pd.read_csv(out / "summary.csv")
    pd.testing.assert_frame_equal(summaries["spark"], summaries["duckdb"])
    assert set(summaries["spark"]["indicator_id"]) >= {"syn-mi-ppci", "syn-diabetes-t2-nine", "syn-eye-screening"}
