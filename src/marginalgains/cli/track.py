"""`gains track` and `gains plan new`: improvement plans tracked against the data, and new plans
filled in from it."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

from typing import TYPE_CHECKING

import typer

from marginalgains.cli.app import app, fail

if TYPE_CHECKING:  # the heavy libraries load inside the commands, so `gains --help` answers at once
    from rich.console import Console

    from marginalgains.plans import Plan

plan_app = typer.Typer(help="Improvement plans: start one from the data.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

ValuesOption = Annotated[Optional[Path], typer.Option(help="Tidy values (CSV/Parquet) by month or quarter: indicator_id, area_code, period, numerator, denominator.")]
CatalogueOption = Annotated[Optional[Path], typer.Option(help="Indicator catalogue (YAML).")]
FingertipsOption = Annotated[Optional[str], typer.Option(help="A Fingertips CSV export, as downloaded, or a Fingertips API CSV address (as gains atlas --fingertips).")]
AreaTypeOption = Annotated[Optional[str], typer.Option(help="With --fingertips: the area type to compare.")]
DataOption = Annotated[Optional[str], typer.Option(help="Record-level tables to count the catalogue's indicators in (as gains atlas --data).")]
BackendOption = Annotated[Optional[str], typer.Option(help="Engine for --data: duckdb or spark.")]
AreasOption = Annotated[Optional[Path], typer.Option(help="Areas CSV/Parquet: area_code, numeric covariates (peers for peer_best5), optional area_type.")]


@app.command("track")
def track_command(
    plans: Annotated[Path, typer.Option(help="The plan file (YAML).")],
    values: ValuesOption = None,
    catalogue: CatalogueOption = None,
    fingertips: FingertipsOption = None,
    area_type: AreaTypeOption = None,
    data: DataOption = None,
    backend: BackendOption = None,
    areas: AreasOption = None,
    out: Annotated[Path, typer.Option(help="Folder for plans.html, plans.csv, plans-scorecard.csv, plans.json.")] = Path("plans"),
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scorecard and errors as JSON.")] = False,
) -> None:
    """Track each plan against the data: print its status line and write the page and tables.

    A plan that cannot be tracked is named with its field and reason (exit code 2); the others
    are still tracked and written.
    """
    from rich.console import Console

    from marginalgains import __version__, sources
    from marginalgains.errors import GainsError
    from marginalgains.plans import read_plans, track
    from marginalgains.report.plans_page import plans_json, status_lines, write_plans

    try:
        read, errors = read_plans(plans)
        inputs = sources.choose(values, catalogue, fingertips, data, backend, areas, None, area_type)
        result = track(read, inputs.values, inputs.catalogue, inputs.areas, errors)
        provenance = {**inputs.full_provenance(), "plans_file": str(plans), "package_version": __version__,
                      "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        paths = write_plans(result, inputs.catalogue, out, provenance) if result.plans else {}
    except GainsError as exc:
        fail(exc)
    console = Console(quiet=quiet or as_json, highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps({**plans_json(result), "files": {k: str(v) for k, v in paths.items()}}, indent=2, default=str))
    for line in status_lines(result):
        console.print(line, markup=False)
    if paths:
        console.print(f"Wrote {', '.join(sorted(paths))} to {out}/", markup=False)
    if result.errors:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for error in result.errors:
            err.print(f"error: {error}", markup=False)
        raise typer.Exit(2)


@plan_app.command("new")
def plan_new(
    indicator: Annotated[str, typer.Option(help="The indicator id (from the catalogue).")],
    area: Annotated[list[str], typer.Option(help="An area code (repeat for several areas).")],
    target: Annotated[str, typer.Option(help="A value (78 or 78%), a change (+5pp, -10%) or a benchmark: peer_best5, top_quartile, top_decile, national, own_best.")],
    by: Annotated[str, typer.Option(help="The month the target is due, e.g. 2027-03.")],
    values: ValuesOption = None,
    catalogue: CatalogueOption = None,
    fingertips: FingertipsOption = None,
    area_type: AreaTypeOption = None,
    data: DataOption = None,
    backend: BackendOption = None,
    areas: AreasOption = None,
    baseline: Annotated[Optional[str], typer.Option(help="The baseline period (a month, quarter or year; default: the latest 12 months of data).")] = None,
    plan_id: Annotated[Optional[str], typer.Option("--id", help="The plan's id (default: indicator and area).")] = None,
    title: Annotated[Optional[str], typer.Option(help="The plan's title.")] = None,
    owner: Annotated[Optional[str], typer.Option(help="The owning organisation's code (default: the first area).")] = None,
    out: Annotated[Path, typer.Option(help="The plan file to write, or to add the plan to when it exists.")] = Path("plans.yaml"),
) -> None:
    """Write a plan with its baseline, target and trajectory filled in from the data."""
    from rich.console import Console

    from marginalgains import sources
    from marginalgains.errors import GainsError
    from marginalgains.plans import Plan, PlanError, dump_plans, read_plans, resolve

    try:
        existing = read_plans(out)[0] if out.exists() else []
        inputs = sources.choose(values, catalogue, fingertips, data, backend, areas, None, area_type)
        new = Plan.from_dict(_new_plan(indicator, area, target, by, baseline, plan_id, title, owner, inputs))
        if any(p.id == new.id for p in existing):
            raise PlanError(new.id, "id", f"{out} already has a plan with this id (give --id)")
        resolution = resolve([new], inputs.values, inputs.catalogue, inputs.areas)
        if resolution.errors:
            raise resolution.errors[0]
        [filled] = resolution.plans
        filled = _with_monthly_trajectory(filled, resolution)
        out.write_text(dump_plans([*existing, filled]), encoding="utf-8")
    except GainsError as exc:
        fail(exc)
    console = Console(highlight=False, soft_wrap=True)
    for code in filled.areas.codes:
        console.print(f"{filled.id} {code}: baseline {filled.baseline.first} to {filled.baseline.last} at "
                      f"{filled.baseline.values[code]:.4g}; target {filled.target.values[code]:.4g} by {filled.by} "
                      f"({filled.trajectory.form} trajectory)", markup=False)
    console.print(f"Wrote {out}", markup=False)


def _new_plan(indicator, codes, target, by, baseline, plan_id, title, owner, inputs) -> dict:
    """The plan's plain data; the default baseline is the latest 12 months of the indicator's data."""
    from marginalgains.plans import PlanError
    from marginalgains.plans.model import month_label
    from marginalgains.plans.resolve import period_months

    if indicator not in inputs.catalogue:
        raise PlanError(plan_id or indicator, "indicator_id", f"unknown indicator {indicator!r} (not in the catalogue)")
    rows = inputs.values[inputs.values["indicator_id"] == indicator]
    if rows.empty:
        raise PlanError(plan_id or indicator, "indicator_id", f"no values for indicator {indicator!r}")
    if baseline is None:
        last = int(period_months(rows["period"].astype(str))[1].max())
        window = {"from": month_label(last - 11), "to": month_label(last)}
    else:
        window = {"period": baseline}
    name = inputs.catalogue[indicator].title
    return {"id": plan_id or f"{indicator}-{'-'.join(codes)}", "title": title or f"{name}: {', '.join(codes)}",
            "indicator_id": indicator, "areas": list(codes), "owner": {"organisation": owner or codes[0]},
            "baseline": window, "target": _number_or_text(target), "by": by}


def _number_or_text(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _with_monthly_trajectory(plan: Plan, resolution) -> Plan:
    """A one-area plan gets its linear trajectory written out month by month, ready to edit."""
    from marginalgains.plans import Plan
    from marginalgains.plans.model import month_index, month_label

    if len(plan.areas.codes) != 1:
        return plan
    first, last = month_index(plan.baseline.last) + 1, month_index(plan.by)
    monthly = resolution.trajectory(plan.id, plan.areas.codes[0], first, last)
    table = {month_label(first + n): float(value) for n, value in enumerate(monthly)}
    return Plan.from_dict({**plan.to_dict(), "trajectory": {"monthly": table}})


def demo_plans(out: Path, console: Console) -> None:
    """The demo's plans page (SYNTHETIC): monthly series with plans that started partway, beside the atlas."""
    from marginalgains import __version__, sources
    from marginalgains.errors import GainsError
    from marginalgains.plans import read_plans, track
    from marginalgains.report.plans_page import status_lines, write_plans
    from marginalgains.synth.plans import NOTICE, generate_plans_demo

    try:
        demo = generate_plans_demo(out / "synthetic-data" / "plans")
        inputs = sources.from_values_file(demo.values, demo.catalogue)
        plans, errors = read_plans(demo.plans)
        result = track(plans, inputs.values, inputs.catalogue, errors=errors)
        if result.errors:
            raise result.errors[0]
        provenance = {**inputs.full_provenance(), "synthetic_data": NOTICE, "plans_file": str(demo.plans),
                      "package_version": __version__,
                      "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        paths = write_plans(result, inputs.catalogue, out, provenance)
    except GainsError as exc:
        fail(exc)
    for line in status_lines(result):
        console.print(line, markup=False)
    console.print(f"Wrote {', '.join(sorted(paths))} (SYNTHETIC plans) to {out}/", markup=False)
