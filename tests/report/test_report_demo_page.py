"""The demo page (real A&E beside SYNTHETIC national data) in headless Chromium: maps, opportunity,
bundles, SYNTHETIC on every chart, Pareto per honest total."""

import pytest

from marginalgains import sources

from test_report_browser import CHROMIUM_ARGS, CHROMIUM, axe_violations, browser, build_page, open_page  # noqa: F401


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-page")
    return build_page(sources.demo(out / "synthetic-data", scale=40_000), out)


@pytest.fixture
def page(browser, demo_page):  # noqa: F811
    page = open_page(browser, demo_page)
    yield page
    assert page.errors == []
    page.close()


def chart_titles(page) -> list[str]:
    """The first line of every drawn chart's own title (drawn inside the SVG, so a cropped chart keeps it)."""
    return page.evaluate("Array.from(document.querySelectorAll('#view .chart[data-rendered=true] svg')).map(svg => "
                         "(svg.querySelector('.role-title-text') || {}).textContent || '')")


def test_synthetic_indicator_has_a_map_of_every_ccg_and_says_synthetic_everywhere(page):
    page.select_option("#indicator-select", "syn-eye-screening")
    page.wait_for_selector("#map .chart[data-rendered=true] svg")
    page.wait_for_selector("#opportunity .chart[data-rendered=true] svg")
    assert page.locator("#map svg g.mark-shape > path").count() == 106
    titles = chart_titles(page)
    assert len(titles) >= 5 and all(t.startswith("SYNTHETIC data · ") for t in titles)
    captions = page.locator("#view table caption").all_text_contents()
    assert captions and all("SYNTHETIC" in c for c in captions)
    assert "SYNTHETIC" in page.locator("#indicator-title").inner_text()


def test_choosing_a_region_on_the_map(page):
    page.goto(page.url.split("#")[0] + "#syn-eye-screening")
    page.wait_for_selector("#map .chart[data-rendered=true] svg g.mark-shape > path[data-code]")
    region = page.locator("#map svg g.mark-shape > path[data-code]").nth(40)
    code = region.get_attribute("data-code")
    region.click(force=True)
    page.wait_for_function(f"window.atlas.state().code === '{code}'")
    assert page.locator("#area-title").inner_text().endswith(f"({code})")
    assert page.evaluate("window.atlas.charts().find(c => c.name === 'map').view.signal('selected')") == code


def test_opportunity_and_bundle_cards_render(page):
    page.select_option("#indicator-select", "syn-diabetes-t2-nine")
    page.wait_for_selector("#opportunity .chart[data-rendered=true] svg")
    page.wait_for_selector("#bundle .chart[data-rendered=true] svg")
    assert "best five of its ten most similar areas" in page.locator("#opportunity .headline").inner_text()
    assert page.locator("#bundle table").first.locator("tbody tr").count() == 10  # the bundle and its nine processes


def test_choosing_an_area_shows_its_peers_gap_in_whole_people_and_marks_them(page):
    page.select_option("#indicator-select", "syn-mi-ppci")
    page.locator("#ranked .screen-only tbody tr").first.click()
    page.wait_for_selector("#area .xmr-chart .chart[data-rendered=true] svg")
    profile = page.locator("#area .area-body").inner_text()
    assert "against a benchmark of" in profile and "Most similar areas (peers): NHS " in profile
    assert "Other benchmarks: national (pooled)" in profile and "Its own best year: 20" in profile
    peers = page.evaluate("window.atlas.charts()[0].view.signal('peers')")
    assert len(peers) == 10
    assert page.locator("#area .xmr-note").inner_text().startswith("Variation: ")


def test_pareto_is_per_total_never_adding_real_to_synthetic_or_people_to_events(page):
    page.wait_for_selector("#gains .chart[data-rendered=true] svg")
    groups = page.locator("#gains .pareto-group h3").all_inner_texts()
    assert groups == ["2018/19, more people", "2018/19, more people (SYNTHETIC data)", "2018/19, fewer events (SYNTHETIC data)"]
    page.locator("#gains .pareto-group").nth(2).locator(".chart[data-rendered=true] svg").wait_for()
    titles = [g.locator("svg .role-title-text").first.text_content() for g in page.locator("#gains .pareto-group").all()]
    assert titles == ["Where the gains are: pairs by more people, with the cumulative share",
                      "SYNTHETIC data · Where the gains are: pairs by more people, with the cumulative share",
                      "SYNTHETIC data · Where the gains are: pairs by fewer events, with the cumulative share"]
    assert "Gain (fewer events)" in page.locator("#gains .pareto-group").nth(2).locator("thead").inner_text()


def test_axe_finds_no_violations_on_a_synthetic_indicator(page):
    page.select_option("#indicator-select", "syn-eye-screening")
    page.wait_for_selector("#map .chart[data-rendered=true] svg")
    assert axe_violations(page) == []
