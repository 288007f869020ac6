"""`--catalogue` with `--fingertips`: a YAML file overriding what was inferred, per indicator.

    indicators:
      - id: "93721"                 # an Indicator ID (every breakdown of it) ...
        polarity: low_is_good
      - id: "90366"                 # ... its breakdowns of one sex, or one age, or both ...
        sex: Male
        title: "Life expectancy at birth, men"
      - id: "90366 (Female, All ages)" # ... or one breakdown, as the atlas names it
        min_denominator: 50

`sex` and `age` choose breakdowns (as the export writes them, in any case); they are not set.
Keys set: title, polarity, measure, multiplier, unit, min_denominator, benefit_weight, tags and
family (the id breakdowns share: totals add only the broadest breakdown of a family). Entries
apply in order, so a breakdown's entry after its Indicator ID's refines it. Values are checked as
any catalogue's are; an unknown key, an id not in the export, or a sex or age it does not hold is
an error. So is a key the indicator, as finally set, would not use (`unused_settings`): a
multiplier on published values (a DSR, a mean, a count, a modelled estimate), a minimum
denominator where the export gives no Denominator, a benefit weight where no gain is sized.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from marginalgains.errors import CatalogueError
from marginalgains.io.catalogue import Catalogue, catalogue_from_dict
from marginalgains.io.yamltext import YamlRefused, load_yaml
from marginalgains.model import Indicator, Measure, Polarity

OVERRIDABLE = ("title", "polarity", "measure", "multiplier", "unit", "min_denominator", "benefit_weight", "tags",
               "family")
BREAKDOWN = ("sex", "age")


def read_overrides(path: str | Path) -> list[dict[str, Any]]:
    """The override entries of a YAML file, each with an `id` and only overridable keys."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue ({exc})") from None
    try:
        document = load_yaml(text, str(path), "the catalogue")
    except YamlRefused as exc:
        raise CatalogueError(str(exc)) from None
    entries = document.get("indicators") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: expected a mapping with an 'indicators' list of overrides")
    for position, entry in enumerate(entries, start=1):
        where = f"{path}, indicator {position}"
        if not isinstance(entry, dict) or entry.get("id") in (None, ""):
            raise CatalogueError(f"{where}: each override is a mapping with an 'id'")
        for key in entry:
            if key != "id" and key not in OVERRIDABLE + BREAKDOWN:
                close = difflib.get_close_matches(str(key), OVERRIDABLE + BREAKDOWN, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; keys: {', '.join(OVERRIDABLE + BREAKDOWN)}"
                raise CatalogueError(f"{where}: {key!r} cannot be set for a Fingertips indicator{hint}")
        for key in BREAKDOWN:
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                raise CatalogueError(f"{where}: {key!r} must be the {key} as the export writes it (text), "
                                     f"got {entry[key]!r}")
    return entries


def overlay(catalogue: Catalogue, entries: list[dict[str, Any]], path: str | Path,
            breakdowns: dict[str, list[str]], with_denominators: set[str],
            dropped: dict[str, str] | None = None) -> tuple[Catalogue, dict[str, dict[str, str]]]:
    """The catalogue with each entry's keys applied, and per indicator which keys the file set.

    `breakdowns` maps each Indicator ID to the atlas ids of its breakdowns; an entry's id is
    either one of those atlas ids or an Indicator ID (then it applies to all its breakdowns).
    `with_denominators` holds the atlas ids whose rows give a Denominator; `dropped` the ids in the
    export with no row analysed, and why. A key the indicator, once every entry is applied, would
    not use is an error naming the entry, indicator and key.
    """
    indicators = dict(catalogue.indicators)
    overridden: dict[str, dict[str, str]] = {}
    set_at: dict[str, dict[str, int]] = {}  # the last entry to set each key of each indicator
    for position, entry in enumerate(entries, start=1):
        where = f"{path}, indicator {position}"
        settings = {k: v for k, v in entry.items() if k in OVERRIDABLE}
        for target in _targets(entry, indicators, breakdowns, where, dropped or {}):
            indicators[target] = _overridden(indicators[target], settings, where)
            overridden.setdefault(target, {}).update({k: f"catalogue {path}" for k in settings})
            set_at.setdefault(target, {}).update({k: position for k in settings})
    for target, keys in set_at.items():
        unused = unused_settings(indicators[target], target in with_denominators)
        for key, position in sorted(keys.items(), key=lambda item: item[1]):
            if key in unused:
                raise CatalogueError(f"{path}, indicator {position}: {key!r} cannot be set for indicator {target!r}: "
                                     f"{unused[key]}")
    return Catalogue(indicators, {k: {} for k in indicators}, catalogue.path), overridden


_PUBLISHED = {Measure.DSR: "directly standardised rates", Measure.MEAN: "means (not a rate of its counts)",
              Measure.COUNT: "counts (Value = Count)"}


def unused_settings(indicator: Indicator, has_denominators: bool) -> dict[str, str]:
    """The overridable keys a Fingertips indicator would not use, each with the reason.

    Published values (a DSR, a mean, a count, a modelled estimate; Fingertips publishes a value
    on every row) are kept as published, so no multiplier rescales them (a modelled percentage's
    multiplier still turns it into a proportion for the inequality indices). A minimum denominator
    needs denominators; a benefit weight needs a gain in people, which only a judged proportion
    or rate with counts gives.
    """
    published = ("modelled estimates" if indicator.modelled and indicator.measure not in _PUBLISHED
                 else _PUBLISHED.get(indicator.measure))
    unused = {}
    if published and not (indicator.modelled and indicator.measure is Measure.PROPORTION):
        unused["multiplier"] = (f"its values are published {published}, kept as published, so a multiplier would "
                                "change nothing; set 'unit' (e.g. 'per 100,000') to say what they are per")
    if not has_denominators:
        unused["min_denominator"] = ("the export gives no Denominator for it, so no area could fall below a minimum "
                                     "and none would be left out of the spread")
    no_gain = (f"its values are published {published}" if published
               else "the export gives no counts for it" if not has_denominators
               else "neither a high nor a low value is better (set 'polarity' too)"
               if indicator.polarity is Polarity.NO_JUDGEMENT else "")
    if no_gain:
        unused["benefit_weight"] = f"no gain in people is sized for it, so there is nothing to weight: {no_gain}"
    return unused


def _targets(entry: dict[str, Any], indicators: dict[str, Indicator], breakdowns: dict[str, list[str]],
             where: str, dropped: dict[str, str]) -> list[str]:
    """The atlas ids an entry addresses: its id (an atlas id, or an Indicator ID's breakdowns), narrowed
    to the entry's sex and age when it gives them."""
    given = str(entry["id"])
    targets = [given] if given in indicators else breakdowns.get(given, [])
    if not targets and given in dropped:
        raise CatalogueError(f"{where}: id {given!r} is in the Fingertips export but none of its rows is analysed "
                             f"({dropped[given]}), so the override would change nothing; leave it out")
    if not targets:
        known = ", ".join(sorted(indicators)[:10]) + (" ..." if len(indicators) > 10 else "")
        raise CatalogueError(f"{where}: id {given!r} is not an indicator of the Fingertips export "
                             f"(its indicators: {known})")
    wanted = {key: _folded(entry[key]) for key in BREAKDOWN if key in entry}
    chosen = [t for t in targets if all(_folded(getattr(indicators[t], k)) == v for k, v in wanted.items())]
    if not chosen:
        held = "; ".join(sorted({indicators[t].breakdown or "no sex or age given" for t in targets}))
        asked = ", ".join(f"{k} {entry[k]!r}" for k in BREAKDOWN if k in entry)
        raise CatalogueError(f"{where}: indicator {given!r} has no breakdown with {asked} (its breakdowns: {held})")
    return chosen


def _folded(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _overridden(indicator: Indicator, entry: dict[str, Any], where: str) -> Indicator:
    """An indicator with the entry's settings, checked as a catalogue entry is (its breakdown kept)."""
    merged = {"id": indicator.id, "title": indicator.title, "polarity": indicator.polarity.value,
              "measure": indicator.measure.value, "multiplier": indicator.multiplier, "unit": indicator.unit,
              "source": indicator.source, "licence": indicator.licence, "tags": list(indicator.tags),
              "min_denominator": indicator.min_denominator, "sex": indicator.sex, "age": indicator.age,
              "family": indicator.family,
              **({"benefit_weight": indicator.benefit_weight} if indicator.benefit_weight is not None else {}),
              **entry}
    checked = catalogue_from_dict({"indicators": [merged]}, where)[indicator.id]
    return replace(checked, modelled=indicator.modelled)
