"""SPC point types and variation icons from the rule direction and the improvement direction."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats.spc import ICONS, POINT_TYPES
from marginalgains.stats.spc.icons import icon_codes, point_type_codes

from spc_helpers import STABLE, quiet_xmr


@pytest.mark.parametrize(
    ("improvement", "high", "low"),
    [("increase", "special_cause_improvement", "special_cause_concern"),
     ("decrease", "special_cause_concern", "special_cause_improvement"),
     (None, "special_cause_neutral_high", "special_cause_neutral_low")],
)
def test_point_types_orient_by_improvement(improvement, high, low):
    codes = point_type_codes(np.array([1, -1, 0]), improvement)
    assert [POINT_TYPES[c] for c in codes] == [high, low, "common_cause"]


def test_icons_name_the_side_and_the_meaning():
    direction = np.array([1, -1, 1, -1, 1, -1, 0])
    point_type = np.array([1, 1, 2, 2, 3, 4, 0])
    assert [ICONS[c] for c in icon_codes(point_type, direction)] == [
        "improvement_high", "improvement_low", "concern_high", "concern_low", "neutral_high", "neutral_low",
        "common_cause"]


@pytest.mark.parametrize(("improvement", "icon"), [("increase", "concern_low"), ("decrease", "improvement_low"),
                                                   (None, "neutral_low")])
def test_series_icon_comes_from_its_latest_point(improvement, icon):
    assert quiet_xmr(STABLE + [0.0], improvement=improvement).variation == icon
