"""The self-contained HTML atlas: one page, every script, style and chart inline, no other host.

Charts are Vega-Lite templates (one per indicator and kind) over named datasets (one set per
chart shown); the page's script joins them when a chart first comes into view.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import jinja2
import orjson
import numpy as np
import pandas as pd

from marginalgains.atlas import Atlas
from marginalgains.improve.plan import ImprovementTable
from marginalgains.io.bundled import data_path
from marginalgains.model import Indicator, Polarity
from marginalgains.report import charts

AREA_COLUMNS = ["area_code", "area_name", "numerator", "denominator", "value", "lower95", "upper95",
                "lower998", "upper998", "band_label", "band_label_adjusted"]
VEGA_BUNDLE = "vega-bundle.js"
BOUNDARIES = {"code_property": "ccg21_code", "file": "boundaries/boundaries_ccg21.geojson",
              "attribution": "Boundaries: Office for National Statistics licensed under the Open Government Licence v.3.0. "
                             "Contains OS data (c) Crown copyright and database right 2021."}
TOP_PAIRS = 25


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one inline script, shipped in the package (see `make vendor-js`)."""
    return (resources.files("marginalgains.report") / "assets" / VEGA_BUNDLE).read_text(encoding="utf-8")


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


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("marginalgains.report") / "templates"))
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.filters["num"] = _format_number
    env.filters["fold"] = lambda x: "–" if _missing(x) or not np.isfinite(x) else f"{x:.1f}×"
    env.filters["pct"] = lambda x: "–" if _missing(x) else f"{100 * x:.0f}%"
    return env


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))


def _format_number(x, digits: int = 2) -> str:
    if _missing(x):
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)) or (float(x).is_integer() and abs(x) >= 100):
        return f"{int(x):,}"
    return f"{float(x):,.{digits}f}"


def render_page(atlas: Atlas) -> str:
    """The atlas page as one HTML string."""
    indicators = atlas.headline_indicators()
    xmr = _xmr_series(atlas.spc, [indicator.id for indicator in indicators])
    page = {"templates": {}, "data": {}, "xmr": {i.id: xmr.get(i.id, {}) for i in indicators},
            "profiles": {}, "shared": {}}
    mapped, names = _boundary_codes(), atlas.area_names()
    views = [_indicator_view(atlas, indicator, page, mapped, names) for indicator in indicators]
    if any(view["map"] for view in views):
        page["shared"]["boundaries"] = boundaries()
    pareto = _pareto_view(atlas, page)
    return _environment().get_template("atlas.html.j2").render(
        indicators=views, provenance=atlas.provenance, pareto=pareto,
        synthetic=any(view["synthetic"] for view in views),
        map_attribution=BOUNDARIES["attribution"] if page["shared"] else None,
        vega_script=vega_bundle(),
        page_data=page_json(page),
    )


def page_json(page: dict) -> str:
    """The page's data as JSON safe inside a <script> element: NaN and infinities become null."""
    encoded = orjson.dumps(page, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=_json_default)
    return encoded.decode("utf-8").replace("</", "<\\/")


def _json_default(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _indicator_view(atlas: Atlas, indicator: Indicator, page: dict, mapped: set[str], names: dict[str, str]) -> dict:
    labels = charts.band_labels(indicator)
    summary = atlas.summary[atlas.summary["indicator_id"] == indicator.id]
    all_areas = atlas.areas[atlas.areas["indicator_id"] == indicator.id]
    on_map = all_areas["area_code"].isin(mapped).mean() >= 0.5
    templates = {"ranked": charts.ranked_template(indicator), "funnel": charts.funnel_template(indicator),
                 "xmr": charts.xmr_template(indicator)}
    if on_map:
        templates["map"] = charts.map_template(indicator, BOUNDARIES["code_property"])
    periods = []
    for period in atlas.periods(indicator.id):
        row = summary[summary["period"] == period].iloc[0]
        areas = all_areas[all_areas["period"] == period].copy()
        areas["band_label"] = areas["funnel_band"].map(labels, na_action="ignore")
        areas["band_label_adjusted"] = areas["funnel_band_adjusted"].map(labels, na_action="ignore")
        areas["area_name"] = areas["area_name"].astype(object).where(areas["area_name"].notna(), None) \
            if "area_name" in areas else None
        areas = areas.sort_values("value", ascending=False)[AREA_COLUMNS]
        key = f"{indicator.id}|{period}"
        page["data"][f"{key}|ranked"] = charts.ranked_data(areas, row["pooled"])
        curves = atlas.funnels[(atlas.funnels["indicator_id"] == indicator.id) & (atlas.funnels["period"] == period)] \
            if len(atlas.funnels) else pd.DataFrame()
        if len(curves):
            page["data"][f"{key}|funnel"] = charts.funnel_data(areas, curves, adjusted=False)
            page["data"][f"{key}|funnel_adjusted"] = charts.funnel_data(areas, curves, adjusted=True)
        if on_map:
            page["data"][f"{key}|map"] = {"areas": charts.records(areas[["area_code", "area_name", "value", "lower95", "upper95"]])}
        periods.append({"period": period, "key": key, "summary": row.to_dict(), "areas": areas.to_dict(orient="records"),
                        "has_funnel": bool(len(curves)), "has_names": bool(areas["area_name"].notna().any())})
    improvement = atlas.improvement.get(indicator.id)
    view = {
        "id": indicator.id, "title": indicator.title, "unit": indicator.unit, "polarity": str(indicator.polarity),
        "measure": str(indicator.measure), "source": indicator.source, "licence": indicator.licence,
        "synthetic": indicator.synthetic, "headline": atlas.headline(indicator.id), "periods": periods,
        "summary_rows": summary.to_dict(orient="records"), "map": on_map,
        "improvement": _improvement_view(improvement, all_areas, names, templates, page,
                                         atlas.benchmarks.get(indicator.id, {})) if improvement else None,
        "bundle": _bundle_view(atlas, indicator, templates, page, names),
        "not_sized": atlas.provenance.get("opportunity_not_sized", {}).get(indicator.id),
        "inequality": [v for v in (atlas.provenance.get("fingertips") or {}).get("inequality", [])
                       if v["indicator_id"] == indicator.id],
    }
    page["templates"][indicator.id] = templates
    return view


def _xmr_series(spc: pd.DataFrame, indicator_ids: list[str]) -> dict[str, dict[str, list[dict]]]:
    """XmR points by indicator, then area, for the indicators shown: one pass over the SPC table."""
    series = spc[spc["indicator_id"].isin(indicator_ids)] if len(spc) else pd.DataFrame()
    if series.empty:
        return {}
    columns = ["period", "period_start", "value", "mean", "lpl", "upl", "point_type", "variation", "trial_limits"]
    series = series.assign(period_start=series["period_start"].dt.strftime("%Y-%m-%d"),
                           point_type=series["point_type"].astype(str))
    by_indicator: dict[str, dict[str, list[dict]]] = {}
    for indicator_id, code, row in zip(series["indicator_id"], series["area_code"], charts.records(series[columns])):
        by_indicator.setdefault(indicator_id, {}).setdefault(code, []).append(row)  # one conversion, then bucket
    return by_indicator


def _improvement_view(table: ImprovementTable, all_areas: pd.DataFrame, names: dict[str, str], templates: dict,
                      page: dict, shared: dict[str, float]) -> dict:
    """The opportunity card: sentence, gain chart and table, and each area's profile for the drill-down."""
    indicator = table.indicator
    best_years = _best_years(all_areas, indicator)
    rows = table.areas.copy()
    rows["area_name"] = rows["area_code"].map(names)
    rows = rows.sort_values("gain", ascending=False)
    chart_rows = rows[rows["gain"] > 0].head(30).assign(
        area_label=lambda r: r["area_code"].map(lambda code: names.get(code, code)),
        significance=lambda r: np.where(r["significant"], "Beyond chance", "Could be chance"))
    templates["gain"] = charts.gain_template(indicator)
    page["data"][f"{indicator.id}|{table.period}|gain"] = {
        "gains": charts.records(chart_rows[["area_label", "gain", "gain_lower", "gain_upper", "significance"]])}
    page["profiles"][indicator.id] = {
        row["area_code"]: {"status": row["status"], "value": row["value"], "benchmark": row["benchmark_value"],
                           "gain": row["gain"], "gain_lower": row["gain_lower"], "gain_upper": row["gain_upper"],
                           "significant": bool(row["significant"]), "peers": [names.get(code, code) for code in (row["peers"] or [])],
                           "benchmark_label": table.summary.benchmark_label, "shared": shared,
                           "best_year": best_years.get(row["area_code"])}
        for row in rows.to_dict(orient="records")}
    return {"period": table.period, "key": f"{indicator.id}|{table.period}|gain", "summary": table.summary,
            "rows": rows.to_dict(orient="records")}


def _best_years(all_areas: pd.DataFrame, indicator: Indicator) -> dict[str, dict]:
    """Each area's best analysis period so far: what a record holder aims to beat."""
    ascending = indicator.polarity is Polarity.LOW_IS_GOOD
    best = all_areas.sort_values(["area_code", "value"], ascending=[True, ascending]).drop_duplicates("area_code")
    return {code: {"period": period, "value": value} for code, period, value in
            zip(best["area_code"], best["period"], best["value"])}


def _bundle_view(atlas: Atlas, indicator: Indicator, templates: dict, page: dict, names: dict[str, str]) -> dict | None:
    """A care bundle's components (each process's own rate) and each area's best single fix."""
    fixes = atlas.bundle_fixes
    if fixes.empty or indicator.id not in set(fixes["indicator_id"]):
        return None
    fixes = fixes[fixes["indicator_id"] == indicator.id]
    period = fixes["period"].iloc[0]
    latest = atlas.summary[(atlas.summary["period"] == period)]
    components = latest[latest["indicator_id"].map(lambda i: atlas.catalogue[i].bundle) == indicator.id]
    bundle_rate = latest.loc[latest["indicator_id"] == indicator.id, "pooled"]
    bars = [{"title": "All processes (the bundle)", "rate": float(bundle_rate.iloc[0]), "kind": "All processes"}] + [
        {"title": atlas.catalogue[row["indicator_id"]].title.removeprefix(f"{indicator.title}: "),
         "rate": row["pooled"], "kind": "One process"}
        for row in components.to_dict(orient="records")]
    templates["components"] = charts.components_template()
    page["data"][f"{indicator.id}|{period}|components"] = {"components": bars}
    best = fixes[fixes["rank"] == 1].sort_values("extra_people", ascending=False)
    best = best.assign(area_name=best["area_code"].map(names))
    return {"period": period, "key": f"{indicator.id}|{period}|components", "components": bars,
            "best": best.to_dict(orient="records")}


def _pareto_view(atlas: Atlas, page: dict) -> dict | None:
    pairs = atlas.pareto
    if pairs.empty or pairs["counted_gain"].sum() <= 0:
        return None
    pairs = pairs[pairs["counted_gain"] > 0]
    page["templates"]["_pareto"] = {"pareto": charts.pareto_template()}
    page["data"]["_pareto"] = {"pairs": charts.records(pairs[["rank", "indicator_id", "area_code", "counted_gain", "cumulative_share"]])}
    half = int((pairs["cumulative_share"] < 0.5).sum()) + 1
    return {"pairs": pairs.head(TOP_PAIRS).to_dict(orient="records"), "total": float(pairs["counted_gain"].sum()),
            "n_pairs": len(pairs), "half": half}
