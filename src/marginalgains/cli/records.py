"""`gains compute` (indicators from record-level data) and `gains synth` (SYNTHETIC records)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from marginalgains.cli.app import JsonOption, MemoryLimitOption, QuietOption, app, console, fail, print_json, progress_bar


@app.command()
def compute(
    catalogue: Annotated[Path, typer.Option(help="Indicator catalogue (YAML) with record-level definitions.")],
    data: Annotated[str, typer.Option(help="Folder of Parquet/CSV tables, a DuckDB file, or a database URL.")],
    out: Annotated[Path, typer.Option(help="Values file to write (.parquet or .csv).")] = Path("values.parquet"),
    backend: Annotated[str, typer.Option(help="duckdb (in-process) or spark.")] = "duckdb",
    spark_master: Annotated[Optional[str], typer.Option(help="Spark master URL (default local[2]).")] = None,
    database_only: Annotated[bool, typer.Option(help="With a DuckDB file as --data: read only what is stored in it, refusing views that read other files.")] = False,
    memory_limit: MemoryLimitOption = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Count every indicator of a catalogue from records; write IndicatorValues (and bundles' weakest links)."""
    from marginalgains import memory
    from marginalgains.engine import compute as compute_values
    from marginalgains.errors import GainsError
    from marginalgains.io.values import write_values

    out_console = console(quiet or as_json)
    started = time.perf_counter()
    try:
        with memory.limited(memory_limit), progress_bar(out_console, quiet or as_json) as progress:
            result = compute_values(catalogue, data, backend=backend, progress=progress, spark_master=spark_master,
                                    database_only=database_only)
        write_values(result.values, out)
        links = out.with_name(f"{out.stem}-weakest-links{out.suffix}")
        if len(result.weakest_links):
            write_values(result.weakest_links, links)
    except GainsError as exc:
        fail(exc)
    seconds = time.perf_counter() - started
    indicators, values = result.values["indicator_id"].nunique(), len(result.values)
    unkeyed = result.missing.dropna()
    if as_json:
        print_json({"indicators": int(indicators), "values": values, "seconds": round(seconds, 2),
                    "values_without_area_or_period": len(unkeyed),
                    "files": {"values": str(out), **({"weakest_links": str(links)} if len(result.weakest_links) else {})},
                    "values_per_indicator": {str(k): int(v) for k, v in
                                             result.values["indicator_id"].value_counts(sort=False).items()}})
        return
    if len(unkeyed):
        out_console.print(f"note: {len(unkeyed):,} value(s) have no area or period, which gains atlas rejects "
                          f"(e.g. {unkeyed.iloc[0]})", markup=False)
    out_console.print(f"{indicators} indicators, {values} values in {seconds:.1f}s -> {out}"
                      + (f" (weakest links -> {links})" if len(result.weakest_links) else ""))


@app.command()
def synth(
    scale: Annotated[int, typer.Option(help="Number of record rows to write, roughly.")] = 300_000,
    out: Annotated[Path, typer.Option(help="Folder for the Parquet tables, catalogue.yaml and areas.csv.")] = Path("synthetic"),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and scale give the same data.")] = 2024,
    years: Annotated[int, typer.Option(help="Financial years of records, from 2014/15.")] = 5,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Write a SYNTHETIC national dataset (heart attacks, diabetes care, eye screening) for the 106 CCGs."""
    from marginalgains.errors import GainsError
    from marginalgains.synth import generate
    from marginalgains.synth.generate import TABLES

    out_console = console(quiet or as_json)
    started = time.perf_counter()
    try:
        with progress_bar(out_console, quiet or as_json) as progress:
            task = progress.add_task("Writing SYNTHETIC tables", total=len(TABLES))
            generated = generate(out, scale, seed=seed, years=years,
                                 on_table=lambda table: progress.update(task, advance=1, description=f"Wrote {table}"))
    except (ValueError, GainsError) as exc:
        fail(exc)
    seconds = time.perf_counter() - started
    if as_json:
        print_json({"synthetic": True, "rows": generated.rows, "total_rows": sum(generated.rows.values()),
                    "seconds": round(seconds, 2), "seed": seed, "years": years,
                    "files": {"folder": str(out), "catalogue": str(generated.catalogue), "areas": str(generated.areas)}})
        return
    rows = ", ".join(f"{table} {count:,}" for table, count in generated.rows.items())
    out_console.print(f"SYNTHETIC data ({rows} rows) in {seconds:.1f}s -> {out}")
    out_console.print(f"catalogue: {generated.catalogue}; areas: {generated.areas}")
