"""Step 5: assurance, each point's target judged against that point's process limits.

NHSRplotthedots 0.2.2 (``ptd_calculate_assurance_type``): for improvement upwards, a target
below the lower limit is a consistent pass, above the upper limit a consistent fail, and
anything else (a target equal to a limit included) inconsistent; mirrored for downwards.
Judging every point against its own target turns a trajectory into month-by-month assurance.
"""

from __future__ import annotations

import numpy as np

ASSURANCE = ["consistent_pass", "consistent_fail", "inconsistent"]


def assurance_codes(target: np.ndarray, lpl: np.ndarray, upl: np.ndarray, improvement) -> np.ndarray:
    """Index into ASSURANCE per point; -1 without a target, limits or improvement direction."""
    if improvement is None:
        return np.full(np.shape(target), -1)
    with np.errstate(invalid="ignore"):
        below, above = target < lpl, target > upl
    passes, fails = (below, above) if improvement == "increase" else (above, below)
    codes = np.select([passes, fails], [0, 1], 2)
    return np.where(np.isnan(target) | np.isnan(lpl) | np.isnan(upl), -1, codes)
