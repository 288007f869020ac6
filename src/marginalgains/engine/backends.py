"""Where the records live: a directory of Parquet/CSV files, a DuckDB file, or a database URL.

`open_source` returns a `DataSource` whose tables are Ibis tables; files are registered as views
(scanned when a query runs, never loaded whole). DuckDB in-process is the default; Spark (local
or a cluster) reads the same files; any other Ibis backend (PostgreSQL, BigQuery, Snowflake,
Databricks ...) is reached with its connection URL.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import ibis
import ibis.expr.types as ir
import pandas as pd
import sqlglot.expressions as sge
from ibis.backends import BaseBackend

from marginalgains import memory
from marginalgains.engine.interrupt import Interrupter, Stop
from marginalgains.errors import EngineError

BACKENDS = ("duckdb", "spark")
_DUCKDB_FILES = {".duckdb", ".db", ".ddb"}
JAVA17_HOME = Path("/usr/lib/jvm/java-17-openjdk-amd64")
# Aggregate queries run at once on our own DuckDB: enough that one table's scan fills the cores
# another's last row groups leave idle (DuckDB splits a Parquet scan by row group).
DUCKDB_PARALLEL_QUERIES = 4


@dataclass
class DataSource:
    """An Ibis connection plus the record files it can register as tables on demand."""

    con: BaseBackend
    description: str
    files: dict[str, Path] = field(default_factory=dict)
    kind: str = "duckdb"
    own_duckdb: bool = False  # a DuckDB we opened: its views are shared, so queries can run side by side
    interrupter: Interrupter = field(default_factory=Interrupter)  # stops its queries from another thread

    @property
    def parallel_queries(self) -> int:
        """How many aggregate queries may run at once: several on our own DuckDB, else one."""
        return DUCKDB_PARALLEL_QUERIES if self.own_duckdb else 1

    def to_pandas(self, query: ir.Table) -> pd.DataFrame:
        """Run an aggregate query, stopped at once if the source's interrupter is told to. On our own
        DuckDB each call gets its own cursor, so calls from several threads run side by side (one DuckDB
        connection serves one call at a time) and an interrupt stops each."""
        if self.own_duckdb:
            cursor = self.con.con.cursor()
            try:
                with self.interrupter.query(cursor.interrupt):
                    return _quiet(ibis.duckdb.from_connection(cursor)).to_pandas(query)
            finally:
                cursor.close()
        with self.stoppable():
            return self.con.to_pandas(query)

    def table(self, name: str):
        """The Ibis table `name`; EngineError when it does not exist."""
        if name in self.files:
            return self._register(name, self.files.pop(name))
        try:
            return self.con.table(name)
        except Exception:
            raise EngineError(f"table {name!r} not found in {self.description}; it has {', '.join(self.table_names()) or 'no tables'}") from None

    def table_names(self) -> list[str]:
        try:
            listed = list(self.con.list_tables())
        except Exception:
            listed = []
        return sorted(set(listed) | set(self.files))

    def _register(self, name: str, path: Path):
        with self.stoppable():  # Spark reads a whole CSV file to infer its schema
            try:
                if self.own_duckdb:
                    return self._shared_view(name, path)
                if path.suffix == ".csv":
                    options = {"header": True, "inferSchema": True} if self.kind == "spark" else {}
                    return self.con.read_csv(str(path), table_name=name, **options)
                return self.con.read_parquet(_parquet_location(path, self.kind), table_name=name)
            except Exception as error:
                raise EngineError(f"table {name!r}: cannot read {path}: {_first_line(error)}") from None

    @contextmanager
    def stoppable(self) -> Iterator[None]:
        """Run what the block asks of the connection as one query of the interrupter (stopped with it)."""
        with _stop_for(self.con) as stop, self.interrupter.query(stop):
            yield

    def _shared_view(self, name: str, path: Path) -> ir.Table:
        """A view in the in-memory database, not a connection-local temporary view as Ibis's
        `read_parquet` makes, so every cursor sees it."""
        if path.suffix == ".csv":
            reader = sge.func("read_csv", sge.convert(str(path)), sge.EQ(this=sge.column("header"), expression=sge.true()))
        else:
            reader = sge.func("read_parquet", sge.convert(_parquet_location(path, self.kind)))
        view = sge.Create(this=sge.to_table(sge.to_identifier(name, quoted=True)), kind="VIEW", replace=True,
                          expression=sge.select("*").from_(reader))
        self.con.raw_sql(view.sql("duckdb"))
        return self.con.table(name)


@contextmanager
def _stop_for(con: BaseBackend) -> Iterator[Stop | None]:
    """How to stop the query this thread runs next on `con`: a DuckDB connection's interrupt, or on Spark
    the cancellation of the jobs carrying a tag this thread gives them (for as long as the block lasts);
    None for other backends."""
    if con.name == "duckdb":
        yield con.con.interrupt
    elif con.name == "pyspark":
        with _spark_tagged(con._session.sparkContext) as stop:
            yield stop
    else:
        yield None


@contextmanager
def _spark_tagged(context) -> Iterator[Stop]:
    """Tag the Spark jobs this thread starts, cancellable with their tasks interrupted; the thread's own
    interrupt setting is put back after."""
    tag, before = f"marginal-gains-{uuid.uuid4().hex}", context.getLocalProperty("spark.job.interruptOnCancel")
    context.addJobTag(tag)
    context.setInterruptOnCancel(True)
    try:
        yield lambda: context.cancelJobsWithTag(tag)
    finally:
        context.removeJobTag(tag)
        context.setLocalProperty("spark.job.interruptOnCancel", before)


def open_source(data, backend="duckdb", spark_master: str | None = None, database_only: bool = False,
                threads: int | None = None) -> DataSource:
    """Connect to `data` with `backend` ("duckdb", "spark", or an Ibis backend object).

    `threads` caps the threads of a DuckDB opened here (a folder's or a DuckDB file's); Spark, a database
    URL and a given backend keep their own.

    A DuckDB database file is opened read-only. Its views may read other files on this machine
    (`CREATE VIEW v AS SELECT * FROM read_csv('/any/file')`); with `database_only` DuckDB's
    external access is switched off for the connection and a view that reads files is refused.
    """
    if isinstance(backend, BaseBackend):
        if data is None:
            return DataSource(backend, f"{backend.name} connection", kind=backend.name)
        return _with_files(backend, data, backend.name)
    if backend not in BACKENDS:
        raise EngineError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}, or give a database URL as the data")
    text = str(data)
    if "://" in text and not text.startswith("file://"):
        return _from_url(text)
    if backend == "spark":
        return _with_files(ibis.pyspark.connect(spark_session(spark_master)), data, "spark")
    path = Path(text.removeprefix("file://"))
    if path.is_file() and path.suffix in _DUCKDB_FILES:
        return DataSource(_duckdb_file(path, database_only, threads), f"DuckDB database {path}", own_duckdb=True)
    if database_only:
        raise EngineError(f"database_only applies to a DuckDB database file; {str(data)!r} is not one")
    return _with_files(_duckdb(threads=threads), data, "duckdb", own_duckdb=True)


def _duckdb_file(path: Path, database_only: bool, threads: int | None = None) -> BaseBackend:
    """A DuckDB database file, read-only; a file that is not one is refused by name."""
    if path.stat().st_size == 0:
        raise EngineError(f"{path}: the file is empty, not a DuckDB database")
    try:
        con = _duckdb(database=str(path), read_only=True, threads=threads)
    except Exception as error:
        raise EngineError(f"{path}: not a readable DuckDB database ({_first_line(error)})") from None
    if database_only:
        con.raw_sql("SET enable_external_access = false")  # cannot be switched back on by a later statement
        _refuse_views_over_files(con, path)
    return con


def _refuse_views_over_files(con: BaseBackend, path: Path) -> None:
    """With external access off, a view reading a file cannot be described: refuse it before counting."""
    views = con.raw_sql("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    for schema, view in views:
        try:
            con.raw_sql(f'DESCRIBE "{schema}"."{view}"').fetchall()
        except Exception as error:
            raise EngineError(f"{path}: view {view!r} reads outside the database ({_first_line(error)}); "
                              "refused in database-only mode") from None


def _duckdb(threads: int | None = None, **options) -> BaseBackend:
    """An in-process DuckDB connection, held to a memory limit given for the run (it spills to disk
    beyond it; without one, DuckDB's own default: 80% of the machine's memory) and to `threads`
    threads if given (DuckDB's default: every core)."""
    con = _quiet(ibis.duckdb.connect(**options))
    if (cap := memory.given()) is not None:
        con.raw_sql(f"SET memory_limit = '{cap[0]}B'")
    if threads is not None:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


def _quiet(con: BaseBackend) -> BaseBackend:
    """Keep DuckDB's own progress bar off (ours reports); it is a per-connection setting."""
    con.raw_sql("SET enable_progress_bar = false")
    return con


def _with_files(con: BaseBackend, data, kind: str, own_duckdb: bool = False) -> DataSource:
    path = Path(str(data).removeprefix("file://"))
    if not path.exists():
        raise EngineError(f"data {str(data)!r} not found (expected a directory of Parquet/CSV files, a DuckDB file or a database URL)")
    files = record_files(path)
    if not files:
        raise EngineError(f"data {str(data)!r} holds no Parquet or CSV files")
    return DataSource(con, f"{path} ({kind})", files, kind, own_duckdb)


def record_files(path: Path) -> dict[str, Path]:
    """Tables in a data path: each `name.parquet`/`name.csv` file and each folder of Parquet files."""
    if path.is_file():
        return {path.stem: path} if path.suffix in (".parquet", ".csv") else {}
    tables = {}
    for entry in sorted(path.iterdir()):
        if entry.suffix in (".parquet", ".csv") and entry.is_file():
            tables[entry.stem] = entry
        elif entry.is_dir() and next(entry.rglob("*.parquet"), None) is not None:
            tables[entry.name] = entry
    return tables


def _parquet_location(path: Path, kind: str) -> str:
    if path.is_dir() and kind == "duckdb":
        return str(path / "**" / "*.parquet")
    return str(path)


def _from_url(url: str) -> DataSource:
    scheme = urlparse(url).scheme
    try:
        con = ibis.connect(url)
    except (ImportError, ModuleNotFoundError) as error:
        raise EngineError(f"backend {scheme!r} is not installed ({_first_line(error)}); pip install 'ibis-framework[{scheme}]'") from None
    except Exception as error:
        raise EngineError(f"cannot connect to {_redact(url)}: {_first_line(error)}") from None
    return DataSource(con, _redact(url), kind=scheme)


def spark_session(master: str | None = None):
    """A Spark session (reused if one is running), local[2] unless a master is given.

    Sets what local Spark needs: Java 17 (a newer Java fails), PYSPARK_PYTHON as this
    interpreter, and SPARK_LOCAL_IP for loopback.
    """
    prepare_spark_environment()
    master = master or os.environ.get("MARGINALGAINS_SPARK_MASTER") or "local[2]"
    _check_reachable(master)
    try:
        from pyspark.sql import SparkSession

        return (
            SparkSession.builder.master(master)
            .appName("marginal-gains")
            .config("spark.driver.memory", "2g")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
    except ImportError:
        raise EngineError("backend 'spark' needs pyspark: pip install 'marginal-gains[spark]'") from None
    except Exception as error:
        raise EngineError(f"cannot start Spark with master {master!r}: {_first_line(error)}") from None


def prepare_spark_environment() -> None:
    """Point Spark at Java 17 and this Python, unless the caller already chose Java 17."""
    if java_version(os.environ.get("JAVA_HOME")) != "17" and java_version(str(JAVA17_HOME)) == "17":
        os.environ["JAVA_HOME"] = str(JAVA17_HOME)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def java_version(home: str | None) -> str | None:
    """The major version of the Java at `home`, read from its `release` file."""
    if not home:
        return None
    release = Path(home) / "release"
    if not release.is_file():
        return None
    for line in release.read_text(errors="replace").splitlines():
        if line.startswith("JAVA_VERSION="):
            return line.split("=", 1)[1].strip('"').split(".")[0]
    return None


def _check_reachable(master: str) -> None:
    """Fail fast when a standalone master (spark://host:port) does not answer."""
    if not master.startswith("spark://"):
        return
    location = urlparse(master)
    try:
        socket.create_connection((location.hostname, location.port or 7077), timeout=5).close()
    except OSError as error:
        raise EngineError(f"Spark master {master} is unreachable: {error}") from None


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
