"""Age-sex (or any strata) standardisation of counted aggregates, after they leave the backend.

The backend counts observed events and people per area, period and stratum; these few rows are
then standardised here:

- ISR (measure `ratio`): numerator = observed events, denominator = expected events, the sum over
  strata of the area's people times the reference rate. Reference rates are given in the catalogue
  or, by default, come from the data itself (every area and period pooled), so the ratio compares
  each area with the whole dataset.
- DSR (measure `dsr`): the rate the area would have with the standard population's make-up,
  DSR = sum_s w_s * O_s / N_s / sum_s w_s (a stratum where the area has nobody adds 0). It is
  returned as numerator = observed events O and denominator = O / DSR (the "equivalent
  population"), so numerator / denominator is the DSR and the numerator stays a count. With no
  events (DSR 0), the denominator is the crude population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marginalgains.engine.definition import Standardisation
from marginalgains.errors import EngineError

KEYS = ["area_code", "period"]


def standardised(counts: pd.DataFrame, rule: Standardisation, indicator_id: str) -> pd.DataFrame:
    """area_code, period, numerator, denominator from per-stratum `observed` and `people` counts.

    Rows are sorted first so the floating-point sums are the same whatever order the backend
    returned them in (DuckDB and Spark then agree exactly). Records with no area or period (NULL)
    keep their own row, for the values check to reject with the reason, never dropped here.
    """
    counts = counts.astype({s: str for s in rule.strata})
    counts = counts.sort_values(KEYS + list(rule.strata), ignore_index=True)
    if rule.method == "isr":
        return _isr(counts, rule, indicator_id)
    return _dsr(counts, rule, indicator_id)


def _isr(counts: pd.DataFrame, rule: Standardisation, indicator_id: str) -> pd.DataFrame:
    strata = list(rule.strata)
    if rule.reference is None:
        pooled = counts.groupby(strata, as_index=False)[["observed", "people"]].sum()
        pooled["rate"] = pooled["observed"] / pooled["people"].where(pooled["people"] > 0)
        rates = pooled[strata + ["rate"]].fillna({"rate": 0.0})
    else:
        rates = _stratum_table(rule.reference, strata, "rate")
    joined = counts.merge(rates, on=strata, how="left")
    _refuse_unmatched(joined, "rate", strata, indicator_id, "reference rate")
    joined["expected"] = joined["people"] * joined["rate"]
    totals = joined.groupby(KEYS, as_index=False, dropna=False)[["observed", "expected"]].sum()
    return totals.rename(columns={"observed": "numerator", "expected": "denominator"})


def _dsr(counts: pd.DataFrame, rule: Standardisation, indicator_id: str) -> pd.DataFrame:
    strata = list(rule.strata)
    weights = _stratum_table(rule.standard, strata, "weight")
    joined = counts.merge(weights, on=strata, how="left")
    _refuse_unmatched(joined, "weight", strata, indicator_id, "standard population weight")
    rate = joined["observed"] / joined["people"].where(joined["people"] > 0)
    joined["weighted"] = (joined["weight"] * rate).fillna(0.0)
    totals = joined.groupby(KEYS, as_index=False, dropna=False)[["observed", "people", "weighted"]].sum()
    dsr = totals["weighted"] / weights["weight"].sum()
    totals["denominator"] = np.where(totals["observed"] > 0, totals["observed"] / dsr.where(dsr > 0), totals["people"])
    return totals.rename(columns={"observed": "numerator"})[KEYS + ["numerator", "denominator"]]


def _stratum_table(rows, strata: list[str], number: str) -> pd.DataFrame:
    table = pd.DataFrame(list(rows))
    return table.astype({s: str for s in strata}).astype({number: float})


def _refuse_unmatched(joined: pd.DataFrame, number: str, strata: list[str], indicator_id: str, what: str) -> None:
    unmatched = joined.loc[joined[number].isna() & (joined["people"] > 0), strata].drop_duplicates()
    if len(unmatched):
        examples = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in unmatched.head(3).to_dict("records"))
        raise EngineError(f"indicator {indicator_id!r}: no {what} for stratum {examples} found in the data")
