"""Step 3: the Making Data Count special-cause rules, as NHSRplotthedots 0.2.2 applies them.

Every rule runs within a segment and over all its points: a missing value breaks runs and
windows, and is itself common cause.
"""

from __future__ import annotations

import numpy as np

TWO_OF_THREE = ("mdc", "inclusive", None)
RULES = ["", "beyond_limits", "trend", "two_of_three", "shift"]


def check_rule_options(trend_points, shift_points, two_of_three) -> None:
    """Refuse an unknown two-of-three variant or runs shorter than two points, by name."""
    if two_of_three not in TWO_OF_THREE:
        raise ValueError(f"two_of_three must be one of {TWO_OF_THREE}, got {two_of_three!r}")
    for name, points in (("trend_points", trend_points), ("shift_points", shift_points)):
        if int(points) < 2:
            raise ValueError(f"{name} must be at least 2, got {points}")


def shifted(mask: np.ndarray, k: int, segment: np.ndarray) -> np.ndarray:
    """mask moved k places later (k > 0) or earlier (k < 0), False across segment boundaries."""
    out = np.zeros_like(mask)
    if k > 0:
        out[k:] = mask[:-k] & (segment[k:] == segment[:-k])
    elif k < 0:
        out[:k] = mask[-k:] & (segment[:k] == segment[-k:])
    return out


def run_length(breaks: np.ndarray) -> np.ndarray:
    """Length of the run each point belongs to, runs starting wherever ``breaks`` is True."""
    run = np.cumsum(breaks) - 1
    return np.bincount(run)[run] if run.size else run


def trend_direction(values: np.ndarray, new_segment: np.ndarray, points: int) -> np.ndarray:
    """+1 (-1) for points in a run of ``points`` or more strictly rising (falling) values, else 0.

    An equal value or a missing one breaks the run. A point that ends one run and starts the
    other (a peak or a trough) takes the direction of the run it starts: the next step's.
    """
    step = np.r_[0.0, np.diff(values)]
    rising = run_length(~(step > 0) | new_segment) >= points
    falling = run_length(~(step < 0) | new_segment) >= points
    next_rising = np.r_[step[1:] > 0, False]
    return np.where(rising & falling, np.where(next_rising, 1, -1), rising.astype(int) - falling.astype(int))


def two_of_three(close: np.ndarray, side: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Points ``close`` to a limit in some 3 consecutive points, all on one side of the mean, 2 or more close.

    ``close``: beyond the 2-sigma line on that side (and, for "mdc", not beyond the limit).
    """
    flagged = np.zeros(close.shape, dtype=bool)
    for same_side in (side > 0, side < 0):
        near = close & same_side
        full = np.zeros_like(near)
        full[2:] = (segment[2:] == segment[:-2]) & same_side[2:] & same_side[1:-1] & same_side[:-2]
        count = near.astype(int) + shifted(near, 1, segment) + shifted(near, 2, segment)
        window = full & (count >= 2)
        flagged |= near & (window | shifted(window, -1, segment) | shifted(window, -2, segment))
    return flagged


def shift_run(side: np.ndarray, new_segment: np.ndarray, points: int) -> np.ndarray:
    """Points in a run of ``points`` or more on one side of the mean (on it, or missing, breaks runs)."""
    breaks = new_segment | np.r_[True, side[1:] != side[:-1]]
    return (run_length(breaks) >= points) & (side != 0) & ~np.isnan(side)


def apply_rules(values, mean, lpl, upl, lower_2s, upper_2s, layout, trend_points, shift_points, two_of_three_rule):
    """Direction (+1 high, -1 low, 0 none) and rule code (index into RULES) of each sorted point."""
    new_segment = layout.new_segment()
    side = np.sign(values - mean)
    with np.errstate(invalid="ignore"):
        beyond = (values > upl).astype(int) - (values < lpl)
        close = (values > upper_2s) | (values < lower_2s)
    if two_of_three_rule == "mdc":
        close &= beyond == 0
    two_three = np.zeros(values.shape, dtype=int)
    if two_of_three_rule is not None:
        two_three = np.where(two_of_three(close, side, layout.segment), side, 0).astype(int)
    candidates = [
        beyond,
        trend_direction(values, new_segment, trend_points),
        two_three,
        np.where(shift_run(side, new_segment, shift_points), side, 0).astype(int),
    ]
    direction = np.zeros(values.shape, dtype=int)
    rule = np.zeros(values.shape, dtype=int)
    for code, candidate in enumerate(candidates, start=1):
        fresh = (direction == 0) & (candidate != 0)
        direction = np.where(fresh, candidate, direction)
        rule = np.where(fresh, code, rule)
    return direction, rule
