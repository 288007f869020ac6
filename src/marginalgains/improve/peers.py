"""Peer groups: each area's most similar other areas on standardised covariates.

Distances are weighted Euclidean on z-scores (sample SD), or Mahalanobis on the covariates'
sample covariance. Distances come from matrix products, a block of rows at a time, and each area's
nearest n are found with a partition, so 6,500 practices take well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from marginalgains.improve.errors import ImproveError

METHODS = ("euclidean", "mahalanobis")
DISTANCE_DECIMALS = 10
"""Distances are rounded so that equal distances compare equal; ties go to the earlier area."""
ROW_BLOCK = 1024


def peers(
    covariates: pd.DataFrame,
    n: int = 10,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    method: str = "euclidean",
) -> pd.DataFrame:
    """Each area's `n` nearest other areas: a table of `area_code, peer_code, rank, distance`.

    `covariates` has an `area_code` column and one numeric column per covariate. `weights`
    (by column name, or in column order) scale each covariate's squared difference in the
    Euclidean distance; Mahalanobis distance already weighs covariates by their covariance.
    """
    codes, matrix, columns = _covariate_matrix(covariates)
    if method not in METHODS:
        raise ImproveError(f"unknown peer method {method!r}: use one of {', '.join(METHODS)}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ImproveError(f"the number of peers must be a positive whole number, got {n!r}")
    if n > len(codes) - 1:
        raise ImproveError(f"{n} peers were asked for but there are only {len(codes)} areas "
                           f"({len(codes) - 1} possible peers each)")
    scaled = _standardise(matrix)
    if method == "euclidean":
        scaled = scaled * np.sqrt(_weights(weights, columns))
    else:
        if weights is not None:
            raise ImproveError("weights apply to the euclidean method only; Mahalanobis distance "
                               "weighs covariates by their covariance")
        scaled = _whiten(scaled)
    nearest, nearest_distance = _nearest_all(scaled, n)
    return pd.DataFrame({
        "area_code": np.repeat(codes, n),
        "peer_code": codes[nearest.ravel()],
        "rank": np.tile(np.arange(1, n + 1), len(codes)),
        "distance": nearest_distance.ravel(),
    })


def covariate_columns(areas: pd.DataFrame) -> list[str]:
    """The numeric columns of an areas table (everything numeric except codes): its covariates."""
    return [c for c in areas.columns
            if c != "area_code" and not c.endswith("_code") and pd.api.types.is_numeric_dtype(areas[c])
            and not pd.api.types.is_bool_dtype(areas[c])]


def _covariate_matrix(covariates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if "area_code" not in covariates.columns:
        raise ImproveError("the covariates table needs an 'area_code' column")
    columns = [c for c in covariates.columns if c != "area_code"]
    if not columns:
        raise ImproveError("the covariates table has no covariate columns besides 'area_code'")
    text = [c for c in columns if not pd.api.types.is_numeric_dtype(covariates[c])]
    if text:
        raise ImproveError(f"covariates must be numeric; not numeric: {', '.join(map(str, text))}")
    codes = covariates["area_code"].astype(str).to_numpy()
    repeated = pd.Series(codes)[pd.Series(codes).duplicated()].unique()
    if len(repeated):
        raise ImproveError(f"area codes appear more than once in the covariates: {', '.join(repeated[:5])}")
    matrix = covariates[columns].to_numpy(dtype=float)
    missing = ~np.isfinite(matrix)
    if missing.any():
        rows, cols = np.nonzero(missing)
        examples = ", ".join(f"{codes[r]} {columns[c]}" for r, c in zip(rows[:5], cols[:5]))
        raise ImproveError(f"{int(missing.sum())} covariate values are missing or not finite (e.g. {examples})")
    return codes, matrix, columns


def _standardise(matrix: np.ndarray) -> np.ndarray:
    """z-scores with the sample SD; a constant covariate cannot separate areas and scores 0."""
    sd = matrix.std(axis=0, ddof=1) if len(matrix) > 1 else np.zeros(matrix.shape[1])
    centred = matrix - matrix.mean(axis=0)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)


def _weights(weights, columns: list[str]) -> np.ndarray:
    if weights is None:
        return np.ones(len(columns))
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(columns))
        if unknown:
            raise ImproveError(f"weights name unknown covariates: {', '.join(map(str, unknown))}")
        vector = np.array([float(weights.get(c, 1.0)) for c in columns])
    else:
        vector = np.asarray(weights, dtype=float)
        if vector.shape != (len(columns),):
            raise ImproveError(f"{len(vector)} weights given for {len(columns)} covariates")
    if not np.all(np.isfinite(vector)) or np.any(vector < 0) or not np.any(vector > 0):
        raise ImproveError("weights must be finite, zero or more, and not all zero")
    return vector


def _whiten(scaled: np.ndarray) -> np.ndarray:
    """Transform so Euclidean distance equals Mahalanobis distance (pseudo-inverse if singular)."""
    covariance = np.atleast_2d(np.cov(scaled, rowvar=False, ddof=1))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    keep = eigenvalues > eigenvalues.max() * 1e-10
    return scaled @ (eigenvectors[:, keep] / np.sqrt(eigenvalues[keep]))


def _nearest_all(points: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every row's n nearest other rows, in blocks of rows to keep the working memory small."""
    norms = np.einsum("ij,ij->i", points, points)
    blocks = [_nearest(_squared_distances(points, norms, start, start + ROW_BLOCK), n)
              for start in range(0, len(points), ROW_BLOCK)]
    return np.vstack([b[0] for b in blocks]), np.vstack([b[1] for b in blocks])


def _squared_distances(points: np.ndarray, norms: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Squared distances from rows start:stop to every row, via |a|^2 + |b|^2 - 2ab; self is infinite."""
    block = points[start:stop] @ points.T
    block *= -2
    block += norms[start:stop, None]
    block += norms[None, :]
    np.maximum(block, 0, out=block)
    own = np.arange(len(block))
    block[own, start + own] = np.inf
    return block


def _nearest(squared: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and distances of each row's n nearest, ties broken by the lower index.

    Candidates are everything within rounding of the n-th smallest squared distance, so that
    floating-point noise cannot decide between areas at equal distance.
    """
    kth = np.partition(squared, n - 1, axis=1)[:, n - 1]
    rows, cols = np.nonzero(squared <= (kth * (1 + 1e-9) + 1e-12)[:, None])
    distance = np.round(np.sqrt(squared[rows, cols]), DISTANCE_DECIMALS)
    order = np.lexsort((cols, distance, rows))
    rows, cols, distance = rows[order], cols[order], distance[order]
    start = np.searchsorted(rows, np.arange(len(squared)))
    chosen = (np.arange(len(rows)) - start[rows]) < n
    return cols[chosen].reshape(len(squared), n), distance[chosen].reshape(len(squared), n)
