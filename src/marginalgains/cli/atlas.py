"""`gains atlas` and `gains demo`: build the Atlas of Variation and write it out."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from marginalgains.atlas import build_atlas
from marginalgains.errors import DataError, GainsError
from marginalgains.io import bundled
from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.fingertips import read_fingertips
from marginalgains.io.values import ReadResult, read_values
from marginalgains.cli.app import app
from marginalgains.report.files import write_atlas

MAX_LISTED_REJECTIONS = 20


def _console(quiet: bool) -> Console:
    return Console(stderr=False, quiet=quiet, highlight=False, soft_wrap=True)


@app.command()
def atlas(
    values: Annotated[Optional[Path], typer.Option(help="Tidy CSV or Parquet: indicator_id, area_code, period, numerator, denominator.")] = None,
    catalogue: Annotated[Optional[Path], typer.Option(help="Indicator catalogue (YAML).")] = None,
    fingertips: Annotated[Optional[Path], typer.Option(help="A Fingertips CSV export, as downloaded.")] = None,
    out: Annotated[Path, typer.Option(help="Folder for index.html, summary.csv, areas.csv, atlas.json.")] = Path("atlas"),
    strict: Annotated[bool, typer.Option(help="Fail (exit code 2) if any row is rejected.")] = False,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the headlines and file paths as JSON.")] = False,
) -> None:
    """Build the Atlas of Variation from tidy values, a Fingertips export, or (with no input) the bundled A&E data."""
    console = _console(quiet or as_json)
    started = time.perf_counter()
    try:
        catalogue_obj, read = _read_inputs(values, catalogue, fingertips)
        _report_rejections(console, read, strict)
        provenance = {"inputs": read.files, "rows_read": read.rows_read, "rows_accepted": read.rows_accepted,
                      "rows_rejected": read.rows_rejected}
        if values is None and fingertips is None:
            provenance.update(attribution=bundled.AE_ATTRIBUTION, area_noun="providers")
        result = build_atlas(read.values, catalogue_obj, provenance)
        paths = write_atlas(result, out, read.rejections)
    except GainsError as exc:
        Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    headlines = [result.headline(i) for i in result.periods_by_indicator()]
    if as_json:
        print(json.dumps({"headlines": headlines, "files": {k: str(v) for k, v in paths.items()},
                          "rows": {k: provenance[k] for k in ("rows_read", "rows_accepted", "rows_rejected")}}, indent=2))
        return
    for line in headlines:
        console.print(line)
    console.print(f"Wrote {', '.join(sorted(paths))} to {out}/ in {time.perf_counter() - started:.1f}s")


def _read_inputs(values, catalogue, fingertips) -> tuple:
    if fingertips is not None:
        if values is not None:
            raise DataError("give either --fingertips or --values, not both")
        return read_fingertips(fingertips)
    if values is not None:
        if catalogue is None:
            raise DataError("--values needs --catalogue, the YAML file describing its indicators")
        catalogue_obj = read_catalogue(catalogue)
        return catalogue_obj, read_values(values, catalogue_obj)
    if catalogue is not None:
        raise DataError("--catalogue needs --values (or --data with record-level tables)")
    return bundled.ae_values()


def _report_rejections(console: Console, read: ReadResult, strict: bool) -> None:
    if not read.rejections:
        console.print(f"Read {read.rows_read:,} rows; all accepted.")
        return
    listed = read.rejections[:MAX_LISTED_REJECTIONS]
    if strict:
        err = Console(stderr=True, highlight=False)
        for rejection in listed:
            err.print(f"rejected: {rejection}")
        raise DataError(f"{read.rows_rejected:,} of {read.rows_read:,} rows rejected and --strict is set")
    for rejection in listed:
        console.print(f"[yellow]rejected:[/] {rejection}")
    more = len(read.rejections) - len(listed)
    console.print(f"Read {read.rows_read:,} rows: {read.rows_accepted:,} accepted, {read.rows_rejected:,} rejected"
                  + (f" ({more:,} more problems listed in rejections.csv)" if more > 0 else " (listed in rejections.csv)"))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo atlas.")] = Path("atlas"),
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Build the demo atlas from the bundled real A&E data."""
    atlas(values=None, catalogue=None, fingertips=None, out=out, strict=False, quiet=quiet, as_json=False)
