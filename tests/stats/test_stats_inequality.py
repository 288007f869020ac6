"""Slope and relative indices of inequality against PHEindicatormethods' own phe_sii test figures."""

import numpy as np
import pandas as pd
import pytest

from marginalgains.stats.inequality import slope_index
from stats_fixtures import read_fixture

VALUE_TYPES = {0: "normal", 1: "rate", 2: "proportion"}
CASES = read_fixture("phe_sii.csv").groupby("TestDescription", sort=False)


@pytest.mark.parametrize("description", list(CASES.groups))
def test_sii_and_rii_match_phe(description):
    case = CASES.get_group(description)
    result = slope_index(case, ["Area"], quantile="Quantile", population="Population", value="Value",
                         lower="LowerCL", upper="UpperCL", value_type=VALUE_TYPES[case["ValueType"].iloc[0]],
                         confidence=case["Confidence"].iloc[0] / 100, seed=1)
    expected = case.dropna(subset=["sii"]).set_index("Area")
    result = result.set_index("Area").loc[expected.index]
    assert result["sii"].to_numpy() == pytest.approx(expected["sii"].to_numpy(), rel=1e-9)
    if expected["rii"].notna().all():
        assert result["rii"].to_numpy() == pytest.approx(expected["rii"].to_numpy(), rel=1e-9)
    for ours, theirs in (("sii_lower", "sii_lowercl_1"), ("sii_upper", "sii_uppercl_1"),
                         ("rii_lower", "rii_lowercl_1"), ("rii_upper", "rii_uppercl_1")):
        published = expected[theirs].dropna()
        if len(published):  # simulated with 100,000 draws on both sides: Monte Carlo error only
            assert result.loc[published.index, ours].to_numpy() == pytest.approx(published.to_numpy(), rel=0.02)


def test_an_incomplete_group_is_blank_with_the_reason():
    case = CASES.get_group("default (e.g. life expectancy) - default parameters")
    short = case[~((case["Area"] == "area2") & (case["Quantile"] == 3))]
    result = slope_index(short, ["Area"], quantile="Quantile", population="Population", value="Value",
                         lower="LowerCL", upper="UpperCL", repetitions=1000).set_index("Area")
    assert result.loc["area2", "note"] == "9 of 10 quantiles" and np.isnan(result.loc["area2", "sii"])
    assert result.loc["area1", "sii"] == pytest.approx(6.9346164736688189, rel=1e-9)


def test_a_hand_worked_straight_line_has_its_slope():
    """Equal populations and values rising by 2 per decile: the positions are 0.05 ... 0.95, so the
    fitted line rises 2 per 0.1, an SII of 20; with the value 10 at position 0.05 the intercept is 9."""
    frame = pd.DataFrame({"g": "x", "q": range(1, 11), "pop": 100.0, "v": 10 + 2 * np.arange(10.0)})
    frame["lo"], frame["hi"] = frame["v"] - 1, frame["v"] + 1
    result = slope_index(frame, ["g"], quantile="q", population="pop", value="v", lower="lo", upper="hi",
                         repetitions=1000).iloc[0]
    assert result["sii"] == pytest.approx(20.0) and result["rii"] == pytest.approx((9 + 20) / 9)
    assert result["sii_lower"] < 20 < result["sii_upper"]


def test_too_few_quantiles_is_refused():
    frame = pd.DataFrame({"g": "x", "q": [1, 2, 3], "pop": 1.0, "v": 1.0, "lo": 0.5, "hi": 1.5})
    with pytest.raises(ValueError, match="between 5 and 100, got 3"):
        slope_index(frame, ["g"], quantile="q", population="pop", value="v", lower="lo", upper="hi")
