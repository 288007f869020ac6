"""`gains prioritise` and `gains fund`: from indicator values to ranked priorities and a funded plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from marginalgains.cli.app import app, fail
from marginalgains.errors import GainsError
from marginalgains.improve import allocate, benefit_curve, opportunities, prioritise, read_interventions
from marginalgains.improve.prioritise import filter_tag
from marginalgains.io.areas import read_areas
from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.values import read_values
from marginalgains.periods import financial_years, whole_years

ValuesOption = Annotated[Path, typer.Option(help="Tidy values (CSV/Parquet): indicator_id, area_code, period, numerator, denominator.")]
CatalogueOption = Annotated[Path, typer.Option(help="Indicator catalogue (YAML).")]
CovariatesOption = Annotated[Optional[Path], typer.Option(help="Areas table (CSV/Parquet) whose numeric columns are peer covariates.")]
BenchmarkOption = Annotated[Optional[str], typer.Option(help="national, top_quartile, top_decile, best, peer_best5 or a number; default peer_best5 with covariates, else top_quartile.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.command("prioritise")
def prioritise_command(
    values: ValuesOption,
    catalogue: CatalogueOption,
    covariates: CovariatesOption = None,
    tag: Annotated[Optional[str], typer.Option(help="Only indicators with this tag, e.g. long_term_conditions.")] = None,
    benchmark: BenchmarkOption = None,
    area: Annotated[Optional[str], typer.Option(help="Show this area's own priorities.")] = None,
    count: Annotated[str, typer.Option(help="significant (default: only gains beyond chance) or all.")] = "significant",
    as_json: JsonOption = False,
) -> None:
    """Rank indicators nationally (and each area's own) by benefit: weight x significant gain, latest period."""
    try:
        indicators, opps = _opportunities(values, catalogue, covariates, benchmark, tag)
        result = prioritise(opps, indicators, tag=tag, count=count)
        by_area = result.by_area if area is None else result.by_area[result.by_area["area_code"] == area]
        if area is not None and area not in set(opps["area_code"].astype(str)):
            raise GainsError(f"area {area!r} has no values")
    except GainsError as exc:
        fail(exc)
    if as_json:
        print(json.dumps({"count": result.count, "national": _records(result.national),
                          "by_area": _records(by_area)}, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(_table(f"Indicators by benefit ({count} gain x benefit weight)", result.national,
                         ["rank", "indicator_id", "period", "significant_areas", "total_gain", "significant_gain",
                          "significant_gain_lower", "significant_gain_upper", "benefit"]))
    if area is not None:
        console.print(_table(f"Priorities for {area}", by_area,
                             ["rank", "indicator_id", "value", "benchmark_value", "gain", "gain_lower", "gain_upper",
                              "benefit"]))


@app.command()
def fund(
    budget: Annotated[float, typer.Option(help="Money to allocate, e.g. 5000000.")],
    interventions: Annotated[Path, typer.Option(help="Interventions CSV: id, cost, indicator_id, effect, [effect_unit, area_code, group, tag, title].")],
    values: ValuesOption,
    catalogue: CatalogueOption,
    covariates: CovariatesOption = None,
    benchmark: BenchmarkOption = None,
    min_share: Annotated[Optional[list[str]], typer.Option(help="TAG=SHARE: least share of the budget for a tag (repeatable).")] = None,
    max_per_area: Annotated[Optional[float], typer.Option(help="Most that one area's interventions may cost.")] = None,
    step: Annotated[Optional[float], typer.Option(help="Budget step of the benefit curve (default 1,000,000).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Choose the interventions that buy most benefit within the budget; show the benefit-versus-budget curve."""
    try:
        indicators, opps = _opportunities(values, catalogue, covariates, benchmark, None)
        options = read_interventions(interventions, indicators, opps)
        shares = _shares(min_share or [])
        allocation = allocate(options, budget, shares, max_per_area)
        curve = benefit_curve(options, budget, step, shares, max_per_area)
    except GainsError as exc:
        fail(exc)
    if as_json:
        print(json.dumps({"budget": allocation.budget, "total_cost": allocation.total_cost,
                          "total_benefit": allocation.total_benefit, "chosen": allocation.chosen,
                          "allocation": _records(allocation.table), "curve": _records(curve)}, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    columns = [c for c in ("id", "title", "area_code", "indicator_id", "cost", "benefit", "group") if c in allocation.table]
    console.print(_table(f"Allocation of {allocation.budget:,.0f}", allocation.table, columns))
    console.print(f"Total benefit {allocation.total_benefit:,.1f} for {allocation.total_cost:,.0f} "
                  f"({len(allocation.chosen)} interventions).")
    console.print(_table("What each further step of budget buys", curve,
                         ["budget", "cost", "interventions", "benefit", "extra_benefit"]))


def _opportunities(values: Path, catalogue: Path, covariates: Path | None, benchmark: str | None, tag: str | None):
    """Read the inputs and size every judged indicator's opportunity in its latest whole financial year
    (months and quarters summed, as in the atlas)."""
    cat = read_catalogue(catalogue)
    read = read_values(values, cat)
    if read.rejections:
        Console(stderr=True, highlight=False).print(
            f"[yellow]warning:[/] {read.rows_rejected} rows of {values} rejected (e.g. {read.rejections[0]})")
    areas = read_areas(covariates) if covariates is not None else None
    indicators = filter_tag(cat, tag)
    annual = whole_years(financial_years(read.values))
    return list(cat), opportunities(annual, indicators, areas, _benchmark(benchmark))


def _benchmark(text: str | None):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _shares(pairs: list[str]) -> dict[str, float]:
    shares = {}
    for pair in pairs:
        tag, _, share = pair.partition("=")
        try:
            shares[tag.strip()] = float(share)
        except ValueError:
            raise GainsError(f"--min-share expects TAG=SHARE such as mental_health=0.2, got {pair!r}") from None
    return shares


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", double_precision=6))


def _table(title: str, frame: pd.DataFrame, columns: list[str]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if pd.api.types.is_numeric_dtype(frame[column]) else "left")
    for row in frame[columns].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.1f}"
    return str(value)
