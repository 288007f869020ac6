"""`--indicators`: which indicators of a values file or export to read (ids or shell-style globs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

import numpy as np
import pandas as pd

from marginalgains.errors import DataError

_BETWEEN_IDS = re.compile(r",(?![^()]*\))")  # commas separate ids, except inside a breakdown "(Male, 65+ yrs)"


@dataclass(frozen=True)
class Selection:
    """Indicator ids or globs (`9*`, `93721 (Male, *)`); a pattern that selects nothing is an error."""

    patterns: tuple[str, ...]
    not_selected: str = "rows of indicators not selected by --indicators"

    @classmethod
    def parse(cls, given: list[str] | None) -> Selection | None:
        """Patterns from repeated or comma-separated `--indicators` values; None when none are given."""
        patterns = tuple(p.strip() for text in given or [] for p in _BETWEEN_IDS.split(text) if p.strip())
        if given and not patterns:
            raise DataError("--indicators: no indicator ids given")
        return cls(patterns) if patterns else None

    def matches(self, file: str, *ids: pd.Series) -> np.ndarray:
        """Rows whose id (any of the given id columns: a base id, an id with its breakdown) is selected."""
        selected = np.zeros(len(ids[0]), dtype=bool)
        used = set()
        for column in ids:
            distinct = pd.unique(column.dropna().astype(str))
            for pattern in self.patterns:
                hits = [i for i in distinct if fnmatchcase(i, pattern)]
                if hits:
                    used.add(pattern)
                    selected |= column.isin(hits).to_numpy()
        unused = [p for p in self.patterns if p not in used]
        if unused:
            raise DataError(f"--indicators: {', '.join(map(repr, unused))} matches no indicator id in {file}")
        return selected

    def keep(self, indicator_ids) -> list[str]:
        """The given catalogue ids this selection covers."""
        return [i for i in indicator_ids if any(fnmatchcase(i, p) for p in self.patterns)]
