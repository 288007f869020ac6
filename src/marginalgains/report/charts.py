"""Chart specifications for the atlas: written in Vega-Lite (via Altair), shipped compiled to Vega;
drawing only, no statistics.

Each template is built once per indicator over named datasets that the page (or the workspace
service) supplies per view. Every template carries two parameters the page sets without
redrawing: `selected` (an area code) and `peers` (its peers' codes), so the chosen area is
marked in every chart. Titles say SYNTHETIC for synthetic indicators, so a cropped chart cannot
pass for real data; the page adds the indicator and period as the subtitle.
"""

from __future__ import annotations

import re
from functools import lru_cache, wraps

import altair as alt
import orjson

from marginalgains.model import Indicator, Measure, Polarity

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BRIGHT_BLUE = "#0072CE"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_DARK_RED = "#8A1538"
NHS_ORANGE_DARK = "#B35900"
NHS_PURPLE = "#330072"
NHS_PINK = "#AE2573"
NHS_GREEN = "#007F3B"
NHS_DARK_GREEN = "#004F2D"
NHS_WARM_YELLOW = "#FFB81C"
MDC_IMPROVEMENT = "#1F6FB0"
MDC_CONCERN = "#B35900"
MDC_COMMON = NHS_MID_GREY
MDC_NEUTRAL = "#490092"
SELECTED = "#212B32"
FONT = "Arial, Helvetica, sans-serif"

POINT_TYPE_COLOURS = {
    "special_cause_improvement": MDC_IMPROVEMENT,
    "special_cause_concern": MDC_CONCERN,
    "special_cause_neutral_high": MDC_NEUTRAL,
    "special_cause_neutral_low": MDC_NEUTRAL,
    "common_cause": MDC_COMMON,
}
POINT_TYPE_SHAPES = ["triangle-up", "triangle-down", "diamond", "diamond", "circle"]
BAND_ORDER = (2, 1, 0, -1, -2)
BAND_SHAPES = ["triangle-up", "diamond", "circle", "square", "triangle-down", "cross"]
NO_FUNNEL = "No funnel"
SELECTED_TEST = "datum.code === selected"
PEER_TEST = "indexof(peers, datum.code) >= 0"
MARKED = "marked"  # the chosen area and its peers, drawn as their own layer over a chart of thousands
CHOSEN_TEST = "datum.chosen"  # in the marked layer: the chosen area itself (the rest are its peers)


def band_labels(indicator: Indicator) -> dict[int, str]:
    """Words for funnel bands that respect the indicator's polarity."""
    high, low = {
        Polarity.HIGH_IS_GOOD: ("Better", "Worse"),
        Polarity.LOW_IS_GOOD: ("Worse", "Better"),
        Polarity.NO_JUDGEMENT: ("Higher", "Lower"),
    }[indicator.polarity]
    return {2: f"{high} (beyond 99.8%)", 1: f"{high} (beyond 95%)", 0: "Within limits",
            -1: f"{low} (beyond 95%)", -2: f"{low} (beyond 99.8%)"}


def band_colours(indicator: Indicator) -> list[str]:
    """Band colours from highest to lowest band, then "no funnel"; each at least 3:1 against white."""
    if indicator.polarity is Polarity.NO_JUDGEMENT:
        colours = [NHS_PURPLE, NHS_PINK, NHS_MID_GREY, NHS_GREEN, NHS_DARK_GREEN]
    else:
        good, good_light, bad_light, bad = NHS_DARK_BLUE, NHS_BRIGHT_BLUE, NHS_ORANGE_DARK, NHS_DARK_RED
        colours = [good, good_light, NHS_MID_GREY, bad_light, bad]
        if indicator.polarity is Polarity.LOW_IS_GOOD:
            colours = [bad, bad_light, NHS_MID_GREY, good_light, good]
    return colours + [NHS_DARK_GREY]


def _band_domain(indicator: Indicator) -> list[str]:
    labels = band_labels(indicator)
    return [labels[b] for b in BAND_ORDER] + [NO_FUNNEL]


def chart_title(indicator: Indicator, what: str) -> str:
    """The chart's title: what it shows, SYNTHETIC first when the data are invented."""
    synthetic = indicator.synthetic and not what.startswith("SYNTHETIC")
    return f"SYNTHETIC data · {what}" if synthetic else what


AXIS_TITLE_LIMIT = 48
AXIS_PLACEHOLDER = "@@axis-title@@"
UNIT_PLACEHOLDER = "@@unit@@"


def _axis_title(indicator: Indicator) -> str:
    """The indicator's title on its axis, or just its unit when the title would not fit."""
    if indicator.title == AXIS_PLACEHOLDER:
        return AXIS_PLACEHOLDER
    title = f"{indicator.title} ({indicator.unit})" if indicator.unit else indicator.title
    if len(title) <= AXIS_TITLE_LIMIT:
        return title
    return f"Value ({indicator.unit})" if indicator.unit else "Value"


VALIDATE_SPECS = False  # the tests validate every template against the Vega-Lite schema; pages skip the cost


def vega(spec: dict) -> dict:
    """A Vega-Lite spec compiled to Vega (by vl-convert), so the page draws it without compiling it
    itself: the browser's work on load is only Vega's. Named datasets stay named data sources."""
    import vl_convert  # the Deno-based compiler starts on first use

    return _plain_tooltips(_domains_without(vl_convert.vegalite_to_vega(spec), MARKED))


# Vega-Lite guards each text field of a tooltip against nulls and arrays (`isValid(datum["f"]) ?
# isArray(datum["f"]) ? join(...) : datum["f"] : ""+datum["f"]`); the page's fields are strings or
# missing, and its tooltip handler skips missing ones, so the field alone does: Vega interprets the
# expression once per point (the CSP allows no eval), 6,500 times per chart at practice scale.
_GUARDED_FIELD = re.compile(r"""isValid\(datum\["(\w+)"\]\) \? isArray\(datum\["\1"\]\) \? join\(datum\["\1"\], '\\n'\) """
                            r""": datum\["\1"\] : ""\+datum\["\1"\]""")


def _plain_tooltips(node):
    """The compiled spec with every tooltip's guarded text fields read directly (see _GUARDED_FIELD)."""
    if isinstance(node, list):
        return [_plain_tooltips(item) for item in node]
    if not isinstance(node, dict):
        return node
    tooltip = node.get("tooltip")
    if isinstance(tooltip, dict) and isinstance(tooltip.get("signal"), str):
        node = {**node, "tooltip": {"signal": _GUARDED_FIELD.sub(r'datum["\1"]', tooltip["signal"])}}
    return {key: value if key == "tooltip" else _plain_tooltips(value) for key, value in node.items()}


def _domains_without(spec: dict, dataset: str) -> dict:
    """The Vega spec with `dataset` (and the data derived from it) left out of every scale's domain.
    The marked areas are a few of the areas already drawn, so the domains are the same; but a domain
    reading them would make Vega rescale, and so re-encode all 6,500 points, each time one is chosen."""
    derived = {dataset}
    for source in spec.get("data", []):  # Vega lists a data source after the one it reads
        if source.get("source") in derived:
            derived.add(source["name"])
    for scale in spec.get("scales", []):
        domain = scale.get("domain")
        if isinstance(domain, dict) and "fields" in domain:
            domain["fields"] = [f for f in domain["fields"] if not (isinstance(f, dict) and f.get("data") in derived)]
    return spec


def _per_shape(build):
    """Build a template once per indicator shape (what the charts read: polarity, whether there is a
    unit, synthetic), then give each indicator its own axis title and unit: Altair and the compiler
    take a while per spec, and 21 indicators share a shape or two. Templates are Vega (see `vega`)."""
    @lru_cache(maxsize=128)
    def cached(shape: Indicator, validate: bool, *args) -> str:
        return orjson.dumps(vega(build(shape, *args))).decode("utf-8")

    @wraps(build)
    def template(indicator: Indicator, *args) -> dict:
        # only what the charts read: measures, breakdowns, families, notes would make every shape new
        shape = Indicator(id="", title=AXIS_PLACEHOLDER, polarity=indicator.polarity, measure=Measure.MEAN,
                          unit=UNIT_PLACEHOLDER if indicator.unit else "", synthetic=indicator.synthetic)
        texts = {AXIS_PLACEHOLDER: (_axis_title(indicator), "Value"), UNIT_PLACEHOLDER: (indicator.unit, "value")}
        return _titled(orjson.loads(cached(shape, VALIDATE_SPECS, *args)), texts)

    return template


def _titled(node, texts: dict[str, tuple[str, str]]):
    """The spec with each placeholder (the axis title, the unit) put where it is text (a `title`
    value). Where the compiler quoted one inside a Vega expression (an ARIA description), it becomes
    a plain word ("Value", "value"): text from data never enters an expression."""
    if isinstance(node, dict):
        return {key: _titled(value, texts) for key, value in node.items()}
    if isinstance(node, list):
        return [_titled(value, texts) for value in node]
    if isinstance(node, str) and "@@" in node:
        if node in texts:
            return texts[node][0]
        for placeholder, (_, word) in texts.items():
            node = node.replace(placeholder, word)
    return node
SELECTION_PARAMS = [alt.param(name="selected", value=""), alt.param(name="peers", value=[])]


def _themed(chart, title: str) -> dict:
    """The chart as a Vega-Lite dict in NHS style, with the selection parameters and its title."""
    return chart.add_params(*SELECTION_PARAMS).properties(
        title=alt.TitleParams(text=title, anchor="start", fontSize=15, color="#212B32", subtitleColor=NHS_DARK_GREY,
                              subtitleFontSize=12, limit=0)
    ).configure(font=FONT).configure_axis(
        labelFontSize=12, titleFontSize=13, labelColor=NHS_DARK_GREY, titleColor=NHS_DARK_GREY, gridColor="#E8EDEE",
        labelOverlap=True, labelFlush=True,
    ).configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom", direction="vertical", labelLimit=260,
                       ).configure_view(stroke=None).to_dict(validate=VALIDATE_SPECS)


def _band(indicator: Indicator, field: str = "band"):
    domain = _band_domain(indicator)
    colour = alt.Color(f"{field}:N", scale=alt.Scale(domain=domain, range=band_colours(indicator)), title="Funnel band")
    shape = alt.Shape(f"{field}:N", scale=alt.Scale(domain=domain, range=BAND_SHAPES), title="Funnel band")
    return colour, shape


def _value_tooltips(indicator: Indicator) -> list:
    return [alt.Tooltip("label:N", title="Area"), alt.Tooltip("shown:N", title="Value"),
            alt.Tooltip("interval:N", title="95% interval"), alt.Tooltip("band:N", title="Funnel band")]


def _highlight(default_size: float):
    """Marks of the chosen area drawn larger and outlined, its peers outlined."""
    size = alt.condition(SELECTED_TEST, alt.value(default_size * 5), alt.value(default_size))
    stroke = alt.condition(f"{SELECTED_TEST} || {PEER_TEST}", alt.value(SELECTED), alt.value(None))
    return {"size": size, "stroke": stroke, "strokeWidth": alt.value(2)}


def _pooled_rule(orient: str = "y"):
    """The pooled figure as a dashed line, with its words beside it."""
    base = alt.Chart(alt.NamedData(name="pooled"))
    encode = {orient: alt.Y("pooled:Q") if orient == "y" else alt.X("pooled:Q")}
    rule = base.mark_rule(color=NHS_DARK_GREY, strokeDash=[6, 3], strokeWidth=1.5).encode(**encode)
    text = base.mark_text(align="left", dx=4, dy=-7, color="#212B32", fontSize=12).encode(
        text="label:N", x=alt.value(4), **encode)
    return rule + text


@_per_shape
def ranked_template(indicator: Indicator) -> dict:
    """Areas ranked by value with their 95% intervals, band by colour and shape; datasets `areas`, `pooled`."""
    colour, shape = _band(indicator)
    base = alt.Chart(alt.NamedData(name="areas")).encode(
        x=alt.X("rank:Q", axis=alt.Axis(labels=False, ticks=False, grid=False, title="Areas, ranked by value"),
                scale=alt.Scale(nice=False, padding=6)))
    bars = base.mark_rule(strokeWidth=1.5, opacity=0.7).encode(
        y=alt.Y("lower95:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)), y2="upper95:Q", color=colour)
    points = base.mark_point(filled=True, opacity=1).encode(
        y="value:Q", color=colour, shape=shape, tooltip=_value_tooltips(indicator), **_highlight(30))
    chart = alt.layer(bars, points, _pooled_rule()).properties(width="container", height=320)
    return _themed(chart, chart_title(indicator, "Areas ranked, with 95% intervals"))


@_per_shape
def distribution_template(indicator: Indicator) -> dict:
    """Thousands of areas ranked as one distribution (values and their 95% band), the chosen area and
    its peers marked and named; datasets `areas` (rank, value, limits), `marked` (`chosen` true for the chosen area), `pooled`."""
    base = alt.Chart(alt.NamedData(name="areas")).encode(
        x=alt.X("rank:Q", axis=alt.Axis(labels=False, ticks=False, grid=False, title="Areas, ranked by value"),
                scale=alt.Scale(nice=False)))
    band = base.mark_area(color="#9AAAB6", opacity=0.6).encode(
        y=alt.Y("lower95:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)), y2="upper95:Q")
    line = base.mark_line(color=NHS_BLUE, strokeWidth=1.5).encode(y="value:Q")
    marked = alt.Chart(alt.NamedData(name=MARKED)).encode(x="rank:Q", y="value:Q")
    dots = marked.mark_point(filled=True, size=90, color=SELECTED, opacity=1, aria=False).encode(
        shape=alt.condition(CHOSEN_TEST, alt.value("diamond"), alt.value("circle")), tooltip=_value_tooltips(indicator))
    words = marked.transform_filter(CHOSEN_TEST).mark_text(align="left", dx=8, dy=-8, fontSize=12, color=SELECTED).encode(
        text="label:N")
    chart = alt.layer(band, line, dots, words, _pooled_rule()).properties(width="container", height=320)
    return _themed(chart, chart_title(indicator, "Every area ranked: values with 95% intervals"))


@_per_shape
def funnel_template(indicator: Indicator) -> dict:
    """Funnel plot: value against size with 95% (dashed) and 99.8% (solid) limits, the pooled
    line labelled, bands by colour and shape, outliers named, the chosen area and its peers ringed;
    datasets `areas`, `limits`, `target`, `labels`, `marked` (`chosen` true for the chosen area)."""
    colour, shape = _band(indicator)
    points = alt.Chart(alt.NamedData(name="areas")).mark_point(filled=True, opacity=0.85).encode(
        x=alt.X("denominator:Q", scale=alt.Scale(type="log"), title="Denominator (size)", axis=alt.Axis(format="~s")),
        y=alt.Y("value:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)),
        color=colour, shape=shape, opacity=alt.value(0.85),
        tooltip=_value_tooltips(indicator) + [alt.Tooltip("denominator:Q", format=",.0f", title="Denominator")],
        **_highlight(28))
    lines = alt.Chart(alt.NamedData(name="limits")).mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(
        x="size:Q", y="y:Q", detail="line:N",
        strokeDash=alt.StrokeDash("level:N", scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[5, 4], [1, 0]]),
                                  title="Limits"))
    target = alt.Chart(alt.NamedData(name="target"))
    target_line = target.mark_line(color=NHS_BLUE, strokeWidth=1.5).encode(x="size:Q", y="target:Q")
    target_words = target.transform_window(order="row_number()").transform_filter("datum.order === 1").mark_text(
        align="left", dx=4, dy=-8, fontSize=12, color=NHS_DARK_BLUE).encode(x="size:Q", y="target:Q", text="label:N")
    names = alt.Chart(alt.NamedData(name="labels")).mark_text(align="left", dx=7, fontSize=11, color="#212B32").encode(
        x="denominator:Q", y="value:Q", text="label:N")
    marked = alt.Chart(alt.NamedData(name=MARKED)).mark_point(filled=False, size=160, strokeWidth=2.5, color=SELECTED, aria=False).encode(
        x="denominator:Q", y="value:Q", shape=alt.condition(CHOSEN_TEST, alt.value("diamond"), alt.value("circle")),
        tooltip=_value_tooltips(indicator))
    chart = alt.layer(lines, target_line, target_words, points, names, marked).properties(width="container", height=340)
    return _themed(chart, chart_title(indicator, "Funnel plot: value against size, with 95% and 99.8% limits"))


PERIOD_AXIS = alt.X("period:O", sort=None, title="Period", axis=alt.Axis(labelAngle=-45, labelOverlap=True))


def _xmr_layers(indicator: Indicator, extra_tooltips: list) -> dict:
    """The layers every XmR chart draws over dataset `series`: the values' line, the mean, the process
    limits (dashed) and the points coloured and shaped by Making Data Count's point types."""
    base = alt.Chart(alt.NamedData(name="series")).encode(x=PERIOD_AXIS)
    domain = list(POINT_TYPE_COLOURS)
    legend = alt.Legend(labelExpr="replace(datum.label, /_/g, ' ')")
    points = base.mark_point(size=55, filled=True, opacity=1).encode(
        y="value:Q",
        color=alt.Color("point_type:N", title="Point", scale=alt.Scale(domain=domain, range=list(POINT_TYPE_COLOURS.values())),
                        legend=legend),
        shape=alt.Shape("point_type:N", title="Point", scale=alt.Scale(domain=domain, range=POINT_TYPE_SHAPES), legend=legend),
        tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("value:Q", format=",.2f", title="Value"),
                 *extra_tooltips[:1], alt.Tooltip("point_type:N", title="Point"), *extra_tooltips[1:]])
    limit = {"color": NHS_DARK_GREY, "strokeDash": [5, 4], "strokeWidth": 1}
    return {"base": base, "points": points,
            "line": base.mark_line(color=NHS_DARK_GREY, strokeWidth=1.2).encode(
                y=alt.Y("value:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False))),
            "mean": base.mark_line(color=NHS_BLUE, strokeWidth=1.2).encode(y="mean:Q"),
            "upl": base.mark_line(**limit).encode(y="upl:Q"), "lpl": base.mark_line(**limit).encode(y="lpl:Q")}


@_per_shape
def xmr_template(indicator: Indicator) -> dict:
    """XmR chart; dataset `series` is the chosen area's points."""
    xmr = _xmr_layers(indicator, [])
    chart = alt.layer(xmr["line"], xmr["mean"], xmr["upl"], xmr["lpl"], xmr["points"]).properties(width="container", height=280)
    return _themed(chart, chart_title(indicator, "Over time: XmR chart (mean, dashed process limits)"))


@_per_shape
def map_template(indicator: Indicator, code_property: str) -> dict:
    """Choropleth of area values, the chosen area outlined; datasets `boundaries` (GeoJSON) and `areas`."""
    shapes = alt.Chart(alt.NamedData(name="boundaries", format=alt.DataFormat(type="json", property="features")))
    chart = shapes.mark_geoshape(strokeWidth=0.5).transform_lookup(
        lookup=f"properties.{code_property}",
        from_=alt.LookupData(data=alt.NamedData(name="areas"), key="code",
                             fields=["code", "value", "label", "shown", "interval", "band"]),
    ).encode(
        color=alt.Color("value:Q", title=indicator.unit or "value",
                        scale=alt.Scale(scheme="blues", reverse=indicator.polarity is Polarity.LOW_IS_GOOD)),
        stroke=alt.condition(SELECTED_TEST, alt.value(NHS_WARM_YELLOW), alt.value("white")),
        strokeWidth=alt.condition(SELECTED_TEST, alt.value(3), alt.value(0.5)),
        tooltip=_value_tooltips(indicator),
    ).project(type="mercator")
    return _themed(chart.properties(width="container", height=460), chart_title(indicator, "Map of values by area"))


@_per_shape
def gain_template(indicator: Indicator) -> dict:
    """Each area's gain (people) with its interval, largest first; dataset `gains`."""
    base = alt.Chart(alt.NamedData(name="gains")).encode(
        y=alt.Y("label:N", sort=alt.EncodingSortField("gain", op="max", order="descending"), title=None,
                axis=alt.Axis(labelLimit=220)))
    bars = base.mark_bar(height=10).encode(
        x=alt.X("gain:Q", title="Extra people if the area matched its benchmark", axis=alt.Axis(format=",d")),
        color=alt.Color("significance:N", title=None, scale=alt.Scale(
            domain=["Beyond chance", "Could be chance"], range=[NHS_BLUE, NHS_MID_GREY])),
        stroke=alt.condition(SELECTED_TEST, alt.value(SELECTED), alt.value(None)), strokeWidth=alt.value(2),
        tooltip=[alt.Tooltip("label:N", title="Area"), alt.Tooltip("people:N", title="Gain")])
    whiskers = base.mark_rule(color=NHS_DARK_GREY).encode(x="gain_lower:Q", x2="gain_upper:Q")
    chart = alt.layer(bars, whiskers).properties(width="container", height=alt.Step(16))
    return _themed(chart, chart_title(indicator, "Opportunity: extra people per area, with 95% intervals"))


@lru_cache(maxsize=8)
def _pareto_vega(validate: bool, unit: str) -> str:
    return orjson.dumps(vega(_pareto_lite(unit))).decode("utf-8")


def pareto_template(unit: str = "more people") -> dict:
    """The Pareto chart's Vega template for a total counted in `unit` (see `_pareto_lite`)."""
    return orjson.loads(_pareto_vega(VALIDATE_SPECS, unit))


def _pareto_lite(unit: str) -> dict:
    """The aggregation of marginal gains within one total: pairs by gain (in the total's unit, "more
    people", "fewer events"), with the cumulative share; dataset `pairs`."""
    base = alt.Chart(alt.NamedData(name="pairs")).encode(x=alt.X("rank:O", title="Area x indicator pairs, largest gain first",
                                                                  axis=alt.Axis(labels=False, ticks=False)))
    bars = base.mark_bar(color=NHS_BLUE).encode(
        y=alt.Y("gain:Q", title=f"{unit[0].upper()}{unit[1:]} (beyond chance)", axis=alt.Axis(format=",d")),
        tooltip=[alt.Tooltip("indicator:N", title="Indicator"), alt.Tooltip("label:N", title="Area"),
                 alt.Tooltip("people:N", title="Gain"), alt.Tooltip("share:Q", format=".0%", title="Cumulative share")])
    line = base.mark_line(color=NHS_ORANGE_DARK, strokeWidth=2.5).encode(
        y=alt.Y("share:Q", title="Cumulative share of the gain", axis=alt.Axis(format="%")))
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(width="container", height=320)
    return _themed(chart, f"Where the gains are: pairs by {unit}, with the cumulative share")


@_per_shape
def components_template(indicator: Indicator) -> dict:
    """Each care process's own national rate beside the all-or-none bundle; dataset `components`."""
    chart = alt.Chart(alt.NamedData(name="components")).mark_bar(height=14).encode(
        y=alt.Y("title:N", sort=alt.EncodingSortField("rate", op="max", order="descending"), title=None,
                axis=alt.Axis(labelLimit=240)),
        x=alt.X("rate:Q", title="Percentage of people", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["All processes", "One process"],
                                                              range=[NHS_ORANGE_DARK, NHS_BLUE])),
        tooltip=[alt.Tooltip("title:N", title="Process"), alt.Tooltip("rate:Q", format=".1f", title="Rate (%)")])
    chart = chart.properties(width="container", height=alt.Step(20))
    return _themed(chart, chart_title(indicator, "The care bundle: each process beside all of them"))


def plan_template(indicator: Indicator) -> dict:
    """A plan x area over time: the XmR chart with the plan's trajectory, its target and its dated
    changes; datasets `series` (period, value, lower, upper, mean, lpl, upl, trajectory,
    point_type), `target` (target, label) and `changes` (period, label)."""
    xmr = _xmr_layers(indicator, [alt.Tooltip("trajectory:Q", format=",.2f", title="Trajectory"),
                                  alt.Tooltip("assurance:N", title="Assurance")])
    base = xmr["base"]
    interval = base.mark_rule(color=NHS_MID_GREY, opacity=0.5).encode(
        y=alt.Y("lower:Q", title=_axis_title(indicator), scale=alt.Scale(zero=False)), y2="upper:Q")
    trajectory = base.mark_line(color=NHS_WARM_YELLOW, strokeWidth=2.5).encode(y="trajectory:Q").transform_filter(
        "isValid(datum.trajectory)")
    goal = alt.Chart(alt.NamedData(name="target"))
    target = goal.mark_rule(color=NHS_DARK_BLUE, strokeDash=[2, 2], strokeWidth=1.5).encode(y="target:Q")
    target_text = goal.mark_text(align="left", dx=4, dy=-7, color=NHS_DARK_BLUE, fontSize=12).encode(
        y="target:Q", x=alt.value(4), text="label:N")
    moments = alt.Chart(alt.NamedData(name="changes"))
    changes = moments.mark_rule(color=NHS_PURPLE, strokeWidth=1.5).encode(x=PERIOD_AXIS, tooltip=[
        alt.Tooltip("label:N", title="Change")])
    change_text = moments.mark_text(align="left", baseline="top", dx=3, y=2, color=NHS_PURPLE, fontSize=11,
                                    limit=180).encode(x=PERIOD_AXIS, text="short:N")
    chart = alt.layer(interval, xmr["line"], xmr["mean"], xmr["upl"], xmr["lpl"], trajectory, target, target_text,
                      changes, change_text, xmr["points"])
    return _themed(chart.properties(width="container", height=300),
                   chart_title(indicator, "Over time against the plan: XmR chart, trajectory (yellow), target (dotted)"))


def static_svg(template: dict, datasets: dict[str, list], subtitle: list[str], width: int) -> str:
    """A chart drawn as SVG when the page is built (vl-convert), `width` pixels wide: the template
    with its data sources filled as the page's renderer fills them, without what only the live chart
    uses (each mark's ARIA description and tooltip: the page shows this drawing as an image, whose
    text alternative is its `alt`, until the live chart replaces it)."""
    import vl_convert

    spec = {**template, "title": {**template["title"], "subtitle": subtitle},
            "data": [{**source, "values": datasets[source["name"]]} if source["name"] in datasets else source
                     for source in template["data"]],
            "signals": [{"name": "width", "value": width} if signal["name"] == "width" else signal
                        for signal in template.get("signals", [])],
            "marks": _without_descriptions(template["marks"])}
    return vl_convert.vega_to_svg(spec)


def _without_descriptions(marks: list[dict]) -> list[dict]:
    lean = []
    for mark in marks:
        mark = {**mark, **({"marks": _without_descriptions(mark["marks"])} if "marks" in mark else {})}
        update = mark.get("encode", {}).get("update")
        if update:
            kept = {k: v for k, v in update.items() if k not in ("description", "ariaRoleDescription", "tooltip")}
            mark["encode"] = {**mark["encode"], "update": kept}
        lean.append(mark)
    return lean
