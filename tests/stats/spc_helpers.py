"""Shared inputs for the SPC tests: a stable series and a warning-free caller."""

from __future__ import annotations

import warnings

from marginalgains.stats import xmr

STABLE = [10, 12, 11, 13, 10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 12]
"""15 points in control: mean 11.53, mean moving range 1.57 (limits about 7.4 to 15.7)."""


def quiet_xmr(*args, **kwargs):
    """xmr without the trial-limits warning (short series on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return xmr(*args, **kwargs)
