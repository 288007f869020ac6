"""The atlas page in headless Chromium (Debian's package, driven by Playwright; no browser download)."""

import io
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from marginalgains import sources
from marginalgains.atlas import build_atlas
from marginalgains.report.files import write_atlas

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FINGERTIPS = Path(__file__).parents[1] / "io" / "fixtures"
AXE = Path(__file__).parent / "fixtures" / "axe.min.js"  # axe-core 4.14.1, MPL-2.0 (fixtures/AXE-LICENCE.md)


def build_page(inputs, out: Path) -> Path:
    atlas = build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), areas=inputs.areas,
                        weakest_links=inputs.weakest_links, comparators=inputs.comparators)
    write_atlas(atlas, out, inputs.rejections)
    return out / "index.html"


@pytest.fixture(scope="module")
def page_path(tmp_path_factory):
    return build_page(sources.bundled_ae(), tmp_path_factory.mktemp("page"))


@pytest.fixture(scope="module")
def deciles_page(tmp_path_factory):
    """A Fingertips export with deprivation deciles and England's own row (a comparator)."""
    return build_page(sources.choose(None, None, FINGERTIPS / "fingertips_deciles.csv", None),
                      tmp_path_factory.mktemp("deciles"))


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium package is needed for page tests (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, path: Path, hash_: str = "", width: int = 1400, height: int = 900, bypass_csp: bool = True):
    """The page, loaded, with every console error and every request recorded. Playwright's own probes
    (wait_for_function, add_script_tag) evaluate strings, which the page's policy refuses, so tests
    bypass it; `test_opens_without_errors_or_requests_to_other_hosts` loads the page under it."""
    page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
    page.errors, page.requests = [], []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(path.as_uri() + hash_)
    page.wait_for_function("window.atlasReady === true")
    page.wait_for_selector("#ranked .chart[data-rendered=true] svg")
    return page


@pytest.fixture
def opened(browser, page_path):
    page = open_page(browser, page_path)
    yield page
    assert page.errors == []
    page.close()


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it stands (the page must be opened with bypass_csp: its
    Content-Security-Policy rightly refuses any script it does not name)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
                          "v.id + ': ' + v.nodes.length + ' ' + v.nodes[0].target.join(' ')))")
    return found


def test_opens_without_errors_or_requests_to_other_hosts(browser, page_path):
    opened = open_page(browser, page_path, bypass_csp=False)  # under its Content-Security-Policy
    opened.wait_for_selector("#funnel .chart[data-rendered=true] svg")
    opened.wait_for_selector("#gains .chart[data-rendered=true] svg")
    assert opened.errors == []
    assert [url for url in opened.requests if not url.startswith(("file:", "data:", "blob:"))] == []
    policy = opened.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy and "http" not in policy


def test_first_view_is_the_first_indicator_with_its_sentence(opened):
    assert opened.locator("#indicator-title").inner_text() == "Type 1 A&E attendances seen within 4 hours, 2018/19"
    sentence = opened.locator("#overview .headline").inner_text()
    assert sentence.startswith("Among 137 providers, type 1 A&E attendances seen within 4 hours in 2018/19 ranged from ")
    assert "(Sheffield Children’s NHS Foundation Trust (RCU))" in sentence and "than chance explains" in sentence
    assert opened.evaluate("window.scrollY") == 0


def test_every_area_is_named_and_search_finds_leeds(opened):
    first = opened.locator("#ranked table tbody th").first.inner_text()
    assert re.fullmatch(r".+ \([A-Z0-9]{3,5}\)", first)
    opened.fill("#area-search", "Leeds")
    assert opened.locator("#search-results button").all_inner_texts() == ["Leeds Teaching Hospitals NHS Trust (RR8)"]
    assert opened.locator("#ranked .screen-only tbody tr").count() == 1
    assert "nan" not in opened.locator("body").inner_text().split() and "null" not in opened.locator("body").inner_text()


def test_choosing_from_search_shows_profile_and_xmr_and_keeps_it_across_periods(opened):
    opened.fill("#area-search", "RR8")
    opened.locator("#search-results button").first.click()
    opened.wait_for_selector("#area .xmr-chart .chart[data-rendered=true] svg")
    assert opened.evaluate("location.hash") == "#ae-4hr/2018-19/RR8"
    assert opened.locator("#area-title").inner_text() == "Chosen area: Leeds Teaching Hospitals NHS Trust (RR8)"
    assert opened.evaluate("document.activeElement.id") == "area-title"
    assert "of 36" in opened.locator("#area .pager").last.inner_text()  # 36 months, paged
    opened.select_option("#period-select", "2016/17")
    opened.wait_for_function("location.hash === '#ae-4hr/2016-17/RR8'")
    assert opened.locator("#area-title").inner_text().endswith("(RR8)")
    assert opened.locator("#ranked .screen-only tr.selected th").inner_text() == "Leeds Teaching Hospitals NHS Trust (RR8)"


def test_choosing_from_a_table_row_a_ranked_mark_and_a_funnel_point(opened):
    opened.locator("#ranked .screen-only tbody tr").nth(2).click()
    code = opened.evaluate("window.atlas.state().code")
    assert code and opened.locator("#area-title").inner_text().endswith(f"({code})")
    mark = opened.locator("#ranked svg [data-code='RXL']")
    mark.click()
    opened.wait_for_function("window.atlas.state().code === 'RXL'")
    signal = opened.evaluate("window.atlas.charts().map(c => c.view && c.view.signal('selected'))")
    assert "RXL" in signal
    opened.wait_for_selector("#funnel .chart[data-rendered=true] svg [data-code='RCU']")
    opened.locator("#funnel svg [data-code='RCU']").first.click()
    opened.wait_for_function("window.atlas.state().code === 'RCU'")


def test_expressions_compiled_to_closures_draw_what_vega_interpreter_draws(opened):
    """vega-expressions.js against vega-interpreter (vegaEmbed's own when no `expr` is given): every
    chart of the view, with an area and its peers chosen, drawn headless by each gives the same SVG."""
    opened.evaluate("window.atlas.choose('RXL')")
    opened.wait_for_function("window.atlas.state().code === 'RXL'")
    opened.evaluate("window.atlas.whenSettled().then(() => null)")
    drawn = opened.evaluate("""async () => {
      let compiled = 0;
      const counted = Object.fromEntries(Object.entries(vegaExpressions).map(([name, entry]) =>
        [name, function () { compiled++; return entry.apply(this, arguments); }]));
      const out = [];
      for (const chart of window.atlas.charts()) {
        const svgs = [];
        for (const expr of [undefined, counted]) {
          const { view } = await vegaEmbed(document.createElement("div"), chart.spec,
            { mode: "vega", actions: false, renderer: "none", ast: true, expr: expr, tooltip: false });
          view.signal("selected", chart.view.signal("selected")).signal("peers", chart.view.signal("peers"));
          if (chart.spec.data.some((d) => d.name === "marked")) view.data("marked", chart.view.data("marked"));
          await view.runAsync();
          svgs.push(await view.toSVG());
          view.finalize();
        }
        out.push([chart.name, svgs[0] === svgs[1], svgs[0].length, (svgs[0].match(/<path/g) || []).length]);
      }
      return { compiled: compiled, charts: out };
    }""")
    assert drawn["compiled"] > 100  # the closures were used, not vegaEmbed's own interpreter
    names = [name for name, *_ in drawn["charts"]]
    assert {"ranked", "funnel-plain", "funnel-adjusted", "gain"} <= set(names)
    for name, same, length, paths in drawn["charts"]:
        assert same and length > 5_000 and paths > 10, name


def test_keyboard_reaches_rows_marks_and_sorts(opened):
    row = opened.locator("#ranked .screen-only tbody tr").first
    row.focus()
    opened.keyboard.press("Enter")
    opened.wait_for_function("window.atlas.state().code !== null")
    first = opened.evaluate("window.atlas.state().code")
    assert first and opened.locator("#ranked .screen-only tbody tr.selected").count() == 1
    opened.locator("#ranked svg [data-code='RXL']").focus()
    opened.keyboard.press(" ")
    opened.wait_for_function("window.atlas.state().code === 'RXL'")
    header = opened.locator("#ranked thead th", has_text="Denominator")
    header.locator("button").focus()
    opened.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    sizes = [int(t.replace(",", "")) for t in opened.locator("#ranked .screen-only tbody tr td:nth-of-type(3)").all_inner_texts()]
    assert sizes == sorted(sizes) and len(sizes) == 25


def test_address_holds_the_view_and_back_returns(browser, page_path):
    page = open_page(browser, page_path, "#ae-admit/2017-18/RCU")
    assert page.locator("#indicator-select").input_value() == "ae-admit"
    assert page.locator("#period-select").input_value() == "2017/18"
    assert page.locator("#area-title").inner_text().endswith("(RCU)")
    page.locator("#ranked .screen-only tbody tr").first.click()
    assert page.evaluate("window.atlas.state().code") != "RCU"
    page.go_back()
    page.wait_for_function("window.atlas.state().code === 'RCU'")
    assert page.errors == []
    page.close()


@pytest.mark.parametrize("width,height", [(390, 844), (768, 1024), (1366, 768), (1920, 1080)])
def test_no_horizontal_page_scroll(browser, page_path, width, height):
    page = open_page(browser, page_path, "#ae-4hr/2018-19/RR8", width=width, height=height)
    page.wait_for_selector("#area .xmr-chart .chart[data-rendered=true] svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    chart = page.locator("#ranked .chart svg").bounding_box()
    card = page.locator("#ranked").bounding_box()
    assert chart["x"] >= card["x"] and chart["x"] + chart["width"] <= card["x"] + card["width"] + 1
    page.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_the_chosen_area_is_scrolled_to_below_the_controls_not_under_them(browser, page_path, width, height):
    page = open_page(browser, page_path, width=width, height=height)
    page.evaluate("window.atlas.choose('RR8')")
    page.wait_for_function("document.activeElement.id === 'area-title' && scrollY > 0")
    top, seen = page.evaluate("""() => { const box = document.getElementById('area-title').getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + 4, box.top + box.height / 2);
      return [box.top, Boolean(hit && hit.closest('#area-title'))]; }""")
    assert 0 <= top < height / 4 and seen


def test_on_a_phone_the_contents_are_one_line_that_opens_from_the_keyboard(browser, page_path):
    page = open_page(browser, page_path, width=390, height=844)
    contents = page.locator("nav.contents")
    assert contents.bounding_box()["height"] < 60  # collapsed: the first indicator's words are on the first screen
    assert page.locator("#indicator-title").bounding_box()["y"] < 844
    page.locator("#contents summary").focus()
    page.keyboard.press("Enter")
    assert page.locator("#contents").get_attribute("open") is not None
    assert contents.bounding_box()["height"] > 200 and page.locator("#contents-list a").first.is_visible()
    page.locator("#contents-list a").nth(1).click()  # following a link folds it away again
    assert page.locator("#contents").get_attribute("open") is None
    assert page.errors == []
    page.close()
    wide = open_page(browser, page_path, width=1366, height=768)
    assert wide.locator("#contents").get_attribute("open") is not None and wide.locator("#contents-list a").first.is_visible()
    wide.close()


def test_prints_an_a4_board_pack_without_clipped_tables(opened):
    opened.wait_for_selector("#funnel .chart[data-rendered=true] svg")
    opened.emulate_media(media="print")
    top_and_bottom = opened.locator(".print-only tbody th").all_text_contents()
    pdf = PdfReader(io.BytesIO(opened.pdf(format="A4", print_background=True)))
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in pdf.pages)))
    assert 2 <= len(pdf.pages) <= 6
    assert "Among 137 providers" in text and "Methods: Fold range" in text
    assert "Find an area" not in text and "Download PNG" not in text
    assert len(top_and_bottom) == 20
    for name in top_and_bottom:  # every row of the table whole on the paper
        assert re.sub(r"\s+", " ", name) in text


def test_axe_finds_no_violations_on_landing_and_after_choosing(browser, page_path):
    page = open_page(browser, page_path)
    page.wait_for_selector("#funnel .chart[data-rendered=true] svg")
    assert axe_violations(page) == []
    page.locator("#ranked .screen-only tbody tr").first.click()
    page.wait_for_selector("#area .xmr-chart .chart[data-rendered=true] svg")
    assert axe_violations(page) == []
    assert page.errors == []
    page.close()


STATIC_SEEN = """window.__static = [];
new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((node) => {
  if (node.nodeName === "IMG" && node.classList.contains("static-chart")) window.__static.push({ src: node.getAttribute("src"),
    alt: node.alt, inRanked: Boolean(node.closest("#ranked .chart")), liveDrawn: Boolean(node.closest(".chart").querySelector("svg")) });
}))).observe(document, { childList: true, subtree: true });"""


def _svg_texts(svg: str) -> list[str]:
    return [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text") if t.text]


@pytest.mark.parametrize("width,shown", [(1400, True), (390, False)])
def test_the_first_chart_is_shown_as_drawn_when_built_until_the_live_chart_replaces_it(browser, page_path, width, shown):
    """Under the page's policy, the first view's ranked chart drawn by vl-convert is shown as an image
    (a data: URL: no markup from the data) before the live chart, with the live chart's title, subtitle
    and one point per area, and is gone once the live chart is drawn. On a phone (a chart far narrower
    than the drawing) the page waits for the live chart."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.add_init_script(STATIC_SEEN)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_path.as_uri())
    page.wait_for_selector("#ranked .chart[data-rendered=true] svg")
    seen = page.evaluate("window.__static")
    assert page.locator("#view img").count() == 0 and errors == []
    if not shown:
        assert seen == []
        return
    (image,) = seen
    assert image["inRanked"] and not image["liveDrawn"] and image["alt"].startswith("Areas ranked, 2018/19")
    prefix = "data:image/svg+xml;charset=utf-8,"
    assert image["src"].startswith(prefix)
    drawn = unquote(image["src"][len(prefix):])
    live = page.evaluate("window.atlas.charts().find((c) => c.name === 'ranked').view.toSVG()")
    titles = {"Areas ranked, with 95% intervals", "Type 1 A&E attendances seen within 4 hours, 2018/19"}
    assert titles <= set(_svg_texts(drawn)) and titles <= set(_svg_texts(live))
    pooled = [[t for t in _svg_texts(svg) if t.startswith("Pooled")] for svg in (drawn, live)]
    assert pooled[0] == pooled[1] and len(pooled[0]) == 1
    points = [len(re.findall(r'<g class="mark-symbol role-mark[^>]*>(.*?)</g>', svg, re.S)[0].split("<path")) - 1 for svg in (drawn, live)]
    assert points == [137, 137]
    marks = page.evaluate("[performance.getEntriesByName('atlas:static-chart-drawn')[0].startTime, "
                          "performance.getEntriesByName('atlas:chart-drawn')[0].startTime]")
    assert marks[0] < marks[1]
    page.close()


def test_every_chart_has_a_title_and_its_table(opened):
    opened.wait_for_selector("#funnel .chart[data-rendered=true] svg")
    for figure in opened.locator("#view figure.chart-host").all():
        assert "table" in figure.locator("figcaption").inner_text()
        assert figure.locator(".chart svg title, .chart svg").count() >= 1
    assert opened.locator("#view table caption").count() == opened.locator("#view table").count()


def test_the_inequality_card_is_drawn(browser, deciles_page):
    """The heading the HTML source cannot hold (atlas.js draws it from the page's JSON), drawn."""
    page = open_page(browser, deciles_page)
    (view,) = json.loads((deciles_page.parent / "atlas.json").read_text())["fingertips"]["inequality"]
    card = page.locator("section.inequality")
    assert card.locator("h3").inner_text() == ("Inequality by deprivation: England, County & UA deprivation deciles in "
                                               "England (IMD2019, 4/21 geog.) (2023)")
    assert card.locator(".headline").inner_text().startswith(
        f"Slope index of inequality {view['sii']:.2f} (95% {view['sii_lower95']:.2f} to {view['sii_upper95']:.2f})")
    first = card.locator("tbody tr").first
    assert first.locator("th, td").all_inner_texts()[:3] == ["1", "Most deprived decile (IMD2019, 4/21 geog.)", "62.0%"]
    assert card.locator("tbody tr").count() == 10
    assert page.errors == []
    page.close()


def test_comparators_are_benchmark_lines_and_in_the_area_profile(browser, deciles_page):
    """England's published row (4,700,000 of 6,800,000 screened: 69.1%) is a labelled line and in the profile."""
    page = open_page(browser, deciles_page, "#91720%20(Persons%2C%2060-74%20yrs)/2023/E06000016")
    assert "England 69.1%" in page.locator("#ranked .chart svg text").all_text_contents()
    assert "Dashed lines also mark the comparators, as published: England 69.1%." in page.locator("#ranked figcaption").inner_text()
    profile = page.locator("#area .comparators").inner_text()
    assert profile.startswith("Comparators, 2023: England (Country) 69.1% (95% interval 69.1% to 69.2%)")
    assert page.errors == []
    page.close()


def test_left_out_indicators_are_listed_and_each_total_has_its_own_pareto(browser, tmp_path):
    from tests.report.test_report_html import two_years_and_one_absent

    path = build_page(two_years_and_one_absent(tmp_path), tmp_path / "atlas")
    page = open_page(browser, path)
    left_out = page.locator("#contents-list li.left-out").all_inner_texts()
    assert left_out == ["absent: no rows were accepted for it (any refused are in rejections.csv)"]
    groups = page.locator("#gains .pareto-group")
    assert groups.locator("h3").all_inner_texts() == ["2023/24, more people", "2022/23, more people"]
    totals = groups.locator(".total").all_inner_texts()
    assert totals == [f"{p}: 720 more people beyond chance in 4 area x indicator pairs." for p in ("2023/24", "2022/23")]
    assert "Period: 2022/23 · Unit: more people" in groups.nth(1).inner_text()
    assert "1,440" not in page.locator("#gains").inner_text()  # the two years are never added
    assert page.errors == []
    page.close()


def test_the_area_profile_lists_its_plans_as_text(browser, tmp_path):
    from marginalgains.plans import read_plans, track
    from tests.cli.test_cli_atlas import planned_files

    hostile = '<img src=x onerror="window.pwned=1">'
    planned_files(tmp_path, title=f"Screen more in A {hostile}")
    inputs = sources.choose(tmp_path / "values.csv", tmp_path / "catalogue.yaml", None, None)
    scorecard = track(read_plans(tmp_path / "plans.yaml")[0], inputs.values, inputs.catalogue).scorecard
    atlas = build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance())
    write_atlas(atlas, tmp_path / "atlas", inputs.rejections, scorecard)
    page = open_page(browser, tmp_path / "atlas" / "index.html", "#up/2023-24/A")
    plans = page.locator("#area .plans")
    assert plans.locator("h4").inner_text() == "Improvement plans for A"
    (card,) = scorecard.to_dict("records")
    # 2023-09: 70% against a trajectory of 66% (60% in 2022/23 to 72% by 2024-03): 4.0 points ahead
    assert plans.locator("li").inner_text() == (
        f"Screen more in A {hostile} (screen-a, Screened), 2023-09: {card['status']}; assurance: "
        f"{card['assurance'].replace('_', ' ')}; 4.0 ahead of its trajectory (%).")
    page.locator("#ranked .screen-only tbody tr[data-code=B]").click()
    page.wait_for_function("window.atlas.state().code === 'B'")
    assert page.locator("#area .plans").count() == 0  # B has no plan
    assert page.evaluate("window.pwned") is None and page.errors == []
    page.close()


@pytest.fixture(scope="module")
def many_areas_page(tmp_path_factory):
    """2,000 invented areas of one indicator: drawn as a distribution and on canvas, as practices are."""
    import numpy as np
    import pandas as pd

    from marginalgains.io.catalogue import Catalogue
    from marginalgains.io.values import check_values
    from marginalgains.model import Indicator, Measure, Polarity

    rng = np.random.default_rng(2000)
    indicator = Indicator(id="many", title="SYNTHETIC: many areas", polarity=Polarity.HIGH_IS_GOOD, measure=Measure.PROPORTION,
                          multiplier=100, unit="%", source="invented", licence="none", synthetic=True)
    catalogue = Catalogue({"many": indicator}, path="many")
    denominator = rng.integers(20, 5_000, 2_000)
    values = pd.DataFrame({"indicator_id": "many", "area_code": [f"P{n:05d}" for n in range(2_000)], "period": "2023/24",
                           "numerator": rng.binomial(denominator, rng.uniform(0.5, 0.9, 2_000)), "denominator": denominator})
    read = check_values(values, catalogue, "many areas", "test")
    atlas = build_atlas(read.values, catalogue, {"rows_read": read.rows_read})
    out = tmp_path_factory.mktemp("many")
    write_atlas(atlas, out)
    return out / "index.html", values.assign(value=100 * values["numerator"] / values["denominator"])


def test_thousands_of_areas_are_one_distribution_and_choosing_one_rescales_nothing(browser, many_areas_page):
    path, values = many_areas_page
    page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    page.goto(path.as_uri())
    page.wait_for_function("window.atlasReady === true")
    page.wait_for_selector("#funnel .chart[data-rendered=true] canvas")
    drawn = page.evaluate("window.atlas.charts()[0].view.data('areas')")
    assert len(drawn) == 668  # 2,000 areas in steps of 3 (at most 800 steps: 667, the last of 2), and the last area itself
    assert [s["rank"] for s in drawn[:2]] == [2000, 1997] and drawn[-1]["rank"] == 1
    assert drawn[0]["value"] == pytest.approx(values["value"].max(), abs=0.01)
    assert drawn[-1]["value"] == pytest.approx(values["value"].min(), abs=0.01)
    domains = "window.atlas.charts().map(c => [c.view.scale('x').domain(), c.view.scale('y').domain()])"
    before = page.evaluate(domains)
    assert before[0][1][0] <= min(s["lower95"] for s in drawn) and before[0][1][1] >= max(s["upper95"] for s in drawn)
    code = values.loc[values["value"].idxmin(), "area_code"]
    page.evaluate("code => window.atlas.choose(code)", code)
    page.wait_for_function(f"window.atlas.state().code === '{code}'")
    page.evaluate("window.atlas.whenSettled().then(() => true)")
    marked = page.evaluate("window.atlas.charts().filter(c => /^(ranked|funnel)/.test(c.name)).map(c => c.view.data('marked'))")
    assert len(marked) == 3 and all([m["code"] for m in rows if m["chosen"]] == [code] for rows in marked)
    assert page.evaluate(domains) == before
    assert page.evaluate("window.atlas.charts()[0].view.data('data_3').map(d => d.label)") == [code]  # named on the chart
    page.close()
