"""The vocabulary: indicators, their measures and polarities, and the tidy IndicatorValues table everything shares."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Polarity(StrEnum):
    """Which direction is better for an indicator."""

    HIGH_IS_GOOD = "high_is_good"
    LOW_IS_GOOD = "low_is_good"
    NO_JUDGEMENT = "no_judgement"


class Measure(StrEnum):
    """What kind of statistic an indicator's value is; it decides the confidence method."""

    PROPORTION = "proportion"
    RATE = "rate"
    RATIO = "ratio"  # observed / expected; the denominator holds the expected count
    DSR = "dsr"
    MEAN = "mean"
    COUNT = "count"  # a published head-count (e.g. an estimated number of people): no rate, no fold range


@dataclass(frozen=True)
class Indicator:
    """What is measured, which way is better, and where the figures come from."""

    id: str
    title: str
    polarity: Polarity
    measure: Measure
    multiplier: float = 1.0
    unit: str = ""
    source: str = ""
    licence: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    benefit_weight: float | None = None
    min_denominator: float = 0.0
    synthetic: bool = False
    bundle: str | None = None  # on a care bundle's process indicators: the bundle's id
    modelled: str = ""  # why the values are modelled estimates, not counts: published figures, no funnel, no sized gain
    sex: str = ""  # the breakdown (Fingertips' Sex): "" or "Persons" is everyone
    age: str = ""  # the breakdown (Fingertips' Age): "" or "All ages" is every age
    family: str = ""  # the indicator the breakdowns share (Fingertips' Indicator ID); "" is its own id

    @property
    def breakdown(self) -> str:
        """"Male, 10+ yrs": the sex and age named, or "" for an indicator with no breakdown."""
        return breakdown_label(self.sex, self.age)

    @property
    def breadth(self) -> int:
        """How many of sex and age cover everyone (Persons, All ages): 2 for the broadest breakdown."""
        return int(self.sex.lower() in ("", "persons", "all")) + int(self.age.lower() in ("", "all ages"))


def breakdown_label(sex: str, age: str) -> str:
    """How a breakdown reads wherever it is shown ("Male, 10+ yrs"): the sex and age named, "" for neither."""
    return ", ".join(part for part in (sex, age) if part)


def distinct_titles(indicators: dict[str, Indicator]) -> dict[str, Indicator]:
    """No two menu entries read the same: titles shared by indicators of different breakdowns say their
    breakdown (unless they already do), and a title still shared says its indicator id."""
    breakdowns: dict[str, set[str]] = defaultdict(set)
    for indicator in indicators.values():
        breakdowns[indicator.title].add(indicator.breakdown)

    def with_breakdown(i: Indicator) -> Indicator:
        if len(breakdowns[i.title]) < 2 or not i.breakdown or i.title.endswith(f"({i.breakdown})"):
            return i
        return replace(i, title=f"{i.title} ({i.breakdown})")

    said = {k: with_breakdown(i) for k, i in indicators.items()}
    shared = Counter(i.title for i in said.values())
    return {k: replace(i, title=f"{i.title} [{k}]") if shared[i.title] > 1 else i for k, i in said.items()}


# IndicatorValues: one row per indicator x area x period (a pandas DataFrame with these columns).
VALUE_KEYS = ["indicator_id", "area_code", "period"]
VALUE_INPUTS = VALUE_KEYS + ["numerator", "denominator"]
VALUE_LIMITS = ["lower95", "upper95", "lower998", "upper998"]
VALUE_COLUMNS = VALUE_INPUTS + ["value"] + VALUE_LIMITS
