"""Write an Atlas to a folder: the page, the tables as CSV, provenance as JSON, rejections."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from marginalgains.atlas import SUMMARY_COLUMNS, Atlas
from marginalgains.errors import Rejection
from marginalgains.model import VALUE_COLUMNS
from marginalgains.report.html import render_page

AREA_FILE_COLUMNS = VALUE_COLUMNS + ["funnel_band", "funnel_band_adjusted"]


def write_atlas(atlas: Atlas, out: str | Path, rejections: list[Rejection] = ()) -> dict[str, Path]:
    """Write index.html, summary.csv, areas.csv, atlas.json (and rejections.csv when rows were refused)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("index.html", "summary.csv", "areas.csv", "atlas.json")}
    atlas.summary[SUMMARY_COLUMNS].to_csv(paths["summary.csv"], index=False, float_format="%.10g")
    areas = atlas.areas.sort_values(["indicator_id", "period_start", "area_code"], ascending=[True, False, True])
    columns = AREA_FILE_COLUMNS[:2] + (["area_name"] if "area_name" in areas else []) + AREA_FILE_COLUMNS[2:]
    areas[columns].to_csv(paths["areas.csv"], index=False, float_format="%.10g")
    paths["atlas.json"].write_text(json.dumps(atlas.provenance, indent=2, default=str), encoding="utf-8")
    paths["index.html"].write_text(render_page(atlas), encoding="utf-8")
    if rejections:
        paths["rejections.csv"] = write_rejections(rejections, out)
    return paths


def write_rejections(rejections: list[Rejection], out: str | Path) -> Path:
    """Every refused row with file, row, column and reason, as rejections.csv in `out`."""
    path = Path(out) / "rejections.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([asdict(r) for r in rejections], columns=["file", "row", "column", "reason"]).to_csv(path, index=False)
    return path
