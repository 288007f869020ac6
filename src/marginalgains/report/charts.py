"""Vega-Lite chart specifications (via Altair) for the atlas; drawing only, no statistics."""

from __future__ import annotations

import altair as alt
import pandas as pd

from marginalgains.model import Indicator, Polarity

NHS_BLUE = "#005EB8"
NHS_DARK_GREY = "#425563"
NHS_WARM_YELLOW = "#FFB81C"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_ORANGE = "#ED8B00"
NHS_PURPLE = "#330072"
NHS_PINK = "#AE2573"
NHS_AQUA_GREEN = "#00A499"
NHS_DARK_GREEN = "#006747"
MDC_IMPROVEMENT = "#489FDF"
MDC_CONCERN = "#FFB81C"
MDC_COMMON = "#A6A6A6"
MDC_NEUTRAL = "#490092"
FONT = "Arial, Helvetica, sans-serif"

POINT_TYPE_COLOURS = {
    "special_cause_improvement": MDC_IMPROVEMENT,
    "special_cause_concern": MDC_CONCERN,
    "special_cause_neutral_high": MDC_NEUTRAL,
    "special_cause_neutral_low": MDC_NEUTRAL,
    "common_cause": MDC_COMMON,
}


def band_labels(indicator: Indicator) -> dict[int, str]:
    """Words for funnel bands that respect the indicator's polarity."""
    high, low = {
        Polarity.HIGH_IS_GOOD: ("Better", "Worse"),
        Polarity.LOW_IS_GOOD: ("Worse", "Better"),
        Polarity.NO_JUDGEMENT: ("Higher", "Lower"),
    }[indicator.polarity]
    return {2: f"{high} (beyond 99.8%)", 1: f"{high} (beyond 95%)", 0: "Within limits",
            -1: f"{low} (beyond 95%)", -2: f"{low} (beyond 99.8%)"}


def band_scale(indicator: Indicator) -> alt.Scale:
    labels = band_labels(indicator)
    if indicator.polarity is Polarity.NO_JUDGEMENT:
        colours = [NHS_PURPLE, NHS_PINK, MDC_COMMON, NHS_AQUA_GREEN, NHS_DARK_GREEN]
    else:
        good, good_light, bad_light, bad = NHS_BLUE, NHS_LIGHT_BLUE, NHS_WARM_YELLOW, NHS_ORANGE
        colours = [good, good_light, MDC_COMMON, bad_light, bad]
        if indicator.polarity is Polarity.LOW_IS_GOOD:
            colours = [bad, bad_light, MDC_COMMON, good_light, good]
    return alt.Scale(domain=[labels[b] for b in (2, 1, 0, -1, -2)] + ["No funnel"], range=colours + [NHS_DARK_GREY])


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (missing values as null)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


AXIS_TITLE_LIMIT = 48


def _axis_title(indicator: Indicator) -> str:
    """The indicator's title on its axis, or just its unit when the title would not fit."""
    title = f"{indicator.title} ({indicator.unit})" if indicator.unit else indicator.title
    if len(title) <= AXIS_TITLE_LIMIT:
        return title
    return f"Value ({indicator.unit})" if indicator.unit else "Value"


VALIDATE_SPECS = False  # the tests validate every template against the Vega-Lite schema; pages skip the cost


def _themed(chart) -> dict:
    """The chart as a Vega-Lite dict in NHS style. Specs are templates over named datasets, which
    the page supplies per period, so each is built once per indicator."""
    return chart.configure(font=FONT).configure_axis(
        labelFontSize=12, titleFontSize=13, labelColor=NHS_DARK_GREY, titleColor=NHS_DARK_GREY, gridColor="#E8EDEE"
    ).configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom", direction="vertical", labelLimit=260).configure_view(stroke=None).to_dict(validate=VALIDATE_SPECS)


def _band_colour(indicator: Indicator, field: str) -> alt.Color:
    return alt.Color(f"{field}:N", scale=band_scale(indicator), title="Funnel")


def ranked_template(indicator: Indicator) -> dict:
    """Areas ranked by value with their 95% intervals, coloured by funnel band; datasets `areas`, `pooled`."""
    base = alt.Chart(alt.NamedData(name="areas")).encode(
        x=alt.X("area_code:N", sort=alt.EncodingSortField("value", op="max", order="ascending"),
                axis=alt.Axis(labels=False, ticks=False, title="Areas, ranked")),
    )
    bars = base.mark_rule(strokeWidth=1.5, opacity=0.6).encode(
        y=alt.Y("lower95:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)), y2="upper95:Q",
        color=_band_colour(indicator, "band"),
    )
    points = base.mark_point(filled=True, size=28).encode(
        y="value:Q", color=_band_colour(indicator, "band"),
        tooltip=[alt.Tooltip("area_code:N", title="Area"), alt.Tooltip("area_name:N", title="Name"),
                 alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("lower95:Q", format=".2f", title="95% lower"),
                 alt.Tooltip("upper95:Q", format=".2f", title="95% upper"), alt.Tooltip("band:N", title="Funnel")],
    )
    rule = alt.Chart(alt.NamedData(name="pooled")).mark_rule(color=NHS_DARK_GREY, strokeDash=[4, 3]).encode(y="pooled:Q")
    return _themed((bars + points + rule).properties(width="container", height=320))


def ranked_data(areas: pd.DataFrame, pooled: float) -> dict:
    table = areas[["area_code", "area_name", "value", "lower95", "upper95"]].assign(
        band=areas["band_label"].fillna("No funnel"))
    return {"areas": records(table), "pooled": [{"pooled": pooled}]}


def funnel_template(indicator: Indicator) -> dict:
    """Funnel plot: value against size with 95% and 99.8% limits; datasets `areas`, `limits`, `target`."""
    points = alt.Chart(alt.NamedData(name="areas")).mark_circle(size=36, opacity=0.85).encode(
        x=alt.X("denominator:Q", scale=alt.Scale(type="log"), title="Denominator (size)"),
        y=alt.Y("value:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)),
        color=_band_colour(indicator, "band"),
        tooltip=[alt.Tooltip("area_code:N", title="Area"), alt.Tooltip("area_name:N", title="Name"),
                 alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("denominator:Q", format=",.0f")],
    )
    lines = alt.Chart(alt.NamedData(name="limits")).mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(
        x="size:Q", y="y:Q", detail="line:N",
        strokeDash=alt.StrokeDash("level:N", scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[5, 4], [1, 0]]),
                                  title="Limits"),
    )
    target = alt.Chart(alt.NamedData(name="target")).mark_line(color=NHS_BLUE, strokeWidth=1).encode(x="size:Q", y="target:Q")
    return _themed((lines + target + points).properties(width="container", height=320))


def funnel_data(areas: pd.DataFrame, curves: pd.DataFrame, adjusted: bool) -> dict:
    suffix = "_adjusted" if adjusted else ""
    band_column = "band_label_adjusted" if adjusted else "band_label"
    table = areas[["area_code", "area_name", "value", "denominator"]].assign(band=areas[band_column].fillna("No funnel"))
    columns = [f"{side}_{level}{suffix}" for side in ("lower", "upper") for level in ("95", "99_8")]
    limits = curves.melt(id_vars=["size"], value_vars=columns, var_name="line", value_name="y")
    limits["level"] = limits["line"].str.contains("99_8").map({True: "99.8% limits", False: "95% limits"})
    return {"areas": records(table), "limits": records(limits.dropna(subset=["y"])), "target": records(curves[["size", "target"]])}


def xmr_template(indicator: Indicator) -> dict:
    """XmR chart; dataset `series` is the chosen area's points."""
    base = alt.Chart(alt.NamedData(name="series")).encode(
        x=alt.X("period:O", sort=None, title="Period", axis=alt.Axis(labelAngle=-45, labelOverlap=True)))
    line = base.mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(
        y=alt.Y("value:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)))
    points = base.mark_circle(size=45, opacity=1).encode(
        y="value:Q",
        color=alt.Color("point_type:N", title="Point",
                        scale=alt.Scale(domain=list(POINT_TYPE_COLOURS), range=list(POINT_TYPE_COLOURS.values())),
                        legend=alt.Legend(labelExpr="replace(datum.label, /_/g, ' ')")),
        tooltip=[alt.Tooltip("period:N"), alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("point_type:N", title="Point")],
    )
    mean = base.mark_line(color=NHS_BLUE, strokeWidth=1).encode(y="mean:Q")
    upl = base.mark_line(color=NHS_DARK_GREY, strokeDash=[5, 4], strokeWidth=1).encode(y="upl:Q")
    lpl = base.mark_line(color=NHS_DARK_GREY, strokeDash=[5, 4], strokeWidth=1).encode(y="lpl:Q")
    return _themed((line + mean + upl + lpl + points).properties(width="container", height=280))


def map_template(indicator: Indicator, code_property: str) -> dict:
    """Choropleth of area values; datasets `boundaries` (GeoJSON features) and `areas`."""
    shapes = alt.Chart(alt.NamedData(name="boundaries", format=alt.DataFormat(type="json", property="features")))
    chart = shapes.mark_geoshape(stroke="white", strokeWidth=0.4).transform_lookup(
        lookup=f"properties.{code_property}",
        from_=alt.LookupData(data=alt.NamedData(name="areas"), key="area_code", fields=["value", "area_name", "lower95", "upper95"]),
    ).encode(
        color=alt.Color("value:Q", title=indicator.unit or "value",
                        scale=alt.Scale(scheme="blues", reverse=indicator.polarity is Polarity.LOW_IS_GOOD)),
        tooltip=[alt.Tooltip("area_name:N", title="Area"), alt.Tooltip("value:Q", format=".1f"),
                 alt.Tooltip("lower95:Q", format=".1f", title="95% lower"), alt.Tooltip("upper95:Q", format=".1f", title="95% upper")],
    ).project(type="mercator")
    return _themed(chart.properties(width="container", height=460))


def gain_template(indicator: Indicator) -> dict:
    """Each area's gain (people) with its interval, largest first; dataset `gains`."""
    base = alt.Chart(alt.NamedData(name="gains")).encode(
        y=alt.Y("area_label:N", sort=alt.EncodingSortField("gain", op="max", order="descending"), title=None),
    )
    bars = base.mark_bar(height=10).encode(
        x=alt.X("gain:Q", title="Extra people if the area matched its benchmark"),
        color=alt.Color("significance:N", title=None, scale=alt.Scale(
            domain=["Beyond chance", "Could be chance"], range=[NHS_BLUE, MDC_COMMON])),
        tooltip=[alt.Tooltip("area_label:N", title="Area"), alt.Tooltip("gain:Q", format=",.0f"),
                 alt.Tooltip("gain_lower:Q", format=",.0f", title="lower"), alt.Tooltip("gain_upper:Q", format=",.0f", title="upper")],
    )
    whiskers = base.mark_rule(color=NHS_DARK_GREY).encode(x="gain_lower:Q", x2="gain_upper:Q")
    return _themed((bars + whiskers).properties(width="container", height=alt.Step(14)))


def pareto_template() -> dict:
    """The aggregation of marginal gains: pairs by significant gain, with the cumulative share; dataset `pairs`."""
    base = alt.Chart(alt.NamedData(name="pairs")).encode(x=alt.X("rank:O", title="Area x indicator pairs, largest gain first",
                                                                  axis=alt.Axis(labels=False, ticks=False)))
    bars = base.mark_bar(color=NHS_BLUE).encode(
        y=alt.Y("counted_gain:Q", title="Extra people (beyond chance)"),
        tooltip=[alt.Tooltip("indicator_id:N", title="Indicator"), alt.Tooltip("area_code:N", title="Area"),
                 alt.Tooltip("counted_gain:Q", format=",.0f", title="Gain"),
                 alt.Tooltip("cumulative_share:Q", format=".0%", title="Cumulative share")],
    )
    line = base.mark_line(color=NHS_WARM_YELLOW, strokeWidth=2.5).encode(
        y=alt.Y("cumulative_share:Q", title="Cumulative share of the gain", axis=alt.Axis(format="%")))
    return _themed(alt.layer(bars, line).resolve_scale(y="independent").properties(width="container", height=320))


def components_template() -> dict:
    """Each care process's own national rate beside the all-or-none bundle; dataset `components`."""
    chart = alt.Chart(alt.NamedData(name="components")).mark_bar(height=14).encode(
        y=alt.Y("title:N", sort=alt.EncodingSortField("rate", op="max", order="descending"), title=None),
        x=alt.X("rate:Q", title="Percentage of people", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["All processes", "One process"], range=[NHS_WARM_YELLOW, NHS_BLUE])),
        tooltip=[alt.Tooltip("title:N", title="Process"), alt.Tooltip("rate:Q", format=".1f")],
    )
    return _themed(chart.properties(width="container", height=alt.Step(20)))
