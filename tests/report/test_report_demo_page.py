"""The demo page (real A&E beside SYNTHETIC national data) in headless Chromium: maps, opportunity, bundles."""

import pytest

from marginalgains import sources
from marginalgains.atlas import build_atlas
from marginalgains.report.files import write_atlas

from test_report_browser import CHROMIUM_ARGS, CHROMIUM, browser  # noqa: F401  (shared browser fixture)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-page")
    inputs = sources.demo(out / "synthetic-data", scale=40_000)
    atlas = build_atlas(inputs.read.values, inputs.catalogue, inputs.full_provenance(),
                        areas=inputs.areas, weakest_links=inputs.weakest_links)
    write_atlas(atlas, out)
    return out / "index.html"


@pytest.fixture
def page(browser, demo_page):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo_page.as_uri())
    page.wait_for_function("window.atlasReady === true")
    yield page
    assert errors == []
    page.close()


def test_synthetic_indicator_has_a_map_of_every_ccg(page):
    page.select_option("#indicator-select", "syn-eye-screening")
    page.wait_for_selector("section.active .chart[data-template$='/map'][data-rendered=true] svg")
    shapes = page.locator("section.active .chart[data-template$='/map'] svg path[role='graphics-symbol']")
    assert shapes.count() == 106
    assert "SYNTHETIC" in page.locator("section.active h2").inner_text()


def test_opportunity_and_bundle_cards_render(page):
    page.select_option("#indicator-select", "syn-diabetes-t2-nine")
    page.wait_for_selector("section.active .opportunity .chart[data-rendered=true] svg")
    page.wait_for_selector("section.active .bundle .chart[data-rendered=true] svg")
    assert "best five of its ten most similar areas" in page.locator("section.active .opportunity .headline").inner_text()
    processes = page.locator("section.active .bundle table").first.locator("tbody tr")
    assert processes.count() == 10  # the bundle and its nine processes


def test_clicking_an_area_shows_its_peers_and_gap(page):
    page.select_option("#indicator-select", "syn-mi-ppci")
    page.locator("section.active tr.area-row").first.click()
    page.wait_for_selector("section.active .xmr-chart[data-rendered=true] svg")
    profile = page.locator("section.active .profile").inner_text()
    assert "against a benchmark of" in profile and "Most similar areas (peers): NHS " in profile
    assert "Other benchmarks: national (pooled)" in profile and "Its own best year: 20" in profile
    note = page.locator("section.active .xmr-note").inner_text()
    assert note.startswith("Variation: ")


def test_pareto_of_gains_renders(page):
    page.wait_for_selector("#pareto .chart[data-rendered=true] svg")
    assert page.locator("#pareto tbody tr").count() == 25
