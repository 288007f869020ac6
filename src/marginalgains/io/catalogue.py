"""Indicator catalogues in YAML: what each indicator is, and (for the engine) how to count it.

A catalogue is a mapping with an `indicators` list. Each entry has the descriptive keys of
`marginalgains.model.Indicator` (id, title, polarity, measure, multiplier, unit, source,
licence, tags, benefit_weight, min_denominator, synthetic). Top-level `source`, `licence` and
`synthetic` are defaults for every entry. Any other keys of an entry (table, area, period,
numerator, denominator, bundle, standardisation ...) are the record-level definition, kept
as given for the engine to validate. An all-or-none `bundle` (a mapping of process names to SQL
conditions, or to `{expression, title}`) also adds one proportion indicator per process, named
`<bundle id>/<process>`, so values counted for the processes belong to the catalogue too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from marginalgains.errors import CatalogueError
from marginalgains.model import Indicator, Measure, Polarity

_DESCRIPTIVE = {
    "id", "title", "polarity", "measure", "multiplier", "unit", "source", "licence",
    "tags", "benefit_weight", "min_denominator", "synthetic",
}
_DEFAULTABLE = ("source", "licence", "synthetic")
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when present: several times faster


@dataclass
class Catalogue:
    """Indicators by id, plus each entry's record-level definition keys."""

    indicators: dict[str, Indicator]
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str = "<catalogue>"

    def __contains__(self, indicator_id: str) -> bool:
        return indicator_id in self.indicators

    def __getitem__(self, indicator_id: str) -> Indicator:
        return self.indicators[indicator_id]

    def __iter__(self):
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)


def read_catalogue(path: str | Path) -> Catalogue:
    """Read and check a YAML catalogue file."""
    path = Path(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from None
    return catalogue_from_dict(document, str(path))


def catalogue_from_dict(document: Any, where: str = "<catalogue>") -> Catalogue:
    """Build a Catalogue from an already-parsed YAML document."""
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        raise CatalogueError(f"{where}: expected a mapping with an 'indicators' list")
    defaults = {key: document[key] for key in _DEFAULTABLE if key in document}
    indicators: dict[str, Indicator] = {}
    definitions: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(document["indicators"], start=1):
        indicator = _indicator(entry, defaults, f"{where}, indicator {position}")
        if indicator.id in indicators:
            raise CatalogueError(f"{where}: indicator id {indicator.id!r} appears twice")
        indicators[indicator.id] = indicator
        definitions[indicator.id] = {k: v for k, v in entry.items() if k not in _DESCRIPTIVE}
        for component in _bundle_components(indicator, entry.get("bundle")):
            if component.id in indicators:
                raise CatalogueError(f"{where}: indicator id {component.id!r} appears twice")
            indicators[component.id] = component
            definitions[component.id] = {}
    if not indicators:
        raise CatalogueError(f"{where}: the catalogue lists no indicators")
    return Catalogue(indicators, definitions, where)


def _indicator(entry: Any, defaults: dict[str, Any], where: str) -> Indicator:
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: expected a mapping of keys, got {type(entry).__name__}")
    entry = {**defaults, **entry}
    for key in ("id", "title", "polarity", "measure"):
        if entry.get(key) in (None, ""):
            raise CatalogueError(f"{where}: missing required key {key!r}")
    where = f"{where} ({entry['id']})"
    polarity = _choice(Polarity, entry["polarity"], "polarity", where)
    measure = _choice(Measure, entry["measure"], "measure", where)
    tags = entry.get("tags") or []
    if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
        raise CatalogueError(f"{where}: 'tags' must be a list of words")
    return Indicator(
        id=str(entry["id"]),
        title=str(entry["title"]),
        polarity=polarity,
        measure=measure,
        multiplier=_number(entry.get("multiplier", 1), "multiplier", where, positive=True),
        unit=str(entry.get("unit", "")),
        source=str(entry.get("source", "")),
        licence=str(entry.get("licence", "")),
        tags=tuple(tags),
        benefit_weight=None if entry.get("benefit_weight") is None
        else _number(entry["benefit_weight"], "benefit_weight", where, positive=True),
        min_denominator=_number(entry.get("min_denominator", 0) or 0, "min_denominator", where),
        synthetic=bool(entry.get("synthetic", False)),
    )


def _bundle_components(bundle: Indicator, processes: Any) -> list[Indicator]:
    """One proportion indicator per process of an all-or-none bundle (the engine checks the SQL)."""
    if not isinstance(processes, dict):
        return []
    return [
        replace(bundle, id=f"{bundle.id}/{name}", measure=Measure.PROPORTION, benefit_weight=None, bundle=bundle.id,
                title=f"{bundle.title}: {spec.get('title', name) if isinstance(spec, dict) else name}")
        for name, spec in processes.items()
    ]


def _choice(kind, value, key: str, where: str):
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise CatalogueError(f"{where}: {key} {value!r} is not one of {allowed}") from None


def _number(value, key: str, where: str, positive: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CatalogueError(f"{where}: {key} {value!r} is not a number") from None
    if number < 0 or (positive and number == 0):
        raise CatalogueError(f"{where}: {key} must be {'positive' if positive else 'zero or more'}, got {value!r}")
    return number


def merge_catalogues(*catalogues: Catalogue) -> Catalogue:
    """One catalogue from several; an indicator id may appear in only one of them."""
    indicators: dict[str, Indicator] = {}
    definitions: dict[str, dict[str, Any]] = {}
    for catalogue in catalogues:
        clash = set(indicators) & set(catalogue.indicators)
        if clash:
            raise CatalogueError(f"{catalogue.path}: indicator id(s) {', '.join(sorted(clash))} already defined")
        indicators.update(catalogue.indicators)
        definitions.update(catalogue.definitions)
    return Catalogue(indicators, definitions, " + ".join(c.path for c in catalogues))
