"""Record-level indicator definitions: read the engine's keys of a catalogue entry and check their shape.

A definition says which table to count in, which column holds the area, which date column and
grain make the period, and which rows count (SQL boolean expressions). Checks here need no data;
checks against a table's schema happen when the definitions are compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marginalgains.errors import CatalogueError
from marginalgains.io.catalogue import Catalogue
from marginalgains.model import Indicator, Measure
from marginalgains.periods import Grain

_STANDARDISATION_KEYS = {"method", "strata", "reference", "standard"}
ALL_ROWS = "TRUE"

# European Standard Population 2013, five-year age bands (weights sum to 100,000).
ESP2013 = {
    "0-4": 5000, "5-9": 5500, "10-14": 5500, "15-19": 5500, "20-24": 6000, "25-29": 6000,
    "30-34": 6500, "35-39": 7000, "40-44": 7000, "45-49": 7000, "50-54": 7000, "55-59": 6500,
    "60-64": 6000, "65-69": 5500, "70-74": 5000, "75-79": 4000, "80-84": 2500, "85-89": 1500,
    "90+": 1000,
}


@dataclass(frozen=True)
class Component:
    """One process of an all-or-none bundle."""

    name: str
    title: str
    expression: str


@dataclass(frozen=True)
class Standardisation:
    """How to adjust for case mix: indirect (ISR, observed/expected) or direct (DSR).

    `reference` (ISR) is None when reference rates come from the data itself (every area and
    period pooled), else a list of {stratum column: value, ..., "rate": r}. `standard` (DSR) is a
    list of {stratum column: value, ..., "weight": w}.
    """

    method: str
    strata: tuple[str, ...]
    reference: tuple[dict[str, Any], ...] | None = None
    standard: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Definition:
    """How to count one indicator from records."""

    indicator_id: str
    table: str
    area: str
    period_column: str
    grain: Grain | None
    denominator: str
    numerator: str | None = None
    components: tuple[Component, ...] = ()
    standardisation: Standardisation | None = None

    @property
    def is_bundle(self) -> bool:
        return bool(self.components)

    def component_id(self, component: Component) -> str:
        return f"{self.indicator_id}/{component.name}"


def read_definitions(catalogue: Catalogue) -> list[Definition]:
    """Definitions of every catalogue indicator that has record-level keys, in catalogue order."""
    definitions = [
        parse_definition(catalogue.indicators[indicator_id], keys)
        for indicator_id, keys in catalogue.definitions.items()
        if keys
    ]
    if not definitions:
        raise CatalogueError(
            f"{catalogue.path}: no indicator has a record-level definition "
            "(table, area, period, denominator, numerator or bundle)"
        )
    return definitions


def parse_definition(indicator: Indicator, keys: dict[str, Any]) -> Definition:
    """Check one entry's record-level keys and return its Definition."""
    where = f"indicator {indicator.id!r}"
    for key in ("table", "area", "period"):
        if not keys.get(key):
            raise CatalogueError(f"{where}: missing required key {key!r}")
    column, grain = _period(keys["period"], where)
    numerator, components = _counted(keys, where)
    standardisation = _standardisation(keys.get("standardisation"), indicator, where)
    if standardisation is None and indicator.measure in (Measure.RATIO, Measure.DSR):
        raise CatalogueError(f"{where}: measure {indicator.measure.value} needs a 'standardisation' (isr or dsr)")
    if standardisation is not None and components:
        raise CatalogueError(f"{where}: a bundle cannot be standardised; standardise its processes as separate indicators")
    if indicator.measure is Measure.MEAN:
        raise CatalogueError(f"{where}: measure 'mean' cannot be counted from records; use proportion or rate")
    return Definition(
        indicator_id=indicator.id,
        table=_word(keys["table"], "table", where),
        area=_word(keys["area"], "area", where),
        period_column=column,
        grain=grain,
        denominator=_sql(keys.get("denominator", ALL_ROWS), "denominator", where),
        numerator=numerator,
        components=components,
        standardisation=standardisation,
    )


def _period(value: Any, where: str) -> tuple[str, Grain | None]:
    if isinstance(value, str):
        return value, None
    if not isinstance(value, dict) or not value.get("column"):
        raise CatalogueError(f"{where}: 'period' must be a column name or a mapping with 'column' and 'grain'")
    grain = value.get("grain")
    if grain is None:
        return _word(value["column"], "period column", where), None
    try:
        return _word(value["column"], "period column", where), Grain(grain)
    except ValueError:
        allowed = ", ".join(g.value for g in Grain)
        raise CatalogueError(f"{where}: period grain {grain!r} is not one of {allowed}") from None


def _counted(keys: dict[str, Any], where: str) -> tuple[str | None, tuple[Component, ...]]:
    """The numerator expression, or a bundle's components (exactly one of the two)."""
    has_numerator, has_bundle = "numerator" in keys, "bundle" in keys
    if has_numerator == has_bundle:
        raise CatalogueError(f"{where}: give exactly one of 'numerator' (an SQL condition) or 'bundle' (its processes)")
    if has_numerator:
        return _sql(keys["numerator"], "numerator", where), ()
    bundle = keys["bundle"]
    if not isinstance(bundle, dict) or len(bundle) < 2:
        raise CatalogueError(f"{where}: 'bundle' must map at least two process names to SQL conditions")
    components = []
    for name, spec in bundle.items():
        if isinstance(spec, dict):
            expression, title = spec.get("expression"), spec.get("title", name)
        else:
            expression, title = spec, name
        if "/" in str(name):
            raise CatalogueError(f"{where}: bundle process name {name!r} must not contain '/'")
        components.append(Component(str(name), str(title), _sql(expression, f"bundle process {name!r}", where)))
    return None, tuple(components)


def _standardisation(value: Any, indicator: Indicator, where: str) -> Standardisation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise CatalogueError(f"{where}: 'standardisation' must be a mapping with method and strata")
    unknown = sorted(set(value) - _STANDARDISATION_KEYS)
    if unknown:
        raise CatalogueError(f"{where}: unknown standardisation key(s) {', '.join(unknown)}")
    method = str(value.get("method", "")).lower()
    strata = value.get("strata")
    if isinstance(strata, str):
        strata = [strata]
    if not strata or not all(isinstance(s, str) for s in strata):
        raise CatalogueError(f"{where}: standardisation 'strata' must list the stratum columns (e.g. age_band, sex)")
    if method == "isr":
        if indicator.measure is not Measure.RATIO:
            raise CatalogueError(f"{where}: an ISR gives observed/expected, so its measure must be 'ratio'")
        return Standardisation("isr", tuple(strata), reference=_reference(value.get("reference", "data"), strata, where))
    if method == "dsr":
        if indicator.measure is not Measure.DSR:
            raise CatalogueError(f"{where}: a directly standardised rate needs measure 'dsr'")
        return Standardisation("dsr", tuple(strata), standard=_standard(value.get("standard"), strata, where))
    raise CatalogueError(f"{where}: standardisation method {method!r} is not 'isr' or 'dsr'")


def _reference(value: Any, strata: list[str], where: str) -> tuple[dict[str, Any], ...] | None:
    if value == "data":
        return None
    if isinstance(value, dict) and isinstance(value.get("rates"), list):
        return _stratum_rows(value["rates"], strata, "rate", where)
    raise CatalogueError(f"{where}: ISR 'reference' must be 'data' or a mapping with a 'rates' list")


def _standard(value: Any, strata: list[str], where: str) -> tuple[dict[str, Any], ...]:
    if value == "esp2013":
        if len(strata) != 1:
            raise CatalogueError(f"{where}: standard 'esp2013' weights one age-band stratum; list your own weights for more strata")
        return tuple({strata[0]: band, "weight": weight} for band, weight in ESP2013.items())
    if isinstance(value, list):
        return _stratum_rows(value, strata, "weight", where)
    raise CatalogueError(f"{where}: DSR 'standard' must be 'esp2013' or a list of strata with a 'weight'")


def _stratum_rows(rows: list[Any], strata: list[str], number: str, where: str) -> tuple[dict[str, Any], ...]:
    wanted = set(strata) | {number}
    for row in rows:
        if not isinstance(row, dict) or set(row) != wanted:
            raise CatalogueError(f"{where}: each standardisation row needs exactly the keys {', '.join(sorted(wanted))}; got {row!r}")
        if not isinstance(row[number], (int, float)) or row[number] < 0:
            raise CatalogueError(f"{where}: {number} {row[number]!r} must be a number, zero or more")
    return tuple(dict(row) for row in rows)


def _word(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {key} must be a name, got {value!r}")
    return value.strip()


def _sql(value: Any, key: str, where: str) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{where}: {key} must be an SQL condition, got {value!r}")
    return value.strip()
