"""Random draws shared by the synthetic tables: spread area rates, trends, and record skeletons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marginalgains.synth.areas import Geography

TREND_STEP = 0.18  # change in log-odds per year for improving or worsening areas
TREND_SHARES = {"improving": 0.35, "flat": 0.35, "worsening": 0.30}


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def spread_rates(low: float, fold: float, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Area rates evenly spaced on a log scale from `low` to `low * fold` (so the raw spread is
    `fold`-fold), given to areas in the order of `score` plus noise (higher score, higher rate)."""
    n = len(score)
    rates = low * fold ** np.linspace(0.0, 1.0, n)
    noisy = (score - score.mean()) / (score.std() or 1.0) + rng.normal(0.0, 1.0, n)
    return rates[np.argsort(np.argsort(noisy))]


def trend_slopes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Per-area change in log-odds per year: some areas improve, some stay flat, some worsen."""
    direction = rng.choice([1.0, 0.0, -1.0], size=n, p=list(TREND_SHARES.values()))
    return direction * TREND_STEP * rng.uniform(0.7, 1.3, n)


@dataclass(frozen=True)
class Skeleton:
    """Who and when for a chunk of records: practice, area, financial year and day within it."""

    practice: np.ndarray
    area: np.ndarray
    year: np.ndarray  # 0 .. years-1
    day: np.ndarray  # days since 1970-01-01
    year_start: np.ndarray  # days since 1970-01-01 of 1 April starting each record's financial year
    effect: np.ndarray  # the care-quality effect of each record's practice

    def centred_year(self, years: int) -> np.ndarray:
        return self.year - (years - 1) / 2

    def codes(self, geography: Geography) -> dict[str, pa.DictionaryArray]:
        """The `ccg_code` and `practice_code` columns of these records."""
        return {
            "ccg_code": categories(self.area, list(geography.ccgs["area_code"])),
            "practice_code": categories(self.practice, list(geography.practices["practice_code"])),
        }


def skeleton(n: int, geography: Geography, weights: np.ndarray, first_year: int, years: int,
             rng: np.random.Generator) -> Skeleton:
    """`n` records spread over practices (by `weights`) and years, with a date in each year."""
    practice = choose(rng, n, weights)
    year = rng.integers(0, years, n)
    starts = np.array([np.datetime64(f"{first_year + y}-04-01") for y in range(years)]).astype("datetime64[D]").astype(np.int64)
    day = starts[year] + rng.integers(0, 365, n)
    area = geography.practices["ccg_index"].to_numpy()[practice]
    return Skeleton(practice, area, year, day, starts[year], geography.practices["effect"].to_numpy()[practice])


def categories(index: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    """Labels as a dictionary-encoded Arrow array (compact, fast to write and scan)."""
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(labels))


def choose(rng: np.random.Generator, n: int, probabilities: list[float] | np.ndarray) -> np.ndarray:
    """Indexes drawn with the given probabilities (vectorised)."""
    cumulative = np.cumsum(probabilities) / np.sum(probabilities)
    return np.minimum(np.searchsorted(cumulative, rng.random(n)), len(probabilities) - 1)


def dates(day: np.ndarray) -> pa.Array:
    return pa.array(day.astype(np.int32), pa.date32())
