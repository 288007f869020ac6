"""Where an atlas's inputs come from: a values file, a Fingertips export, record-level tables
through the engine, the bundled A&E data, or the demo (A&E beside a synthetic national dataset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.errors import DataError, Rejection
from marginalgains.geography import split_by_area_type
from marginalgains.io import bundled
from marginalgains.io.areas import SOURCE, read_areas
from marginalgains.io.catalogue import Catalogue, merge_catalogues, read_catalogue
from marginalgains.io.fingertips import fetch, is_address, is_england, is_region, read_fingertips
from marginalgains.io.selection import Selection
from marginalgains.io.tabular import TRIMMED
from marginalgains.io.values import ReadResult, check_values, read_values

DEMO_SCALE = 2_000_000  # big enough that few areas have tiny counts; builds in about 8 s
DEMO_SEED = 2012


@dataclass
class AtlasInputs:
    """Checked values and everything else the atlas needs to build and to explain itself."""

    catalogue: Catalogue
    read: ReadResult
    areas: pd.DataFrame | None = None
    weakest_links: pd.DataFrame | None = None
    provenance: dict = field(default_factory=dict)
    compared: np.ndarray | None = None  # which accepted rows the atlas compares (all when None)

    @property
    def values(self) -> pd.DataFrame:
        """The accepted values the atlas compares as areas."""
        if self.compared is None:
            return self.read.values
        return self.read.values[self.compared].reset_index(drop=True)

    @property
    def comparators(self) -> pd.DataFrame | None:
        """Accepted rows of the area types not compared (England, regions): shown beside, never ranked."""
        if self.compared is None:
            return None
        return self.read.values[~self.compared].reset_index(drop=True)

    @property
    def rejections(self) -> list[Rejection]:
        return self.read.rejections

    @property
    def cells_trimmed(self) -> dict[str, dict[str, int]]:
        """Per input (values, and the areas table) and column: how many cells had spaces trimmed."""
        areas = self.areas.attrs if self.areas is not None else {}
        counts = {c: n for c, n in areas.get(TRIMMED, {}).items() if n}
        return {**self.read.trimmed, **({areas.get(SOURCE, "areas"): counts} if counts else {})}

    def full_provenance(self) -> dict:
        counts = {"rows_read": self.read.rows_read, "rows_accepted": self.read.rows_accepted,
                  "rows_rejected": self.read.rows_rejected, "rows_set_aside": self.read.set_aside,
                  "cells_trimmed": self.cells_trimmed}
        return {"inputs": self.read.files, **counts, "indicators": catalogue_properties(self.catalogue), **self.provenance}


def from_values_file(values: Path, catalogue: Path, areas: Path | None = None,
                     select: Selection | None = None, area_type: str | None = None) -> AtlasInputs:
    """A tidy values file; where it mixes geographies (its `area_type` column, or the codes' forms),
    only one type is compared (`area_type`, or the most numerous) and the others are comparators."""
    parsed = read_catalogue(catalogue)
    if select is not None:
        parsed = Catalogue({i: parsed[i] for i in select.keep(parsed.indicators)}, parsed.definitions, parsed.path)
    read = read_values(values, parsed, select)
    covariates = read_areas(areas) if areas is not None else None
    if read.values.empty:
        return AtlasInputs(parsed, read, covariates)
    chosen, compared, others = split_by_area_type(read.values, area_type, str(values))
    provenance = {"area_type": chosen, "accepted_rows_not_compared_by_area_type": others}
    return AtlasInputs(parsed, read, covariates, None, provenance, compared=compared.to_numpy() if others else None)


def catalogue_properties(catalogue: Catalogue) -> dict[str, dict]:
    """Per indicator: measure, multiplier, unit and polarity, each from the catalogue file (a
    Fingertips export's inference, with where each came from, replaces this)."""
    return {i.id: {key: {"value": str(getattr(i, key)) if key in ("measure", "polarity") else getattr(i, key),
                         "from": f"catalogue {catalogue.path}"} for key in ("measure", "multiplier", "unit", "polarity")}
            for i in catalogue}


def from_fingertips(export: str | Path, area_type: str | None = None, areas: Path | None = None,
                    overrides: Path | None = None, select: Selection | None = None, progress=None) -> AtlasInputs:
    """A Fingertips export (a file, or an API CSV address, downloaded into the cache); the atlas
    compares areas of one type (by default the most numerous type other than England). Rows of
    other types (England, regions) are read and counted but not compared as areas: provenance
    says how many of each, and England's and the regions' published values are the comparators."""
    download = fetch(str(export), progress) if is_address(str(export)) else None
    try:
        data = read_fingertips(download.path if download else export, overrides, select, str(export))
    except DataError as exc:  # a file that is no export (an error page sent with status 200) is not kept
        raise (download.refused(exc) if download and str(exc).startswith(str(download.path)) else exc) from None
    read = data.read
    types = read.values["area_type"].fillna("")
    if area_type is None:
        candidates = types[~is_england(read.values["area_code"], types)]
        area_type = candidates.value_counts().index[0] if len(candidates) else types.iloc[0]
    if not (types == area_type).any():
        raise DataError(f"{export}: no rows of area type {area_type!r}; found {', '.join(sorted(set(types)))}")
    others = {str(k): int(v) for k, v in types[types != area_type].value_counts().items()}
    names = read.values[["area_code", "area_name"]].drop_duplicates("area_code")
    if areas is not None:  # covariates for peers, joined to the export's own names
        names = names.merge(read_areas(areas).drop(columns="area_name", errors="ignore"), on="area_code", how="left")
    published = data.published
    benchmark = published[(is_england(published["area_code"], published["area_type"])
                           | is_region(published["area_code"], published["area_type"]))
                          & published["area_type"].ne(area_type)]
    provenance = {"area_type": area_type, "accepted_rows_not_compared_by_area_type": others,
                  "indicators": data.inference, "comparators": _comparators(benchmark),
                  "fingertips": {**data.provenance(), "download": download.provenance() if download else None}}
    provenance["fingertips"].pop("indicators")
    return AtlasInputs(data.catalogue, read, names, None, provenance, compared=(types == area_type).to_numpy())


def _comparators(rows: pd.DataFrame) -> dict[str, list[dict]]:
    """England's and the regions' published values and 95% limits, per indicator, latest period first."""
    rows = rows.astype(object).where(rows.notna(), None)
    return {str(i): group.drop(columns="indicator_id").to_dict("records")
            for i, group in rows.sort_values("period", ascending=False).groupby("indicator_id", sort=False)}


def bundled_ae() -> AtlasInputs:
    catalogue, read = bundled.ae_values()
    return AtlasInputs(catalogue, read, bundled.ae_provider_names(),
                       provenance={"attribution": bundled.AE_ATTRIBUTION, "area_noun": "providers"})


def from_records(catalogue: Path | Catalogue, data: str, backend: str = "duckdb", areas: Path | None = None,
                 progress=None, database_only: bool = False) -> AtlasInputs:
    """Count the catalogue's indicators in record-level tables, then check the values like any file
    (`database_only`: a DuckDB file's views may not read other files)."""
    from marginalgains.engine import compute  # the engine (Ibis) loads only when records are used

    result = compute(catalogue, data, backend=backend, progress=progress, database_only=database_only)
    read = check_values(result.values, result.catalogue, f"values computed from {data}", str(data),
                        missing=result.missing)
    areas_file = areas if areas is not None else _areas_beside(data)
    area_table = read_areas(areas_file) if areas_file is not None else None
    return AtlasInputs(result.catalogue, read, area_table, result.weakest_links,
                       {"backend": str(backend), "data": str(data)})


def _areas_beside(data: str) -> Path | None:
    candidate = Path(data) / "areas.csv"
    return candidate if candidate.is_file() else None


def demo(work_dir: Path, scale: int = DEMO_SCALE, seed: int = DEMO_SEED, progress=None) -> AtlasInputs:
    """The real bundled A&E data beside a freshly generated SYNTHETIC national dataset."""
    from marginalgains.synth import generate

    generated = generate(work_dir, scale=scale, seed=seed)
    synthetic = from_records(work_dir / "catalogue.yaml", str(work_dir), areas=generated.areas, progress=progress)
    ae = bundled_ae()
    provenance = {**ae.provenance, "area_noun": "areas",
                  "synthetic_data": f"SYNTHETIC national dataset: gains synth --scale {scale} (seed {seed}), "
                                    "106 CCGs; invented patients, not real NHS care"}
    read = ReadResult.combine(ae.read, synthetic.read)
    areas = pd.concat([synthetic.areas, ae.areas], ignore_index=True)  # CCG covariates, provider names
    return AtlasInputs(merge_catalogues(ae.catalogue, synthetic.catalogue), read, areas,
                       synthetic.weakest_links, provenance)


def choose(values: Path | None, catalogue: Path | None, fingertips: str | Path | None, data: str | None,
           backend: str | None = None, areas: Path | None = None, progress=None, area_type: str | None = None,
           indicators: list[str] | None = None, database_only: bool = False) -> AtlasInputs:
    """The inputs a `gains atlas` command line asks for, refusing combinations that make no sense
    and any flag the combination would ignore."""
    given = [name for name, v in (("--values", values), ("--fingertips", fingertips), ("--data", data)) if v is not None]
    if len(given) > 1:
        raise DataError(f"give one of --values, --fingertips or --data, not {' and '.join(given)}")
    for flag, value, needs in (("--backend", backend, ("--data",)), ("--area-type", area_type, ("--values", "--fingertips")),
                               ("--indicators", indicators, ("--values", "--fingertips")),
                               ("--database-only", database_only or None, ("--data",))):
        if value is not None and not set(needs) & set(given):
            raise DataError(f"{flag} applies only with {' or '.join(needs)}" + (f", not {given[0]}" if given else ""))
    select = Selection.parse(indicators)
    if fingertips is not None:
        return from_fingertips(fingertips, area_type, areas, catalogue, select, progress)
    if (values is not None or data is not None) and catalogue is None:
        raise DataError(f"{given[0]} needs --catalogue, the YAML file describing its indicators")
    if values is not None:
        return from_values_file(values, catalogue, areas, select, area_type)
    if data is not None:
        return from_records(catalogue, data, backend or "duckdb", areas, progress, database_only)
    if catalogue is not None:
        raise DataError("--catalogue needs --values (a tidy file), --fingertips (an export) or --data (record-level tables)")
    if areas is not None:
        raise DataError("--areas describes the areas of --values, --fingertips or --data; give one of them")
    return bundled_ae()
