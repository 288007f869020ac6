"""`gains atlas` and `gains demo`: build the Atlas of Variation and write it out."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import Progress

from marginalgains import sources
from marginalgains.atlas import build_atlas
from marginalgains.cli.app import app, fail
from marginalgains.errors import DataError, GainsError
from marginalgains.report.files import write_atlas, write_rejections

MAX_LISTED_REJECTIONS = 20


@app.command()
def atlas(
    values: Annotated[Optional[Path], typer.Option(help="Tidy CSV or Parquet: indicator_id, area_code, period, numerator, denominator.")] = None,
    catalogue: Annotated[Optional[Path], typer.Option(help="Indicator catalogue (YAML); with --fingertips, overrides of what was inferred.")] = None,
    fingertips: Annotated[Optional[str], typer.Option(help="A Fingertips CSV export as downloaded, or a Fingertips API CSV address (.../api/all_data/csv/by_indicator_id?... or by_profile_id?...).")] = None,
    area_type: Annotated[Optional[str], typer.Option(help="With --values or --fingertips: the area type to compare (default: the most numerous, never England or its regions when there are others).")] = None,
    indicators: Annotated[Optional[list[str]], typer.Option(help="With --values or --fingertips: the indicator ids (or globs such as '9*') to read; repeat or separate by commas.")] = None,
    data: Annotated[Optional[str], typer.Option(help="Record-level tables (folder of Parquet/CSV, DuckDB file or database URL) to count the catalogue's indicators in.")] = None,
    backend: Annotated[Optional[str], typer.Option(help="Engine for --data: duckdb (default) or spark.")] = None,
    areas: Annotated[Optional[Path], typer.Option(help="Areas CSV or Parquet: area_code, area_name and numeric covariates for peers (default with --data: areas.csv beside the records).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for index.html, summary.csv, areas.csv, atlas.json.")] = Path("atlas"),
    strict: Annotated[bool, typer.Option(help="Fail (exit code 2) if any row is rejected.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the headlines and file paths as JSON.")] = False,
) -> None:
    """Build the Atlas of Variation from tidy values, a Fingertips export, record-level data, or (with no input) the bundled A&E data."""
    console = Console(quiet=quiet or as_json, highlight=False, soft_wrap=True)
    _run(console, lambda progress: sources.choose(values, catalogue, fingertips, data, backend, areas, progress, area_type,
                                                  indicators), out, strict, as_json)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo atlas.")] = Path("atlas"),
    scale: Annotated[int, typer.Option(help="Record rows of the SYNTHETIC national dataset.")] = sources.DEMO_SCALE,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """The demo atlas: real NHS England A&E data beside a SYNTHETIC national dataset (heart attacks, diabetes, eye screening)."""
    console = Console(quiet=quiet, highlight=False, soft_wrap=True)
    _run(console, lambda progress: sources.demo(out / "synthetic-data", scale=scale, progress=progress), out, False, False)


def _run(console: Console, load, out: Path, strict: bool, as_json: bool) -> None:
    started = time.perf_counter()
    try:
        with Progress(console=console, transient=True) as progress:
            inputs = load(progress)
        _report_rejections(console, inputs, strict)
        values = inputs.values
        if values.empty and inputs.rejections:
            write_rejections(inputs.rejections, out)
            raise DataError(f"all {inputs.read.rows_read:,} rows were rejected; see {out / 'rejections.csv'}")
        result = build_atlas(values, inputs.catalogue, inputs.full_provenance(),
                             areas=inputs.areas, weakest_links=inputs.weakest_links, comparators=inputs.comparators)
        paths = write_atlas(result, out, inputs.rejections)
    except GainsError as exc:
        fail(exc)
    headlines = [result.headline(i.id) for i in result.headline_indicators()]
    gains = [t.summary.sentence for t in result.improvement.values()]
    if as_json:
        provenance = inputs.full_provenance()
        print(json.dumps({"headlines": headlines, "opportunity": gains, "files": {k: str(v) for k, v in paths.items()},
                          "rows": {k: provenance[k] for k in ("rows_read", "rows_accepted", "rows_rejected", "rows_set_aside")},
                          "indicators": provenance.get("indicators", {})}, indent=2, default=str))
        return
    for line in headlines:
        console.print(line)
    console.print(f"Wrote {', '.join(sorted(paths))} to {out}/ in {time.perf_counter() - started:.1f}s")


def _report_rejections(console: Console, inputs: sources.AtlasInputs, strict: bool) -> None:
    read = inputs.read
    for why, count in read.set_aside.items():
        console.print(f"Set aside {count:,} {why}")
    if not read.rejections:
        console.print(f"Read {read.rows_read:,} rows; all accepted." if not read.set_aside else
                      f"Read {read.rows_read:,} rows: {read.rows_accepted:,} accepted, none rejected.")
        return
    listed = read.rejections[:MAX_LISTED_REJECTIONS]
    if strict:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for rejection in listed:
            err.print(f"rejected: {rejection}")
        raise DataError(f"{read.rows_rejected:,} of {read.rows_read:,} rows rejected and --strict is set")
    for rejection in listed:
        console.print(f"[yellow]rejected:[/] {rejection}")
    more = len(read.rejections) - len(listed)
    console.print(f"Read {read.rows_read:,} rows: {read.rows_accepted:,} accepted, {read.rows_rejected:,} rejected"
                  + (f" ({more:,} more problems listed in rejections.csv)" if more > 0 else " (listed in rejections.csv)"))
