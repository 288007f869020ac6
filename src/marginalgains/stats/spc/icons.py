"""Step 4: point types and the Making Data Count variation icons, from rule directions."""

from __future__ import annotations

import numpy as np
import pandas as pd

IMPROVEMENT = ("increase", "decrease", None)
POINT_TYPES = [
    "common_cause", "special_cause_improvement", "special_cause_concern",
    "special_cause_neutral_high", "special_cause_neutral_low",
]
ICONS = [
    "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
    "neutral_high", "neutral_low",
]


def check_improvement(improvement) -> None:
    if improvement not in IMPROVEMENT:
        raise ValueError(f"improvement must be one of {IMPROVEMENT}, got {improvement!r}")


def point_type_codes(direction: np.ndarray, improvement) -> np.ndarray:
    """Index into POINT_TYPES for each point, from its direction and the improvement direction."""
    if improvement is None:
        high, low = 3, 4
    elif improvement == "increase":
        high, low = 1, 2
    else:
        high, low = 2, 1
    return np.select([direction > 0, direction < 0], [high, low], 0)


def icon_codes(point_type: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Index into ICONS: the MDC variation icon for a point."""
    high = direction > 0
    return np.select(
        [point_type == 1, point_type == 2, point_type == 3, point_type == 4],
        [np.where(high, 1, 2), np.where(high, 3, 4), 5, 6],
        0,
    )


def labels(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """A categorical of ``names`` from integer codes (-1 = missing)."""
    return pd.Categorical.from_codes(codes, categories=names)
