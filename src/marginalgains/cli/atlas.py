"""`gains atlas` and `gains demo`: build the Atlas of Variation and write it out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from marginalgains.cli.app import JsonOption, MemoryLimitOption, app, console, fail, print_json, progress_bar

MAX_LISTED_REJECTIONS = 20
DEMO_SCALE = 2_000_000  # sources.DEMO_SCALE, written here so that `gains --help` need not import pandas


@app.command()
def atlas(
    values: Annotated[Optional[Path], typer.Option(help="Tidy CSV or Parquet: indicator_id, area_code, period, numerator, denominator.")] = None,
    catalogue: Annotated[Optional[Path], typer.Option(help="Indicator catalogue (YAML); with --fingertips, overrides of what was inferred.")] = None,
    fingertips: Annotated[Optional[str], typer.Option(help="A Fingertips CSV export as downloaded, or a Fingertips API CSV address (.../api/all_data/csv/by_indicator_id?... or by_profile_id?...).")] = None,
    area_type: Annotated[Optional[str], typer.Option(help="With --values or --fingertips: the area type to compare (default: the most numerous, never England or its regions when there are others).")] = None,
    indicators: Annotated[Optional[list[str]], typer.Option(help="With --values or --fingertips: the indicator ids (or globs such as '9*') to read; repeat or separate by commas.")] = None,
    data: Annotated[Optional[str], typer.Option(help="Record-level tables (folder of Parquet/CSV, DuckDB file or database URL) to count the catalogue's indicators in.")] = None,
    backend: Annotated[Optional[str], typer.Option(help="Engine for --data: duckdb (default) or spark.")] = None,
    database_only: Annotated[bool, typer.Option(help="With a DuckDB file as --data: read only what is stored in it, refusing views that read other files.")] = False,
    areas: Annotated[Optional[Path], typer.Option(help="Areas CSV or Parquet: area_code, area_name and numeric covariates for peers (default with --data: areas.csv beside the records).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for index.html, summary.csv, areas.csv, atlas.json.")] = Path("atlas"),
    strict: Annotated[bool, typer.Option(help="Fail (exit code 2) if any row is rejected.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    as_json: JsonOption = False,
    disclosure: Annotated[Optional[str], typer.Option(help="Publish only figures protected by a disclosure rule: nhs-hes-2018, under-10 or a rule file (.yaml).")] = None,
    plans: Annotated[Optional[Path], typer.Option(help="Improvement plans (YAML, as for gains track), tracked over the same values and shown in each area's profile.")] = None,
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Build the Atlas of Variation from tidy values, a Fingertips export, record-level data, or (with no input) the bundled A&E data."""
    from marginalgains import sources

    _run(console(quiet or as_json), lambda progress: sources.choose(values, catalogue, fingertips, data, backend, areas,
                                                                    progress, area_type, indicators, database_only),
         out, strict, as_json, disclosure, plans, memory_limit)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo atlas.")] = Path("atlas"),
    scale: Annotated[int, typer.Option(help="Record rows of the SYNTHETIC national dataset.")] = DEMO_SCALE,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The demo atlas: real NHS England A&E data beside a SYNTHETIC national dataset (heart attacks, diabetes, eye screening)."""
    from marginalgains import sources
    from marginalgains.cli.track import demo_plans

    screen = console(quiet or as_json)
    _run(screen, lambda progress: sources.demo(out / "synthetic-data", scale=scale, progress=progress),
         out, False, as_json)
    demo_plans(out, screen)  # SYNTHETIC plans tracked month by month, beside the atlas (gains track)


def _run(screen, load, out: Path, strict: bool, as_json: bool, disclosure: str | None = None,
         plans: Path | None = None, memory_limit: str | None = None) -> None:
    from marginalgains import memory
    from marginalgains.atlas import build_atlas
    from marginalgains.errors import DataError, GainsError
    from marginalgains.report.files import write_atlas, write_rejections

    started = time.perf_counter()
    try:
        rule = _disclosure_rule(disclosure)
        with memory.limited(memory_limit), progress_bar(screen, screen.quiet) as progress:
            inputs = load(progress)
            _report_rejections(screen, inputs, strict)
            _report_area_types(screen, inputs.provenance)
            values = inputs.values
            if values.empty and inputs.rejections:
                write_rejections(inputs.rejections, out)
                raise DataError(f"all {inputs.read.rows_read:,} rows were rejected; see {out / 'rejections.csv'}")
            step = progress.add_task("Building the atlas", total=2)
            result = build_atlas(values, inputs.catalogue, inputs.full_provenance(),
                                 areas=inputs.areas, weakest_links=inputs.weakest_links,
                                 comparators=inputs.comparators)
            charted = result.spc
            if rule is not None:
                from marginalgains.disclosure.atlas import protect_atlas

                result = protect_atlas(result, rule)
            scorecard = _tracked_plans(plans, inputs) if plans is not None else None
            if rule is not None and scorecard is not None:
                from marginalgains.disclosure.atlas import protect_scorecard

                scorecard = protect_scorecard(scorecard, charted, result.spc)
            progress.update(step, advance=1, description="Writing the page and tables")
            paths = write_atlas(result, out, inputs.rejections, scorecard)
    except GainsError as exc:
        fail(exc)
    headlines = [result.headline(i.id) for i in result.headline_indicators()]
    gains = [t.summary.sentence for t in result.improvement.values()]
    if as_json:
        provenance = inputs.full_provenance()
        print_json({"headlines": headlines, "opportunity": gains, "files": {k: str(v) for k, v in paths.items()},
                    "rows": {k: provenance[k] for k in ("rows_read", "rows_accepted", "rows_rejected", "rows_set_aside")},
                    "cells_trimmed": provenance["cells_trimmed"],
                    "indicators": provenance.get("indicators", {}), "indicators_left_out": result.left_out,
                    "opportunity_not_sized": result.provenance.get("opportunity_not_sized", {}),
                    **{k: provenance[k] for k in ("area_type", "accepted_rows_not_compared_by_area_type") if k in provenance},
                    "seconds": round(time.perf_counter() - started, 2), **_figures(result)})
        return
    for line in headlines:
        screen.print(line)
    for indicator_id, reason in result.left_out.items():
        screen.print(f"Not analysed: {indicator_id}: {reason}", markup=False)
    screen.print(f"Wrote {', '.join(sorted(paths))} to {out}/ in {time.perf_counter() - started:.1f}s")


def _tracked_plans(path: Path, inputs):
    """The plans of `path` tracked over the atlas's own values: their scorecard, or a PlanError
    naming the first plan that cannot be tracked (as `gains track` would)."""
    from marginalgains.plans import PlanError, read_plans, track

    read, errors = read_plans(path)
    tracked = track(read, inputs.values, inputs.catalogue, inputs.areas, errors)
    if tracked.errors:
        first = tracked.errors[0]
        more = f" ({len(tracked.errors) - 1:,} more; see gains track)" if len(tracked.errors) > 1 else ""
        raise PlanError(first.plan_id, first.field, f"--plans {path}: {first.reason}{more}")
    return tracked.scorecard


def _disclosure_rule(name: str | None):
    """The rule named by --disclosure (checked before any data is read), or None."""
    if name is None:
        return None
    from marginalgains.disclosure import DisclosureError, load_rule

    try:
        return load_rule(name)
    except DisclosureError as exc:
        raise DisclosureError(f"--disclosure: {exc}") from None


def _figures(result) -> dict:
    """The numbers behind the headlines: each indicator's summary per period, and its sized opportunity."""
    import json
    from dataclasses import asdict

    from marginalgains.atlas import SUMMARY_COLUMNS

    summary = json.loads(result.summary[SUMMARY_COLUMNS].to_json(orient="records", double_precision=6))
    return {"summary": summary,
            "opportunity_figures": [asdict(table.summary) for table in result.improvement.values()]}


def _report_area_types(screen, provenance: dict) -> None:
    """Which area type is compared, and how many accepted rows of other types are comparators only."""
    others = provenance.get("accepted_rows_not_compared_by_area_type")
    if others:
        listed = ", ".join(f"{name} {count:,}" for name, count in others.items())
        total = sum(others.values())
        rows = "1 accepted row of another type is" if total == 1 else f"{total:,} accepted rows of other types are"
        screen.print(f"Comparing areas of type {provenance['area_type']!r}; {rows} shown beside them as comparators, "
                     f"not compared ({listed})", markup=False)


def _report_rejections(screen, inputs, strict: bool) -> None:
    from rich.markup import escape

    from marginalgains.errors import DataError
    from marginalgains.io.tabular import trimmed_notes

    read = inputs.read
    for note in trimmed_notes(inputs.cells_trimmed):
        screen.print(f"note: {note}", markup=False)
    for why, count in read.set_aside.items():
        screen.print(f"Set aside {count:,} {why}")
    if not read.rejections:
        screen.print(f"Read {read.rows_read:,} rows; all accepted." if not read.set_aside else
                     f"Read {read.rows_read:,} rows: {read.rows_accepted:,} accepted, none rejected.")
        return
    listed = read.rejections[:MAX_LISTED_REJECTIONS]
    if strict:
        err = console(stderr=True)
        for rejection in listed:
            err.print(f"rejected: {rejection}", markup=False)
        raise DataError(f"{read.rows_rejected:,} of {read.rows_read:,} rows rejected and --strict is set")
    for rejection in listed:
        screen.print(f"[yellow]rejected:[/] {escape(str(rejection))}")
    more = len(read.rejections) - len(listed)
    screen.print(f"Read {read.rows_read:,} rows: {read.rows_accepted:,} accepted, {read.rows_rejected:,} rejected"
                  + (f" ({more:,} more problems listed in rejections.csv)" if more > 0 else " (listed in rejections.csv)"))
