"""Judging each point against its trajectory: assurance (Making Data Count) and the board status.

Assurance follows NHSRplotthedots 0.2.2 (`ptd_calculate_assurance_type`), applied at every
point with that point's trajectory value as the target and that point's process limits:
target above the upper limit -> consistent_fail when higher is better (consistent_pass when lower
is); target below the lower limit -> consistent_pass (consistent_fail); otherwise inconsistent.

The status of a plan x area is read from its latest point:
- `deteriorating`: the point is special cause of concern;
- `improving, on trajectory`: special cause of improvement and the value at or better than the trajectory;
- `improving, behind trajectory`: special cause of improvement and the value worse than the trajectory;
- `no significant change`: common cause (whatever the trajectory says: chance could explain it).
"""

from __future__ import annotations

import numpy as np

ASSURANCE = ("consistent_pass", "consistent_fail", "inconsistent")
STATUSES = ("improving, on trajectory", "improving, behind trajectory", "no significant change", "deteriorating")


def assurance(trajectory: np.ndarray, lpl: np.ndarray, upl: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Assurance of each point against its own trajectory value (None where there is none)."""
    above, below = trajectory > upl, trajectory < lpl
    increasing = sign > 0
    out = np.select(
        [above & increasing, above, below & increasing, below],
        ["consistent_fail", "consistent_pass", "consistent_pass", "consistent_fail"],
        "inconsistent",
    ).astype(object)
    return np.where(np.isnan(trajectory) | np.isnan(lpl) | np.isnan(upl), None, out)


def board_status(point_type: np.ndarray, value: np.ndarray, trajectory: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """The status rule above, for latest points."""
    on_track = sign * (value - trajectory) >= 0
    return np.select(
        [point_type == "special_cause_concern", (point_type == "special_cause_improvement") & on_track,
         point_type == "special_cause_improvement"],
        [STATUSES[3], STATUSES[0], STATUSES[1]],
        STATUSES[2],
    ).astype(object)
