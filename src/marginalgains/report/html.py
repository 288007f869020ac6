"""The self-contained HTML atlas: one page, every script, style and chart inline, no other host.

The page is data plus a renderer. `page_data` turns an Atlas into JSON: an index (indicators,
names, provenance) and one view per indicator x period (columnar, rounded), which a served page
can fetch one at a time. The renderer is `assets/atlas.js`, which builds every node with
`textContent` (data never becomes markup), over the Vega-Lite templates of `charts.py`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import lru_cache
from html import unescape
from importlib import resources

import jinja2
import numpy as np
import orjson
import pandas as pd

from marginalgains.atlas import Atlas, fold_of, spread_basis
from marginalgains.improve.plan import ImprovementTable
from marginalgains.io.bundled import data_path
from marginalgains.model import Indicator, Polarity
from marginalgains.report import charts

VEGA_BUNDLE = ("vega-bundle.1.js", "vega-bundle.2.js", "vega-bundle.3.js")  # run in turn: tools/split_vega_bundle.js
VEGA_EXPRESSIONS = "vega-expressions.js"  # Vega's expressions as closures, no eval (see the file)
RENDERER = "atlas.js"
BOUNDARIES = {"code_property": "ccg21_code", "file": "boundaries/boundaries_ccg21.geojson",
              "attribution": "Boundaries: Office for National Statistics licensed under the Open Government Licence v.3.0. "
                             "Contains OS data (c) Crown copyright and database right 2021."}
FILES = {"summary.csv": "one row per indicator and period", "areas.csv": "every area's value, limits and funnel band",
         "atlas.json": "provenance: sources, licences, methods, rows read"}
MIN_XMR_POINTS = 6  # shorter series (two or three annual values) get no SPC chart on the page
PARETO_POINTS = 1_000  # the Pareto chart draws at most this many pairs (every pair until then; then evenly spaced)
PARETO_TABLE = 25
# JSON inside <script type="application/json">: nothing in it may close the element or open a comment
# (`<`, `>`, `&`), and the line separators some parsers refuse as raw characters are escaped too.
JSON_ESCAPES = [(b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029")]


@lru_cache(maxsize=4)
def asset(name: str) -> str:
    """A script shipped in report/assets: the Vega bundle's parts (`make vendor-js`), its expression
    evaluator, or a page's renderer."""
    return (resources.files("marginalgains.report") / "assets" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def boundaries() -> dict:
    """CCG (April 2021) boundaries bundled with the package, wound as Vega's d3-geo expects."""
    collection = json.loads(data_path(BOUNDARIES["file"]).read_text(encoding="utf-8"))
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for position, ring in enumerate(polygon):
                if (_signed_area(ring) > 0) == (position == 0):  # exteriors clockwise, holes anticlockwise
                    ring.reverse()
    return collection


def _signed_area(ring: list) -> float:
    """Shoelace area of a lon/lat ring: positive when anticlockwise (the GeoJSON RFC 7946 winding)."""
    xy = np.asarray(ring, dtype=float)
    return float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]) / 2)


def _boundary_codes() -> set[str]:
    return {f["properties"][BOUNDARIES["code_property"]] for f in boundaries()["features"]}


def render_page(atlas: Atlas, plans: pd.DataFrame | None = None, home: tuple[str, str] | None = None) -> str:
    """The atlas page as one HTML string, with a Content-Security-Policy naming its scripts by hash;
    `plans` is a plans scorecard (marginalgains.plans.track) shown in each area's profile; `home`, the
    (address, name) of the site a served page belongs to, linked at its top (the workspace's). Each view,
    each indicator's templates, profile and SPC series, and the map's boundaries are a script block of
    their own (`page_parts`), parsed only when shown. The first view's blocks come before the scripts
    and the rest after them, so the HTML parser reaches the renderer, and the first chart is drawn,
    before it has read the data of every other view."""
    data = page_data(atlas, plans)
    first = first_view_parts(data)
    drawn = first_chart(data, atlas.headline_indicators()[0]) if first else None
    parts = page_parts(data) + ([(*STATIC_PART, script_json(drawn))] if drawn else [])
    first |= {STATIC_PART}
    data["boundaries"] = data["boundaries"] is not None  # the map's outlines are a part of their own
    return render_self_contained("atlas.html.j2", RENDERER, data, title="Atlas of Variation",
                                 synthetic=any(i["synthetic"] for i in data["index"]["indicators"]), home=home,
                                 first_parts=[p for p in parts if (p[0], p[1]) in first],
                                 later_parts=[p for p in parts if (p[0], p[1]) not in first])


PAGE_PARTS = ("views", "profiles", "templates", "xmr")  # page_data's entries written as one script block per key
BOUNDARIES_PART = ("boundaries", "")  # the map's outlines, one block
STATIC_PART = ("static", "ranked")  # the first view's ranked chart drawn when the page was built (`first_chart`)
PAGE_DATA = re.compile(r'<script id="atlas-data" type="application/json">(.*?)</script>', re.S)
PAGE_PART = re.compile(r'<script type="application/json" data-part="(\w+)" data-key="([^"]*)">(.*?)</script>', re.S)


def page_parts(data: dict) -> list[tuple[str, str, str]]:
    """`data`'s views, profiles, templates, SPC series and boundaries as (kind, key, JSON) blocks,
    taken out of `data` (which keeps the index, the area codes and names, peers and plans)."""
    parts = [(kind, key, script_json(value)) for kind in PAGE_PARTS for key, value in data.pop(kind).items()]
    if data["boundaries"] is not None:
        parts.append((*BOUNDARIES_PART, script_json(data["boundaries"])))
    return parts


def first_view_parts(data: dict) -> set[tuple[str, str]]:
    """The blocks the page's first view draws (the first indicator at its headline period, as the
    renderer opens it when the address names nothing): every period's view of that indicator (its
    summary table reads them all), its templates and profile, the Pareto templates, and the map's
    boundaries when the indicator has a map. `data["first"]` names the view for the renderer."""
    indicators = data["index"]["indicators"]
    if not indicators:
        return set()
    first = indicators[0]
    data["first"] = f"{first['id']}|{first['headline_period']}"
    return ({("views", f"{first['id']}|{period}") for period in first["periods"]}
            | {("templates", first["id"]), ("templates", "_pareto"), ("profiles", first["id"])}
            | ({BOUNDARIES_PART} if first["map"] else set()))


def read_page_data(page: str) -> dict:
    """A rendered atlas page's data as `page_data` made it, read back from its script blocks (for
    whatever checks what a page carries)."""
    data = json.loads(PAGE_DATA.search(page).group(1))
    data.pop("first", None)
    for kind in PAGE_PARTS:
        data[kind] = {}
    boundaries = None
    for kind, key, text in PAGE_PART.findall(page):
        if (kind, key) == BOUNDARIES_PART:
            boundaries = json.loads(text)
        elif (kind, key) == STATIC_PART:
            continue  # drawn from the data, not part of it
        else:
            data[kind][unescape(key)] = json.loads(text)
    data["boundaries"] = boundaries
    return data


def render_self_contained(template_name: str, renderer: str, data: dict, **context) -> str:
    """A page template rendered (autoescaped) with the Vega bundle's scripts and `renderer` inline, named
    by hash in its Content-Security-Policy (`script_hashes`), and `data` as JSON safe in a script block."""
    scripts = page_scripts(renderer)
    template = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("marginalgains.report") / "templates")),
        autoescape=True).get_template(template_name)
    return template.render(**context, script_hashes=" ".join(f"'sha256-{_sha256(s)}'" for s in scripts),
                           vega_scripts=scripts[:-1], renderer_script=scripts[-1], page_json=script_json(data))


def page_scripts(renderer: str) -> list[str]:
    """A page's inline scripts: Vega in three parts (the HTML parser runs each in a task of its own: one
    script of 900 KB was the page's longest task), its expression evaluator, then the page's renderer."""
    *parts, last = [asset(name) for name in VEGA_BUNDLE]
    return [*parts, last + "\n" + asset(VEGA_EXPRESSIONS), asset(renderer)]


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def script_json(data: dict) -> str:
    """`data` as JSON safe inside a <script type="application/json"> block (NaN and infinities as null)."""
    encoded = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=_json_default)
    for raw, escaped in JSON_ESCAPES:  # on the UTF-8 bytes: one C pass each (str.translate is 50x slower at 14 MB)
        encoded = encoded.replace(raw, escaped)
    return encoded.decode("utf-8")


def _json_default(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def page_data(atlas: Atlas, plans: pd.DataFrame | None = None) -> dict:
    """Everything the page draws: an index, one view per indicator x period, templates and shared tables,
    and (given a plans scorecard) each area's improvement plans.

    Every per-area column of every view and profile is aligned with one list of area `codes` (null
    where an area has no value), so no view repeats the codes: compact at 6,500 practices.
    """
    indicators = atlas.headline_indicators()
    names = {code: name for code, name in atlas.area_names().items() if isinstance(name, str) and name.strip()}
    noun = atlas.provenance.get("area_noun", "areas")
    mapped = _boundary_codes()
    shown = atlas.areas[atlas.areas["indicator_id"].isin([i.id for i in indicators])]
    codes = pd.Index(sorted(shown["area_code"].astype(str).unique()), dtype=object)
    shown = shown.assign(position=codes.get_indexer(shown["area_code"].astype(str).to_numpy(dtype=object)))
    by_indicator = dict(list(shown.groupby("indicator_id", sort=False, observed=True)))
    data = {"index": _index(atlas, indicators, names), "views": {}, "templates": {}, "profiles": {}, "peers": [],
            "xmr": _xmr_series(atlas.spc, [i.id for i in indicators]), "codes": codes.tolist(),
            "names": [names.get(code) for code in codes], "boundaries": None}
    for indicator in indicators:
        entry = next(e for e in data["index"]["indicators"] if e["id"] == indicator.id)
        rows = by_indicator.get(indicator.id, shown.iloc[:0])
        entry["map"] = bool(rows["area_code"].isin(mapped).mean() >= 0.5)
        data["templates"][indicator.id] = _templates(indicator, entry["map"])
        by_period = dict(list(rows.groupby("period", sort=False, observed=True)))
        for period in entry["periods"]:
            data["views"][f"{indicator.id}|{period}"] = _view(atlas, indicator, period, by_period.get(period, rows.iloc[:0]),
                                                             codes, names, noun)
        improvement = atlas.improvement.get(indicator.id)
        if improvement is not None:
            _add_improvement(data, improvement, rows, atlas.benchmarks.get(indicator.id, {}), codes, entry["periods"])
        _add_bundle(data, atlas, indicator)
    if any(e["map"] for e in data["index"]["indicators"]):
        data["boundaries"] = boundaries()
    data["index"]["pareto"] = pareto_by_total(atlas)
    data["plans"] = plans_by_area(plans)
    data["templates"]["_pareto"] = {unit: charts.pareto_template(unit) for unit in dict.fromkeys(g["unit"] for g in data["index"]["pareto"])}
    return data


def _index(atlas: Atlas, indicators: list[Indicator], names: dict) -> dict:
    provenance = atlas.provenance
    return {
        "indicators": [{"id": i.id, "title": i.title, "unit": i.unit, "measure": str(i.measure),
                        "polarity": str(i.polarity), "source": i.source, "licence": i.licence, "tags": list(i.tags),
                        "synthetic": bool(i.synthetic), "periods": atlas.periods(i.id),
                        "bands": {str(k): v for k, v in charts.band_labels(i).items()},
                        "headline_period": atlas.headline_period(i.id),
                        "not_sized": provenance.get("opportunity_not_sized", {}).get(i.id)} for i in indicators],
        "noun": provenance.get("area_noun", "areas"),
        "named": bool(names),
        "left_out": [{"id": indicator_id, "reason": reason} for indicator_id, reason in atlas.left_out.items()],
        "files": [{"name": name, "what": what} for name, what in FILES.items()]
                 + ([{"name": "rejections.csv", "what": "every refused row and why"}] if provenance.get("rows_rejected") else []),
        "provenance": {"version": provenance.get("package_version"), "generated": provenance.get("generated_at"),
                       "methods": provenance.get("methods", {}), "sources": provenance.get("sources", []),
                       "licences": provenance.get("licences", []), "attribution": provenance.get("attribution"),
                       "synthetic": provenance.get("synthetic_data"),
                       "rows": {k: provenance.get(k) for k in ("rows_read", "rows_accepted", "rows_rejected")},
                       "maps": BOUNDARIES["attribution"]},
    }


def _templates(indicator: Indicator, on_map: bool) -> dict:
    templates = {"ranked": charts.ranked_template(indicator), "distribution": charts.distribution_template(indicator),
                 "funnel": charts.funnel_template(indicator), "xmr": charts.xmr_template(indicator),
                 "gain": charts.gain_template(indicator), "components": charts.components_template(indicator)}
    if on_map:
        templates["map"] = charts.map_template(indicator, BOUNDARIES["code_property"])
    return templates


def columns(frame: pd.DataFrame, decimals: int = 4) -> dict[str, list]:
    """A table as compact columns: floats rounded (whole floats written as integers), missing values null."""
    return {name: _json_column(frame[name], decimals) for name in frame.columns}


def _json_column(column: pd.Series, decimals: int) -> list:
    """One column as a list for JSON, converted by numpy (thousands of areas x hundreds of columns)."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
        values = column.to_numpy(dtype="int64", na_value=0).tolist()
    elif pd.api.types.is_float_dtype(column):
        numbers = np.round(column.to_numpy(dtype="float64", na_value=np.nan), decimals)
        finite = np.isfinite(numbers)
        if np.array_equal(finite, ~missing) and np.array_equal(numbers[finite], np.round(numbers[finite])):
            values = np.where(finite, numbers, 0).astype("int64").tolist()  # counts written without ".0"
        else:
            values, missing = numbers.tolist(), ~finite
    else:
        values = column.astype(object).tolist()
    for position in np.flatnonzero(missing):
        values[position] = None
    return values


def _aligned(frame: pd.DataFrame, positions: np.ndarray, length: int) -> pd.DataFrame:
    """`frame`'s rows placed at `positions` (their areas' places in the page's codes) of a table
    `length` long, missing elsewhere: by integer positions, never by matching codes again."""
    order = np.full(length, -1)
    order[positions] = np.arange(len(frame))
    return frame.reset_index(drop=True).reindex(order).reset_index(drop=True)


def value_decimals(indicator: Indicator) -> int:
    """Decimals a value deserves in the page's data: one more than it is shown with (1, or 2 for ratios)."""
    return 3 if str(indicator.measure) == "ratio" else 2


def _view(atlas: Atlas, indicator: Indicator, period: str, rows: pd.DataFrame, codes: pd.Index, names: dict,
          noun: str) -> dict:
    """One indicator x period: the sentence, the summary and every area (aligned with `codes`), as the
    page and the API serve it."""
    summary = atlas.summary[(atlas.summary["indicator_id"] == indicator.id) & (atlas.summary["period"] == period)].iloc[0]
    rows = rows.sort_values("value", ascending=False, kind="stable")
    areas = pd.DataFrame({"code": rows["area_code"].astype(str), "value": rows["value"], "lower95": rows["lower95"],
                          "upper95": rows["upper95"], "denominator": rows["denominator"],
                          "band": rows["funnel_band"].astype("Int8"), "band_adjusted": rows["funnel_band_adjusted"].astype("Int8")})
    curves = atlas.funnels[(atlas.funnels["indicator_id"] == indicator.id) & (atlas.funnels["period"] == period)] \
        if len(atlas.funnels) else pd.DataFrame()
    keep = ["n_areas", "min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv", "scv", "pooled",
            "n_high_998", "n_high_95", "n_low_95", "n_low_998", "phi", "tau2", "complete_year", "n_below_min_denominator"]
    return {
        "indicator": indicator.id, "period": period,
        "sentence": commissioner_sentence(indicator, period, summary, areas, names, noun),
        "summary": {k: _plain(summary.get(k)) for k in keep},
        "areas": columns(_aligned(areas.drop(columns="code"), rows["position"].to_numpy(), len(codes)), value_decimals(indicator)),
        "limits": columns(curves.drop(columns=["indicator_id", "period"]), value_decimals(indicator) + 1)
        if len(curves) else None,
        "inequality": inequality_views(atlas, indicator.id, period),
        "comparators": comparator_values(atlas, indicator.id, period),
    }


def plans_by_area(scorecard: pd.DataFrame | None) -> dict[str, list[dict]]:
    """Each area's plans at their latest tracked month: id, title, indicator, status, assurance and gap."""
    if scorecard is None or scorecard.empty:
        return {}
    rows = scorecard.assign(area_code=scorecard["area_code"].astype(str)).sort_values(["area_code", "plan_id"], kind="stable")
    table = rows[["plan_id", "title", "indicator_id", "period", "status", "assurance", "gap"]].rename(columns={"plan_id": "id"})
    table = table.astype(object).where(table.notna(), None)
    return {code: group.drop(columns="area_code").to_dict(orient="records")
            for code, group in table.assign(area_code=rows["area_code"]).groupby("area_code", sort=True)}


def inequality_views(atlas: Atlas, indicator_id: str, period: str) -> list[dict]:
    """The deprivation quantiles and SII/RII of a Fingertips export for one indicator x period, as read."""
    views = atlas.provenance.get("fingertips", {}).get("inequality", [])
    return [v for v in views if v["indicator_id"] == indicator_id and str(v["period"]) == period]


def comparator_values(atlas: Atlas, indicator_id: str, period: str) -> list[dict]:
    """England's and the regions' values for one indicator x period (published, never compared as areas)."""
    rows = atlas.comparators
    if rows.empty:
        return []
    rows = rows[(rows["indicator_id"] == indicator_id) & (rows["period"] == period)]
    names = rows["area_name"] if "area_name" in rows else rows["area_code"]
    kinds = rows["area_type"] if "area_type" in rows else pd.Series("", index=rows.index)
    return [{"code": str(code), "name": str(name) if isinstance(name, str) and name.strip() else str(code),
             "area_type": str(kind) if isinstance(kind, str) else "", "value": _plain(value),
             "lower95": _plain(lower), "upper95": _plain(upper)}
            for code, name, kind, value, lower, upper in zip(rows["area_code"], names, kinds, rows["value"],
                                                             rows["lower95"], rows["upper95"])]


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def area_label(code: str, names: dict) -> str:
    """"Name (CODE)", or the code alone when the input names no area."""
    name = names.get(code)
    return f"{name} ({code})" if name else code


def format_value(value: float, indicator: Indicator) -> str:
    """A value with its unit: "96.6%", "96.6 per 100,000", "1.02"."""
    text = f"{value:,.1f}" if indicator.measure != "ratio" else f"{value:.2f}"
    if not indicator.unit:
        return text
    return f"{text}{indicator.unit}" if indicator.unit == "%" else f"{text} {indicator.unit}"


def commissioner_sentence(indicator: Indicator, period: str, summary: pd.Series, areas: pd.DataFrame,
                          names: dict, noun: str) -> str:
    """The indicator in a sentence a commissioner reads first: the range, by whom, and how many lie
    beyond chance once the normal variation between areas is allowed for (the adjusted funnel)."""
    judged = areas.dropna(subset=["value"])
    judged = judged[~(judged["denominator"] < indicator.min_denominator)]  # the spread's areas (atlas.in_spread)
    basis = spread_basis(summary, noun, fold_of(areas["value"]))
    if len(judged) < 2:
        return f"{indicator.title}, {period}: too few {noun}{basis} to compare."
    high, low = judged.iloc[0], judged.iloc[-1]  # sorted by value, highest first
    text = (f"Among {len(judged):,} {noun}{basis}, {_lower_first(indicator.title)} in {period} ranged from "
            f"{format_value(low['value'], indicator)} ({area_label(low['code'], names)}) to "
            f"{format_value(high['value'], indicator)} ({area_label(high['code'], names)})")
    bands = judged["band_adjusted"].dropna()
    if bands.empty:
        return text + "."
    pooled = f"the pooled figure for all {noun} ({format_value(summary['pooled'], indicator)})"
    above, below = int((bands == 2).sum()), int((bands == -2).sum())
    allowing = f"once the normal variation between {noun} is allowed for"
    if indicator.polarity is Polarity.NO_JUDGEMENT:
        return text + f"; {above:,} were further above and {below:,} further below {pooled} than chance explains, {allowing}."
    worse, direction = (below, "below") if indicator.polarity is Polarity.HIGH_IS_GOOD else (above, "above")
    return text + f"; {worse:,} {noun} were further {direction} {pooled} than chance explains, {allowing}."


def _lower_first(title: str) -> str:
    """"Type 1 A&E attendances ..." stays; "SYNTHETIC: STEMI ..." stays; "Patients seen" becomes "patients seen"."""
    first = title.split(" ", 1)[0]
    return title if first.isupper() or any(c.isdigit() for c in first) or len(title) < 2 else title[0].lower() + title[1:]


def _xmr_series(spc: pd.DataFrame, indicator_ids: list[str]) -> dict[str, dict]:
    """XmR points by indicator, columnar, with each area's slice [start, end, variation, trial limits]:
    one pass over the SPC table. Series shorter than MIN_XMR_POINTS are left out (the page says so)."""
    series = spc[spc["indicator_id"].isin(indicator_ids)] if len(spc) else pd.DataFrame()
    if len(series):
        series = series[series.groupby(["indicator_id", "area_code"])["value"].transform("size") >= MIN_XMR_POINTS]
    out = {}
    for indicator_id, rows in (series.groupby("indicator_id", sort=False) if len(series) else []):
        rows = rows.sort_values(["area_code", "period_start"], kind="stable")
        codes = rows["area_code"].astype(str).to_numpy()
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = np.r_[starts[1:], len(codes)]
        last = rows.iloc[ends - 1]
        out[indicator_id] = {
            "points": columns(rows[["period", "value", "mean", "lpl", "upl"]].assign(point_type=rows["point_type"].astype(str))),
            "areas": {code: [int(s), int(e), variation, bool(trial)] for code, s, e, variation, trial in
                      zip(codes[starts], starts, ends, last["variation"].astype(str), last["trial_limits"])},
        }
    return out


def _add_improvement(data: dict, table: ImprovementTable, all_areas: pd.DataFrame, shared: dict[str, float],
                     codes: pd.Index, periods: list[str]) -> None:
    """The opportunity of an indicator's latest whole year, each column aligned with `codes`: the
    profile of every area, and one shared peer table (indices into `codes`) per set of areas."""
    indicator = table.indicator
    positions = codes.get_indexer(table.areas["area_code"].astype(str).to_numpy(dtype=object))
    rows = _aligned(table.areas[positions >= 0], positions[positions >= 0], len(codes))
    best = _best_years(all_areas, indicator, len(codes))
    peer_table = _peer_table(rows["peers"], codes)
    peers_index = None
    if peer_table["positions"]:
        if peer_table not in data["peers"]:
            data["peers"].append(peer_table)  # indicators over the same areas share one peer table
        peers_index = data["peers"].index(peer_table)
    statuses = sorted(rows["status"].dropna().astype(str).unique())
    decimals = value_decimals(indicator)
    data["profiles"][indicator.id] = {
        "period": table.period, "sentence": table.summary.sentence, "benchmark_label": table.summary.benchmark_label,
        "significant_areas": table.summary.significant_areas, "areas": table.summary.areas,
        "significant_gain": [table.summary.significant_gain, table.summary.significant_gain_lower,
                             table.summary.significant_gain_upper],
        "shared": shared, "peers": peers_index, "statuses": statuses, "periods": periods,
        "columns": {
            **columns(pd.DataFrame({"benchmark": rows["benchmark_value"].to_numpy(), "best_value": best["value"].to_numpy()}),
                      decimals),
            **columns(pd.DataFrame({"gain": rows["gain"].to_numpy(), "gain_lower": rows["gain_lower"].to_numpy(),
                                    "gain_upper": rows["gain_upper"].to_numpy()}), 1),
            **columns(pd.DataFrame({
                "significant": rows["significant"].astype("boolean").to_numpy(),
                "status": rows["status"].map({s: i for i, s in enumerate(statuses)}).astype("Int8").to_numpy(),
                "best_period": best["period"].map({p: i for i, p in enumerate(periods)}).astype("Int16").to_numpy()})),
        },
    }


def _peer_table(peers: pd.Series, codes: pd.Index) -> dict[str, list[int]]:
    """Each area's peers as positions in `codes`, compressed: area i's peers are
    `positions[start[i]:start[i + 1]]` (none for an area without peers). One vectorised pass."""
    exploded = peers.reset_index(drop=True).explode()  # one row per area and peer; none gives a missing row
    position = codes.get_indexer(pd.Index(exploded.to_numpy(dtype=object)))
    known = position >= 0
    counts = np.bincount(exploded.index.to_numpy()[known], minlength=len(peers))
    return {"start": np.r_[0, np.cumsum(counts)].tolist(), "positions": position[known].tolist()}


def _best_years(all_areas: pd.DataFrame, indicator: Indicator, length: int) -> pd.DataFrame:
    """Each area's best analysis period so far (what a record holder aims to beat), at its place in
    the page's codes (`all_areas["position"]`)."""
    ascending = indicator.polarity is Polarity.LOW_IS_GOOD
    best = all_areas.sort_values(["position", "value"], ascending=[True, ascending]).drop_duplicates("position")
    return _aligned(best[["period", "value"]], best["position"].to_numpy(), length)


def _add_bundle(data: dict, atlas: Atlas, indicator: Indicator) -> None:
    """A care bundle's components (each process's own rate) and each area's best single fix."""
    fixes = atlas.bundle_fixes
    if fixes.empty or indicator.id not in set(fixes["indicator_id"]):
        return
    fixes = fixes[fixes["indicator_id"] == indicator.id]
    period = fixes["period"].iloc[0]
    latest = atlas.summary[atlas.summary["period"] == period]
    components = latest[latest["indicator_id"].map(lambda i: atlas.catalogue[i].bundle) == indicator.id]
    bundle_rate = latest.loc[latest["indicator_id"] == indicator.id, "pooled"]
    bars = [{"title": "All processes (the bundle)", "rate": float(bundle_rate.iloc[0]), "kind": "All processes"}] + [
        {"title": atlas.catalogue[row["indicator_id"]].title.removeprefix(f"{indicator.title}: "),
         "rate": float(row["pooled"]), "kind": "One process"} for row in components.to_dict(orient="records")]
    best = fixes[fixes["rank"] == 1].sort_values("extra_people", ascending=False, kind="stable")
    data["views"][f"{indicator.id}|{period}"]["bundle"] = {
        "components": bars,
        "best": columns(pd.DataFrame({"code": best["area_code"].astype(str), "process": best["process"].str.replace("_", " "),
                                      "extra_people": best["extra_people"], "rate": best["rate"],
                                      "rate_if_fixed": best["rate_if_fixed"]}), decimals=2)}


def pareto_by_total(atlas: Atlas) -> list[dict]:
    """The aggregation of marginal gains, one Pareto per honest total of `Atlas.totals` (one source,
    real or SYNTHETIC, one period, one unit: nothing adds across them): pairs with a gain beyond
    chance, largest first, with the cumulative share within the total, and the total's own words
    (period, unit, breakdown, breakdowns shown beside it). Figures come from the pairs the atlas
    still holds (a workspace audience's may be fewer), never from the unprotected total. The chart gets at most PARETO_POINTS pairs
    (evenly spaced by rank beyond that), the table the largest."""
    pairs = atlas.pareto
    if pairs.empty or atlas.totals.empty:
        return []
    pairs = pairs[pairs["counted_gain"] > 0]
    out = []
    for total in atlas.totals.to_dict(orient="records"):
        group = pairs[pairs["group"] == total["group"]].sort_values("counted_gain", ascending=False, kind="stable")
        if group.empty:
            continue
        gain = float(group["counted_gain"].sum())
        table = pd.DataFrame({"rank": np.arange(1, len(group) + 1), "indicator": group["indicator_id"].to_numpy(),
                              "code": group["area_code"].astype(str).to_numpy(), "gain": group["counted_gain"].to_numpy(),
                              "share": (group["counted_gain"].cumsum() / gain).to_numpy()})
        drawn = np.unique(np.linspace(0, len(table) - 1, min(len(table), PARETO_POINTS)).round().astype(int))
        sources = sorted({atlas.catalogue[i].source for i in group["indicator_id"].unique()})
        out.append({"group": total["group"], "source": "; ".join(sources), "synthetic": total["source"] == "SYNTHETIC",
                    "period": total["period"], "unit": total["unit"], "breakdown": total["breakdown"],
                    "beside": list(total["beside"]), "total": gain, "n_pairs": len(group), "half": int((table["share"] < 0.5).sum()) + 1,
                    "drawn": columns(table.iloc[drawn], 4), "largest": columns(table.head(PARETO_TABLE), 4)})
    return out



STATIC_CHART_WIDTH = 600  # px: the ranked chart's width beside its table on a 1366 px screen
STATIC_RANKED_LIMIT = 400  # atlas.js's RANKED_POINTS_LIMIT: above it the first chart is a distribution, drawn live only


def first_chart(data: dict, indicator: Indicator) -> dict | None:
    """The first view's ranked chart drawn when the page is built, for the page to show (as an image)
    while its renderer draws the live chart: the areas with a value ranked as atlas.js ranks them
    (highest first, ties in the order of the page's codes), the pooled line and the comparators,
    under the live chart's title and subtitle (SYNTHETIC where the data are). None when the view
    ranks too many areas (the live chart is then a distribution) or none."""
    view = data["views"][data["first"]]
    areas = pd.DataFrame(view["areas"])
    if areas.empty or not 0 < areas["value"].notna().sum() <= STATIC_RANKED_LIMIT:
        return None
    areas = areas[areas["value"].notna()].sort_values("value", ascending=False, kind="stable")
    bands = charts.band_labels(indicator)
    rows = pd.DataFrame({"rank": np.arange(len(areas), 0, -1), "value": areas["value"].to_numpy(),
                         "lower95": areas["lower95"].to_numpy(), "upper95": areas["upper95"].to_numpy(),
                         "band": areas["band"].map(lambda b: bands.get(int(b), "No funnel") if pd.notna(b) else "No funnel").to_numpy()})
    summary = view["summary"]
    pooled = [] if summary.get("pooled") is None else [  # no pooled figure (a DSR's, say): no line, as live
        {"pooled": summary["pooled"], "label": f"Pooled, all {data['index']['noun']}: {format_value(summary['pooled'], indicator)}"}]
    pooled += [{"pooled": c["value"], "label": f"{c['name']} {format_value(c['value'], indicator)}"}
               for c in view["comparators"] if c["value"] is not None]
    title = f"SYNTHETIC: {indicator.title}" if indicator.synthetic and "SYNTHETIC" not in indicator.title else indicator.title
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    svg = charts.static_svg(data["templates"][indicator.id]["ranked"], {"areas": records, "pooled": pooled},
                            [f"{title}, {view['period']}"], STATIC_CHART_WIDTH)
    height = int(re.search(r'<svg[^>]* height="(\d+)"', svg).group(1))
    return {"svg": svg, "width": STATIC_CHART_WIDTH, "height": height}
