"""The atlas page in headless Chromium (Debian's package, driven by Playwright; no browser download)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from marginalgains.atlas import build_atlas
from marginalgains.io.bundled import ae_values
from marginalgains.report.files import write_atlas

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page_path(tmp_path_factory):
    catalogue, read = ae_values()
    out = tmp_path_factory.mktemp("page")
    write_atlas(build_atlas(read.values, catalogue, {"rows_read": read.rows_read}), out)
    return out / "index.html"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed for page tests (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def opened(browser, page_path):
    """The page, loaded, with every console error and every request recorded."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_path.as_uri())
    page.wait_for_function("window.atlasReady === true")
    page.wait_for_selector("section.active .chart[data-rendered=true] svg")
    yield page, errors, requests
    page.close()


def test_opens_without_errors_or_requests_to_other_hosts(opened):
    page, errors, requests = opened
    page.wait_for_selector("section.active .chart[data-data$='funnel_adjusted'][data-rendered=true] svg")
    assert errors == []
    assert [url for url in requests if not url.startswith(("file:", "data:", "blob:"))] == []


def test_charts_render_with_marks_for_every_area(opened):
    page, _, _ = opened
    page.wait_for_selector("section.active .chart[data-data$='|funnel'][data-rendered=true] svg")
    rendered = page.locator("section.active .chart[data-rendered=true] svg")
    assert rendered.count() == 4  # ranked, funnel, adjusted funnel, opportunity
    points = page.locator("section.active .chart[data-data$='|ranked'] svg path[role='graphics-symbol']")
    assert points.count() >= 137


def test_clicking_an_area_draws_its_xmr_chart_and_table(opened):
    page, errors, _ = opened
    page.locator("section.active tr.area-row[data-area='RCU']").click()
    page.wait_for_selector("section.active .xmr-chart[data-rendered=true] svg")
    assert page.locator("section.active .xmr-title").inner_text() == "RCU (36 points)"
    assert page.locator("section.active .xmr-table tbody tr").count() == 36
    assert errors == []


def test_search_filters_and_headers_sort(opened):
    page, _, _ = opened
    section = page.locator("section.active")
    section.locator(".area-search").fill("RCU")
    assert section.locator("table.areas tbody tr:visible").count() == 1
    section.locator(".area-search").fill("")
    column = section.locator("table.areas thead th").all_inner_texts().index("Denominator")
    section.locator("table.areas thead th", has_text="Denominator").click()
    sizes = [float(row.locator("td").nth(column).get_attribute("data-sort"))
             for row in section.locator("table.areas tbody tr").all()[:20]]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_switching_indicator_and_period(opened):
    page, errors, _ = opened
    page.select_option("#indicator-select", "ae-admit")
    page.select_option("#period-select", "2016/17")
    page.wait_for_selector("section.active[data-key='ae-admit|2016/17'] .chart[data-rendered=true] svg")
    assert page.locator("section.active h2").inner_text().startswith("Type 1 A&E attendances admitted")
    assert errors == []
