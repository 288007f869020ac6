"""Bundles: which single care process would add most to an area's all-or-none rate.

A patient counts in an all-or-none bundle only with every process done. Patients missing exactly
one process (the weakest link) join the numerator if that one process is fixed, so fixing process
p adds the count missing only p: the best single fix is the process with the largest such count.
"""

from __future__ import annotations

import pandas as pd

from marginalgains.improve.errors import ImproveError

LINK_COLUMNS = ["area_code", "component", "n_only_missing", "numerator", "denominator"]


def single_fix_gains(weakest_links: pd.DataFrame, multiplier: float = 100) -> pd.DataFrame:
    """Every bundle x area x process: extra people, the rate now and the rate if it alone were fixed.

    `weakest_links` is the engine's table: `area_code, component, n_only_missing` (patients
    missing that process and no other), the bundle's all-or-none `numerator, denominator`, and
    optionally `indicator_id, period`. Rows are ranked within each bundle and area, 1 being
    the best single fix.
    """
    missing = [c for c in LINK_COLUMNS if c not in weakest_links.columns]
    if missing:
        raise ImproveError(f"weakest-link counts need columns {', '.join(LINK_COLUMNS)}; missing {', '.join(missing)}")
    keys = [c for c in ("indicator_id", "period") if c in weakest_links.columns] + ["area_code"]
    table = weakest_links.rename(columns={"component": "process", "n_only_missing": "extra_people"})
    room = table["denominator"] - table["numerator"]
    if ((table["extra_people"] < 0) | (table["extra_people"] > room)).any():
        raise ImproveError("a weakest-link count must be between 0 and the patients not meeting the bundle")
    table = table.assign(rate=table["numerator"] / table["denominator"] * multiplier,
                         rate_if_fixed=(table["numerator"] + table["extra_people"]) / table["denominator"] * multiplier)
    table = table.sort_values(keys + ["extra_people", "process"], ascending=[True] * len(keys) + [False, True],
                              ignore_index=True)
    table["rank"] = table.groupby(keys).cumcount() + 1
    return table[keys + ["rank", "process", "extra_people", "rate", "rate_if_fixed"]]


def best_single_fix(weakest_links: pd.DataFrame, multiplier: float = 100) -> pd.DataFrame:
    """Each bundle and area's one process whose fixing adds most to its all-or-none rate."""
    gains = single_fix_gains(weakest_links, multiplier)
    return gains[gains["rank"] == 1].drop(columns="rank").reset_index(drop=True)
