"""Write a SYNTHETIC national dataset: Parquet tables, areas.csv and the matching catalogues.

Deterministic by seed at any scale: records are drawn in fixed-size chunks, each with its own
random stream derived from (seed, table, chunk), and written chunk by chunk, so memory stays
flat however many rows are asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import yaml

from marginalgains.synth import cardiac, diabetes, screening
from marginalgains.synth.areas import Geography, build_geography
from marginalgains.io.outputs import write_csv

TABLES = (cardiac, diabetes, screening)
CHUNK_ROWS = 1_000_000
FIRST_YEAR = 2014  # financial year 2014/15
YEARS = 5
NOTICE = "SYNTHETIC data from marginal-gains (gains synth): invented records, not real patients."


@dataclass(frozen=True)
class Generated:
    """What `generate` wrote: table row counts and file paths."""

    rows: dict[str, int]
    catalogue: Path
    areas: Path
    geography: Geography


def generate(out_dir: str | Path, scale: int, seed: int = 2024, years: int = YEARS,
             first_year: int = FIRST_YEAR, on_table: Callable[[str], None] | None = None) -> Generated:
    """Write about `scale` record rows over `years` financial years from `first_year` into `out_dir`;
    `on_table(name)` is called as each table is written (for a progress bar)."""
    if scale < 1000:
        raise ValueError(f"scale {scale} is too small: ask for at least 1000 record rows")
    if years < 1:
        raise ValueError("years must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    geography = build_geography(scale, np.random.default_rng([seed, 0]))
    rows = {}
    for number, module in enumerate(TABLES, start=1):
        parameters = module.parameters(geography, np.random.default_rng([seed, number, 0]))
        rows[module.TABLE] = round(scale * module.SHARE)
        _write_table(out / f"{module.TABLE}.parquet", module, parameters, geography, rows[module.TABLE],
                     [seed, number], first_year, years)
        if on_table is not None:
            on_table(module.TABLE)
    areas = out / "areas.csv"
    write_csv(geography.areas_table(), areas)
    catalogue = _write_catalogues(out)
    (out / "SYNTHETIC.txt").write_text(
        f"{NOTICE}\nseed {seed}, {sum(rows.values())} record rows, financial years "
        f"{first_year}/{(first_year + 1) % 100:02d} to {first_year + years - 1}/{(first_year + years) % 100:02d}.\n"
        "Area codes and names are the real 106 CCGs (April 2021); their covariates in areas.csv are invented.\n",
        encoding="utf-8",
    )
    return Generated(rows, catalogue, areas, geography)


def _write_table(path: Path, module, parameters, geography: Geography, total: int, stream: list[int],
                 first_year: int, years: int) -> None:
    writer = None
    try:
        for index, start in enumerate(range(0, total, CHUNK_ROWS)):
            rng = np.random.default_rng(stream + [index + 1])
            table = module.chunk(min(CHUNK_ROWS, total - start), geography, parameters, first_year, years, rng)
            table = table.replace_schema_metadata({"synthetic": "true", "notice": NOTICE})
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=CHUNK_ROWS)
    finally:
        if writer is not None:
            writer.close()


def _write_catalogues(out: Path) -> Path:
    """catalogue.yaml (areas are CCGs) and catalogue-practice.yaml (the same per practice)."""
    template = resources.files("marginalgains") / "data" / "synth" / "catalogue.yaml"
    text = template.read_text(encoding="utf-8")
    catalogue = out / "catalogue.yaml"
    catalogue.write_text(text, encoding="utf-8")
    document = yaml.safe_load(text)
    for entry in document["indicators"]:
        entry["area"] = "practice_code"
    (out / "catalogue-practice.yaml").write_text(
        "# SYNTHETIC indicators per general practice (same definitions as catalogue.yaml).\n"
        + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return catalogue
