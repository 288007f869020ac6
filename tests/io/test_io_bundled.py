"""Bundled data: the A&E values and the names of their providers."""

import pandas as pd

from marginalgains.io.bundled import ae_provider_names, ae_values, data_path


def test_every_type_1_provider_has_one_name():
    names = ae_provider_names()
    _, read = ae_values()
    assert list(names.columns) == ["area_code", "area_name"]
    assert names["area_code"].is_unique and (names["area_name"].str.strip() != "").all()
    assert set(read.values["area_code"]) == set(names["area_code"])  # 140 providers, each named
    assert names.set_index("area_code").loc["RR8", "area_name"] == "Leeds Teaching Hospitals NHS Trust"


def test_names_file_is_attributed():
    licence = (data_path("LICENCE-DATA.md")).read_text(encoding="utf-8")
    assert "`ae_provider_names.csv`" in licence and "Organisation Data Service" in licence
    assert len(pd.read_csv(data_path("ae_provider_names.csv"))) == 140
