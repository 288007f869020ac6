"""Synthetic geography: the 106 real CCGs (codes and names from the bundled boundaries) with
invented covariates, and invented general practices nested in them.

Covariates (population, share aged 65+, deprivation score, rurality) are SYNTHETIC: plausible
ranges for English CCGs, drawn from the seed, for finding similar areas, not real figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

FULL_SCALE_PRACTICES = 6500
ROWS_PER_PRACTICE = 1500  # at smaller scales, fewer practices so each still has records


@dataclass(frozen=True)
class Geography:
    """CCGs with covariates, practices with their parent CCG, list size and a care-quality effect."""

    ccgs: pd.DataFrame  # area_code, area_name, population, pct_over_65, deprivation_score, rurality
    practices: pd.DataFrame  # practice_code, practice_name, ccg_index, ccg_code, list_size, effect

    def areas_table(self) -> pd.DataFrame:
        """areas.csv: CCGs and practices, one row each, with covariates and a synthetic flag."""
        ccgs = self.ccgs.assign(area_type="ccg", parent_code="")
        covariates = self.ccgs.iloc[self.practices["ccg_index"].to_numpy()]
        practices = pd.DataFrame({
            "area_code": self.practices["practice_code"],
            "area_name": self.practices["practice_name"],
            "area_type": "practice",
            "parent_code": self.practices["ccg_code"],
            "population": self.practices["list_size"],
            "pct_over_65": covariates["pct_over_65"].to_numpy(),
            "deprivation_score": covariates["deprivation_score"].to_numpy(),
            "rurality": covariates["rurality"].to_numpy(),
        })
        columns = ["area_code", "area_name", "area_type", "parent_code", "population",
                   "pct_over_65", "deprivation_score", "rurality"]
        return pd.concat([ccgs[columns], practices[columns]], ignore_index=True).assign(synthetic=True)


def ccg_boundaries() -> pd.DataFrame:
    """Codes and names of the 106 CCGs (April 2021) in the bundled boundaries, sorted by code."""
    path = resources.files("marginalgains") / "data" / "boundaries" / "boundaries_ccg21.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    frame = pd.DataFrame([f["properties"] for f in features]).rename(
        columns={"ccg21_code": "area_code", "ccg21_name": "area_name"}
    )
    return frame[["area_code", "area_name"]].sort_values("area_code", ignore_index=True)


def build_geography(scale: int, rng: np.random.Generator) -> Geography:
    """CCGs with covariates and practices, the number of practices growing with the scale."""
    ccgs = _with_covariates(ccg_boundaries(), rng)
    count = int(np.clip(scale // ROWS_PER_PRACTICE, 2 * len(ccgs), FULL_SCALE_PRACTICES))
    return Geography(ccgs, _practices(ccgs, count, rng))


def _with_covariates(ccgs: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(ccgs)
    rurality = np.round(rng.beta(1.3, 3.0, n), 3)
    population = np.clip(rng.lognormal(np.log(420_000), 0.5, n), 90_000, 1_800_000).round(-2).astype(int)
    over_65 = np.clip(13 + 14 * rurality + rng.normal(0, 2.5, n), 10, 30).round(1)
    deprivation = np.clip(np.exp(rng.normal(np.log(22) - 0.6 * rurality, 0.35, n)), 7, 48).round(1)
    return ccgs.assign(population=population, pct_over_65=over_65, deprivation_score=deprivation, rurality=rurality)


def _practices(ccgs: pd.DataFrame, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """`count` practices shared among CCGs by population (at least one each)."""
    share = ccgs["population"].to_numpy() / ccgs["population"].sum()
    extra = count - len(ccgs)
    per_ccg = 1 + np.floor(share * extra).astype(int)
    shortfall = count - per_ccg.sum()
    per_ccg[np.argsort(-(share * extra % 1))[:shortfall]] += 1
    ccg_index = np.repeat(np.arange(len(ccgs)), per_ccg)
    weight = rng.gamma(2.5, 1.0, count)
    ccg_weight = np.bincount(ccg_index, weights=weight)
    list_size = np.maximum(800, ccgs["population"].to_numpy()[ccg_index] * weight / ccg_weight[ccg_index]).round().astype(int)
    codes = np.char.add("SYN", np.char.zfill(np.arange(1, count + 1).astype(str), 5))
    return pd.DataFrame({
        "practice_code": codes,
        "practice_name": np.char.add("SYNTHETIC practice ", codes),
        "ccg_index": ccg_index,
        "ccg_code": ccgs["area_code"].to_numpy()[ccg_index],
        "list_size": list_size,
        "effect": rng.normal(0.0, 0.35, count),
    })
