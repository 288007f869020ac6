"""The best single fix for an all-or-none bundle, from the engine's weakest-link counts."""

import pandas as pd
import pytest

from marginalgains.improve import ImproveError
from marginalgains.improve.bundles import best_single_fix, single_fix_gains

LINKS = pd.DataFrame({
    "indicator_id": "diabetes-9",
    "area_code": ["A", "A", "A", "B", "B"],
    "period": "2023/24",
    "numerator": [40.0, 40, 40, 70, 70], "denominator": [100.0] * 5,
    "component": ["HbA1c", "foot check", "urine ACR", "HbA1c", "urine ACR"],
    "n_only_missing": [5, 12, 12, 8, 3],
})


def test_best_single_fix_is_the_largest_weakest_link():
    best = best_single_fix(LINKS).set_index("area_code")
    assert best.loc["A", "process"] == "foot check"  # ties with urine ACR; alphabetical
    assert best.loc["A", "rate"] == pytest.approx(40)
    assert best.loc["A", "rate_if_fixed"] == pytest.approx(52)  # (40 + 12) / 100
    assert best.loc["B", "process"] == "HbA1c" and best.loc["B", "extra_people"] == 8


def test_all_fixes_ranked_and_bad_counts_refused():
    ranked = single_fix_gains(LINKS)
    assert ranked.loc[ranked["area_code"] == "A", "process"].tolist() == ["foot check", "urine ACR", "HbA1c"]
    with pytest.raises(ImproveError, match="between 0 and the patients"):
        single_fix_gains(LINKS.assign(n_only_missing=[5, 12, 12, 8, 31]))
    with pytest.raises(ImproveError, match="missing n_only_missing"):
        single_fix_gains(LINKS.drop(columns="n_only_missing"))
