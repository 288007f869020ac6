"""Shared input checks: every refusal names the argument at fault."""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats as _sps


def as_float(values, name: str) -> np.ndarray:
    """Return ``values`` as a float array (at least 1-d), refusing non-numeric input by name."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric") from exc
    return np.atleast_1d(array)


def non_negative(array: np.ndarray, name: str) -> np.ndarray:
    """Refuse negative entries (NaN passes through: it means 'missing')."""
    if np.any(array < 0):
        raise ValueError(f"{name} must not be negative")
    return array


def same_length(**arrays: np.ndarray) -> int:
    """Check that every array has one common length; return it."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name}={size}" for name, size in lengths.items())
        raise ValueError(f"lengths differ: {detail}")
    return next(iter(lengths.values()))


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast length-1 arrays against the others; refuse any other mismatch by name."""
    sizes = {name: array.shape[0] for name, array in arrays.items()}
    longest = max(sizes.values())
    bad = [name for name, size in sizes.items() if size not in (1, longest)]
    if bad:
        detail = ", ".join(f"{name}={size}" for name, size in sizes.items())
        raise ValueError(f"lengths differ ({detail}): {', '.join(bad)} cannot be aligned")
    return [np.broadcast_to(array, (longest,)) for array in arrays.values()]


def check_confidence(confidence: float) -> float:
    """Accept a confidence level strictly between 0 and 1 (0.95, 0.998)."""
    confidence = float(confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return confidence


@functools.lru_cache(maxsize=64)
def z_value(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level: qnorm(1 - alpha/2), never rounded (cached:
    scipy's ppf costs a millisecond, and funnels ask for the same two levels per group)."""
    return float(_sps.norm.ppf(0.5 + check_confidence(confidence) / 2))


def unwrap(array: np.ndarray, scalar_input: bool):
    """Give a plain float back when the caller passed scalars."""
    return float(array[0]) if scalar_input else array


def is_scalar(*values) -> bool:
    """True when every argument is a scalar (so the caller expects scalars back)."""
    return all(np.ndim(value) == 0 for value in values)
