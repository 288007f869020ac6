"""`gains prioritise` and `gains fund`: from indicator values to ranked priorities and a funded plan."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from marginalgains.cli.app import JsonOption, app, console, fail, print_json, progress_bar

ValuesOption = Annotated[Optional[Path], typer.Option(help="Tidy values (CSV/Parquet): indicator_id, area_code, period, numerator, denominator.")]
CatalogueOption = Annotated[Optional[Path], typer.Option(help="Indicator catalogue (YAML); with --fingertips, overrides of what was inferred (benefit_weight, tags ...).")]
FingertipsOption = Annotated[Optional[str], typer.Option(help="Instead of --values: a Fingertips CSV export or API CSV address, read as gains atlas reads it.")]
AreaTypeOption = Annotated[Optional[str], typer.Option(help="The area type to compare (default: the most numerous, never England or its regions when there are others).")]
CovariatesOption = Annotated[Optional[Path], typer.Option(help="Areas table (CSV/Parquet) whose numeric columns are peer covariates.")]
BenchmarkOption = Annotated[Optional[str], typer.Option(help="national, top_quartile, top_decile, best, peer_best5 or a number; default peer_best5 with covariates, else top_quartile.")]


@app.command("prioritise")
def prioritise_command(
    values: ValuesOption = None,
    catalogue: CatalogueOption = None,
    fingertips: FingertipsOption = None,
    area_type: AreaTypeOption = None,
    covariates: CovariatesOption = None,
    tag: Annotated[Optional[str], typer.Option(help="Only indicators with this tag, e.g. long_term_conditions.")] = None,
    benchmark: BenchmarkOption = None,
    area: Annotated[Optional[str], typer.Option(help="Show this area's own priorities.")] = None,
    count: Annotated[str, typer.Option(help="significant (default: only gains beyond chance) or all.")] = "significant",
    as_json: JsonOption = False,
) -> None:
    """Rank indicators nationally (and each area's own) by benefit: weight x significant gain, latest period."""
    from marginalgains.errors import GainsError
    from marginalgains.improve import prioritise

    try:
        indicators, opps = _opportunities(Inputs(values, catalogue, fingertips, area_type, covariates), benchmark, tag,
                                          quiet=as_json)
        result = prioritise(opps, indicators, tag=tag, count=count)
        by_area = result.by_area if area is None else result.by_area[result.by_area["area_code"] == area]
        if area is not None and area not in set(opps["area_code"].astype(str)):
            raise GainsError(f"area {area!r} has no values")
    except GainsError as exc:
        fail(exc)
    from marginalgains.improve.breakdowns import COUNTED_RULE

    if as_json:
        print_json({"count": result.count, "ranking": f"ranked within each source (real, SYNTHETIC); {COUNTED_RULE}",
                    "national": _records(result.national), "by_area": _records(by_area)})
        return
    out = console()
    for kind, national in _by_source(result.national):
        out.print(_table(f"Indicators by benefit ({count} gain x benefit weight){_said(kind)}", _named(national), [
            ("#", "rank", _whole), ("Indicator", "name", str), ("Period", "period", str),
            ("Areas", "significant_areas", _whole),
            ("Gain (95% CI)", ("significant_gain", "significant_gain_lower", "significant_gain_upper"), _interval),
            ("Benefit", "benefit", _decimal)],
            caption="Areas: gaps beyond chance. Gain: people beyond chance (95% interval)." + _beside_note(national)))
    if area is not None and by_area.empty:
        out.print(f"Priorities for {area}: none ({'no gain beyond chance' if count == 'significant' else 'no gain'}).")
    if area is not None:
        for kind, own in _by_source(by_area):
            out.print(_table(f"Priorities for {area}{_said(kind)}", _named(own), [
                ("#", "rank", _whole), ("Indicator", "name", str), ("Value", "value", _decimal),
                ("Benchmark", "benchmark_value", _decimal),
                ("Gain (95% CI)", ("gain", "gain_lower", "gain_upper"), _interval),
                ("Benefit", "benefit", _decimal)], caption=_beside_note(own).strip() or None))


@app.command()
def fund(
    budget: Annotated[float, typer.Option(help="Money to allocate, e.g. 5000000.")],
    interventions: Annotated[Path, typer.Option(help="Interventions CSV: id, cost, indicator_id, effect and, optionally, effect_unit, area_code, group, tag, title.")],
    values: ValuesOption = None,
    catalogue: CatalogueOption = None,
    fingertips: FingertipsOption = None,
    area_type: AreaTypeOption = None,
    covariates: CovariatesOption = None,
    benchmark: BenchmarkOption = None,
    min_share: Annotated[Optional[list[str]], typer.Option(help="TAG=SHARE: least share of the budget for a tag (repeatable).")] = None,
    max_per_area: Annotated[Optional[float], typer.Option(help="Most that one area's interventions may cost.")] = None,
    step: Annotated[Optional[float], typer.Option(help="Budget step of the benefit curve (default 1,000,000 for budgets from 2 to 200 million, else a tenth of the budget; at most 200 steps).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Choose the interventions that buy most benefit within the budget; show the benefit-versus-budget curve."""
    from marginalgains.errors import GainsError
    from marginalgains.improve import allocate, benefit_curve, read_interventions

    try:
        indicators, opps = _opportunities(Inputs(values, catalogue, fingertips, area_type, covariates), benchmark, None,
                                          quiet=as_json)
        options = read_interventions(interventions, indicators, opps)
        _check_area_cap(max_per_area, options, interventions)
        shares = _shares(min_share or [])
        allocation = allocate(options, budget, shares, max_per_area)
        with progress_bar(console(as_json), as_json) as progress:
            task = progress.add_task("Benefit curve: solving each budget level", total=None)
            curve = benefit_curve(options, budget, step, shares, max_per_area,
                                  on_level=lambda levels: progress.update(task, total=levels, advance=1))
    except GainsError as exc:
        fail(exc)
    from marginalgains.improve.breakdowns import FUND_RULE
    from marginalgains.improve.fund import stacked_indicators

    stacked = stacked_indicators(allocation.table)
    if as_json:
        print_json({"budget": allocation.budget, "total_cost": allocation.total_cost,
                    "total_benefit": allocation.total_benefit, "source": allocation.source,
                    "synthetic": allocation.source == "SYNTHETIC", "periods": allocation.periods,
                    "breakdowns": FUND_RULE, "stacked_indicators": stacked, "chosen": allocation.chosen,
                    "allocation": _records(allocation.table), "curve": _records(curve)})
        return
    out = console()
    table = allocation.table.assign(name=allocation.table.get("title", allocation.table["id"]))
    out.print(_table(f"Allocation of {_money(allocation.budget)}{_said(allocation.source)}", table, [
        ("Intervention", "name", str), ("Area", "area_code", str), ("Indicator", "indicator_id", str),
        ("Cost", "cost", _money), ("Benefit", "benefit", _decimal)]))
    chosen = len(allocation.chosen)
    out.print(f"Total benefit {allocation.total_benefit:,.1f} for {_money(allocation.total_cost)} "
              f"({chosen} intervention{'' if chosen == 1 else 's'}).")
    periods = f"the gains of {', '.join(allocation.periods)}" if allocation.periods else "no gains"
    out.print(f"Sized on {periods} ({allocation.source} data).")
    if (options.groupby("family")["indicator_id"].nunique() > 1).any():
        out.print(textwrap.fill(f"Breakdowns: {FUND_RULE}.", width=80))
    if stacked:
        out.print(textwrap.fill(f"Note: chosen interventions on {', '.join(stacked)} act in the same area outside a group: "
                                "each is capped at the gain there, their sum is not, so it may count some people twice "
                                "(put options reaching the same people in a group).", width=80))
    out.print(_table("What each further step of budget buys", curve, [
        ("Budget", "budget", _money), ("Cost", "cost", _money), ("Interventions", "interventions", _whole),
        ("Benefit", "benefit", _decimal), ("Extra benefit", "extra_benefit", _decimal)]))


@dataclass(frozen=True)
class Inputs:
    """What prioritise and fund read: tidy values with their catalogue, or a Fingertips export
    (with optional overrides), compared over one area type, with optional peer covariates."""

    values: Path | None
    catalogue: Path | None
    fingertips: str | None
    area_type: str | None
    covariates: Path | None


def _opportunities(given: Inputs, benchmark: str | None, tag: str | None, quiet: bool = False):
    """Read the inputs as gains atlas does (one area type compared; England and regions never ranked)
    and size every judged indicator's opportunity in its latest whole financial year (months and
    quarters summed, as in the atlas)."""
    from marginalgains import sources
    from marginalgains.errors import DataError
    from marginalgains.improve import opportunities
    from marginalgains.improve.prioritise import filter_tag
    from marginalgains.io.tabular import trimmed_notes
    from marginalgains.periods import financial_years, whole_years

    if given.values is None and given.fingertips is None:
        raise DataError("give --values (with --catalogue) or --fingertips: the values to size the opportunity in")
    err = console(stderr=True)
    with progress_bar(err, quiet) as progress:
        progress.add_task("Reading values and sizing the opportunity", total=None)
        inputs = sources.choose(given.values, given.catalogue, given.fingertips, None, areas=given.covariates,
                                area_type=given.area_type)
        indicators = filter_tag(inputs.catalogue, tag)
        annual = whole_years(financial_years(inputs.values))
        sized = opportunities(annual, indicators, inputs.areas if given.covariates is not None else None,
                              _benchmark(benchmark))
    read = inputs.read
    if read.rejections:
        err.print(f"warning: {read.rows_rejected} rows of {given.values or given.fingertips} rejected "
                  f"(e.g. {read.rejections[0]})", markup=False)
    for note in trimmed_notes(inputs.cells_trimmed):
        err.print(f"note: {note}", markup=False)
    return list(inputs.catalogue), sized


def _benchmark(text: str | None):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _check_area_cap(max_per_area: float | None, options, interventions: Path) -> None:
    """--max-per-area caps one area's own interventions: with none naming an area it would change nothing."""
    from marginalgains.errors import GainsError
    from marginalgains.improve.fund import ALL_AREAS

    if max_per_area is not None and not (options["area_code"] != ALL_AREAS).any():
        raise GainsError(f"--max-per-area caps what one area's own interventions cost, but no intervention in "
                         f"{interventions} names an area (area_code), so it would change nothing; leave it out")


def _shares(pairs: list[str]) -> dict[str, float]:
    from marginalgains.errors import GainsError

    shares = {}
    for pair in pairs:
        tag, _, share = pair.partition("=")
        try:
            shares[tag.strip()] = float(share)
        except ValueError:
            raise GainsError(f"--min-share expects TAG=SHARE such as mental_health=0.2, got {pair!r}") from None
    return shares


def _by_source(frame):
    """(source, rows) for real then SYNTHETIC rows, the sources present only: they are ranked apart."""
    return [(kind, frame[frame["source"] == kind]) for kind in ("real", "SYNTHETIC") if (frame["source"] == kind).any()]


def _said(source: str) -> str:
    return " - SYNTHETIC data" if source == "SYNTHETIC" else ""


def _named(frame):
    """Rows named by indicator; a breakdown counted within a broader one says which ("within #1: ...")."""
    counted = frame["within"] == frame["indicator_id"]
    ranks = frame.loc[counted].set_index("indicator_id")["rank"]
    broader = frame["within"].map(lambda i: f"#{ranks[i]}" if i in ranks.index else i)
    return frame.assign(name=frame["indicator_id"].where(counted, "within " + broader + ": " + frame["indicator_id"]))


def _beside_note(frame) -> str:
    if (frame["within"] == frame["indicator_id"]).all():
        return ""
    return "\nwithin #n: a breakdown of row n (the same people), never ranked or added to it."


def _records(frame) -> list[dict]:
    import json

    return json.loads(frame.to_json(orient="records", double_precision=6))


def _table(title: str, frame, columns: list[tuple], caption: str | None = None):
    """A Rich table of `columns` (header, source column or columns, formatter) that fits 80 columns:
    short human headers, numbers right-aligned and never wrapped, names wrapped at spaces."""
    from rich import box
    from rich.table import Table

    rows = [[_cell(row, source, show) for _, source, show in columns] for _, row in frame.iterrows()]
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for position, (header, _, show) in enumerate(columns):
        longest_word = max((len(w) for r in rows for w in r[position].split()), default=0)
        if show is str:
            table.add_column(header, overflow="fold", min_width=min(longest_word, 24))
        else:
            table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _cell(row, source, show) -> str:
    import math

    import pandas as pd

    if isinstance(source, tuple):
        return show(*(row.get(s) for s in source))
    value = row.get(source)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return show(value)


def _whole(value) -> str:
    return f"{value:,.0f}"


def _decimal(value) -> str:
    return f"{value:,.1f}"


def _money(value) -> str:
    """Money as whole units with thousands separators, the same in every table and sentence."""
    return f"{value:,.0f}"


def _interval(value, lower, upper) -> str:
    return f"{value:,.0f} ({lower:,.0f}-{upper:,.0f})"
