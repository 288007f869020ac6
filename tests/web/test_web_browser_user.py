"""The workspace as its users meet it, in Debian's chromium against a live `gains serve` of the demo: every main
page fits a phone (390 px) and a laptop (1366 px) without scrolling sideways, has a title and one heading, logs no
console error and prints no `nan` or `None`; axe-core finds no violation on it; error pages say what to do and who
is signed in; organisation types and areas are named; plan values carry their unit; a stale plan edit is carried
onto the current version without losing either change; a refused edit keeps its text; the keyboard reaches the
content and shows where it is; the batch report says what publishing does; settings label SYNTHETIC indicators."""

import re
from pathlib import Path

import pytest
import test_web_browser
from test_web_browser import CATALOGUE, VALUES, printed_text, upload_and_publish, write_plan
from test_web_plans import PLAN, PLAN_YAML, library_tracking
from web_helpers import chromium, signed_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).parents[1] / "report" / "fixtures" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0 (its AXE-LICENCE.md)
ANALYST, ADMIN, OWNER, OUTSIDER = "analyst@qwe.example", "admin@national.example", "analyst@rj7.example", "viewer@qkk.example"
WIDTHS = [390, 1366]
live = test_web_browser.live  # the demo served on a free port, for this module too


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def world(browser, live, tmp_path_factory):
    """What the pages show: QWE's published screening batch and RJ7's plan with QWE as its partner."""
    values = tmp_path_factory.mktemp("upload") / "screening.csv"
    values.write_text(VALUES, encoding="utf-8")
    context, page = signed_in(browser, live, ANALYST)
    upload_and_publish(page, live, values, CATALOGUE)
    batch = page.url.rsplit("/", 1)[1]
    context.close()
    context, page = signed_in(browser, live, OWNER)
    plan = write_plan(page, live, PLAN_YAML).rsplit("/", 1)[1]
    context.close()
    return {"batch": batch, "plan": plan}


def main_pages(world) -> dict[str, list[str]]:
    """Each role's main pages."""
    return {ANALYST: ["/", "/atlas", "/plans", f"/plans/{world['plan']}", "/feed", "/follows", "/tokens",
                      "/organisations/QWE", "/organisations/QWE/batches", "/organisations/QWE/jobs",
                      f"/batches/{world['batch']}"],
            ADMIN: ["/workspace/settings", "/organisations/X24", "/organisations/X24/batches"]}


def opened(page, path: str):
    page.errors.clear()
    response = page.goto(path)
    if path.startswith("/atlas"):
        page.wait_for_selector("#ranked .chart[data-rendered=true] svg")
    return response


@pytest.mark.parametrize("width", WIDTHS)
def test_each_main_page_fits_the_screen_with_a_title_a_heading_and_no_error(browser, live, world, width):
    for email, paths in main_pages(world).items():
        context, page = signed_in(browser, live, email, viewport={"width": width, "height": 900})
        page.set_default_timeout(120_000)  # the first atlas of a worker is built on demand
        for path in paths:
            assert opened(page, path).status == 200, path
            shape = page.evaluate("() => ({sw: document.documentElement.scrollWidth, "
                                  "cw: document.documentElement.clientWidth, title: document.title, "
                                  "h1: document.querySelectorAll('h1').length})")
            assert shape["sw"] <= shape["cw"], f"{path} scrolls sideways at {width} px: {shape}"
            assert shape["title"].strip() and shape["h1"] == 1, (path, shape)
            words = page.inner_text("body").split()
            assert not {"nan", "NaN", "None", "undefined"} & set(words), path
            assert page.errors == [], (path, page.errors)
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_on_each_main_page(browser, live, world, width):
    """axe-core is injected as a script, so these pages are opened with their Content-Security-Policy bypassed
    (the other tests keep it, and find no violation of it)."""
    axe = AXE.read_text(encoding="utf-8")
    for email, paths in main_pages(world).items():
        context, page = signed_in(browser, live, email, viewport={"width": width, "height": 900}, bypass_csp=True)
        page.set_default_timeout(120_000)
        for path in paths:
            opened(page, path)
            page.add_script_tag(content=axe)
            found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
                                  "v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(' | ')))")
            assert found == [], (path, found)
        context.close()


def test_error_pages_say_what_to_do_and_who_is_signed_in(browser, live):
    context, page = signed_in(browser, live, ANALYST)
    assert page.goto("/no-such-page").status == 404  # the router's own 404: a page, not a bare JSON answer
    assert page.inner_text("h1") == "Not found" and "Check the address" in page.inner_text("main")
    assert page.inner_text("header .who") == "Analyst at QWE"  # still signed in, as the header says
    assert page.title() == "Not found (404): marginal-gains workspace"
    assert page.goto("/workspace/settings").status == 403
    assert page.inner_text("h1") == "Not allowed" and "Ask an admin" in page.inner_text("main")
    context.close()
    anonymous = browser.new_page(base_url=live)
    assert anonymous.goto("/plans/99999/chart").url.endswith("/sign-in")  # sign in first, then the plan
    assert anonymous.goto("/reset/not-a-link").status == 404
    assert "ask an admin for a new one" in anonymous.inner_text("main")
    assert anonymous.locator("main a[href='/sign-in']").count() == 1
    anonymous.close()


def test_organisation_types_are_named_as_people_say_them(browser, live):
    context, page = signed_in(browser, live, ANALYST)
    assert page.locator("main tbody tr td").nth(2).inner_text() == "ICB"
    page.goto("/organisations/QWE")
    assert page.locator("main p").first.inner_text() == "ICB, code QWE; part of NHS England national team."
    page.goto("/organisations/RJ7")
    assert page.locator("main p").first.inner_text().startswith("Trust, code RJ7; part of NHS South West London ICB")
    context.close()


def test_the_plan_page_gives_values_with_their_unit_names_areas_and_tells_a_partner_why_figures_are_withheld(
        browser, live, world):
    context, page = signed_in(browser, live, OWNER)
    page.goto(f"/plans/{world['plan']}")
    expected = library_tracking(PLAN).scorecard.iloc[0]
    cells = page.locator("tr.scorecard td").all_inner_texts()
    assert cells[0] == "St George's University Hospitals NHS FT (RJ7)"
    assert cells[3:6] == [f"{expected[c]:,.1f}%" for c in ("value", "trajectory", "target")]
    assert "written with NHS South West London ICB (QWE)" in page.inner_text("main")
    assert page.locator("a:has-text('Tracking chart')").count() == 1
    partner, seen = signed_in(browser, live, ANALYST)
    seen.goto(f"/plans/{world['plan']}")
    text = seen.inner_text("main")
    # the ICB is not shown the national team's trust figures in full, and is told so (not "no values")
    assert "the figures of RJ7 are published by an organisation that has not shared them with yours" in text
    assert "no values for indicator" not in text and seen.locator("a:has-text('Tracking chart')").count() == 0
    context.close()
    partner.close()


def edit_form(page, plan_id: str, change) -> None:
    page.goto(f"/plans/{plan_id}")
    page.fill("textarea[name=document]", change(page.input_value("textarea[name=document]")))


def current_plan(page, plan_id: str) -> dict:
    return page.context.request.get(f"/api/plans/{plan_id}").json()


def test_a_stale_edit_is_carried_onto_the_current_version_and_loses_no_change(browser, live):
    owner, first = signed_in(browser, live, OWNER)
    plan_id = write_plan(first, live, PLAN_YAML.replace("id: ae-rj7", "id: ae-rj7-stale")).rsplit("/", 1)[1]
    partner, second = signed_in(browser, live, ANALYST)
    edit_form(first, plan_id, lambda text: text.replace("title: Four-hour standard at St George's",
                                                        "title: Four hours at St George's"))
    edit_form(second, plan_id, lambda text: text.replace("by: 2019-03", "by: 2019-02"))  # both from version 1
    first.click("button:has-text('Save as version 2')")
    first.wait_for_url(re.compile(rf"{live}/plans/{plan_id}$"))
    second.click("button:has-text('Save as version 2')")
    second.wait_for_load_state()
    conflict = second.inner_text(".conflict")
    assert "Not saved: someone else changed this plan while you edited it." in conflict
    assert "You started from version 1; it is now at version 2, which changed title." in conflict
    assert "Your changes (by) are applied to version 2" in conflict
    draft = second.input_value("textarea[name=document]")
    assert "title: Four hours at St George's" in draft and "by: 2019-02" in draft  # theirs and mine
    second.click("button:has-text('Save as version 3')")
    second.wait_for_url(re.compile(rf"{live}/plans/{plan_id}$"))
    document = current_plan(second, plan_id)["document"]
    assert (document["title"], document["by"]) == ("Four hours at St George's", "2019-02")
    assert second.locator("main tbody tr").filter(has_text="analyst@qwe.example").first.inner_text().startswith("3")

    edit_form(first, plan_id, lambda text: text.replace("by: 2019-02", "by: 2018-12"))  # both change one field
    edit_form(second, plan_id, lambda text: text.replace("by: 2019-02", "by: 2019-01"))
    first.click("button:has-text('Save as version 4')")
    first.wait_for_url(re.compile(rf"{live}/plans/{plan_id}$"))
    second.click("button:has-text('Save as version 4')")
    second.wait_for_load_state()
    assert 'Both of you changed by: the form keeps version 4\'s; yours was "2019-01".' in second.inner_text(".conflict")
    assert "by: 2018-12" in second.input_value("textarea[name=document]")
    assert current_plan(second, plan_id)["version"] == 4
    owner.close()
    partner.close()


def test_a_refused_plan_or_comment_keeps_the_text_its_writer_typed(browser, live, world):
    context, page = signed_in(browser, live, OWNER)
    broken = PLAN_YAML.replace("target: +3pp", "target: soon")
    page.goto(f"/plans/{world['plan']}")
    page.fill("textarea[name=document]", broken)
    page.click("button:has-text('Save as version')")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Four-hour standard at St George's"  # the plan page, not an error page
    assert "target" in page.inner_text("p.message[role=alert]")
    assert page.input_value("textarea[name=document]") == broken
    page.goto("/plans")
    page.fill("textarea[name=document]", broken)
    page.click("text=Create the plan")
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Improvement plans" and page.input_value("textarea[name=document]") == broken
    page.goto(f"/plans/{world['plan']}")
    page.fill("textarea[name=body]", "@analyst@qwe.example the dip in June")
    page.fill("input[name=area_code]", "RJ7")  # a point needs its month too
    page.click("button:text-is('Comment')")
    page.wait_for_load_state()
    assert "period: a comment on a point names both its area_code and its period" in page.inner_text("main")
    assert page.input_value("textarea[name=body]") == "@analyst@qwe.example the dip in June"
    page.fill("input[name=period]", "2018-06")
    page.click("button:text-is('Comment')")
    page.wait_for_url(re.compile(r".*#comments$"))
    comment = page.locator("article.comment").last
    assert comment.locator("p.hint").inner_text() == "Told: analyst@qwe.example."  # who the mention reached
    assert "on St George's University Hospitals NHS FT (RJ7), 2018-06" in comment.inner_text()
    context.close()


def test_the_keyboard_reaches_the_content_and_shows_where_it_is(browser, live):
    context, page = signed_in(browser, live, ANALYST)
    page.goto("/plans")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert page.evaluate("document.activeElement.className") == "skip no-print" and skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate("(() => { const e = document.activeElement, s = getComputedStyle(e); "
                            "return [e.tagName, s.outlineStyle, s.outlineColor]; })()")
    assert focused == ["A", "solid", "rgb(255, 184, 28)"]  # the first link of the content, ringed in warm yellow
    context.close()


def test_the_batch_report_says_what_publishing_does_and_where_its_values_go(browser, live, tmp_path):
    values = tmp_path / "clinic.csv"
    values.write_text(VALUES.replace("screening", "clinic"), encoding="utf-8")
    catalogue = tmp_path / "clinic.yaml"
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8").replace("id: screening", "id: clinic"), encoding="utf-8")
    context, page = signed_in(browser, live, ANALYST)
    page.goto("/organisations/QWE/batches")
    page.set_input_files("input[name=values]", str(values))
    page.set_input_files("input[name=catalogue]", str(catalogue))
    page.click("text=Upload and check")
    page.wait_for_url(f"{live}/batches/*")
    text = page.inner_text("main")
    assert "Publishing puts all 2 accepted rows into the atlas at once (the rejected rows never are)" in text
    assert "Every rejected row is below, with the file, row (1 is the first row after the header)" in text
    assert page.locator("a:has-text('download them all (CSV)')").get_attribute("href").endswith("/rejections.csv")
    page.click("button:has-text('Publish')")
    page.wait_for_load_state()
    assert "Its values are in the atlas" in page.inner_text("main")
    context.close()


def test_settings_name_each_indicator_and_label_synthetic_ones(browser, live, tmp_path):
    values = tmp_path / "made-up.csv"
    values.write_text("indicator_id,area_code,period,numerator,denominator\nmade-up,RJ7,2023/24,50,100\n",
                      encoding="utf-8")
    catalogue = tmp_path / "made-up.yaml"
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8").replace("id: screening", "id: made-up\n    synthetic: true")
                         .replace("Screening uptake", "Invented uptake"), encoding="utf-8")
    context, page = signed_in(browser, live, ANALYST)
    upload_and_publish(page, live, values, catalogue)
    context.close()
    context, page = signed_in(browser, live, ADMIN)
    page.goto("/workspace/settings")
    row = page.locator("tr").filter(has_text="made-up").first.locator("td").first.inner_text()
    assert row == "SYNTHETIC Invented uptake (made-up)"
    assert page.locator("tr").filter(has_text="(ae-4hr)").first.locator("td").first.inner_text() == (
        "Type 1 A&E attendances seen within 4 hours (ae-4hr)")
    context.close()


def test_each_page_prints_its_heading_and_tables_without_navigation_or_forms(browser, live, world):
    for email, paths in main_pages(world).items():
        context, page = signed_in(browser, live, email)
        page.set_default_timeout(120_000)
        for path in [p for p in paths if not p.startswith("/atlas")]:  # the atlas's print is tests/report's
            opened(page, path)
            heading = page.inner_text("h1")
            page.emulate_media(media="print")
            assert not page.locator("header nav").is_visible() and not page.locator("a.skip").is_visible()
            assert all(not f.is_visible() for f in page.locator("form").all()), path
            text = printed_text(page)
            assert heading in text and "Sign out" not in text and "Skip to the content" not in text, path
            page.emulate_media(media="screen")
        context.close()
