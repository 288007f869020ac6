"""Every chart template is valid Vega-Lite (pages skip this check for speed; the tests do not), says
SYNTHETIC for synthetic data, and draws bands in colours a reader can tell from the white ground."""

from dataclasses import replace

import pytest

from marginalgains.io.bundled import ae_catalogue
from marginalgains.model import Polarity
from marginalgains.report import charts

TEMPLATES = [
    charts.ranked_template, charts.distribution_template, charts.funnel_template, charts.xmr_template,
    charts.gain_template, charts.components_template, lambda indicator: charts.map_template(indicator, "ccg21_code"),
]


@pytest.fixture(autouse=True)
def validate_specs(monkeypatch):
    monkeypatch.setattr(charts, "VALIDATE_SPECS", True)


@pytest.mark.parametrize("build", TEMPLATES)
def test_indicator_templates_validate_and_carry_the_selection(build):
    spec = build(ae_catalogue()["ae-4hr"])  # validated as Vega-Lite, then compiled to Vega
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega/")
    assert {"selected", "peers"} <= {s["name"] for s in spec["signals"]}
    assert "SYNTHETIC" not in spec["title"]["text"]


@pytest.mark.parametrize("build", TEMPLATES)
def test_a_synthetic_indicator_says_so_in_every_chart_title(build):
    spec = build(replace(ae_catalogue()["ae-4hr"], synthetic=True))
    assert spec["title"]["text"].startswith("SYNTHETIC data · ")


@pytest.mark.parametrize("build", [charts.distribution_template, charts.funnel_template])
def test_the_marked_areas_never_set_a_scale_so_choosing_one_redraws_only_their_layer(build):
    spec = build(ae_catalogue()["ae-4hr"])
    from_marked = {d["name"] for d in spec["data"] if d.get("source") == "marked"} | {"marked"}
    read = {f["data"] for s in spec["scales"] if isinstance(s.get("domain"), dict) for f in s["domain"].get("fields", [])}
    assert len(from_marked) > 1 and read and not read & from_marked
    # the marked layer tells the chosen area from its peers by its own field, not by the `selected` signal
    layer = [d for d in spec["data"] if d.get("source") == "marked" and "datum.chosen" in str(d.get("transform"))]
    assert layer or "datum.chosen" in str(spec["marks"])


def test_domains_without_follows_derived_data_and_keeps_the_rest():
    spec = {"data": [{"name": "areas"}, {"name": "marked"}, {"name": "d0", "source": "marked"}, {"name": "d1", "source": "d0"},
                     {"name": "d2", "source": "areas"}],
            "scales": [{"name": "x", "domain": {"fields": [{"data": "d2", "field": "v"}, {"data": "d1", "field": "v"},
                                                          {"data": "marked", "field": "v"}]}},
                       {"name": "c", "domain": ["a", "b"]}]}
    out = charts._domains_without(spec, "marked")
    assert out["scales"] == [{"name": "x", "domain": {"fields": [{"data": "d2", "field": "v"}]}}, {"name": "c", "domain": ["a", "b"]}]


def test_page_level_template_validates():
    assert {d["name"] for d in charts.pareto_template()["data"]} >= {"pairs"}


def test_each_indicator_gets_its_own_axis_title_from_a_shared_shape():
    catalogue = ae_catalogue()
    other = replace(catalogue["ae-4hr"], id="other", title="Seen \"quickly\" <fast>")
    first, second = charts.ranked_template(catalogue["ae-4hr"]), charts.ranked_template(other)
    titles = [[a.get("title") for a in spec["axes"] if a.get("title")] for spec in (first, second)]
    assert titles == [["Areas, ranked by value", "Type 1 A&E attendances seen within 4 hours (%)"],
                      ["Areas, ranked by value", 'Seen "quickly" <fast> (%)']]


def test_band_words_follow_polarity():
    catalogue = ae_catalogue()
    assert charts.band_labels(catalogue["ae-4hr"])[2] == "Better (beyond 99.8%)"
    assert charts.band_labels(catalogue["ae-admit"])[-2] == "Lower (beyond 99.8%)"


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("polarity", list(Polarity))
def test_every_band_colour_has_3_to_1_contrast_on_white_and_its_own_shape(polarity):
    indicator = replace(ae_catalogue()["ae-4hr"], polarity=polarity)
    colours = charts.band_colours(indicator)
    assert all((1.05) / (_luminance(c) + 0.05) >= 3 for c in colours)
    assert len(set(charts.BAND_SHAPES)) == len(colours)
    assert (1.05) / (_luminance("#FFFFFF") + 0.05) == pytest.approx(1)  # the formula: white on white is 1:1


def test_indicators_differing_only_in_what_the_charts_do_not_read_share_one_compiled_template():
    """Fingertips indicators differ in measure, multiplier, breakdown and family: one compile serves
    them all, and each still gets its own axis title and map legend unit."""
    import json
    from dataclasses import replace

    from marginalgains.model import Indicator, Measure, Polarity
    from marginalgains.report import charts

    falls = Indicator(id="93000 (Persons, All ages)", title="Falls", polarity=Polarity.LOW_IS_GOOD, measure=Measure.RATE,
                      multiplier=10000, unit="per 10,000", sex="Persons", age="All ages", family="93000")
    deaths = replace(falls, id="93721 (Male, <75 yrs)", title="Deaths", measure=Measure.DSR, multiplier=100000,
                     unit="per 100,000", sex="Male", age="<75 yrs", family="93721", modelled="")
    charts.map_template(falls, "code")
    before = _cache_misses(charts.map_template)
    legend = json.dumps(charts.map_template(deaths, "code"))
    assert _cache_misses(charts.map_template) == before  # no second compile
    assert "per 100,000" in legend and "per 10,000" not in legend and "@@" not in legend


def _cache_misses(template) -> int:
    """Compiles so far: the misses of the lru_cache the template closes over."""
    (cached,) = [cell.cell_contents for cell in template.__closure__ if hasattr(cell.cell_contents, "cache_info")]
    return cached.cache_info().misses
