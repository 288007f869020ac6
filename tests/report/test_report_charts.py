"""Every chart template is valid Vega-Lite (pages skip this check for speed; the tests do not)."""

import pytest

from marginalgains.io.bundled import ae_catalogue
from marginalgains.report import charts


@pytest.fixture(autouse=True)
def validate_specs(monkeypatch):
    monkeypatch.setattr(charts, "VALIDATE_SPECS", True)


@pytest.mark.parametrize("build", [
    charts.ranked_template, charts.funnel_template, charts.xmr_template, charts.gain_template,
    lambda indicator: charts.map_template(indicator, "ccg21_code"),
])
def test_indicator_templates_validate(build):
    spec = build(ae_catalogue()["ae-4hr"])
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_page_level_templates_validate():
    assert charts.pareto_template()["layer"]
    assert charts.components_template()["mark"]["type"] == "bar"


def test_band_words_follow_polarity():
    catalogue = ae_catalogue()
    assert charts.band_labels(catalogue["ae-4hr"])[2] == "Better (beyond 99.8%)"
    assert charts.band_labels(catalogue["ae-admit"])[-2] == "Lower (beyond 99.8%)"
