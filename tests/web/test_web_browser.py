"""The workspace's main journeys in a real browser (Debian chromium through Playwright) against a live
`gains serve`: sign in, upload a batch and read its report, publish it, see it in the atlas, and see that another
organisation gets it protected. (Plans, comments with mentions and the feed have no routes yet.)"""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from served import serving

from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.values import read_values
from marginalgains.web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CATALOGUE = Path(__file__).parent / "fixtures" / "catalogue.yaml"
VALUES = ("indicator_id,area_code,period,numerator,denominator\n"
          "screening,RJ7,2023/24,5,100\nscreening,RVR,2023/24,30,60\n"
          "screening,RAX,2023/24,70,60\nscreening,RJ6,2023/24,,10\n")


@pytest.fixture(scope="module")
def live(databases, demo_template, tmp_path_factory):
    """The demo workspace served over HTTP. The journeys are about pages: on SQLite only (the store is proven on
    both backends by the other tests)."""
    if databases.kind != "sqlite":
        pytest.skip("browser journeys run on SQLite only")
    url = databases.new(template=demo_template)
    with serving(url, tmp_path_factory.mktemp("browser"), app_database=databases.app_url(url)) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed for browser tests (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in(browser, base: str, email: str):
    """A fresh browser context (its own cookies) signed in through the sign-in form; console errors recorded."""
    context = browser.new_context(base_url=base)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the workspace has no icon (yet)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("response", lambda response: page.errors.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page


def test_upload_read_the_report_publish_and_see_it_protected_from_another_organisation(browser, live, tmp_path):
    values = tmp_path / "screening.csv"
    values.write_text(VALUES, encoding="utf-8")
    owner, page = signed_in(browser, live, "analyst@qwe.example")
    assert "NHS South West London ICB" in page.inner_text("main")
    page.goto("/organisations/QWE/batches")
    page.set_input_files("input[name=values]", str(values))
    page.set_input_files("input[name=catalogue]", str(CATALOGUE))
    page.click("text=Upload and check")
    page.wait_for_url(f"{live}/batches/*")
    draft_url = page.url
    report = page.inner_text("main")
    assert "Draft batch of" in report
    assert page.inner_text("p.counts") == "4 rows read = 2 accepted + 2 rejected."
    rows = [r.split("\t") for r in page.locator("table").last.locator("tbody tr").all_inner_texts()]
    expected = read_values(values, read_catalogue(CATALOGUE)).rejections  # the library's own reader, independently
    assert [tuple(r) for r in rows] == [("screening.csv", str(r.row), r.column, r.reason) for r in expected]
    page.click("button:has-text('Publish')")
    page.wait_for_load_state()
    assert page.inner_text("main").startswith(page.inner_text("h1")) and "Published batch of" in page.inner_text("main")
    assert page.locator("button:has-text('Publish')").count() == 0

    page.goto("/atlas#screening/2023-24")
    page.wait_for_selector("#ranked .chart[data-rendered=true] svg")
    shown = page.locator("#ranked .screen-only tbody tr th").all_inner_texts()
    assert page.inner_text("#indicator-title") == "Screening uptake, 2023/24"
    assert shown == ["RVR", "RJ7"]  # the two accepted rows, ranked (30/60 above 5/100); the upload named no areas
    assert page.errors == []

    partner, other = signed_in(browser, live, "analyst@qkk.example")
    view = partner.request.get("/api/atlas/screening/2023/24").json()
    # RJ7's 5 is a small count under nhs-hes-2018, and RVR's 30 would give it away from the national 35: both hidden
    assert view["disclosure"]["rule"] == "nhs-hes-2018" and "another organisation" in view["disclosure"]["reason"]
    assert [(a["numerator"], a["value"]) for a in view["areas"]] == [(None, None)] * 2 and view["n_withheld"] == 2
    assert view["summary"]["n_areas"] == 2 and view["summary"]["min"] is None  # true counts, no single area shown
    other.goto("/atlas#screening/2023-24")
    other.wait_for_function("document.querySelector('#indicator-title') !== null")
    assert "nhs-hes-2018" in other.content() and other.errors == []
    assert other.goto(draft_url).status == 404  # nor the batch itself
    owner.close()
    partner.close()
