"""Datasets shipped inside the package, turned into IndicatorValues inputs."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from marginalgains.io.catalogue import Catalogue, read_catalogue
from marginalgains.io.values import ReadResult, check_values

AE_ATTRIBUTION = (
    "NHS England A&E Attendances and Emergency Admissions statistics (April 2016 to March 2019), "
    "Open Government Licence v3.0; distributed in the NHSRdatasets R package (CC0). Provider names: NHS "
    "Organisation Data Service (ODS) reference data, Open Government Licence v3.0."
)


def data_path(name: str):
    """Path of a file bundled in marginalgains/data."""
    return resources.files("marginalgains") / "data" / name


def ae_catalogue() -> Catalogue:
    return read_catalogue(data_path("ae_catalogue.yaml"))


def ae_values() -> tuple[Catalogue, ReadResult]:
    """Monthly type 1 A&E values per provider: `ae-4hr` (seen in 4 hours) and `ae-admit` (admitted)."""
    catalogue = ae_catalogue()
    path = data_path("ae_attendances.csv")
    raw = pd.read_csv(path, dtype={"type": str})
    major = raw[raw["type"] == "1"]
    common = {"area_code": major["org_code"], "period": major["period"], "denominator": major["attendances"]}
    values = pd.concat([
        pd.DataFrame({"indicator_id": "ae-4hr", **common, "numerator": major["attendances"] - major["breaches"]}),
        pd.DataFrame({"indicator_id": "ae-admit", **common, "numerator": major["admissions"]}),
    ], ignore_index=True)
    return catalogue, check_values(values, catalogue, f"{path.name} (bundled, type 1 departments)", path.name)


def ae_provider_names() -> pd.DataFrame:
    """`area_code` and `area_name` of the 140 providers with type 1 departments (ODS names; the
    15 since merged or dissolved keep the name they had)."""
    names = pd.read_csv(data_path("ae_provider_names.csv"), dtype=str, keep_default_na=False)
    return names.rename(columns={"org_code": "area_code", "org_name": "area_name"})[["area_code", "area_name"]]
