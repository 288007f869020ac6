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


def test_a_catalogue_names_breakdowns_so_totals_add_only_the_broadest(write_csv):
    """sex, age and family (the id breakdowns share) are read, so a tidy values file's Persons indicator
    is added to totals and its Male and Female breakdowns are shown beside it, not summed."""
    from marginalgains.atlas import total_breakdowns

    entry = "{{id: {0}, title: {0}, polarity: low_is_good, measure: proportion, family: {1}, sex: {2}, age: {3}}}"
    path = write_csv("indicators:\n" + "".join(f"  - {entry.format(*row)}\n" for row in [
        ("smoking", "smoking", "Persons", "18+ yrs"), ("smoking-m", "smoking", "Male", "18+ yrs"),
        ("smoking-f", "smoking", "Female", "18+ yrs"), ("obesity", "''", "''", "''")]), "cat.yaml")
    catalogue = read_catalogue(path)
    assert (catalogue["smoking-m"].sex, catalogue["smoking-m"].age, catalogue["smoking-m"].family) == (
        "Male", "18+ yrs", "smoking")
    assert catalogue["smoking-m"].breakdown == "Male, 18+ yrs" and catalogue["obesity"].breakdown == ""
    assert total_breakdowns(list(catalogue)) == ({"smoking", "obesity"}, {"smoking-m", "smoking-f"})


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


ENTRY = "indicators:\n  - id: x\n    title: t\n    polarity: low_is_good\n    measure: rate\n"


@pytest.mark.parametrize("extra, message", [
    ("    tags: 5\n", "indicator 1 \\(x\\): 'tags' must be a list of words, got 5"),
    ("    multiplier: .nan\n", "indicator 1 \\(x\\): multiplier must be a finite number, got nan"),
    ("    multiplier: .inf\n", "indicator 1 \\(x\\): multiplier must be at most 1e\\+12, got inf"),
    ("    multiplier: 1" + "0" * 400 + "\n", "multiplier must be at most 1e\\+12, got 1000.*\\(401 characters\\)"),
    ("    multiplier: true\n", "'multiplier' must be a number, got True"),
    ("    synthetic: \"false\"\n", "'synthetic' must be true or false \\(unquoted\\), got 'false'"),
    ("    min_denominator: -1\n", "min_denominator must be zero or more, got -1"),
    ("    benefit_weight: 0\n", "benefit_weight must be positive, got 0"),
    ("    title2: t\n", "indicator 1 \\(x\\): unknown key 'title2'; did you mean 'title'\\?"),
    ("    multipler: 100\n", "unknown key 'multipler'; did you mean 'multiplier'\\?"),
    ("    colour: red\n", "unknown key 'colour'; expected some of age, area, benefit_weight"),
    ("    sex: 1\n", "indicator 1 \\(x\\): 'sex' must be text, got 1"),
])
def test_catalogue_values_are_checked_against_the_schema(write_csv, extra, message):
    with pytest.raises(CatalogueError, match=message):
        read_catalogue(write_csv(ENTRY + extra, "cat.yaml"))


def test_a_misspelt_top_level_key_suggests_the_right_one(write_csv):
    with pytest.raises(CatalogueError, match="cat.yaml: unknown key 'licnce'; did you mean 'licence'\\?"):
        read_catalogue(write_csv("licnce: OGL\n" + ENTRY, "cat.yaml"))


def test_synthetic_true_is_a_real_boolean(write_csv):
    assert read_catalogue(write_csv(ENTRY + "    synthetic: true\n", "cat.yaml"))["x"].synthetic is True
    assert read_catalogue(write_csv("synthetic: false\n" + ENTRY, "cat.yaml"))["x"].synthetic is False


def test_alias_expansion_is_refused_before_the_document_is_built(write_csv):
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20))
    with pytest.raises(CatalogueError, match=r"cat.yaml, line \d+: YAML aliases expand the catalogue to more than 200,000"):
        read_catalogue(write_csv(lol + ENTRY, "cat.yaml"))


def test_an_ordinary_alias_is_read(write_csv):
    text = ("indicators:\n  - {id: a, title: A, polarity: low_is_good, measure: rate, tags: &t [x, y]}\n"
            "  - {id: b, title: B, polarity: low_is_good, measure: rate, tags: *t}\n")
    assert read_catalogue(write_csv(text, "cat.yaml"))["b"].tags == ("x", "y")


def test_deeply_nested_yaml_is_refused(write_csv):
    with pytest.raises(CatalogueError, match="nested more than 32 deep"):
        read_catalogue(write_csv("x: " + "[" * 100 + "]" * 100 + "\n" + ENTRY, "cat.yaml"))


def test_a_catalogue_that_is_not_utf8_or_is_a_folder_is_refused(tmp_path):
    latin = tmp_path / "cat.yaml"
    latin.write_bytes((ENTRY + "    unit: \"£\"\n").encode("latin-1"))
    with pytest.raises(CatalogueError, match=r"not UTF-8 text \(byte \d+ is 0xa3\); save it as UTF-8"):
        read_catalogue(latin)
    with pytest.raises(CatalogueError, match="is a folder; give the catalogue's YAML file"):
        read_catalogue(tmp_path)
