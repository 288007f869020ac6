"""`gains compute` (indicators from record-level data) and `gains synth` (SYNTHETIC records)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from marginalgains.cli.app import app, fail
from marginalgains.engine import compute as compute_values
from marginalgains.io.values import write_values
from marginalgains.errors import GainsError


@app.command()
def compute(
    catalogue: Annotated[Path, typer.Option(help="Indicator catalogue (YAML) with record-level definitions.")],
    data: Annotated[str, typer.Option(help="Folder of Parquet/CSV tables, a DuckDB file, or a database URL.")],
    out: Annotated[Path, typer.Option(help="Values file to write (.parquet or .csv).")] = Path("values.parquet"),
    backend: Annotated[str, typer.Option(help="duckdb (in-process) or spark.")] = "duckdb",
    spark_master: Annotated[Optional[str], typer.Option(help="Spark master URL (default local[2]).")] = None,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Count every indicator of a catalogue from records; write IndicatorValues (and bundles' weakest links)."""
    console = Console(quiet=quiet, highlight=False, soft_wrap=True)
    started = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=quiet) as progress:
            result = compute_values(catalogue, data, backend=backend, progress=progress, spark_master=spark_master)
        write_values(result.values, out)
        links = out.with_name(f"{out.stem}-weakest-links{out.suffix}")
        if len(result.weakest_links):
            write_values(result.weakest_links, links)
    except GainsError as exc:
        fail(exc)
    console.print(
        f"{result.values['indicator_id'].nunique()} indicators, {len(result.values)} values "
        f"in {time.perf_counter() - started:.1f}s -> {out}"
        + (f" (weakest links -> {links})" if len(result.weakest_links) else "")
    )


@app.command()
def synth(
    scale: Annotated[int, typer.Option(help="Number of record rows to write, roughly.")] = 300_000,
    out: Annotated[Path, typer.Option(help="Folder for the Parquet tables, catalogue.yaml and areas.csv.")] = Path("synthetic"),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and scale give the same data.")] = 2024,
    years: Annotated[int, typer.Option(help="Financial years of records, from 2014/15.")] = 5,
    quiet: Annotated[bool, typer.Option(help="Print nothing but errors.")] = False,
) -> None:
    """Write a SYNTHETIC national dataset (heart attacks, diabetes care, eye screening) for the 106 CCGs."""
    from marginalgains.synth import generate

    console = Console(quiet=quiet, highlight=False, soft_wrap=True)
    started = time.perf_counter()
    try:
        generated = generate(out, scale, seed=seed, years=years)
    except ValueError as exc:
        fail(exc)
    rows = ", ".join(f"{table} {count:,}" for table, count in generated.rows.items())
    console.print(f"SYNTHETIC data ({rows} rows) in {time.perf_counter() - started:.1f}s -> {out}")
    console.print(f"catalogue: {generated.catalogue}; areas: {generated.areas}")

