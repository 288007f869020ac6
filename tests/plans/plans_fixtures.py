"""Small hand-made monthly values and plans for the plans tests."""

from __future__ import annotations

import pandas as pd

from marginalgains.io.catalogue import Catalogue
from marginalgains.model import Indicator, Measure, Polarity

CATALOGUE = Catalogue({
    "up": Indicator("up", "Higher is better", Polarity.HIGH_IS_GOOD, Measure.PROPORTION, 100, "%"),
    "down": Indicator("down", "Lower is better", Polarity.LOW_IS_GOOD, Measure.PROPORTION, 100, "%"),
    "neutral": Indicator("neutral", "No judgement", Polarity.NO_JUDGEMENT, Measure.PROPORTION, 100, "%"),
})


def months(start: str, count: int) -> list[str]:
    return list(pd.period_range(start, periods=count, freq="M").strftime("%Y-%m"))


def series(indicator: str, area: str, numerators: list[float], start: str = "2022-04",
           denominator: float = 100) -> pd.DataFrame:
    """One area's monthly rows from `start`, each with the same denominator."""
    periods = months(start, len(numerators))
    return pd.DataFrame({"indicator_id": indicator, "area_code": area, "period": periods,
                         "numerator": [float(n) for n in numerators], "denominator": float(denominator)})


def values(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def plan(**fields) -> dict:
    """A plan's plain data: one area A of `up`, baseline 2022/23, target +12pp by 2024-03, linear."""
    base = {"id": "p", "title": "Plan", "indicator_id": "up", "areas": "A", "owner": {"organisation": "ORG"},
            "baseline": {"period": "2022/23"}, "target": "+12pp", "by": "2024-03"}
    return {**base, **fields}
