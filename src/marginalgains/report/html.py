"""The self-contained HTML atlas: one page, every script, style and chart inline, no other host."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import jinja2
import numpy as np
import pandas as pd

from marginalgains.atlas import Atlas
from marginalgains.model import Indicator
from marginalgains.report import charts

AREA_COLUMNS = ["area_code", "area_name", "numerator", "denominator", "value", "lower95", "upper95",
                "lower998", "upper998", "band_label", "band_label_adjusted"]


VEGA_BUNDLE = "vega-bundle.js"


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one inline script, shipped in the package (see `make vendor-js`)."""
    return (resources.files("marginalgains.report") / "assets" / VEGA_BUNDLE).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("marginalgains.report") / "templates"))
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]))
    env.filters["num"] = _format_number
    env.filters["fold"] = lambda x: "–" if _missing(x) or not np.isfinite(x) else f"{x:.1f}×"
    return env


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA


def _format_number(x, digits: int = 2) -> str:
    if _missing(x):
        return "–"
    if isinstance(x, (int, np.integer)) or (float(x).is_integer() and abs(x) >= 100):
        return f"{int(x):,}"
    return f"{float(x):,.{digits}f}"


def render_page(atlas: Atlas, extra_sections: list[dict] | None = None) -> str:
    """The atlas page as one HTML string."""
    indicators = [_indicator_view(atlas, indicator) for indicator in atlas.catalogue if indicator.id in set(atlas.summary["indicator_id"])]
    template = _environment().get_template("atlas.html.j2")
    return template.render(
        indicators=indicators,
        provenance=atlas.provenance,
        synthetic=any(i["synthetic"] for i in indicators),
        extra_sections=extra_sections or [],
        vega_script=vega_bundle(),
        page_data=json.dumps(_page_data(atlas, indicators), separators=(",", ":"), default=_json_default),
    )


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is pd.NA:
        return None
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _indicator_view(atlas: Atlas, indicator: Indicator) -> dict:
    labels = charts.band_labels(indicator)
    summary = atlas.summary[atlas.summary["indicator_id"] == indicator.id]
    periods = []
    for period in atlas.periods(indicator.id):
        row = summary[summary["period"] == period].iloc[0]
        areas = atlas.areas[(atlas.areas["indicator_id"] == indicator.id) & (atlas.areas["period"] == period)].copy()
        areas["band_label"] = areas["funnel_band"].map(labels, na_action="ignore")
        areas["band_label_adjusted"] = areas["funnel_band_adjusted"].map(labels, na_action="ignore")
        if "area_name" not in areas:
            areas["area_name"] = None
        areas = areas.sort_values("value", ascending=False)
        curves = atlas.funnels[(atlas.funnels.get("indicator_id") == indicator.id) & (atlas.funnels.get("period") == period)] \
            if len(atlas.funnels) else pd.DataFrame()
        view = {
            "period": period,
            "key": f"{indicator.id}|{period}",
            "summary": row.to_dict(),
            "areas": areas[AREA_COLUMNS].to_dict(orient="records"),
            "charts": {"ranked": charts.ranked_chart(areas[AREA_COLUMNS], indicator, row["pooled"])},
        }
        if len(curves):
            view["charts"]["funnel"] = charts.funnel_chart(areas[AREA_COLUMNS], curves, indicator, adjusted=False)
            view["charts"]["funnel_adjusted"] = charts.funnel_chart(areas[AREA_COLUMNS], curves, indicator, adjusted=True)
        periods.append(view)
    return {
        "id": indicator.id, "title": indicator.title, "unit": indicator.unit, "polarity": str(indicator.polarity),
        "measure": str(indicator.measure), "multiplier": indicator.multiplier, "source": indicator.source,
        "licence": indicator.licence, "synthetic": indicator.synthetic, "headline": atlas.headline(indicator.id),
        "periods": periods, "summary_rows": summary.to_dict(orient="records"),
    }


def _page_data(atlas: Atlas, indicators: list[dict]) -> dict:
    """What the page's script needs: chart specs by key, XmR templates and series by indicator."""
    specs, xmr = {}, {}
    for view in indicators:
        for period in view["periods"]:
            for name, spec in period["charts"].items():
                specs[f"{period['key']}|{name}"] = spec
        indicator = atlas.catalogue[view["id"]]
        series = atlas.spc[atlas.spc["indicator_id"] == view["id"]] if len(atlas.spc) else pd.DataFrame()
        columns = [c for c in ("period", "period_start", "value", "mean", "lpl", "upl", "point_type") if c in series]
        xmr[view["id"]] = {
            "template": charts.xmr_template(indicator),
            "series": {code: g[columns].assign(period_start=g["period_start"].dt.strftime("%Y-%m-%d")).to_dict(orient="records")
                       for code, g in series.groupby("area_code", sort=False)},
        }
    return {"specs": specs, "xmr": xmr}
