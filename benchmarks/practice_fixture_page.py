"""A practice-scale atlas for the page benchmark: 21 indicators x 6,500 GP practices x 2 financial years.

Invented figures (labelled SYNTHETIC), shaped like QOF-style indicators: list sizes from a
lognormal, a prevalence per indicator, and a practice effect (shared across indicators, as real
practices are consistently better or worse) plus noise, so funnels show real overdispersion.
Practices have names and four covariates, so each gets ten peers and an opportunity.

Run alone to write the page: .venv/bin/python benchmarks/practice_fixture_page.py --out /tmp/practice-atlas
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from marginalgains.atlas import build_atlas
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.values import check_values
from marginalgains.model import Indicator, Measure, Polarity
from marginalgains.report.files import write_atlas

PRACTICES = 6_500
INDICATORS = 21
PERIODS = ("2017/18", "2018/19")
TOWNS = ("Leeds", "Bradford", "York", "Hull", "Sheffield", "Wakefield", "Harrogate", "Halifax", "Doncaster", "Barnsley")
KINDS = ("Medical Practice", "Surgery", "Health Centre", "Family Practice", "Group Practice")


def practice_areas(rng: np.random.Generator) -> pd.DataFrame:
    """Codes like A81001, names like "York Surgery 12", and the covariates peers are found by."""
    number = np.arange(PRACTICES)
    codes = [f"{chr(65 + n // 1000 % 26)}{81000 + n:05d}" for n in number]
    names = [f"{TOWNS[n % len(TOWNS)]} {KINDS[n % len(KINDS)]} {n // 50 + 1}" for n in number]
    return pd.DataFrame({"area_code": codes, "area_name": names,
                         "population": rng.lognormal(np.log(8_000), 0.5, PRACTICES).round(),
                         "pct_over_65": rng.uniform(8, 30, PRACTICES).round(1),
                         "deprivation_score": rng.gamma(4, 6, PRACTICES).round(1),
                         "rurality": rng.uniform(0, 1, PRACTICES).round(2)})


def practice_catalogue() -> Catalogue:
    indicators = {f"qof-{k:02d}": Indicator(
        id=f"qof-{k:02d}", title=f"SYNTHETIC: practice indicator {k:02d}", polarity=Polarity.HIGH_IS_GOOD,
        measure=Measure.PROPORTION, multiplier=100, unit="%", source="SYNTHETIC practice fixture (benchmarks/)",
        licence="none: invented data", tags=("practice",), synthetic=True) for k in range(1, INDICATORS + 1)}
    return Catalogue(indicators, path="practice_fixture_page")


def practice_values(areas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per indicator x practice x year: counts drawn around each practice's own rate."""
    effect = rng.normal(0, 0.35, PRACTICES)
    parts = []
    for k in range(INDICATORS):
        base = rng.uniform(0.5, 0.9)
        prevalence = rng.uniform(0.02, 0.3)
        for year, period in enumerate(PERIODS):
            denominator = np.maximum(5, rng.poisson(areas["population"].to_numpy() * prevalence))
            logit = np.log(base / (1 - base)) + effect + rng.normal(0, 0.15, PRACTICES) + 0.05 * year
            numerator = rng.binomial(denominator, 1 / (1 + np.exp(-logit)))
            parts.append(pd.DataFrame({"indicator_id": f"qof-{k + 1:02d}", "area_code": areas["area_code"],
                                       "period": period, "numerator": numerator, "denominator": denominator}))
    return pd.concat(parts, ignore_index=True)


def write_practice_atlas(out: Path, seed: int = 6500) -> Path:
    """Build the practice-scale atlas and write it to `out`; the page's path."""
    rng = np.random.default_rng(seed)
    areas = practice_areas(rng)
    catalogue = practice_catalogue()
    read = check_values(practice_values(areas, rng), catalogue, "practice fixture", "practice_fixture_page")
    atlas = build_atlas(read.values, catalogue, {"rows_read": read.rows_read, "area_noun": "practices"}, areas=areas)
    write_atlas(atlas, out)
    return Path(out) / "index.html"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    page = write_practice_atlas(parser.parse_args().out)
    print(f"{page}: {page.stat().st_size / 1e6:.1f} MB")
