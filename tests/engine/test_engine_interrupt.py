"""An interrupted run stops inside its aggregate queries (DuckDB's own, a given DuckDB, Spark), gives no values,
starts no later query, and leaves the connection usable; the records are views over a hundred billion rows, so a
run that was not stopped would count for hours."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import duckdb
import ibis
import pytest
from test_engine_counts import QUARTERLY, indicator

from marginalgains.engine import Interrupted, Interrupter, compute

ROWS = 100_000_000_000
ENDLESS = {  # each an engine table of ROWS visits in 100 areas over a year from April 2018
    "duckdb": f"SELECT 'A' || (i % 100) AS area, DATE '2018-04-01' + CAST(i % 365 AS INTEGER) AS day, "
              f"i % 3 = 0 AS done FROM range({ROWS}) t(i)",
    "spark": ["concat('A', id % 100) AS area", "date_add(DATE'2018-04-01', CAST(id % 365 AS INT)) AS day",
              "id % 3 = 0 AS done"],
}
COUNTED = [indicator("done-visits", table="visits", area="area", period={"column": "day", "grain": "financial_year"},
                     numerator="done"),
           indicator("done-stays", table="stays", area="area", period={"column": "day", "grain": "quarter"},
                     numerator="done")]


class Watched(Interrupter):
    """An interrupter that tells the test when `queries` of its queries are in flight at once, and keeps the
    stops they got."""

    def __init__(self, queries: int) -> None:
        super().__init__()
        self.in_flight, self.stopped, self._queries = threading.Event(), [], queries
        self._running, self._count = 0, threading.Lock()

    @contextmanager
    def query(self, stop):
        def kept():
            self.stopped.append(stop)
            stop()
        with super().query(None if stop is None else kept):  # registered: an interrupt now reaches it
            with self._count:
                self._running += 1
                if self._running == self._queries:
                    self.in_flight.set()
            try:
                yield
            finally:
                with self._count:
                    self._running -= 1


def interrupted_run(interrupter: Watched, run) -> Exception | None:
    """Run `run()` on a thread; once its queries are in flight, interrupt it as the job runner does (again every
    0.1 s until it ends: DuckDB forgets an interrupt arriving as a query starts). What it raised, if anything."""
    raised = []

    def target():
        try:
            run()
        except Exception as error:
            raised.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert interrupter.in_flight.wait(120), "the queries never started"
    for _ in range(1200):  # at most two minutes; the run, unstopped, would take hours
        interrupter.interrupt("cancelled by the test")
        thread.join(timeout=0.1)
        if not thread.is_alive():
            break
    assert not thread.is_alive(), "the run did not stop"
    return raised[0] if raised else None


@pytest.fixture
def endless_duckdb_file(tmp_path):
    path = tmp_path / "endless.duckdb"
    with duckdb.connect(str(path)) as con:
        for table in ("visits", "stays"):
            con.execute(f"CREATE VIEW {table} AS {ENDLESS['duckdb']}")
    return path


def test_our_own_duckdb_stops_every_query_in_flight_and_the_run_gives_nothing(endless_duckdb_file, write_catalogue):
    catalogue = write_catalogue(*COUNTED)
    interrupter = Watched(queries=2)  # two tables: their queries run side by side, each on its own cursor
    error = interrupted_run(interrupter, lambda: compute(catalogue, endless_duckdb_file, database_only=True,
                                                         interrupter=interrupter))
    assert isinstance(error, Interrupted) and str(error) == "the engine was interrupted: cancelled by the test"
    assert len({id(stop) for stop in interrupter.stopped}) == 2  # both queries were stopped inside DuckDB
    with pytest.raises(Interrupted, match="cancelled by the test"):  # no later query starts
        with interrupter.query(None):
            pass


def test_a_given_duckdb_backend_is_interrupted_and_stays_usable(write_catalogue):
    con = ibis.duckdb.connect()
    con.raw_sql(f"CREATE VIEW visits AS {ENDLESS['duckdb']}")
    catalogue = write_catalogue(COUNTED[0])
    interrupter = Watched(queries=1)
    error = interrupted_run(interrupter, lambda: compute(catalogue, None, backend=con, interrupter=interrupter))
    assert isinstance(error, Interrupted) and len({id(stop) for stop in interrupter.stopped}) == 1
    assert con.raw_sql("SELECT 41 + 1").fetchone() == (42,)


def test_an_interrupt_before_the_run_refuses_its_first_query(records, write_catalogue):
    interrupter = Interrupter()
    interrupter.interrupt("the server is shutting down")
    interrupter.interrupt("asked again")  # the first reason stays
    with pytest.raises(Interrupted, match=r"^the engine was interrupted: the server is shutting down$"):
        compute(write_catalogue(QUARTERLY), records, interrupter=interrupter)
    assert interrupter.reason == "the server is shutting down"


def test_a_run_never_interrupted_is_unchanged(records, write_catalogue):
    catalogue = write_catalogue(QUARTERLY)
    assert compute(catalogue, records, interrupter=Interrupter()).values.equals(compute(catalogue, records).values)


@pytest.mark.spark
def test_spark_cancels_the_tagged_jobs_and_the_session_counts_again_after(spark, records, write_catalogue):
    spark.range(ROWS).selectExpr(*ENDLESS["spark"]).createOrReplaceTempView("visits")
    catalogue = write_catalogue(COUNTED[0])
    interrupter = Watched(queries=1)
    error = interrupted_run(interrupter, lambda: compute(catalogue, None, backend=ibis.pyspark.connect(spark),
                                                         interrupter=interrupter))
    assert isinstance(error, Interrupted) and str(error) == "the engine was interrupted: cancelled by the test"
    assert interrupter.stopped  # the aggregate query was in flight and cancelled
    spark.catalog.dropTempView("visits")
    quarterly = write_catalogue(QUARTERLY, name="quarterly.yaml")
    assert compute(quarterly, records, backend="spark").values.equals(compute(quarterly, records).values)
    context = spark.sparkContext  # this thread ran the last count: its jobs' settings are as they were
    assert context.getLocalProperty("spark.job.interruptOnCancel") is None and not list(context.getJobTags())
