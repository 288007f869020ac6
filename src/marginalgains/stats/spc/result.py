"""The result every chart returns: per-point table and per-series summary."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class SPCResult:
    """An SPC chart: ``points`` (one row per input point, input order) and ``summary`` (one row per series).

    Control charts (xmr, p, u, c, g, t): ``points`` has ``[group,] value, mean, lpl, upl,
    lower_2s, upper_2s, point_type, rule, assurance``; ``summary`` has ``[group,]
    points, mean, lpl, upl, variation, assurance, trial_limits`` with limits from each series'
    latest segment, ``variation`` the icon of its latest observed point and ``assurance`` its
    latest point's. Run charts put the median and the runs tests in place of the limits.
    """

    points: pd.DataFrame
    summary: pd.DataFrame

    def _single(self, column: str):
        if column not in self.summary:
            raise ValueError(f"{column}: this kind of chart has none")
        if len(self.summary) != 1:
            raise ValueError(f"{column}: this chart holds {len(self.summary)} series; read summary[{column!r}]")
        return self.summary[column].iloc[0]

    @property
    def variation(self) -> str:
        """Variation icon of a single series (latest observed point)."""
        return self._single("variation")

    @property
    def assurance(self):
        """Assurance icon of a single series (None without a target or improvement direction)."""
        return self._single("assurance")
