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


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _axis_title(indicator: Indicator) -> str:
    return f"{indicator.title} ({indicator.unit})" if indicator.unit else indicator.title


def _themed(chart: alt.Chart, datasets: dict[str, pd.DataFrame] | None = None) -> dict:
    """The chart as a Vega-Lite dict in NHS style; data join as named datasets (not schema-validated)."""
    spec = chart.configure(font=FONT).configure_axis(
        labelFontSize=12, titleFontSize=13, labelColor=NHS_DARK_GREY, titleColor=NHS_DARK_GREY, gridColor="#E8EDEE"
    ).configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom", columns=3).configure_view(stroke=None)
    result = spec.to_dict()
    if datasets:
        result["datasets"] = {name: _records(frame) for name, frame in datasets.items()}
    return result


def ranked_chart(areas: pd.DataFrame, indicator: Indicator, pooled: float) -> dict:
    """Areas ranked by value with their 95% intervals, coloured by funnel band."""
    data = areas.assign(band_label=areas["band_label"].fillna("No funnel"))
    base = alt.Chart(alt.NamedData(name="areas")).encode(
        x=alt.X("area_code:N", sort=alt.EncodingSortField("value", order="ascending"),
                axis=alt.Axis(labels=False, ticks=False, title=f"{len(data)} areas, ranked")),
    )
    y_title = _axis_title(indicator)
    bars = base.mark_rule(strokeWidth=1.5, opacity=0.6).encode(
        y=alt.Y("lower95:Q", title=y_title, scale=alt.Scale(zero=False)), y2="upper95:Q",
        color=alt.Color("band_label:N", scale=band_scale(indicator), title="Funnel"),
    )
    points = base.mark_point(filled=True, size=28).encode(
        y="value:Q", color=alt.Color("band_label:N", scale=band_scale(indicator), title="Funnel"),
        tooltip=[alt.Tooltip("area_code:N", title="Area"), alt.Tooltip("area_name:N", title="Name"),
                 alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("lower95:Q", format=".2f", title="95% lower"),
                 alt.Tooltip("upper95:Q", format=".2f", title="95% upper"), alt.Tooltip("band_label:N", title="Funnel")],
    )
    rule = alt.Chart(alt.InlineData(values=[{"pooled": pooled}])).mark_rule(color=NHS_DARK_GREY, strokeDash=[4, 3]).encode(y="pooled:Q")
    return _themed((bars + points + rule).properties(width="container", height=320), {"areas": data})


def funnel_chart(areas: pd.DataFrame, curves: pd.DataFrame, indicator: Indicator, adjusted: bool) -> dict:
    """Funnel plot: value against size with 95% and 99.8% limits (plain or overdispersion-adjusted)."""
    suffix = "_adjusted" if adjusted else ""
    band_column = "band_label_adjusted" if adjusted else "band_label"
    data = areas.assign(band=areas[band_column].fillna("No funnel"))
    y_title = _axis_title(indicator)
    points = alt.Chart(alt.NamedData(name="areas")).mark_circle(size=36, opacity=0.85).encode(
        x=alt.X("denominator:Q", scale=alt.Scale(type="log"), title="Denominator (size)"),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=alt.Color("band:N", scale=band_scale(indicator), title="Funnel"),
        tooltip=[alt.Tooltip("area_code:N", title="Area"), alt.Tooltip("area_name:N", title="Name"),
                 alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("denominator:Q", format=",.0f")],
    )
    limits = curves.melt(id_vars=["size"], value_vars=[f"{s}_{lvl}{suffix}" for s in ("lower", "upper") for lvl in ("95", "99_8")],
                         var_name="limit", value_name="y")
    limits["level"] = limits["limit"].str.contains("99_8").map({True: "99.8% limits", False: "95% limits"})
    limits["line"] = limits["limit"].str.replace(suffix, "", regex=False) if suffix else limits["limit"]
    lines = alt.Chart(alt.NamedData(name="limits")).mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(
        x="size:Q", y="y:Q", detail="line:N",
        strokeDash=alt.StrokeDash("level:N", scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[5, 4], [1, 0]]), title="Limits"),
    )
    target = alt.Chart(alt.NamedData(name="target")).mark_line(color=NHS_BLUE, strokeWidth=1).encode(x="size:Q", y="target:Q")
    layered = (lines + target + points).properties(width="container", height=320)
    return _themed(layered, {"areas": data, "limits": limits[["size", "y", "level", "line"]], "target": curves[["size", "target"]]})


def xmr_template(indicator: Indicator) -> dict:
    """XmR chart spec whose data (named `series`) the page fills for the chosen area."""
    base = alt.Chart(alt.NamedData(name="series")).encode(x=alt.X("period_start:T", title="Period"))
    y_title = _axis_title(indicator)
    line = base.mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)))
    points = base.mark_circle(size=45, opacity=1).encode(
        y="value:Q",
        color=alt.Color("point_type:N", title="Point",
                        scale=alt.Scale(domain=list(POINT_TYPE_COLOURS), range=list(POINT_TYPE_COLOURS.values()))),
        tooltip=[alt.Tooltip("period:N"), alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("point_type:N", title="Point")],
    )
    mean = base.mark_line(color=NHS_BLUE, strokeWidth=1).encode(y="mean:Q")
    upl = base.mark_line(color=NHS_DARK_GREY, strokeDash=[5, 4], strokeWidth=1).encode(y="upl:Q")
    lpl = base.mark_line(color=NHS_DARK_GREY, strokeDash=[5, 4], strokeWidth=1).encode(y="lpl:Q")
    return _themed((line + mean + upl + lpl + points).properties(width="container", height=280))
