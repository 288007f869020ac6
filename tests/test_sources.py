"""Choosing and combining atlas inputs."""

import pytest

from marginalgains import sources
from marginalgains.errors import DataError


@pytest.mark.parametrize("kwargs, message", [
    ({"values": "v.csv", "fingertips": "f.csv"}, "give one of --values, --fingertips or --data, not --values and --fingertips"),
    ({"values": "v.csv"}, "--values needs --catalogue"),
    ({"data": "records/"}, "--data needs --catalogue"),
    ({"catalogue": "c.yaml"}, "--catalogue needs --values"),
])
def test_command_line_combinations_that_make_no_sense(kwargs, message):
    arguments = {"values": None, "catalogue": None, "fingertips": None, "data": None} | kwargs
    with pytest.raises(DataError, match=message):
        sources.choose(**arguments)


def test_no_input_means_the_bundled_data():
    inputs = sources.choose(None, None, None, None)
    assert list(inputs.catalogue.indicators) == ["ae-4hr", "ae-admit"]
    assert inputs.provenance["area_noun"] == "providers"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return sources.demo(tmp_path_factory.mktemp("demo"), scale=30_000)


def test_demo_puts_real_and_synthetic_indicators_side_by_side(demo):
    ids = list(demo.catalogue.indicators)
    assert ids[:2] == ["ae-4hr", "ae-admit"]
    assert {"syn-mi-ppci", "syn-diabetes-t2-nine", "syn-eye-screening"} <= set(ids)
    assert all(demo.catalogue[i].synthetic for i in ids if i.startswith("syn-"))
    assert not any(demo.catalogue[i].synthetic for i in ("ae-4hr", "ae-admit"))


def test_demo_rows_add_up(demo):
    read = demo.read
    assert read.rows_read == read.rows_accepted + read.rows_rejected
    assert read.rows_read == 9864 + (demo.read.values["indicator_id"].str.startswith("syn-")).sum()
    assert "SYNTHETIC" in demo.provenance["synthetic_data"]


def test_demo_has_areas_with_covariates_and_weakest_links(demo):
    assert (demo.areas["area_type"] == "ccg").sum() == 106  # practices are listed too, under their CCG
    assert {"area_code", "area_name", "parent_code", "population", "deprivation_score"} <= set(demo.areas.columns)
    assert set(demo.weakest_links["indicator_id"]) == {"syn-diabetes-t2-nine", "syn-diabetes-t1-eight"}
