"""Hostile text in every field that reaches the page stays text: no injected script runs, the page renders."""

import json
from xml.etree import ElementTree

import pandas as pd
import pytest
import yaml

from marginalgains import sources
from marginalgains.report import html

from test_report_browser import CHROMIUM_ARGS, CHROMIUM, browser, build_page, open_page  # noqa: F401

HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<!--<script>window.__pwned=2</script>",
    "</script><script>window.__pwned=3</script>",
    '"><svg onload="window.__pwned=4">',
    "line\u2028separators\u2029 & <b>entities</b> &lt;i&gt;",
    "javascript:window.__pwned=5",
    "{{ 7*7 }} ${window.__pwned=6} `x`",
]


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory):
    """Four areas named with hostile strings, an indicator whose every word is hostile, and a bad row."""
    out = tmp_path_factory.mktemp("hostile")
    codes = [f"E0600000{i}" for i in range(1, 8)]
    rows = [{"indicator_id": "hostile", "area_code": code, "period": period, "numerator": 40 + 7 * i + j,
             "denominator": 100 + 3 * i} for i, code in enumerate(codes) for j, period in enumerate(["2017/18", "2018/19"])]
    rows.append({"indicator_id": "hostile", "area_code": codes[0], "period": "2016/17", "numerator": HOSTILE[0],
                 "denominator": 10})  # refused, its reason quoting the hostile value
    pd.DataFrame(rows).to_csv(out / "values.csv", index=False)
    pd.DataFrame({"area_code": codes, "area_name": HOSTILE}).to_csv(out / "areas.csv", index=False)
    catalogue = {"indicators": [{"id": "hostile", "title": "Title " + HOSTILE[1], "polarity": "high_is_good",
                                 "measure": "proportion", "multiplier": 100, "unit": HOSTILE[0],
                                 "source": "Source " + HOSTILE[2], "licence": "Licence " + HOSTILE[3],
                                 "tags": [HOSTILE[4], HOSTILE[6]], "synthetic": True}]}
    (out / "catalogue.yaml").write_text(yaml.safe_dump(catalogue), encoding="utf-8")
    inputs = sources.from_values_file(out / "values.csv", out / "catalogue.yaml", out / "areas.csv")
    assert inputs.read.rows_rejected == 1
    return build_page(inputs, out / "atlas")


def test_no_injected_script_runs_and_every_text_is_shown_as_text(browser, hostile_page):  # noqa: F811
    page = open_page(browser, hostile_page, bypass_csp=False)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.wait_for_selector("#funnel .chart[data-rendered=true] svg")
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert page.locator("#indicator-title").inner_text() == f"SYNTHETIC: Title {HOSTILE[1]}, 2018/19"
    shown = page.evaluate("Array.from(document.querySelectorAll('#ranked .screen-only tbody th')).map(t => t.textContent)")
    assert sorted(s.rsplit(" (", 1)[0] for s in shown) == sorted(HOSTILE)
    meta = page.locator("#overview").inner_text()
    for text in ("Source " + HOSTILE[2], "Licence " + HOSTILE[3], "{{ 7*7 }}"):
        assert text in meta
    assert page.locator("#view img, #view script, #view svg[onload], #view b").count() == 0
    mark = page.locator("#ranked svg [data-code='E06000002']")
    mark.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the scroll hides any tooltip; hover once it has settled
    mark.hover()
    page.wait_for_selector(".tooltip:not([hidden])")
    assert HOSTILE[1] in page.locator(".tooltip").text_content()
    page.fill("#area-search", "onerror")
    assert page.locator("#search-results button").all_inner_texts() == [HOSTILE[0] + " (E06000001)"]
    page.locator("#search-results button").first.click()
    page.wait_for_selector("#area-title:has-text('E06000001')")
    assert page.locator("#area-title").text_content() == f"SYNTHETIC: Chosen area: {HOSTILE[0]} (E06000001)"
    svg_text = page.locator("#funnel svg").first.text_content()
    assert "SYNTHETIC" in svg_text
    assert page.evaluate("window.__pwned") is None and dialogs == [] and page.errors == []
    page.close()


def test_the_first_chart_drawn_when_built_holds_hostile_text_as_text_and_says_synthetic(hostile_page):
    """The ranked chart vl-convert draws for the first view (shown as an image until the live chart is
    drawn) is well-formed SVG with no script, event handler, link or foreign markup, and every hostile
    word in it is the text it was."""
    page = hostile_page.read_text(encoding="utf-8")
    (block,) = [text for kind, key, text in html.PAGE_PART.findall(page) if (kind, key) == html.STATIC_PART]
    svg = ElementTree.fromstring(json.loads(block)["svg"])
    elements = list(svg.iter())
    assert not {e.tag.rsplit("}", 1)[-1] for e in elements} & {"script", "foreignObject", "a", "image", "iframe", "use"}
    assert not [name for e in elements for name in e.attrib if name.lower().startswith("on") or name.endswith("href")]
    texts = [e.text for e in elements if e.tag.endswith("}text") and e.text]
    assert f"SYNTHETIC: Title {HOSTILE[1]}, 2018/19" in texts
    assert any(t.startswith("Pooled, all areas: ") and t.endswith(HOSTILE[0]) for t in texts)
