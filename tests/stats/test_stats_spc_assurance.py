"""SPC assurance as NHSRplotthedots 0.2.2, judged per point so a trajectory is judged month by month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats import xmr
from marginalgains.stats.spc.assurance import ASSURANCE, assurance_codes

from spc_helpers import STABLE


def test_assurance_from_target_against_limits():
    for target, expected in ((5.0, "consistent_pass"), (12.0, "inconsistent"), (20.0, "consistent_fail")):
        assert xmr(STABLE, improvement="increase", target=target).assurance == expected
    assert xmr(STABLE, improvement="decrease", target=20.0).assurance == "consistent_pass"
    assert xmr(STABLE, target=20.0).assurance is None


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [  # NHSRplotthedots 0.2.2 test-ptd_calculate_assurance_type.R: lpl 1, 5, 1; upl 3, 7, 5; target 4
        ("increase", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("decrease", ["consistent_pass", "consistent_fail", "inconsistent"]),
    ],
)
def test_assurance_matches_nhsrplotthedots_unit_cases(improvement, expected):
    codes = assurance_codes(np.full(3, 4.0), np.array([1.0, 5, 1]), np.array([3.0, 7, 5]), improvement)
    assert [ASSURANCE[c] for c in codes] == expected
    assert (assurance_codes(np.full(3, 4.0), np.array([1.0, 5, 1]), np.array([3.0, 7, 5]), None) == -1).all()


def test_a_target_equal_to_a_process_limit_is_inconsistent():
    points = xmr(STABLE, improvement="increase").points
    lpl, upl = points.lpl.iloc[0], points.upl.iloc[0]
    assert xmr(STABLE, improvement="increase", target=lpl).assurance == "inconsistent"
    assert xmr(STABLE, improvement="decrease", target=upl).assurance == "inconsistent"
    assert xmr(STABLE, improvement="increase", target=np.nextafter(lpl, -np.inf)).assurance == "consistent_pass"


def test_a_trajectory_is_judged_point_by_point():
    values = STABLE  # limits about 7.4 to 15.7
    trajectory = np.linspace(5.0, 18.0, len(values))
    result = xmr(values, improvement="increase", target=trajectory)
    points = result.points
    lpl, upl = points.lpl.iloc[0], points.upl.iloc[0]
    expected = np.select([trajectory < lpl, trajectory > upl], ["consistent_pass", "consistent_fail"], "inconsistent")
    assert points.assurance.astype(str).tolist() == expected.tolist()
    assert set(expected) == set(ASSURANCE)  # the trajectory crosses both limits
    assert result.assurance == expected[-1]


def test_assurance_follows_each_segments_limits_and_missing_targets():
    values = STABLE + [v + 20 for v in STABLE]
    target = np.r_[np.full(15, 20.0), np.nan, np.full(14, 20.0)]
    points = xmr(values, improvement="increase", target=target, rebase=[15]).points
    assert (points.assurance.iloc[:15] == "consistent_fail").all()
    assert pd.isna(points.assurance.iloc[15])
    assert (points.assurance.iloc[16:] == "consistent_pass").all()
    with pytest.raises(ValueError, match="target"):
        xmr(values, improvement="increase", target=[1.0, 2.0])
