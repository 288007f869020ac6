"""Engine fixtures: the hand-built records in a folder, catalogue writing, and one Spark session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from engine_records import TABLES
from marginalgains.engine.backends import JAVA17_HOME, java_version, prepare_spark_environment, spark_session


class _NoAliases(yaml.SafeDumper):
    """Writes shared objects out in full: catalogues refuse YAML aliases."""

    def ignore_aliases(self, data):
        return True


@pytest.fixture
def records(tmp_path) -> Path:
    """A folder with visits.parquet, care.parquet and deaths.parquet."""
    folder = tmp_path / "records"
    folder.mkdir()
    for name, build in TABLES.items():
        build().to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def write_catalogue(tmp_path):
    """Write a catalogue of the given indicator entries and return its path."""
    def write(*entries: dict, name: str = "catalogue.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.dump({"indicators": list(entries)}, Dumper=_NoAliases, sort_keys=False), encoding="utf-8")
        return path
    return write


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test session; skipped only without Java 17."""
    if java_version(str(JAVA17_HOME)) != "17" and java_version(os.environ.get("JAVA_HOME")) != "17":
        pytest.skip(f"Spark tests need Java 17; none at JAVA_HOME or {JAVA17_HOME}")
    prepare_spark_environment()
    session = spark_session("local[2]")
    yield session
    session.stop()
