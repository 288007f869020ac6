"""The memory check before a table is read: sizes, what is available, and a clear refusal (exit 2)."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains import memory
from marginalgains.cli import app
from marginalgains.engine.backends import open_source
from marginalgains.errors import DataError
from marginalgains.io.tabular import read_table

runner = CliRunner()


@pytest.mark.parametrize("text, size", [("8GB", 8 * 10**9), ("512MiB", 512 * 2**20), ("1.5g", 1_500_000_000),
                                        ("100", 100), (" 2 GiB ", 2 * 2**30), ("64kB", 64_000)])
def test_sizes_are_read_in_decimal_and_binary_units(text, size):
    assert memory.parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "-1GB", "0", "5 parsecs", "", "1e9"])
def test_a_size_that_is_not_one_is_refused_naming_the_flag(text):
    with pytest.raises(DataError, match=rf"--memory-limit: {text!r} is not an amount of memory; write it as 8GB"):
        memory.parse_size(text)


def fake_system(monkeypatch, files: dict[str, str]) -> None:
    monkeypatch.setattr(memory, "_read", lambda path: files.get(path, ""))


def test_available_memory_is_the_least_of_meminfo_and_a_container_limit(monkeypatch):
    meminfo = "MemTotal:       8000000 kB\nMemFree:  100 kB\nMemAvailable:   4000000 kB\n"
    fake_system(monkeypatch, {"/proc/meminfo": meminfo})
    assert memory.available() == (4_096_000_000, "available (MemAvailable in /proc/meminfo)")
    fake_system(monkeypatch, {"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "3000000000\n",
                              "/sys/fs/cgroup/memory.current": "1000000000\n"})
    assert memory.available() == (2_000_000_000, "left under the container's limit (/sys/fs/cgroup/memory.max)")
    fake_system(monkeypatch, {"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n",
                              "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
                              "/sys/fs/cgroup/memory/memory.usage_in_bytes": "5\n"})
    assert memory.available()[0] == 4_096_000_000  # "max" and v1's huge number mean no container limit
    fake_system(monkeypatch, {})
    assert memory.available() is None


def test_a_given_limit_replaces_what_is_available_flag_before_variable(monkeypatch):
    fake_system(monkeypatch, {"/proc/meminfo": "MemAvailable: 1 kB\n"})
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "2GB")
    assert memory.limit() == (2 * 10**9, memory.LIMIT_VARIABLE)
    with memory.limited("3GB"):
        assert memory.limit() == (3 * 10**9, "--memory-limit")
    monkeypatch.delenv(memory.LIMIT_VARIABLE)
    assert memory.limit() == (1024, "available (MemAvailable in /proc/meminfo)")


def test_nothing_is_refused_where_memory_cannot_be_known(monkeypatch, tmp_path):
    fake_system(monkeypatch, {})
    memory.check_table(tmp_path / "huge.parquet", 10**12, 50)


def test_the_estimate_grows_with_cells_and_a_csv_files_size():
    assert memory.needed(1000, 5) == memory.BASE_BYTES + 1000 * 5 * memory.BYTES_PER_CELL
    assert memory.needed(2000, 5) - memory.needed(1000, 5) == 1000 * 5 * memory.BYTES_PER_CELL
    assert memory.needed(1000, 5, 40_000) - memory.needed(1000, 5) == 40_000 * memory.CSV_FILE_COPIES


def test_a_csv_files_rows_are_estimated_from_its_size_and_first_lines(tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("indicator_id,area_code,period,numerator,denominator\n" + "x,A0001,2020/21,1,10\n" * 200_000)
    rows, columns, size = memory.csv_shape(path)
    assert columns == 5 and size == path.stat().st_size
    assert rows == pytest.approx(200_000, rel=0.001)  # the header is longer than a row, so it is a little off


def test_a_table_too_big_for_the_limit_is_refused_before_reading_naming_it(tmp_path):
    path = tmp_path / "values.parquet"
    pd.DataFrame({"a": range(10_000), "b": range(10_000)}).to_parquet(path)
    need = memory.needed(10_000, 2)
    with memory.limited(str(need)):
        assert len(read_table(path)) == 10_000
    with memory.limited(str(need - 1)), pytest.raises(DataError) as refused:
        read_table(path)
    assert str(refused.value) == (
        f"{path}: about 10,000 rows x 2 columns would need about {memory.show(need)} of memory to read and analyse, "
        f"more than the {memory.show(need - 1)} --memory-limit; the table was not read. Read less (--indicators "
        "chooses indicators), free memory or use a larger machine, or set --memory-limit (MARGINALGAINS_MEMORY_LIMIT) "
        "if more can be used")


def write_inputs(tmp_path, rows: int):
    values, catalogue = tmp_path / "values.csv", tmp_path / "catalogue.yaml"
    values.write_text("indicator_id,area_code,period,numerator,denominator\n"
                      + "".join(f"screen,A{i:04d},2023/24,{300 + i % 50},{500 + i % 70}\n" for i in range(rows)))
    catalogue.write_text("indicators:\n  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, "
                         "multiplier: 100, unit: '%', source: Test, licence: OGL}\n")
    return ["atlas", "--values", str(values), "--catalogue", str(catalogue), "--out", str(tmp_path / "out")]


def test_gains_atlas_refuses_an_input_too_big_for_its_memory_limit_with_exit_2(tmp_path, monkeypatch):
    arguments = write_inputs(tmp_path, 2_000)
    refused = runner.invoke(app, [*arguments, "--memory-limit", "1MB"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "values.csv: about 2,000 rows x 5 columns would need about" in refused.output
    assert "more than the 1.0 MB --memory-limit" in refused.output and not (tmp_path / "out").exists()
    monkeypatch.setenv(memory.LIMIT_VARIABLE, "1MB")
    assert "more than the 1.0 MB MARGINALGAINS_MEMORY_LIMIT" in runner.invoke(app, arguments).output
    accepted = runner.invoke(app, [*arguments, "--memory-limit", "1GB", "--json"])
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["rows"]["rows_read"] == 2_000
    bad = runner.invoke(app, [*arguments, "--memory-limit", "plenty"])
    assert bad.exit_code == 2 and "--memory-limit: 'plenty' is not an amount of memory" in bad.output


def test_a_given_limit_caps_the_duckdb_the_engine_opens(tmp_path):
    (tmp_path / "visits.parquet").write_bytes(b"")  # a table file; its content is not read to connect
    with memory.limited("300MB"):
        con = open_source(tmp_path).con
    assert con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0] == "286.1 MiB"  # 3e8 bytes
