"""Peers on tiny covariate tables worked by hand, and against brute force."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist, mahalanobis

from marginalgains.improve import ImproveError, peers

LINE = pd.DataFrame({"area_code": list("ABCDE"), "x": [0, 1, 2, 3, 10.0], "flat": [5.0] * 5})
SQUARE = pd.DataFrame({"area_code": list("ABCD"), "x": [0, 1, 0, 1.0], "y": [0, 0, 1, 1.0]})


def test_peers_on_a_line_use_sample_sd_z_scores_and_break_ties_by_order():
    table = peers(LINE, n=2)
    # sample SD of x is sqrt(62.8 / 4) = 3.9623; one unit apart is 0.252377 standardised
    assert list(table.columns) == ["area_code", "peer_code", "rank", "distance"]
    assert table["peer_code"].tolist() == ["B", "C", "A", "C", "B", "D", "C", "B", "D", "C"]
    assert table["rank"].tolist() == [1, 2] * 5
    assert table["distance"].iloc[0] == pytest.approx(1 / np.sqrt(15.7))
    assert table.loc[8, "distance"] == pytest.approx(7 / np.sqrt(15.7))


def test_weights_scale_squared_differences():
    table = peers(SQUARE, n=3, weights={"y": 4})
    a = table[table["area_code"] == "A"]
    step = 1 / np.std([0, 1, 0, 1], ddof=1)  # 1.732
    assert a["peer_code"].tolist() == ["B", "C", "D"]
    assert a["distance"].tolist() == pytest.approx([step, 2 * step, np.sqrt(5) * step])


def test_mahalanobis_matches_scipy():
    rng = np.random.default_rng(7)
    raw = rng.normal(size=(9, 3))
    raw[:, 1] += 2 * raw[:, 0]  # correlated covariates, where Mahalanobis differs from Euclidean
    table = pd.DataFrame(raw, columns=["a", "b", "c"]).assign(area_code=[f"E{i}" for i in range(9)])
    result = peers(table, n=8, method="mahalanobis")
    inverse = np.linalg.inv(np.cov(raw, rowvar=False))
    first = result[result["area_code"] == "E0"]
    expected = sorted((mahalanobis(raw[0], raw[j], inverse), f"E{j}") for j in range(1, 9))
    assert first["peer_code"].tolist() == [code for _, code in expected]
    assert first["distance"].tolist() == pytest.approx([d for d, _ in expected])


def test_peer_sets_match_brute_force_on_random_data():
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(300, 4)) * [1, 10, 100, 0.1]
    table = pd.DataFrame(raw, columns=list("abcd")).assign(area_code=[f"P{i:03d}" for i in range(300)])
    result = peers(table, n=10)
    z = (raw - raw.mean(0)) / raw.std(0, ddof=1)
    distance = cdist(z, z)
    np.fill_diagonal(distance, np.inf)
    expected = np.argsort(distance, axis=1, kind="stable")[:, :10]
    got = result["peer_code"].str[1:].astype(int).to_numpy().reshape(300, 10)
    assert (got == expected).all()
    assert result["distance"].to_numpy() == pytest.approx(np.sort(distance, axis=1)[:, :10].ravel())


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (LINE, {"n": 5}, "only 5 areas"),
        (LINE.assign(x=[0, 1, np.nan, 3, 4]), {"n": 2}, "missing"),
        (LINE.assign(name=list("vwxyz")), {"n": 2}, "not numeric: name"),
        (LINE.drop(columns="area_code"), {"n": 2}, "area_code"),
        (pd.concat([LINE, LINE.head(1)]), {"n": 2}, "more than once"),
        (LINE, {"n": 2, "method": "manhattan"}, "unknown peer method"),
        (LINE, {"n": 2, "weights": {"height": 2}}, "unknown covariates: height"),
        (LINE, {"n": 0}, "positive whole number"),
    ],
)
def test_bad_peer_requests_are_refused_clearly(table, kwargs, message):
    with pytest.raises(ImproveError, match=message):
        peers(table, **kwargs)
