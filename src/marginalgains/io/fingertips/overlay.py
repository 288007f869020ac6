"""`--catalogue` with `--fingertips`: a YAML file overriding what was inferred, per indicator.

    indicators:
      - id: "93721"                 # an Indicator ID (every breakdown of it) ...
        polarity: low_is_good
      - id: "90366 (Male, All ages)" # ... or one breakdown, as the atlas names it
        title: "Life expectancy at birth, men"
        min_denominator: 50

Keys: title, polarity, measure, multiplier, unit, min_denominator, benefit_weight, tags. Values
are checked as any catalogue's are; an unknown key or an id not in the export is an error.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from marginalgains.errors import CatalogueError
from marginalgains.io.catalogue import Catalogue, catalogue_from_dict
from marginalgains.model import Indicator

OVERRIDABLE = ("title", "polarity", "measure", "multiplier", "unit", "min_denominator", "benefit_weight", "tags")


def read_overrides(path: str | Path) -> list[dict[str, Any]]:
    """The override entries of a YAML file, each with an `id` and only overridable keys."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue ({exc})") from None
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise CatalogueError(f"{path}: YAML aliases (*name) are not allowed in a catalogue")
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    entries = document.get("indicators") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{path}: expected a mapping with an 'indicators' list of overrides")
    for position, entry in enumerate(entries, start=1):
        where = f"{path}, indicator {position}"
        if not isinstance(entry, dict) or entry.get("id") in (None, ""):
            raise CatalogueError(f"{where}: each override is a mapping with an 'id'")
        for key in entry:
            if key != "id" and key not in OVERRIDABLE:
                close = difflib.get_close_matches(str(key), OVERRIDABLE, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; keys: {', '.join(OVERRIDABLE)}"
                raise CatalogueError(f"{where}: {key!r} cannot be set for a Fingertips indicator{hint}")
    return entries


def overlay(catalogue: Catalogue, entries: list[dict[str, Any]], path: str | Path,
            breakdowns: dict[str, list[str]]) -> tuple[Catalogue, dict[str, dict[str, str]]]:
    """The catalogue with each entry's keys applied, and per indicator which keys the file set.

    `breakdowns` maps each Indicator ID to the atlas ids of its breakdowns; an entry's id is
    either one of those atlas ids or an Indicator ID (then it applies to all its breakdowns).
    """
    indicators = dict(catalogue.indicators)
    overridden: dict[str, dict[str, str]] = {}
    for position, entry in enumerate(entries, start=1):
        given = str(entry["id"])
        targets = [given] if given in indicators else breakdowns.get(given, [])
        if not targets:
            known = ", ".join(sorted(indicators)[:10]) + (" ..." if len(indicators) > 10 else "")
            raise CatalogueError(f"{path}, indicator {position}: id {given!r} is not an indicator of the "
                                 f"Fingertips export (its indicators: {known})")
        for target in targets:
            indicators[target] = _overridden(indicators[target], entry, f"{path}, indicator {position}")
            overridden.setdefault(target, {}).update({k: f"catalogue {path}" for k in entry if k != "id"})
    return Catalogue(indicators, {k: {} for k in indicators}, catalogue.path), overridden


def _overridden(indicator: Indicator, entry: dict[str, Any], where: str) -> Indicator:
    """An indicator with the entry's keys, checked as a catalogue entry is."""
    merged = {"id": indicator.id, "title": indicator.title, "polarity": indicator.polarity.value,
              "measure": indicator.measure.value, "multiplier": indicator.multiplier, "unit": indicator.unit,
              "source": indicator.source, "licence": indicator.licence, "tags": list(indicator.tags),
              "min_denominator": indicator.min_denominator,
              **({"benefit_weight": indicator.benefit_weight} if indicator.benefit_weight is not None else {}),
              **{k: v for k, v in entry.items() if k != "id"}}
    checked = catalogue_from_dict({"indicators": [merged]}, where)[indicator.id]
    return replace(checked, modelled=indicator.modelled)
