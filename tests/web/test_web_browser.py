"""The workspace's main journeys in a real browser (Debian chromium through Playwright) against a live
`gains serve`: sign in, upload a batch and read its report, publish it, see it in the atlas, and see that another
organisation gets it protected; write a plan with a partner, comment with a mention and see it in the partner's
feed; follow an area and see a new special-cause signal there in the feed; print pages as a board pack."""

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from served import serving
from test_web_follows import MONTHS, STEADY, xmr_limits
from test_web_plans import PLAN_YAML
from web_helpers import chromium, signed_in

from marginalgains.io.bundled import ae_provider_names
from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.values import read_values

pytestmark = pytest.mark.browser
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
    with chromium() as launched:
        yield launched


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
    names = ae_provider_names().set_index("area_code")["area_name"]  # the upload named no areas; the demo's A&E did
    assert shown == [f"{names[code]} ({code})" for code in ("RVR", "RJ7")]  # the two accepted rows, ranked (30/60 > 5/100)
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


def upload_and_publish(page, base: str, values: Path, catalogue: Path) -> None:
    page.goto("/organisations/QWE/batches")
    page.set_input_files("input[name=values]", str(values))
    page.set_input_files("input[name=catalogue]", str(catalogue))
    page.click("text=Upload and check")
    page.wait_for_url(f"{base}/batches/*")
    page.click("button:has-text('Publish')")
    page.wait_for_load_state()
    assert "Published batch of" in page.inner_text("main")


def write_plan(page, base: str, document: str) -> str:
    """Write a plan through the plans page's form; its page's address."""
    page.goto("/plans")
    page.select_option("select[name=organisation]", "RJ7")
    page.fill("textarea[name=document]", document)
    page.click("text=Create the plan")
    page.wait_for_url(re.compile(rf"{base}/plans/\d+$"))
    return page.url


def test_write_a_plan_with_a_partner_comment_with_a_mention_and_see_it_in_the_partners_feed(browser, live):
    owner, page = signed_in(browser, live, "analyst@rj7.example")
    plan_url = write_plan(page, live, PLAN_YAML)
    assert page.inner_text("h1") == "Four-hour standard at St George's" and "with NHS South West London ICB (QWE)" in page.inner_text("main")
    hostile = "<img src=x onerror=alert(1)> @analyst@qwe.example the June dip: new triage model?"
    page.fill("textarea[name=body]", hostile)
    page.click("button:text-is('Comment')")
    page.wait_for_url(f"{plan_url}#comments")
    assert page.locator("article.comment p.body").last.inner_text() == hostile
    partner, feed = signed_in(browser, live, "analyst@qwe.example")
    feed.goto("/feed")
    mention = feed.locator("li.mention a").first
    assert mention.inner_text() == f"analyst@rj7.example mentioned you on plan \u201cFour-hour standard at St George's\u201d (ae-rj7): {hostile}"
    mention.click()
    feed.wait_for_url(f"{plan_url}#comments")
    assert feed.locator("article.comment p.body").last.inner_text() == hostile  # the partner reads it, as text
    assert feed.locator("main img").count() == 0 and page.errors == [] and feed.errors == []
    owner.close()
    partner.close()


def test_follow_an_area_and_see_a_new_signal_in_the_feed(browser, live, tmp_path):
    catalogue = tmp_path / "attendance.yaml"
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8").replace("id: screening", "id: attendance")
                         .replace("Screening uptake", "Clinic attendance"), encoding="utf-8")
    steady, later = tmp_path / "steady.csv", tmp_path / "later.csv"
    header = "indicator_id,area_code,period,numerator,denominator\n"
    steady.write_text(header + "".join(f"attendance,RJ7,{m},{n * 10},1000\n" for m, n in zip(MONTHS, STEADY)))
    later.write_text(header + f"attendance,RJ7,{MONTHS[20]},900,1000\n")
    analyst, page = signed_in(browser, live, "analyst@qwe.example")
    upload_and_publish(page, live, steady, catalogue)
    viewer, feed = signed_in(browser, live, "viewer@qwe.example")
    feed.goto("/follows")
    feed.select_option("select[name=indicator_id]", "attendance")
    feed.fill("input[name=area_code]", "RJ7")
    feed.click("button:has-text('Follow')")
    feed.wait_for_url(f"{live}/follows")
    assert feed.locator("tbody tr").first.inner_text().startswith("Clinic attendance (attendance)\tRJ7")
    upload_and_publish(page, live, later, catalogue)
    feed.goto("/feed")
    mean, lpl, upl = xmr_limits(STEADY + [90.0])
    assert feed.locator("li.signal a").all_inner_texts() == [
        f"new special-cause signal (improvement) in RJ7, Clinic attendance (attendance), {MONTHS[20]}: 90.0% "
        f"(beyond limits; mean {mean:.1f}%, process limits {lpl:.1f}% to {upl:.1f}%)"]
    assert page.errors == [] and feed.errors == []
    analyst.close()
    viewer.close()


def printed_text(page) -> str:
    """The page as Chromium prints it to A4, as text."""
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pdf.pages))


def test_pages_print_as_a_board_pack_with_their_tables_and_without_navigation(browser, live):
    context, page = signed_in(browser, live, "analyst@rj7.example")
    write_plan(page, live, PLAN_YAML.replace("id: ae-rj7", "id: ae-rj7-board"))
    page.emulate_media(media="print")
    for shown in ("h1", "table"):
        assert page.locator(shown).first.is_visible()
    for hidden in ("header nav", "form", "a:has-text('Download this table (CSV)')"):
        assert not page.locator(hidden).first.is_visible(), hidden
    text = printed_text(page)
    status = page.locator("tr.scorecard td").nth(2).inner_text()
    assert "Four-hour standard at St George's" in text and status in text and "Versions" in text
    assert "Sign out" not in text and "Save as version" not in text and "Tracking chart" not in text
    page.goto("/feed")
    page.emulate_media(media="print")
    text = printed_text(page)
    assert "Your activity" in text and "Sign out" not in text and "Areas you follow" not in text

    page.goto("/atlas")
    page.wait_for_selector("#ranked .chart[data-rendered=true] svg")
    title = page.inner_text("#indicator-title")
    page.emulate_media(media="print")
    assert not page.locator("nav.controls").is_visible() and not page.locator("nav.contents").is_visible()
    assert page.locator("#ranked .print-only table").first.is_visible()  # the chart's table, on paper
    text = printed_text(page)
    assert title in text and "Find an area" not in text
    assert page.errors == []
    context.close()
