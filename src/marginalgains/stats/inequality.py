"""Slope and relative indices of inequality across deprivation quantiles.

The method of PHEindicatormethods `phe_sii` (Low and Low 2009, with `transform = FALSE`): each
quantile sits at the mid-point of its cumulative population share; the value is regressed on
that position, weighted by population (a least-squares fit of sqrt(a)*y on sqrt(a) and
b*sqrt(a) without intercept). SII is the slope (the modelled gap from the most to the least
deprived end, quantile 1 first); RII is (intercept + slope) / intercept. Confidence limits are
simulated: each quantile's value is drawn from a normal with its standard error (on the log
scale for rates, the logit scale for proportions, as PHE does), the fit repeated, and the
percentiles of the simulated indices taken at PHE's positions. Standard errors come from 95%
limits, as in PHE's function (it hard-codes 95% for that step).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

Z95 = NormalDist().inv_cdf(0.975)
VALUE_TYPES = ("normal", "rate", "proportion")  # PHE's value_type 0, 1, 2
_CELLS_PER_CHUNK = 4_000_000  # simulated draws held at once (groups x repetitions x quantiles)
RESULT_COLUMNS = ["n_quantiles", "sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper", "note"]


def slope_index(
    frame: pd.DataFrame,
    keys: list[str],
    *,
    quantile: str = "quantile",
    population: str = "population",
    value: str = "value",
    lower: str = "lower",
    upper: str = "upper",
    value_type: str = "normal",
    multiplier: float = 1.0,
    confidence: float = 0.95,
    repetitions: int = 100_000,
    seed: int = 0,
    levels: list | None = None,
) -> pd.DataFrame:
    """SII and RII with simulated limits for every group of `keys` (one row per group).

    Every group needs a row for each quantile in `frame` with a positive population and both
    95% limits; a group that lacks any gets blank indices and a `note` saying why. `value_type`
    is "normal", "rate" (log scale) or "proportion" (logit scale; values between 0 and 1).
    `levels` lists every quantile a group needs (default: those found in `frame`, as PHE does).
    """
    if value_type not in VALUE_TYPES:
        raise ValueError(f"value_type must be one of {', '.join(VALUE_TYPES)}, got {value_type!r}")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be between 0.5 and 1, got {confidence}")
    if repetitions < 1000:
        raise ValueError("repetitions must be 1,000 or more")
    levels = np.sort(pd.unique(frame[quantile]) if levels is None else np.asarray(levels))
    if not 5 <= len(levels) <= 100:
        raise ValueError(f"the number of quantiles must be between 5 and 100, got {len(levels)}")
    ordered = frame.sort_values([*keys, quantile])
    groups = ordered.groupby(keys, sort=False, dropna=False)
    notes = groups.apply(lambda g: _incomplete(g, quantile, population, value, lower, upper, levels, value_type),
                         include_groups=False)
    result = pd.DataFrame(index=notes.index, columns=RESULT_COLUMNS[1:-1], dtype=float)
    result.insert(0, "n_quantiles", groups.size().astype("int64"))
    result["note"] = notes
    complete = notes.index[notes.eq("")]
    if len(complete):
        rows = ordered.set_index(keys).loc[complete]
        shape = (len(complete), len(levels))
        arrays = [rows[c].to_numpy(float).reshape(shape) for c in (population, value, lower, upper)]
        result.loc[complete, RESULT_COLUMNS[1:-1]] = _indices(*arrays, value_type, multiplier, confidence,
                                                              repetitions, np.random.default_rng(seed))
    return result.reset_index()


def _incomplete(group, quantile, population, value, lower, upper, levels, value_type) -> str:
    """Why a group's indices cannot be computed ('' when they can)."""
    if len(group) != len(levels) or set(group[quantile]) != set(levels):
        return f"{len(group)} of {len(levels)} quantiles"
    if not (group[population] > 0).all():
        return "a quantile has no positive population"
    if group[[value, lower, upper]].isna().any().any():
        return "a quantile has no value or 95% limits"
    if value_type == "proportion" and not ((group[[value, lower, upper]] > 0) & (group[[value, lower, upper]] < 1)).all().all():
        return "a proportion or its limits is not strictly between 0 and 1"
    if value_type == "rate" and not (group[[value, lower, upper]] > 0).all().all():
        return "a rate or its limits is not positive"
    return ""


def _indices(population, value, lower, upper, value_type, multiplier, confidence, repetitions, rng) -> np.ndarray:
    """SII, its limits, RII, its limits per group (row); arrays are groups x quantiles, quantile 1 first."""
    share = population / population.sum(axis=1, keepdims=True)
    position = np.cumsum(share, axis=1) - share / 2
    root = np.sqrt(share)
    design = np.stack([root, position * root], axis=2)  # groups x quantiles x 2
    projection = np.linalg.solve(design.transpose(0, 2, 1) @ design, design.transpose(0, 2, 1))  # groups x 2 x q
    intercept, slope = np.einsum("gkq,gq->kg", projection, root * value)
    forward = _forward(value_type)
    centre = forward(value)
    spread = (forward(upper) - forward(lower)) / Z95 / 2
    simulated = []
    chunk = max(1, _CELLS_PER_CHUNK // (repetitions * value.shape[1]))
    for start in range(0, len(value), chunk):
        part = slice(start, start + chunk)
        draws = rng.standard_normal(size=(len(centre[part]), repetitions, value.shape[1]))
        draws *= spread[part, None, :]  # normal(centre, spread), in place: the draws are the largest array here
        draws += centre[part, None, :]
        _back_in_place(value_type, draws)
        draws *= root[part, None, :]
        fitted = np.einsum("gkq,grq->kgr", projection[part], draws)
        simulated.append(_limits(fitted[0], fitted[1], multiplier, confidence, repetitions))
    sii_limits, rii_limits = (np.concatenate(parts) for parts in zip(*simulated))
    rii = _relative(intercept, slope, multiplier)
    return np.column_stack([slope * multiplier, sii_limits, rii, rii_limits])


def _limits(intercepts, slopes, multiplier, confidence, repetitions):
    """Lower and upper simulated SII and RII at PHE's positions: round(R * p) of the sorted draws."""
    upper_p = confidence + (1 - confidence) / 2
    positions = np.round(repetitions * np.array([1 - upper_p, upper_p])).astype(int) - 1
    sii = np.partition(slopes * multiplier, positions, axis=1)[:, positions]  # order statistics without a full sort
    rii = np.partition(_relative(intercepts, slopes, multiplier), positions, axis=1)[:, positions]
    return sii, rii


def _relative(intercept, slope, multiplier):
    ratio = (intercept + slope) / intercept
    return 1 / ratio if multiplier < 0 else ratio


def _forward(value_type: str):
    """The scale values are drawn on (PHE: log for rates, logit for proportions)."""
    if value_type == "rate":
        return np.log
    if value_type == "proportion":
        return lambda p: np.log(p / (1 - p))
    return lambda v: v


def _back_in_place(value_type: str, draws: np.ndarray) -> None:
    """Draws back from the scale of `_forward` to values, in place (exp, or the logistic 1 / (1 + e^-t))."""
    if value_type == "rate":
        np.exp(draws, out=draws)
    elif value_type == "proportion":
        np.negative(draws, out=draws)
        np.exp(draws, out=draws)
        draws += 1
        np.reciprocal(draws, out=draws)
