"""NHSRplotthedots 0.2.2's XmR logic for one series, written point by point for the tests.

A plain transcription of what ptd_spc_standard, ptd_special_cause_type and ptd_point_type
(tag 0.2.2, commit 050b07d) compute, with R's three-valued logic (NA is None here), so the
vectorised charts can be checked against it on arbitrary series. ``RError`` marks inputs on
which the R code stops (``if (NA)`` in ptd_seven_point_trend).
"""

from __future__ import annotations

import math


class RError(Exception):
    """The R code would stop with 'missing value where TRUE/FALSE needed'."""


class ZeroStepTrend(Exception):
    """A trend point whose chosen step is flat: 0.2.2 reads it "decreasing", we keep its own run (docs/methods.md)."""


class ZeroRanges(Exception):
    """Every moving range is zero: 0.2.2 screens them all out (NaN limits), we keep limits on the mean."""


def _all(values):
    """R all(): FALSE if any FALSE, else NA if any NA, else TRUE."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _any(values):
    """R any(): TRUE if any TRUE, else NA if any NA, else FALSE."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _na(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def _sign(x):
    return None if _na(x) else int(x > 0) - int(x < 0)


def _mean(values):
    kept = [v for v in values if not _na(v)]
    return sum(kept) / len(kept) if kept else None


def limits(y, fix_after_n_points=None, screen=True):
    """mean, lpl, upl, nlpl, nupl of one rebase group (None where R gives NaN)."""
    n = len(y)
    fix_y = [v if i < (fix_after_n_points or math.inf) else None for i, v in enumerate(y)]
    mean = _mean(fix_y)
    mr = [None] + [None if _na(a) or _na(b) else abs(b - a) for a, b in zip(fix_y, fix_y[1:])]
    amr = _mean(mr)
    if screen and amr == 0:
        raise ZeroRanges
    if screen and amr is not None:
        mr = [v if v is not None and v < 3.267 * amr else None for v in mr]
        amr = _mean(mr)
    if mean is None or amr is None or n == 0:
        return mean, None, None, None, None
    return mean, mean - 2.66 * amr, mean + 2.66 * amr, mean - 2 * 2.66 / 3 * amr, mean + 2 * 2.66 / 3 * amr


def _seven_point_trend(y):
    out = [0] * len(y)
    for i in range(6, len(y)):
        d = [_sign(None if _na(y[i - k]) or _na(y[i - k - 1]) else y[i - k] - y[i - k - 1]) for k in range(6)]
        up = _all([None if v is None else v == 1 for v in d])
        if up is None:
            raise RError
        if up:
            out[i] = 1
            continue
        down = _all([None if v is None else v == -1 for v in d])
        if down is None:
            raise RError
        out[i] = -1 if down else 0
    return out


def _part_of_seven(v):
    padded = list(v) + [0] * 6
    return [_any([None if padded[i + k] is None else abs(padded[i + k]) == 1 for k in range(7)]) for i in range(len(v))]


def _seven_one_side(rtm):
    padded = [0] * 6 + list(rtm)
    out = []
    for i in range(6, len(padded)):
        same = _all([None if padded[i] is None or padded[i - k] is None else padded[i] == padded[i - k]
                     for k in range(1, 7)])
        out.append(_and(same, None if padded[i] is None else padded[i] != 0))
    return [None if v is None else int(v) for v in out]


def _two_in_three(close, rtm):
    cp, rp = [0, 0, *close, 0, 0], [0, 0, *rtm, 0, 0]

    def window(start):
        c, r = cp[start:start + 3], rp[start:start + 3]
        count = None if any(v is None for v in c) else sum(c) >= 2
        side = None if any(v is None for v in r) else abs(sum(r)) == 3
        return _and(count, side)

    out = []
    for i in range(len(close)):
        out.append(_or(_or(window(i), window(i + 1)), window(i + 2)))
    return out


def point_types(y, improvement, fix_after_n_points=None, screen=True):
    """NHSRplotthedots 0.2.2 point_type of each point of one rebase group."""
    mean, lpl, upl, nlpl, nupl = limits(y, fix_after_n_points, screen)
    n = len(y)
    outside, rtm, close = [], [], []
    for v in y:
        if _na(v) or lpl is None:
            out = None if _na(v) or lpl is None else False
        else:
            out = v > upl or v < lpl
        outside.append(out)
        rtm.append(None if _na(v) or mean is None else _sign(v - mean))
        near = None if _na(v) or lpl is None else (v < nlpl or v > nupl)
        close.append(_and(None if out is None else not out, near))
    trend = _part_of_seven(_seven_point_trend(y))
    two = _two_in_three([None if c is None else int(c) for c in close], rtm)
    part_two = [_and(t, None if c is None else c == 1) for t, c in zip(two, close)]
    one_side = _part_of_seven(_seven_one_side(rtm))
    sdy = [_sign(None if _na(a) or _na(b) else b - a) for a, b in zip(y, y[1:])]
    direction = []
    for i in range(n):
        use_right = bool(trend[i]) and i + 1 < n and bool(trend[i + 1])
        step = (sdy[i] if i < n - 1 else sdy[-1]) if use_right else (sdy[i - 1] if i > 0 else 0)
        direction.append(step)
    types = []
    for i in range(n):
        if outside[i] is True:
            v = 1 if rtm[i] == 1 else -1
        elif trend[i] is True:
            if direction[i] == 0:
                raise ZeroStepTrend
            v = 0 if direction[i] is None else direction[i]  # "In" for +1, "De" otherwise; NA: "(NA)", no match
        elif part_two[i] is True:
            v = 1 if (rtm[i] or 0) > 0 else -1
        elif one_side[i] is True:
            v = 1 if (rtm[i] or 0) > 0 else -1
        else:
            v = 0
        types.append(_point_type(v, improvement))
    return types


def _point_type(v, improvement):
    if improvement is None:
        return {1: "special_cause_neutral_high", -1: "special_cause_neutral_low"}.get(v, "common_cause")
    v *= 1 if improvement == "increase" else -1
    return {1: "special_cause_improvement", -1: "special_cause_concern"}.get(v, "common_cause")
