"""Write an Atlas to a folder: the page, the tables as CSV, provenance as JSON, rejections.

Every file is staged under a temporary name and renamed into place only when all of them are
written (`io.outputs.staged`), so a failed run leaves the previous atlas whole; CSV cells are
formula-safe (`io.outputs.formula_safe`). A `rejections.csv` left by an earlier run is removed
when this run rejected nothing, so it never sits beside an `atlas.json` saying 0 rejected.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from marginalgains.atlas import SUMMARY_COLUMNS, Atlas
from marginalgains.errors import DataError, Rejection
from marginalgains.io.outputs import formula_safe, save_csv, staged
from marginalgains.model import VALUE_COLUMNS
from marginalgains.report.html import render_page

AREA_FILE_COLUMNS = VALUE_COLUMNS + ["funnel_band", "funnel_band_adjusted"]
REJECTION_COLUMNS = ["file", "row", "column", "reason"]


def write_atlas(atlas: Atlas, out: str | Path, rejections: list[Rejection] = (), plans=None) -> dict[str, Path]:
    """Write index.html, summary.csv, areas.csv, atlas.json (and rejections.csv when rows were refused);
    `plans`, a plans scorecard (marginalgains.plans.track), is shown in the page's area profiles."""
    out = _folder(out)
    names = ["index.html", "summary.csv", "areas.csv", "atlas.json"] + (["rejections.csv"] if rejections else [])
    paths = {name: out / name for name in names}
    page = render_page(atlas, plans)  # before anything is written: a page that cannot be drawn changes nothing
    areas = atlas.areas.sort_values(["indicator_id", "period_start", "area_code"], ascending=[True, False, True])
    columns = AREA_FILE_COLUMNS[:2] + (["area_name"] if "area_name" in areas else []) + AREA_FILE_COLUMNS[2:]
    with staged(list(paths.values())) as temporary:
        staging = dict(zip(paths, temporary))
        save_csv(atlas.summary[SUMMARY_COLUMNS], staging["summary.csv"])
        save_csv(areas[columns], staging["areas.csv"])
        staging["atlas.json"].write_text(json.dumps(atlas.provenance, indent=2, default=str), encoding="utf-8")
        staging["index.html"].write_text(page, encoding="utf-8")
        if rejections:
            _rejections_frame(rejections).to_csv(staging["rejections.csv"], index=False)
    if not rejections:
        _remove_stale(out / "rejections.csv")
    return paths


def write_rejections(rejections: list[Rejection], out: str | Path) -> Path:
    """Every refused row with file, row, column and reason, as rejections.csv in `out`."""
    path = _folder(out) / "rejections.csv"
    with staged([path]) as (temporary,):
        _rejections_frame(rejections).to_csv(temporary, index=False)
    return path


def _rejections_frame(rejections: list[Rejection]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(r) for r in rejections], columns=REJECTION_COLUMNS)
    return formula_safe(frame.astype({"row": "Int64"}))


def _folder(out: str | Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out} is a file; give a folder for the atlas")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    return out


def _remove_stale(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise DataError(f"cannot remove the old {path}: {exc.strerror or exc}") from None
