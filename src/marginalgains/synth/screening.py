"""SYNTHETIC diabetic eye screening invitations and whether each was attended.

Area attendance rates are spread about 12-fold between the lowest and highest area; less
deprived areas tend to attend more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from marginalgains.synth.areas import Geography
from marginalgains.synth.draws import categories, choose, dates, expit, logit, skeleton, spread_rates, trend_slopes

TABLE = "eye_screening"
SHARE = 0.3
ATTEND_LOWEST, ATTEND_FOLD = 0.07, 12.0
AGE_BANDS = ["12-17", "18-39", "40-64", "65-79", "80+"]
AGE_SHARES = [0.01, 0.08, 0.45, 0.35, 0.11]


@dataclass(frozen=True)
class Parameters:
    attend: np.ndarray  # per area, base attendance rate
    slope: np.ndarray  # per area, change in log-odds a year


def parameters(geography: Geography, rng: np.random.Generator) -> Parameters:
    ccgs = geography.ccgs
    attend = spread_rates(ATTEND_LOWEST, ATTEND_FOLD, -ccgs["deprivation_score"].to_numpy(), rng)
    return Parameters(attend, trend_slopes(len(ccgs), rng))


def chunk(n: int, geography: Geography, p: Parameters, first_year: int, years: int,
          rng: np.random.Generator) -> pa.Table:
    """`n` invitations."""
    rows = skeleton(n, geography, geography.practices["list_size"].to_numpy().astype(float), first_year, years, rng)
    odds = logit(p.attend[rows.area]) + p.slope[rows.area] * rows.centred_year(years) + 0.5 * rows.effect
    return pa.table({
        **rows.codes(geography),
        "invitation_date": dates(rows.day),
        "diabetes_type": np.where(rng.random(n) < 0.09, 1, 2).astype(np.int8),
        "age_band": categories(choose(rng, n, AGE_SHARES), AGE_BANDS),
        "sex": categories((rng.random(n) < 0.56).astype(np.int32), ["F", "M"]),
        "attended": rng.random(n) < expit(odds),
    })
