"""plans.html and the plans files: offline, under its own CSP, data as text, charts beside tables."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from marginalgains.plans import Plan, track
from marginalgains.report.plans_page import render_plans_page, write_plans

sys.path.insert(0, str(Path(__file__).parents[1] / "plans"))
from plans_fixtures import CATALOGUE, plan, series, values  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
HOSTILE = '<img src=x onerror="window.pwned=1">'


@pytest.fixture(scope="module")
def tracked():
    data = values(series("up", "A", [59, 61] * 6 + [64, 66, 67, 68, 69, 70]), series("up", "B", [50] * 18))
    plans = [Plan.from_dict(plan(title=f"Faster {HOSTILE}", notes=HOSTILE, target=72,
                                 changes=[{"date": "2023-06", "event": f"Live {HOSTILE}", "reason": "x"}])),
             Plan.from_dict(plan(id="=HYPERLINK(\"http://x\")", title="=1+1", areas="B", target="+5pp")),
             Plan.from_dict(plan(id="bad", areas="Z"))]
    return track(plans, data, CATALOGUE)


def test_files_are_written_and_csvs_formula_safe(tracked, tmp_path):
    paths = write_plans(tracked, CATALOGUE, tmp_path, {"inputs": ["values.csv"]})
    card = pd.read_csv(paths["plans-scorecard.csv"])
    assert set(card["title"]) == {f"Faster {HOSTILE}", "'=1+1"}
    document = json.loads(paths["plans.json"].read_text())
    assert document["errors"] == [{"plan_id": "bad", "field": "areas", "reason": "no values of 'up' for area(s) Z"}]
    assert len(pd.read_csv(paths["plans.csv"])) == 36


def test_page_escapes_text_from_data(tracked):
    page = render_plans_page(tracked, CATALOGUE)
    assert HOSTILE not in page and "&lt;img src=x" in page
    assert page.index('id="scorecard"') < page.index("Plans not tracked") < page.index('class="card plan"')


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed for page tests"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_page_draws_every_chart_under_its_policy_offline(tracked, tmp_path, browser):
    path = write_plans(tracked, CATALOGUE, tmp_path)["plans.html"]
    page = browser.new_page(viewport={"width": 1300, "height": 900})  # the page's own CSP applies
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector(".chart[data-chart][data-rendered=true] svg")
    page.wait_for_function("document.querySelectorAll('.chart[data-rendered=true]').length === 2", polling=200)
    assert errors == [] and all(url.startswith("file://") for url in requests)
    assert page.evaluate("window.pwned === undefined") and page.locator("img").count() == 0
    assert "Live " in page.locator(".chart svg").first.text_content()  # the change is labelled on the chart
    page.close()


def test_scorecard_sorts_by_a_column(tracked, tmp_path, browser):
    path = write_plans(tracked, CATALOGUE, tmp_path)["plans.html"]
    page = browser.new_page(bypass_csp=True)
    page.goto(path.as_uri())
    header = page.locator("#scorecard thead th").nth(4)  # Value
    header.locator("button").click()
    first = page.locator("#scorecard tbody tr").first.locator("td").nth(4).text_content()
    header.locator("button").click()
    assert (first, page.locator("#scorecard tbody tr").first.locator("td").nth(4).text_content()) == ("50.0", "70.0")
    assert header.get_attribute("aria-sort") == "descending"
    page.close()
