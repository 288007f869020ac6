"""Where an atlas's inputs come from: a values file, a Fingertips export, record-level tables
through the engine, the bundled A&E data, or the demo (A&E beside a synthetic national dataset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.errors import DataError, Rejection
from marginalgains.io import bundled
from marginalgains.io.areas import read_areas
from marginalgains.io.catalogue import Catalogue, merge_catalogues, read_catalogue
from marginalgains.io.fingertips import read_fingertips
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
    def rejections(self) -> list[Rejection]:
        return self.read.rejections

    def full_provenance(self) -> dict:
        counts = {"rows_read": self.read.rows_read, "rows_accepted": self.read.rows_accepted,
                  "rows_rejected": self.read.rows_rejected}
        return {"inputs": self.read.files, **counts, **self.provenance}


def from_values_file(values: Path, catalogue: Path, areas: Path | None = None) -> AtlasInputs:
    parsed = read_catalogue(catalogue)
    return AtlasInputs(parsed, read_values(values, parsed), read_areas(areas) if areas is not None else None)


def from_fingertips(export: Path, area_type: str | None = None, areas: Path | None = None) -> AtlasInputs:
    """A Fingertips export; the atlas compares areas of one type (by default the most numerous
    type other than England). Rows of other types (England, regions) are read and counted but
    not compared as areas: provenance says how many of each."""
    catalogue, read = read_fingertips(export)
    types = read.values["area_type"].fillna("")
    if area_type is None:
        candidates = types[types.str.lower() != "england"]
        area_type = candidates.value_counts().index[0] if len(candidates) else "England"
    if not (types == area_type).any():
        raise DataError(f"{export}: no rows of area type {area_type!r}; found {', '.join(sorted(set(types)))}")
    others = {str(k): int(v) for k, v in types[types != area_type].value_counts().items()}
    names = read.values[["area_code", "area_name"]].drop_duplicates("area_code")
    if areas is not None:  # covariates for peers, joined to the export's own names
        names = names.merge(read_areas(areas).drop(columns="area_name", errors="ignore"), on="area_code", how="left")
    provenance = {"area_type": area_type, "accepted_rows_not_compared_by_area_type": others}
    return AtlasInputs(catalogue, read, names, None, provenance, compared=(types == area_type).to_numpy())


def bundled_ae() -> AtlasInputs:
    catalogue, read = bundled.ae_values()
    return AtlasInputs(catalogue, read, bundled.ae_provider_names(),
                       provenance={"attribution": bundled.AE_ATTRIBUTION, "area_noun": "providers"})


def from_records(catalogue: Path | Catalogue, data: str, backend: str = "duckdb", areas: Path | None = None,
                 progress=None) -> AtlasInputs:
    """Count the catalogue's indicators in record-level tables, then check the values like any file."""
    from marginalgains.engine import compute  # the engine (Ibis) loads only when records are used

    result = compute(catalogue, data, backend=backend, progress=progress)
    read = check_values(result.values, result.catalogue, f"values computed from {data}", str(data))
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


def choose(values: Path | None, catalogue: Path | None, fingertips: Path | None, data: str | None,
           backend: str = "duckdb", areas: Path | None = None, progress=None, area_type: str | None = None) -> AtlasInputs:
    """The inputs a `gains atlas` command line asks for, refusing combinations that make no sense."""
    given = [name for name, v in (("--values", values), ("--fingertips", fingertips), ("--data", data)) if v is not None]
    if len(given) > 1:
        raise DataError(f"give one of --values, --fingertips or --data, not {' and '.join(given)}")
    if fingertips is not None:
        return from_fingertips(fingertips, area_type, areas)
    if (values is not None or data is not None) and catalogue is None:
        raise DataError(f"{given[0]} needs --catalogue, the YAML file describing its indicators")
    if values is not None:
        return from_values_file(values, catalogue, areas)
    if data is not None:
        return from_records(catalogue, data, backend, areas, progress)
    if catalogue is not None:
        raise DataError("--catalogue needs --values (a tidy file) or --data (record-level tables)")
    if areas is not None:
        raise DataError("--areas describes the areas of --values, --fingertips or --data; give one of them")
    return bundled_ae()
