"""p, u and c charts: pooled centres, binomial and Poisson limits, Laney's sigma_z, floors at zero."""

from __future__ import annotations

import numpy as np
import pytest

from marginalgains.stats import cchart, pchart, uchart

from stats_fixtures import qicharts2


def test_pchart_limits_and_laney():
    num = np.array([50, 55, 48, 52, 60, 47, 51, 49, 53, 50, 52, 48, 51])
    den = np.full(13, 500)
    points = pchart(num, den).points
    p = num.sum() / den.sum()
    assert points.upl.iloc[0] == pytest.approx(p + 3 * np.sqrt(p * (1 - p) / 500))
    laney = pchart(num, den, laney=True).points
    z = (num / den - p) / np.sqrt(p * (1 - p) / 500)
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    assert laney.upl.iloc[0] == pytest.approx(p + 3 * sigma_z * np.sqrt(p * (1 - p) / 500))


def test_uchart_limits_floor_at_zero():
    points = uchart([1, 0, 2, 1, 0, 1, 3, 1, 0, 2, 1, 1, 0], [10] * 13, multiplier=1000).points
    u = 13 / 130
    assert points["mean"].iloc[0] == pytest.approx(u * 1000)
    assert points.upl.iloc[0] == pytest.approx((u + 3 * np.sqrt(u / 10)) * 1000)
    assert points.lpl.iloc[0] == 0


def test_cchart_centre_is_the_mean_count_with_poisson_limits():
    counts = [3, 5, 2, 4, 6, 3, 4, 5, 2, 3, 4, 5, 19]
    points = cchart(counts, improvement="decrease").points
    c = np.mean(counts)
    assert points["mean"].iloc[0] == pytest.approx(c)
    assert points.upl.iloc[0] == pytest.approx(c + 3 * np.sqrt(c))
    assert points.lpl.iloc[0] == pytest.approx(max(0.0, c - 3 * np.sqrt(c)))
    assert points.point_type.iloc[-1] == "special_cause_concern"
    with pytest.raises(ValueError, match="counts"):
        cchart([1, -2, 3])


def test_cchart_matches_qicharts2_montgomery_7_3_with_a_frozen_baseline():
    case = qicharts2()["montgomery_7_3_c"]
    counts = np.array(case["counts"])
    counts[np.array(case["exclude_1based"]) - 1] = np.nan  # qicharts2's exclude: left out of the limits
    points = cchart(counts, fix_after_n_points=case["freeze"]).points
    np.testing.assert_allclose(points["mean"], case["cl"], rtol=1e-12)
    np.testing.assert_allclose(points.lpl, case["lcl"], rtol=1e-12)
    np.testing.assert_allclose(points.upl, case["ucl"], rtol=1e-12)
    beyond = np.array(case["counts"])[np.array(case["exclude_1based"]) - 1]
    assert ((beyond > case["ucl"]) | (beyond < case["lcl"])).all()  # why qicharts2 flags (and we excluded) them


def test_cchart_split_at_the_cdi_intervention_matches_the_qicharts2_vignette():
    cdi = qicharts2()["cdi"]
    with pytest.warns(UserWarning, match="trial limits"):  # 12 months after the intervention
        summary = cchart(cdi["n"], rebase=[cdi["before"]], improvement="decrease").summary.iloc[0]
    assert round(np.mean(cdi["n"][: cdi["before"]])) == cdi["c_mean_before"]
    assert round(summary["mean"]) == cdi["c_mean_after"]
    assert [round(summary.lpl), round(summary.upl)] == cdi["c_limits_after"]
