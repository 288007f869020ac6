"""The board status of a plan x area, from its latest point's SPC signal and its trajectory.

(Each point's assurance against its trajectory comes from the SPC chart itself: the trajectory
is passed as a per-point target, judged as NHSRplotthedots 0.2.2 does.)

The status of a plan x area is read from its latest point:
- `deteriorating`: the point is special cause of concern;
- `improving, on trajectory`: special cause of improvement and the value at or better than the trajectory;
- `improving, behind trajectory`: special cause of improvement and the value worse than the trajectory;
- `no significant change`: common cause (whatever the trajectory says: chance could explain it).
"""

from __future__ import annotations

import numpy as np

STATUSES = ("improving, on trajectory", "improving, behind trajectory", "no significant change", "deteriorating")


def board_status(point_type: np.ndarray, value: np.ndarray, trajectory: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """The status rule above, for latest points."""
    on_track = sign * (value - trajectory) >= 0
    return np.select(
        [point_type == "special_cause_concern", (point_type == "special_cause_improvement") & on_track,
         point_type == "special_cause_improvement"],
        [STATUSES[3], STATUSES[0], STATUSES[1]],
        STATUSES[2],
    ).astype(object)
