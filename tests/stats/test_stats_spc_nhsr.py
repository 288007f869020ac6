"""The vectorised XmR chart against a point-by-point transcription of NHSRplotthedots 0.2.2 (nhsr_reference)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from marginalgains.stats import xmr

from nhsr_reference import RError, ZeroRanges, ZeroStepTrend, limits, point_types

noisy = st.lists(st.integers(-1, 8).map(lambda v: math.nan if v < 0 else float(v)), min_size=1, max_size=45)
walks = st.lists(st.sampled_from([-1.0, 0.0, 1.0, 1.0, 2.0, math.nan]), min_size=1, max_size=45).map(
    lambda steps: [math.nan if math.isnan(s) else v for s, v in zip(steps, np.cumsum(np.nan_to_num(steps)))])

peaks = st.tuples(st.lists(st.integers(0, 8).map(float), max_size=12), st.integers(6, 9), st.integers(5, 9),
                  st.booleans(), st.lists(st.integers(0, 8).map(float), max_size=8)).map(
    lambda t: t[0] + [4.0 + step * (1 if t[3] else -1) for step in range(t[1] + 1)]
    + [4.0 + (t[1] - step) * (1 if t[3] else -1) for step in range(1, t[2] + 1)] + t[4])
"""A rising (falling) run straight into a falling (rising) one: the shared peak (trough) point."""


@settings(max_examples=200, deadline=None)
@given(st.one_of(noisy, walks, peaks), st.sampled_from(["increase", "decrease", None]),
       st.one_of(st.none(), st.integers(2, 20)), st.booleans(), st.one_of(st.none(), st.integers(1, 44)))
def test_point_types_and_limits_match_nhsrplotthedots_0_2_2(values, improvement, fix, screen, rebase_at):
    rebase = [rebase_at] if rebase_at is not None and rebase_at < len(values) else []
    segments = [part.tolist() for part in np.split(np.array(values), rebase)]
    try:
        expected = [t for part in segments for t in point_types(part, improvement, fix, screen)]
        reference = [limits(part, fix, screen) for part in segments]
    except (RError, ZeroRanges, ZeroStepTrend):
        assume(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        points = xmr(values, improvement=improvement, fix_after_n_points=fix, screen_outliers=screen,
                     rebase=rebase or None).points
    assert points.point_type.astype(str).tolist() == expected
    lines = np.array([[np.nan if v is None else v for v in ref[:3]] for ref, part in zip(reference, segments)
                      for _ in part])
    np.testing.assert_allclose(points[["mean", "lpl", "upl"]].to_numpy(), lines, rtol=1e-9, atol=1e-9)
