"""SYNTHETIC heart attack admissions: STEMI flag, primary angioplasty in time, death within 30 days.

Area rates of primary angioplasty in time for STEMI are spread about 34-fold between the lowest
and highest area, the spread the NHS Atlas of Variation (2010) reported across primary care
trusts; better-connected (less rural) areas tend to do better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marginalgains.synth.areas import Geography
from marginalgains.synth.draws import categories, choose, dates, expit, logit, skeleton, spread_rates, trend_slopes

TABLE = "mi_admissions"
SHARE = 0.2  # of all record rows
PPCI_LOWEST, PPCI_FOLD = 0.025, 34.0
STEMI_SHARE = 0.38
AGE_BANDS = ["18-44", "45-54", "55-64", "65-74", "75-84", "85+"]
AGE_SHARES = [0.05, 0.12, 0.20, 0.25, 0.25, 0.13]
DEATH_BY_AGE = np.array([0.02, 0.03, 0.05, 0.08, 0.13, 0.22])


@dataclass(frozen=True)
class Parameters:
    ppci: np.ndarray  # per area, base rate of angioplasty in time among STEMI
    ppci_slope: np.ndarray  # per area, change in log-odds a year
    mortality: np.ndarray  # per area, log-odds shift in 30-day mortality


def parameters(geography: Geography, rng: np.random.Generator) -> Parameters:
    ccgs = geography.ccgs
    ppci = spread_rates(PPCI_LOWEST, PPCI_FOLD, -ccgs["rurality"].to_numpy(), rng)
    return Parameters(ppci, trend_slopes(len(ccgs), rng), rng.normal(0.0, 0.2, len(ccgs)))


def practice_weights(geography: Geography) -> np.ndarray:
    """Admissions per practice: list size, more where more people are over 65."""
    over_65 = geography.ccgs["pct_over_65"].to_numpy()[geography.practices["ccg_index"].to_numpy()]
    return geography.practices["list_size"].to_numpy() * over_65


def chunk(n: int, geography: Geography, p: Parameters, first_year: int, years: int,
          rng: np.random.Generator) -> pa.Table:
    """`n` admissions."""
    rows = skeleton(n, geography, practice_weights(geography), first_year, years, rng)
    age = choose(rng, n, AGE_SHARES)
    male = rng.random(n) < 0.65
    stemi = rng.random(n) < STEMI_SHARE
    ppci_odds = logit(p.ppci[rows.area]) + p.ppci_slope[rows.area] * rows.centred_year(years) + 0.2 * rows.effect
    ppci = stemi & (rng.random(n) < expit(ppci_odds))
    death_odds = logit(DEATH_BY_AGE[age]) + 0.3 * stemi - 0.4 * ppci + p.mortality[rows.area]
    died = rng.random(n) < expit(death_odds)
    return pa.table({
        **rows.codes(geography),
        "admission_date": dates(rows.day),
        "age_band": categories(age, AGE_BANDS),
        "sex": categories(male.astype(np.int32), ["F", "M"]),
        "stemi": stemi,
        "ppci_in_time": ppci,
        "died_30d": died,
    })
