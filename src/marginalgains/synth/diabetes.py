"""SYNTHETIC people with diabetes and the nine key care processes in each audit year.

Each person-year is either "engaged" (all nine processes done) or misses at least one process,
chosen with realistic weights (urine albumin and foot checks are missed most), the others done
with probabilities shifted by a practice effect, so processes are correlated within a practice.
All-nine completion for type 2 thus equals the engaged share, spread about 10-fold between areas
(less deprived areas tend to do better).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marginalgains.synth.areas import Geography
from marginalgains.synth.draws import categories, choose, dates, expit, logit, skeleton, spread_rates, trend_slopes

TABLE = "diabetes_care"
SHARE = 0.5
ALL_NINE_LOWEST, ALL_NINE_FOLD = 0.07, 10.0
TYPE1_SHARE = 0.09
TYPE1_ENGAGED_FACTOR = 0.6  # type 1 engagement relative to type 2 in the same area
PROCESSES = [
    "hba1c", "blood_pressure", "cholesterol", "serum_creatinine", "urine_albumin",
    "foot_surveillance", "bmi", "smoking", "retinal_screening",
]
ONLY_MISSED_WEIGHTS = [0.05, 0.04, 0.10, 0.05, 0.32, 0.16, 0.08, 0.05, 0.15]
DONE_IF_NOT_ENGAGED = np.array([0.95, 0.95, 0.88, 0.92, 0.60, 0.75, 0.88, 0.90, 0.80])
AGE_BANDS = ["0-17", "18-39", "40-64", "65-79", "80+"]
AGE_SHARES = [0.01, 0.08, 0.45, 0.35, 0.11]


@dataclass(frozen=True)
class Parameters:
    engaged: np.ndarray  # per area, base share of type 2 with all nine processes
    slope: np.ndarray  # per area, change in log-odds a year


def parameters(geography: Geography, rng: np.random.Generator) -> Parameters:
    ccgs = geography.ccgs
    engaged = spread_rates(ALL_NINE_LOWEST, ALL_NINE_FOLD, -ccgs["deprivation_score"].to_numpy(), rng)
    return Parameters(engaged, trend_slopes(len(ccgs), rng))


def practice_weights(geography: Geography) -> np.ndarray:
    """People with diabetes per practice: list size, more in deprived areas."""
    deprivation = geography.ccgs["deprivation_score"].to_numpy()[geography.practices["ccg_index"].to_numpy()]
    return geography.practices["list_size"].to_numpy() * (0.7 + deprivation / 40)


def chunk(n: int, geography: Geography, p: Parameters, first_year: int, years: int,
          rng: np.random.Generator) -> pa.Table:
    """`n` person-years."""
    rows = skeleton(n, geography, practice_weights(geography), first_year, years, rng)
    type1 = rng.random(n) < TYPE1_SHARE
    base = p.engaged[rows.area] * np.where(type1, TYPE1_ENGAGED_FACTOR, 1.0)
    engaged = rng.random(n) < expit(logit(base) + p.slope[rows.area] * rows.centred_year(years) + rows.effect)
    done = _processes_done(engaged, rows.effect, rng)
    columns = {
        **rows.codes(geography),
        "audit_year_start": dates(rows.year_start),
        "diabetes_type": np.where(type1, 1, 2).astype(np.int8),
        "age_band": categories(choose(rng, n, AGE_SHARES), AGE_BANDS),
        "sex": categories((rng.random(n) < 0.56).astype(np.int32), ["F", "M"]),
    }
    columns.update({name: done[:, k] for k, name in enumerate(PROCESSES)})
    return pa.table(columns)


def _processes_done(engaged: np.ndarray, effect: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(people x 9) booleans: all done if engaged, else one chosen process missed and the rest by chance."""
    n = len(engaged)
    chance = expit(logit(DONE_IF_NOT_ENGAGED)[None, :] + effect[:, None])
    done = engaged[:, None] | (rng.random((n, len(PROCESSES))) < chance)
    missed = choose(rng, n, ONLY_MISSED_WEIGHTS)
    not_engaged = np.flatnonzero(~engaged)
    done[not_engaged, missed[not_engaged]] = False
    return done
