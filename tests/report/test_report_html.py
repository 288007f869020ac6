"""The page's data: JSON that cannot close its script element, compact views, a sentence per view."""

import json
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from marginalgains import sources
from marginalgains.atlas import build_atlas
from marginalgains.report import html


@pytest.fixture(scope="module")
def ae_atlas():
    inputs = sources.bundled_ae()
    return build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), areas=inputs.areas)


@pytest.mark.parametrize("text", ["</script><script>x()</script>", "<!--<script>", "a\u2028b\u2029c", "&amp; > <"])
def test_script_json_escapes_everything_that_could_end_the_block_and_round_trips(text):
    encoded = html.script_json({"name": text, "n": float("nan")})
    assert not set("<>&\u2028\u2029") & set(encoded)
    assert json.loads(encoded) == {"name": text, "n": None}


def test_columns_round_floats_write_counts_as_integers_and_missing_as_null():
    frame = pd.DataFrame({"code": ["A", "B"], "value": [1.234567891, float("nan")], "band": pd.array([1, None], "Int8"),
                          "denominator": [120.0, float("nan")], "flag": [True, False]})
    assert html.columns(frame) == {"code": ["A", "B"], "value": [1.2346, None], "band": [1, None],
                                   "denominator": [120, None], "flag": [1, 0]}
    assert html.script_json(html.columns(frame)).count(".0") == 0


def test_columns_keep_text_infinities_and_booleans_with_missing_values():
    frame = pd.DataFrame({"name": pd.array(["a", None], "string"), "ratio": [1.5, float("inf")],
                          "whole": [2.0, float("-inf")], "flag": pd.array([True, None], "boolean")})
    assert html.columns(frame, 2) == {"name": ["a", None], "ratio": [1.5, None], "whole": [2.0, None], "flag": [1, None]}


def test_peer_table_holds_each_areas_peers_as_positions_in_the_codes():
    codes = pd.Index(["A", "B", "C", "D"])
    peers = pd.Series([["B", "C"], None, ["D", "X", "A"], []], index=codes)  # X is not on the page: left out
    table = html._peer_table(peers, codes)
    assert table == {"start": [0, 2, 2, 4, 4], "positions": [1, 2, 3, 0]}
    starts = table["start"]
    assert [[codes[p] for p in table["positions"][starts[i]:starts[i + 1]]] for i in range(4)] == [["B", "C"], [], ["D", "A"], []]


def test_every_provider_is_named_in_the_bundled_page_data(ae_atlas):
    data = html.page_data(ae_atlas)
    view = data["views"]["ae-4hr|2018/19"]
    assert len(data["codes"]) == 140 and len(view["areas"]["value"]) == 140  # aligned with the page's codes
    assert sum(v is not None for v in view["areas"]["value"]) == 137
    assert None not in data["names"] and dict(zip(data["codes"], data["names"]))["RR8"] == "Leeds Teaching Hospitals NHS Trust"
    assert data["index"]["named"] is True


def test_the_sentence_names_the_lowest_and_highest_and_counts_beyond_chance(ae_atlas):
    view = html.page_data(ae_atlas)["views"]["ae-4hr|2018/19"]
    areas = ae_atlas.areas[(ae_atlas.areas["indicator_id"] == "ae-4hr") & (ae_atlas.areas["period"] == "2018/19")]
    low, high = areas.loc[areas["value"].idxmin()], areas.loc[areas["value"].idxmax()]
    below = int((areas["funnel_band_adjusted"] == -2).sum())
    assert view["sentence"] == (
        f"Among 137 providers, type 1 A&E attendances seen within 4 hours in 2018/19 ranged from {low['value']:.1f}% "
        f"({low['area_name']} ({low['area_code']})) to {high['value']:.1f}% ({high['area_name']} ({high['area_code']})); "
        f"{below} providers were further below the pooled figure for all providers "
        f"({view['summary']['pooled']:.1f}%) than chance explains, once the normal variation between providers is allowed for.")


def test_the_sentence_ranges_over_the_areas_at_the_minimum_denominator_and_says_how_many_were_left_out(ae_atlas):
    """With a minimum denominator of 50,000 attendances the range is over the larger providers only (the
    summary's min and max), and the sentence says so, with the count of smaller providers left out."""
    from dataclasses import replace

    from marginalgains.io.catalogue import Catalogue

    indicator = replace(ae_atlas.catalogue["ae-4hr"], min_denominator=50_000)
    catalogue = Catalogue({**ae_atlas.catalogue.indicators, "ae-4hr": indicator}, ae_atlas.catalogue.definitions)
    inputs = sources.bundled_ae()
    built = build_atlas(inputs.values, catalogue, inputs.full_provenance(), areas=inputs.areas)
    view = html.page_data(built)["views"]["ae-4hr|2018/19"]
    areas = built.areas[(built.areas["indicator_id"] == "ae-4hr") & (built.areas["period"] == "2018/19")]
    large = areas[areas["denominator"] >= 50_000]
    low, high = large.loc[large["value"].idxmin()], large.loc[large["value"].idxmax()]
    assert 0 < len(large) < 137 and view["summary"]["n_below_min_denominator"] == 137 - len(large)
    assert view["sentence"].startswith(
        f"Among {len(large)} providers with a denominator of at least 50,000 ({137 - len(large)} smaller providers "
        f"left out of the spread), type 1 A&E attendances seen within 4 hours in 2018/19 ranged from "
        f"{low['value']:.1f}% ({low['area_name']} ({low['area_code']})) to {high['value']:.1f}%")


def test_pareto_totals_are_per_total(ae_atlas):
    groups = html.pareto_by_total(ae_atlas)
    assert [(g["synthetic"], g["period"], g["unit"]) for g in groups] == [(False, "2018/19", "more people")]
    counted = ae_atlas.pareto["counted_gain"]
    assert groups[0]["total"] == pytest.approx(counted[counted > 0].sum())
    assert groups[0]["drawn"]["share"][-1] == pytest.approx(1) and len(groups[0]["largest"]["rank"]) == 25


def test_each_view_and_profile_is_a_script_block_the_page_reads_back_whole(ae_atlas):
    page = html.render_page(ae_atlas)
    data = json.loads(html.script_json(html.page_data(ae_atlas)))
    assert page.count('data-part="views"') == len(data["views"]) > 1 and page.count('data-part="profiles"') == len(data["profiles"])
    assert '"views"' not in html.PAGE_DATA.search(page).group(1)
    assert html.read_page_data(page) == data


def test_the_first_views_blocks_come_before_the_scripts_and_every_other_block_after(ae_atlas):
    page = html.render_page(ae_atlas)
    scripts = page.index("<script>")
    blocks = [(kind, unescape(key), match.start()) for match in html.PAGE_PART.finditer(page) for kind, key in [match.groups()[:2]]]
    first = {(kind, key) for kind, key, at in blocks if at < scripts}
    periods = next(i for i in html.page_data(ae_atlas)["index"]["indicators"] if i["id"] == "ae-4hr")["periods"]
    assert first == {("views", f"ae-4hr|{p}") for p in periods} | {("templates", "ae-4hr"), ("templates", "_pareto"),
                                                                    ("profiles", "ae-4hr"), html.STATIC_PART}
    assert {("templates", "ae-admit"), ("views", "ae-admit|2018/19"), ("xmr", "ae-4hr")} <= {(k, key) for k, key, _ in blocks} - first
    main = json.loads(html.PAGE_DATA.search(page).group(1))
    assert main["first"] == "ae-4hr|2018/19" and html.PAGE_DATA.search(page).start() < scripts
    assert not {"views", "templates", "xmr", "profiles"} & set(main)


def test_the_page_names_its_scripts_in_its_policy_vega_in_three_parts(ae_atlas):
    page = html.render_page(ae_atlas)
    policy = unescape(page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0])
    assert policy.count("'sha256-") == len(html.VEGA_BUNDLE) + 1 == 4 and "unsafe" not in policy.split("style-src")[0]
    sizes = [len(script) for script in html.page_scripts(html.RENDERER)[:-1]]
    assert max(sizes) < 0.6 * sum(sizes)  # no one part is most of Vega
    for script in html.page_scripts(html.RENDERER):
        assert f"'sha256-{html._sha256(script)}'" in policy and f"<script>{script}</script>" in page


def _fingertips_atlas(name: str):
    inputs = sources.choose(None, None, Path(__file__).parents[1] / "io" / "fixtures" / name, None)
    return build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance(), areas=inputs.areas,
                       comparators=inputs.comparators)


def test_each_view_carries_england_and_the_regions_as_published_including_a_dsr():
    falls = html.page_data(_fingertips_atlas("fingertips_stacked_regions.csv"))["views"]["93000 (Persons, All ages)|2022/23"]
    assert [(c["name"], c["area_type"], c["value"]) for c in falls["comparators"]] == [
        ("England", "Country", 200.0), ("East Midlands region", "Regions (statistical)", 190.0),
        ("West Midlands region", "Regions (statistical)", pytest.approx(211.818182))]  # the export's Value column
    cancer = html.page_data(_fingertips_atlas("fingertips_dsr_unnamed.csv"))["views"]["40501 (Persons, <75 yrs)|2020 - 22"]
    # a published DSR keeps its published 95% limits (row 2 of the export: 120.9, 108.81 to 132.99)
    assert cancer["comparators"] == [{"code": "E92000001", "name": "England", "area_type": "Country", "value": 120.9,
                                      "lower95": 108.81, "upper95": 132.99}]


def two_years_and_one_absent(folder: Path):
    """Two indicators sized in different years (so two totals) and a third with no rows at all."""
    rows = "".join(f"{i},A{a},{p},{500 + 80 * a},1000\n" for i, p in (("screen", "2023/24"), ("jabs", "2022/23")) for a in range(6))
    (folder / "values.csv").write_text("indicator_id,area_code,period,numerator,denominator\n" + rows)
    (folder / "catalogue.yaml").write_text("indicators:\n" + "".join(
        f"  - {{id: {i}, title: {i.title()}, polarity: high_is_good, measure: proportion, multiplier: 100, unit: '%'}}\n"
        for i in ("screen", "jabs", "absent")))
    return sources.choose(folder / "values.csv", folder / "catalogue.yaml", None, None)


def test_pareto_groups_are_the_atlas_totals_never_added_across_years_and_left_out_is_listed(tmp_path):
    inputs = two_years_and_one_absent(tmp_path)
    atlas = build_atlas(inputs.values, inputs.catalogue, inputs.full_provenance())
    data = html.page_data(atlas)
    groups = data["index"]["pareto"]
    assert [(g["period"], g["unit"]) for g in groups] == [("2023/24", "more people"), ("2022/23", "more people")]
    for group, indicator in zip(groups, ["screen", "jabs"]):
        mine = atlas.pareto[atlas.pareto["indicator_id"] == indicator]["counted_gain"]
        assert group["total"] == pytest.approx(mine[mine > 0].sum()) and group["n_pairs"] == int((mine > 0).sum())
        assert set(group["largest"]["indicator"]) == {indicator}
        assert group["breakdown"] == "" and group["beside"] == []
    assert data["index"]["left_out"] == [{"id": "absent", "reason": atlas.left_out["absent"]}]
    assert atlas.left_out["absent"].startswith("no rows were accepted")


def test_the_first_chart_is_drawn_when_built_only_where_the_live_one_ranks_each_area(ae_atlas):
    data = html.page_data(ae_atlas)
    html.first_view_parts(data)
    indicator = ae_atlas.headline_indicators()[0]
    drawn = html.first_chart(data, indicator)
    assert drawn["width"] == html.STATIC_CHART_WIDTH and f'width="{html.STATIC_CHART_WIDTH}"' in drawn["svg"]
    assert f'height="{drawn["height"]}"' in drawn["svg"]
    many = html.STATIC_RANKED_LIMIT + 1  # the live chart is then a distribution: no drawing of points to show
    data["views"][data["first"]]["areas"] = {key: [1.0] * many for key in data["views"][data["first"]]["areas"]}
    assert html.first_chart(data, indicator) is None


def test_a_page_links_home_only_when_served_and_says_it_as_text(ae_atlas):
    assert 'class="home"' not in html.render_page(ae_atlas)  # the static page belongs to no site
    served = html.render_page(ae_atlas, home=("/", "<b>Home</b>"))
    assert '<p class="home"><a href="/">&larr; &lt;b&gt;Home&lt;/b&gt;</a></p>' in served
