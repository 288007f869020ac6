"""SPC layout: series sorted stably, rebased segments, positions within a segment, bad ids refused."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats import xmr
from marginalgains.stats.spc.layout import layout

from spc_helpers import quiet_xmr


def test_segments_and_positions_follow_series_then_rebases():
    grid = layout(7, groups=["b", "a", "b", "a", "b", "a", "b"], rebase=[4])
    assert grid.order.tolist() == [1, 3, 5, 0, 2, 4, 6]
    assert grid.segment.tolist() == [0, 0, 0, 1, 1, 2, 2]  # series b rebased at input position 4
    assert grid.position.tolist() == [0, 1, 2, 0, 1, 0, 1]
    assert grid.last.tolist() == [2, 6]
    assert grid.labels.tolist() == ["a", "b"]


def test_rebase_recomputes_limits_per_segment():
    values = [10.0] * 2 + [11.0, 10.0] * 6 + [20.0, 21.0] * 7
    points = xmr(values, rebase=[14]).points
    assert points["mean"].iloc[0] == pytest.approx(np.mean(values[:14]))
    assert points["mean"].iloc[-1] == pytest.approx(20.5)
    mask = np.zeros(len(values), dtype=bool)
    mask[14] = True
    assert xmr(values, rebase=mask).points.equals(points)


def test_rules_do_not_run_across_a_rebase():
    values = [11, 12] * 5 + [11.0, 11.2, 11.4, 11.6, 11.8] + [11, 12] * 4
    whole = quiet_xmr(values, trend_points=5).points
    assert whole.rule.iloc[10:15].tolist() == ["trend"] * 5
    split = quiet_xmr(values, rebase=[13], trend_points=5).points
    assert (split.rule.iloc[10:15] == "").all()  # the run is cut into 3 and 2 points by the rebase


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"groups": [1, 2]}, "groups"), ({"groups": ["a", None, "a"]}, "groups"), ({"rebase": [5]}, "rebase"),
     ({"rebase": [True, False]}, "rebase")],
)
def test_bad_layout_names_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        quiet_xmr([1.0, 2.0, 3.0], **kwargs)
