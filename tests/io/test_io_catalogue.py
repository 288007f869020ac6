"""Indicator catalogues in YAML."""

import pytest

from marginalgains.errors import CatalogueError
from marginalgains.io.catalogue import read_catalogue
from marginalgains.model import Measure, Polarity


def test_defaults_and_definition_keys(write_csv):
    path = write_csv("""
source: Somewhere
licence: OGL
indicators:
  - id: x
    title: An indicator
    polarity: low_is_good
    measure: rate
    multiplier: 100000
    tags: [cardiovascular]
    table: admissions
    numerator: "stemi and ppci_in_time"
""", "cat.yaml")
    catalogue = read_catalogue(path)
    x = catalogue["x"]
    assert (x.polarity, x.measure, x.multiplier, x.source, x.licence, x.tags) == (
        Polarity.LOW_IS_GOOD, Measure.RATE, 100000.0, "Somewhere", "OGL", ("cardiovascular",))
    assert catalogue.definitions["x"] == {"table": "admissions", "numerator": "stemi and ppci_in_time"}


@pytest.mark.parametrize("body, message", [
    ("indicators: []", "lists no indicators"),
    ("- just a list", "expected a mapping with an 'indicators' list"),
    ("indicators:\n  - id: x\n    title: t\n    polarity: up\n    measure: rate", "polarity 'up' is not one of high_is_good"),
    ("indicators:\n  - id: x\n    title: t\n    polarity: low_is_good\n    measure: tally", "measure 'tally' is not one of"),
    ("indicators:\n  - id: x\n    polarity: low_is_good\n    measure: rate", "missing required key 'title'"),
    ("indicators:\n  - id: x\n    title: t\n    polarity: low_is_good\n    measure: rate\n    multiplier: 0", "multiplier must be positive"),
    ("indicators:\n  - {id: x, title: t, polarity: low_is_good, measure: rate}\n  - {id: x, title: u, polarity: low_is_good, measure: rate}", "appears twice"),
    ("indicators: [unclosed", "not valid YAML"),
])
def test_bad_catalogues_say_what_is_wrong(write_csv, body, message):
    with pytest.raises(CatalogueError, match=message):
        read_catalogue(write_csv(body, "cat.yaml"))


def test_a_bundle_adds_one_proportion_indicator_per_process(write_csv):
    catalogue = read_catalogue(write_csv("""
indicators:
  - id: nine
    title: All nine care processes
    polarity: high_is_good
    measure: proportion
    multiplier: 100
    benefit_weight: 0.05
    bundle:
      hba1c: {expression: "hba1c", title: "HbA1c"}
      bmi: "bmi"
""", "cat.yaml"))
    assert list(catalogue.indicators) == ["nine", "nine/hba1c", "nine/bmi"]
    hba1c = catalogue["nine/hba1c"]
    assert (hba1c.title, hba1c.measure, hba1c.multiplier, hba1c.benefit_weight) == (
        "All nine care processes: HbA1c", Measure.PROPORTION, 100.0, None)
    assert catalogue["nine/bmi"].title == "All nine care processes: bmi"
    assert catalogue.definitions["nine/bmi"] == {}
