"""`gains atlas --disclosure`: every file carries only protected figures; without it nothing changes."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from marginalgains.cli import app

runner = CliRunner()
CATALOGUE = ("indicators:\n"
             "  - {id: screen, title: Screened, polarity: high_is_good, measure: proportion, multiplier: 100, "
             "unit: '%', source: Test, licence: OGL}\n"
             "  - {id: review, title: Reviewed, polarity: high_is_good, measure: proportion, multiplier: 100, "
             "unit: '%', source: Test, licence: OGL}\n")


@pytest.fixture(scope="module")
def practices(tmp_path_factory):
    """800 practices x 2 indicators, many registers small (a practice-scale fixture), and one bad row."""
    folder = tmp_path_factory.mktemp("practices")
    rng = np.random.default_rng(12)
    n = 800
    rows = []
    for indicator in ("screen", "review"):
        denominator = rng.poisson(rng.gamma(1.5, 25, n)) + 1
        numerator = rng.binomial(denominator, 0.7)
        rows += [f"{indicator},P{i:04d},2023/24,{numerator[i]},{denominator[i]}" for i in range(n)]
    rows.append("screen,P9999,2023/24,-1,10")
    (folder / "values.csv").write_text("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n")
    (folder / "catalogue.yaml").write_text(CATALOGUE)
    runs = {}
    for name, extra in {"plain": [], "protected": ["--disclosure", "nhs-hes-2018"]}.items():
        out = folder / name
        result = runner.invoke(app, ["atlas", "--values", str(folder / "values.csv"), "--catalogue",
                                     str(folder / "catalogue.yaml"), "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        runs[name] = out
    return runs


def test_no_published_count_is_one_to_seven_and_hidden_counts_take_their_values(practices):
    areas = pd.read_csv(practices["protected"] / "areas.csv")
    for column in ("numerator", "denominator"):
        shown = areas[column].dropna()
        assert not shown.between(1, 7).any()
        assert (shown % 5 == 0).all()              # every sub-national count rounded to the nearest 5
    hidden = areas["numerator"].isna() | areas["denominator"].isna()
    assert hidden.sum() > 50
    assert areas.loc[hidden, ["value", "lower95", "upper95", "funnel_band"]].isna().all().all()
    plain = pd.read_csv(practices["plain"] / "areas.csv")
    truth = plain.set_index(["indicator_id", "area_code"])
    small = truth["numerator"].between(1, 7) | (truth["denominator"] - truth["numerator"]).between(1, 7)
    protected = areas.set_index(["indicator_id", "area_code"])
    assert protected.loc[small[small].index, "value"].isna().all()


def test_without_the_flag_nothing_changes(practices):
    plain = pd.read_csv(practices["plain"] / "areas.csv")
    assert plain["numerator"].between(1, 7).any()
    assert "disclosure" not in json.loads((practices["plain"] / "atlas.json").read_text())


def test_page_json_and_summary_agree_with_the_areas(practices):
    out = practices["protected"]
    provenance = json.loads((out / "atlas.json").read_text())
    cells = provenance["disclosure"]["cells"]
    assert provenance["disclosure"]["rule"] == "nhs-hes-2018" and cells["primary"] > 0 and cells["secondary"] > 0
    assert provenance["rows_read"] == provenance["rows_accepted"] + provenance["rows_rejected"] == 1601
    assert provenance["rows_rejected"] == 1
    sentence = provenance["methods"]["disclosure"]
    assert f"{cells['primary']:,} cells suppressed as small counts" in sentence
    assert sentence in (out / "index.html").read_text(encoding="utf-8")
    areas = pd.read_csv(out / "areas.csv")
    summary = pd.read_csv(out / "summary.csv").set_index("indicator_id")
    published = areas.dropna(subset=["value"]).groupby("indicator_id")["value"]
    assert np.allclose(summary["min"], published.min().reindex(summary.index))
    assert np.allclose(summary["max"], published.max().reindex(summary.index))


@pytest.mark.parametrize(("rule", "message"), [
    ("nhs-2020", "--disclosure: unknown disclosure rule 'nhs-2020'"),
    ("threshold: -1", "field 'threshold' must be at least 0, got -1"),
    ("threshold: 5\nrounding: 0", "field 'rounding' must be at least 1, got 0"),
])
def test_bad_rules_exit_2_with_the_reason(tmp_path, rule, message):
    if ":" in rule:
        path = tmp_path / "rule.yaml"
        path.write_text(f"name: local\n{rule}\n")
        rule = str(path)
    result = runner.invoke(app, ["atlas", "--out", str(tmp_path / "out"), "--disclosure", rule])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
