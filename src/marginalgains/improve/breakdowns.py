"""Which gains may be added: breakdowns that share people, periods and real against SYNTHETIC data.

An indicator's breakdowns (Persons, Male and Female; All ages and 65+ yrs) are separate indicators
sharing a `family`. Two breakdowns of one family *overlap* when someone could be counted in both:
unless their sexes are two different named sexes (Male and Female) or their age bands are known
and disjoint (18-64 yrs and 65+ yrs), they overlap. An age this module cannot read overlaps every
other age, so an unknown band is never added to another.
"""

from __future__ import annotations

import math
import re
from itertools import combinations

import pandas as pd

from marginalgains.improve.errors import ImproveError
from marginalgains.model import Indicator

EVERYONE_SEXES = ("", "persons", "all")
EVERY_AGE = ("", "all ages")
_YEARS = r"\s*(?:yrs?|years?)?\s*$"
_AGE_BANDS = (  # pattern, and its [low, high) years from the match's numbers
    (re.compile(r"^\s*(\d+)\s*\+" + _YEARS, re.I), lambda a: (a, math.inf)),
    (re.compile(r"^\s*(\d+)\s*(?:-|to)\s*(\d+)" + _YEARS, re.I), lambda a, b: (a, b + 1)),
    (re.compile(r"^\s*(?:<|under)\s*(\d+)" + _YEARS, re.I), lambda a: (0, a)),
    (re.compile(r"^\s*(\d+)" + _YEARS, re.I), lambda a: (a, a + 1)),
)
COUNTED_RULE = ("breakdowns of one indicator that share people (Persons with Male or Female, All ages with an age "
                "band, overlapping bands) are never ranked or added together: the broadest is ranked and counted, "
                "the others are shown beside it (within)")
FUND_RULE = ("at most one of an indicator's overlapping breakdowns is funded in any area (Persons with Male or "
             "Female, All ages with an age band, overlapping bands; an all-areas intervention is in every area); "
             "Male and Female, or 18-64 and 65+ yrs, are different people and may both be funded")


def source(indicator: Indicator) -> str:
    """"SYNTHETIC" or "real": what a total is kept apart by."""
    return "SYNTHETIC" if indicator.synthetic else "real"


def family(indicator: Indicator) -> str:
    """The id an indicator's breakdowns share (its own id when it has none)."""
    return indicator.family or indicator.id


def age_band(age: str) -> tuple[float, float] | None:
    """An age breakdown as years [low, high): (0, inf) for every age, None when it cannot be read."""
    if age.strip().lower() in EVERY_AGE:
        return (0.0, math.inf)
    for pattern, band in _AGE_BANDS:
        found = pattern.match(age)
        if found:
            return tuple(float(b) for b in band(*(int(g) for g in found.groups())))
    return None


def overlap(a: Indicator, b: Indicator) -> bool:
    """Whether someone could be counted in both breakdowns (of one family)."""
    sex_a, sex_b = a.sex.strip().lower(), b.sex.strip().lower()
    if sex_a not in EVERYONE_SEXES and sex_b not in EVERYONE_SEXES and sex_a != sex_b:
        return False
    band_a, band_b = age_band(a.age), age_band(b.age)
    if band_a is None or band_b is None:
        return True
    return band_a[0] < band_b[1] and band_b[0] < band_a[1]


def overlapping_pairs(indicators) -> list[tuple[str, str]]:
    """Every pair of ids (in catalogue order) of one family whose breakdowns overlap."""
    by_family: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        by_family.setdefault(family(indicator), []).append(indicator)
    return [(a.id, b.id) for members in by_family.values() for a, b in combinations(members, 2) if overlap(a, b)]


def _broadest_first(indicator: Indicator) -> tuple:
    band = age_band(indicator.age)
    span = band[1] - band[0] if band is not None else -1.0
    return (-indicator.breadth, -span, indicator.id)


def counted_within(indicators) -> dict[str, str]:
    """Each indicator's id -> the id it is counted within: itself when it is ranked and added, else the
    broader breakdown of its family it overlaps. Per family the broadest (Persons, then the widest age
    band) is counted, then each narrower one sharing nobody with those already counted."""
    by_family: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        by_family.setdefault(family(indicator), []).append(indicator)
    within: dict[str, str] = {}
    for members in by_family.values():
        counted: list[Indicator] = []
        for indicator in sorted(members, key=_broadest_first):
            broader = next((c for c in counted if overlap(c, indicator)), None)
            within[indicator.id] = indicator.id if broader is None else broader.id
            if broader is None:
                counted.append(indicator)
    return within


def check_one_period(opportunities: pd.DataFrame, where: str = "opportunities") -> None:
    """Refuse an indicator sized in more than one period: gains of different years never add."""
    if "period" not in opportunities.columns or opportunities.empty:
        return
    periods = opportunities.groupby("indicator_id")["period"].nunique()
    repeated = periods[periods > 1]
    if len(repeated):
        first = repeated.index[0]
        held = sorted(opportunities.loc[opportunities["indicator_id"] == first, "period"].astype(str).unique())
        raise ImproveError(f"{where}, column 'period': indicator {first!r} is sized in {len(held)} periods "
                           f"({', '.join(held)}); gains of different periods never add, so give one period per "
                           "indicator (plan.opportunities takes each one's latest)")


def check_one_source(indicator_ids, indicators: dict[str, Indicator], where: str) -> str:
    """The one source ("real" or "SYNTHETIC") of the given indicators; both at once is refused."""
    kinds: dict[str, list[str]] = {}
    for indicator_id in dict.fromkeys(indicator_ids):
        kinds.setdefault(source(indicators[indicator_id]), []).append(indicator_id)
    if len(kinds) > 1:
        raise ImproveError(f"{where}, column 'indicator_id': interventions act on real ({', '.join(kinds['real'][:3])}) "
                           f"and SYNTHETIC ({', '.join(kinds['SYNTHETIC'][:3])}) indicators; real and SYNTHETIC "
                           "benefits never add, so fund them apart (one interventions file each)")
    return next(iter(kinds), "real")
