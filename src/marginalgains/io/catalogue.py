"""Indicator catalogues in YAML: what each indicator is, and (for the engine) how to count it.

A catalogue is a mapping with an `indicators` list. Each entry has the descriptive keys of
`marginalgains.model.Indicator` (id, title, polarity, measure, multiplier, unit, source,
licence, tags, benefit_weight, min_denominator, synthetic, and the breakdown: sex, age and
family, the id its breakdowns share, so totals add only the broadest). Top-level `source`, `licence` and
`synthetic` are defaults for every entry. Any other keys of an entry (table, area, period,
numerator, denominator, bundle, standardisation ...) are the record-level definition, kept
as given for the engine to validate. An all-or-none `bundle` (a mapping of process names to SQL
conditions, or to `{expression, title}`) also adds one proportion indicator per process, named
`<bundle id>/<process>`, so values counted for the processes belong to the catalogue too.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jsonschema

from marginalgains.errors import CatalogueError
from marginalgains.io.yamltext import YamlRefused, load_yaml
from marginalgains.model import Indicator, Measure, Polarity, distinct_titles

_DESCRIPTIVE = {
    "id", "title", "polarity", "measure", "multiplier", "unit", "source", "licence",
    "tags", "benefit_weight", "min_denominator", "synthetic", "sex", "age", "family",
}
RECORD_KEYS = {"table", "area", "period", "denominator", "numerator", "bundle", "standardisation"}
"""An entry's record-level keys: the engine checks their values (engine.definition)."""
_DEFAULTABLE = ("source", "licence", "synthetic")
_TOP_LEVEL = {"indicators", *_DEFAULTABLE}
MAX_CATALOGUE_BYTES = 5_000_000
_LARGEST = 1e12  # no multiplier, weight or minimum denominator is larger; a 400-digit number is a typing slip

_TEXT = {"type": "string"}
_ENTRY = {
    "type": "object",
    "required": ["id", "title", "polarity", "measure"],
    "properties": {
        "id": {"type": ["string", "integer"], "minLength": 1, "maxLength": 200},
        "title": {"type": "string", "minLength": 1},
        "polarity": {"enum": [p.value for p in Polarity]},
        "measure": {"enum": [m.value for m in Measure]},
        "multiplier": {"type": "number", "exclusiveMinimum": 0, "maximum": _LARGEST, "finite": True},
        "unit": _TEXT, "source": _TEXT, "licence": _TEXT,
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "benefit_weight": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": _LARGEST, "finite": True},
        "min_denominator": {"type": ["number", "null"], "minimum": 0, "maximum": _LARGEST, "finite": True},
        "synthetic": {"type": "boolean"},
        "sex": _TEXT, "age": _TEXT, "family": _TEXT,
        **{key: {} for key in RECORD_KEYS},
    },
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "required": ["indicators"],
    "properties": {"indicators": {"type": "array", "items": _ENTRY}, "source": _TEXT, "licence": _TEXT,
                   "synthetic": {"type": "boolean"}},
    "additionalProperties": False,
}
"""The catalogue's JSON Schema (types, ranges, allowed keys); `finite` refuses .nan and .inf."""

_TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number", "null": "empty",
               "array": "a list", "boolean": "true or false (unquoted)", "object": "a mapping of keys"}


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
    text = _catalogue_text(path)
    try:
        document = load_yaml(text, str(path), "the catalogue")
    except YamlRefused as exc:
        raise CatalogueError(str(exc)) from None
    return catalogue_from_dict(document, str(path))


def _catalogue_text(path: Path) -> str:
    if path.is_dir():
        raise CatalogueError(f"{path}: is a folder; give the catalogue's YAML file")
    try:
        if path.stat().st_size > MAX_CATALOGUE_BYTES:
            raise CatalogueError(f"{path}: larger than {MAX_CATALOGUE_BYTES:,} bytes; not a catalogue")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CatalogueError(f"{path}: catalogue file not found") from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text (byte {exc.start + 1} is {exc.object[exc.start]:#04x}); "
                             "save it as UTF-8") from None
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc.strerror})") from None


def catalogue_from_dict(document: Any, where: str = "<catalogue>") -> Catalogue:
    """Build a Catalogue from an already-parsed YAML document, checked against `SCHEMA`."""
    if not isinstance(document, dict) or not isinstance(document.get("indicators"), list):
        raise CatalogueError(f"{where}: expected a mapping with an 'indicators' list")
    _check_schema(document, where)
    defaults = {key: document[key] for key in _DEFAULTABLE if key in document}
    indicators: dict[str, Indicator] = {}
    definitions: dict[str, dict[str, Any]] = {}
    for entry in document["indicators"]:
        indicator = _indicator(entry, defaults)
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
    return Catalogue(distinct_titles(indicators), definitions, where)


def _check_schema(document: dict, where: str) -> None:
    """Refuse the first key that is not allowed (suggesting the one meant), then the first value
    of the wrong type or out of range, naming the indicator and field."""
    _check_keys(document, _TOP_LEVEL, where)
    for position, entry in enumerate(document["indicators"], start=1):
        if isinstance(entry, dict):
            _check_keys(entry, set(_ENTRY["properties"]), _entry_place(where, position, entry))
    error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(document), key=_first_in_file)
    if error is None:
        return
    path = list(error.absolute_path)
    place = where
    if len(path) >= 2 and path[0] == "indicators":
        entry = document["indicators"][path[1]]
        place = _entry_place(where, path[1] + 1, entry if isinstance(entry, dict) else {})
        path = path[2:]
    raise CatalogueError(f"{place}: {_schema_reason(error, path)}")


def _first_in_file(error) -> tuple:
    return tuple(str(p) for p in error.absolute_path)


def _entry_place(where: str, position: int, entry: dict) -> str:
    return f"{where}, indicator {position}" + (f" ({entry['id']})" if isinstance(entry.get("id"), (str, int)) else "")


def _check_keys(mapping: dict, allowed: set[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else f"; expected some of {', '.join(sorted(allowed))}"
            raise CatalogueError(f"{where}: unknown key {key!r}{hint}")


def _schema_reason(error, path: list) -> str:
    """A schema failure in words: the field, what it must be, and what it was."""
    if error.validator == "required":
        return f"missing required key {error.message.split(chr(39))[1]!r}"
    if error.validator == "type" and path[:1] == ["tags"]:
        return f"'tags' must be a list of words, got {_shown(error.instance)}"
    field = ".".join(map(str, path)) or "the catalogue"
    value = _shown(error.instance)
    rule = error.validator_value
    if error.validator == "enum":
        return f"{field} {value} is not one of {', '.join(rule)}"
    if error.validator == "type":
        kinds = [rule] if isinstance(rule, str) else rule
        return f"{field!r} must be {' or '.join(_TYPE_WORDS[k] for k in kinds)}, got {value}"
    if error.validator == "exclusiveMinimum":
        return f"{field} must be positive, got {value}"
    if error.validator == "minimum":
        return f"{field} must be zero or more, got {value}"
    if error.validator == "maximum":
        return f"{field} must be at most {rule:g}, got {value}"
    if error.validator == "finite":
        return f"{field} must be a finite number, got {value}"
    if error.validator == "minLength":
        return f"{field!r} must not be blank"
    return f"{field}: {error.message[:200]}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _finite(validator, wanted, instance, schema):
    if wanted and isinstance(instance, float) and not math.isfinite(instance):
        yield jsonschema.ValidationError(f"{instance!r} is not a finite number")


_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"finite": _finite})(SCHEMA)


def _indicator(entry: dict[str, Any], defaults: dict[str, Any]) -> Indicator:
    """An Indicator from a schema-checked entry."""
    entry = {**defaults, **entry}
    return Indicator(
        id=str(entry["id"]),
        title=entry["title"],
        polarity=Polarity(entry["polarity"]),
        measure=Measure(entry["measure"]),
        multiplier=float(entry.get("multiplier", 1)),
        unit=entry.get("unit", ""),
        source=entry.get("source", ""),
        licence=entry.get("licence", ""),
        tags=tuple(entry.get("tags") or ()),
        benefit_weight=None if entry.get("benefit_weight") is None else float(entry["benefit_weight"]),
        min_denominator=float(entry.get("min_denominator") or 0),
        synthetic=entry.get("synthetic", False),
        sex=entry.get("sex", ""),
        age=entry.get("age", ""),
        family=entry.get("family", ""),
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
    return Catalogue(distinct_titles(indicators), definitions, " + ".join(c.path for c in catalogues))
