"""Hand-built record tables whose every count is known, shared by the engine tests."""

from __future__ import annotations

from datetime import date

import pandas as pd


def _visits() -> pd.DataFrame:
    """Seven visits in areas A and B across financial quarters, with NULLs in flag and done."""
    return pd.DataFrame({
        "area": ["A", "A", "A", "A", "B", "B", "B"],
        "day": [date(2018, 3, 31), date(2018, 4, 1), date(2018, 6, 30), date(2018, 6, 30),
                date(2018, 7, 1), date(2019, 1, 15), date(2019, 3, 31)],
        "age": [70, 50, 80, 40, 65, 30, 90],
        "flag": pd.array([True, True, True, False, True, True, None], dtype="boolean"),
        "done": pd.array([True, False, True, True, None, True, True], dtype="boolean"),
    })


def _care() -> pd.DataFrame:
    """A three-process bundle in areas X (worked in the tests) and Y (one complete person)."""
    return pd.DataFrame({
        "area": ["X"] * 7 + ["Y"],
        "year_start": [date(2018, 4, 1)] * 8,
        "type": [2, 2, 2, 2, 2, 1, 2, 2],
        "p1": pd.array([True, True, True, False, True, False, None, True], dtype="boolean"),
        "p2": pd.array([True, True, False, True, True, False, True, True], dtype="boolean"),
        "p3": pd.array([True, False, False, True, False, False, True, True], dtype="boolean"),
    })


def _deaths() -> pd.DataFrame:
    """Areas P (young 1/10 died, old 4/10) and Q (young 0/30, old 6/10), all in 2018/19."""
    groups = [("P", "young", 10, 1), ("P", "old", 10, 4), ("Q", "young", 30, 0), ("Q", "old", 10, 6)]
    rows = [
        {"area": area, "age_band": band, "when": date(2018, 5, 1), "died": i < died}
        for area, band, people, died in groups for i in range(people)
    ]
    return pd.DataFrame(rows)


TABLES = {"visits": _visits, "care": _care, "deaths": _deaths}


def indicator(id_: str, **definition) -> dict:
    return {"id": id_, "title": f"Title of {id_}", "polarity": "high_is_good", "measure": "proportion", **definition}
