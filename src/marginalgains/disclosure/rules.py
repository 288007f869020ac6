"""Disclosure rules as data: what is suppressed, rounded, followed and exempt (YAML files)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from marginalgains.errors import GainsError
from marginalgains.model import Measure

SHIPPED = ("nhs-hes-2018", "under-10")
FIELDS = {"name", "title", "source", "source_text", "threshold", "zero_is_safe", "rounding",
          "national_exempt", "protection_interval", "exempt_measures"}


class DisclosureError(GainsError):
    """A disclosure rule or a table to protect is malformed."""


@dataclass(frozen=True)
class Rule:
    """A disclosure rule: counts 1..threshold hidden (0 too unless zero_is_safe), others rounded.

    `protection_interval`: the least width of the interval an attacker can deduce for a hidden
    count from everything published. `exempt_measures`: measures whose values and intervals are
    published even when their counts are hidden (NHS Digital exempts directly standardised rates).
    """

    name: str
    title: str
    source: str
    source_text: str
    threshold: int
    zero_is_safe: bool = True
    rounding: int | None = None
    national_exempt: bool = False
    protection_interval: int = 0
    exempt_measures: tuple[Measure, ...] = ()

    def is_primary(self, count):
        """Whether each count must be hidden by the rule itself (numpy-vectorised)."""
        low = 0 if not self.zero_is_safe else 1
        return (count >= low) & (count <= self.threshold)

    def describe(self) -> str:
        """One line for a page: the rule and its steps."""
        zero = "" if self.zero_is_safe else " and 0"
        text = f"{self.title}: counts 1 to {self.threshold}{zero} suppressed"
        if self.rounding:
            text += f", other counts rounded to the nearest {self.rounding} (totals from unrounded counts)"
        return text + f"; complementary cells hidden so no hidden count can be narrowed below {self.protection_interval}"


def load_rule(name_or_path: str | Path) -> Rule:
    """A shipped rule by name ("nhs-hes-2018", "under-10") or a rule YAML file."""
    text, where = _rule_text(name_or_path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DisclosureError(f"{where}: not valid YAML: {exc}") from None
    return rule_from_dict(data, where)


def _rule_text(name_or_path: str | Path) -> tuple[str, str]:
    if str(name_or_path) in SHIPPED:
        path = resources.files("marginalgains") / "data" / "disclosure" / f"{name_or_path}.yaml"
        return path.read_text(encoding="utf-8"), str(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() not in {".yaml", ".yml"} or not path.is_file():
        raise DisclosureError(f"unknown disclosure rule {str(name_or_path)!r}: use one of "
                              f"{', '.join(SHIPPED)} or a rule file (.yaml)")
    return path.read_text(encoding="utf-8"), str(path)


def rule_from_dict(data, where: str = "rule") -> Rule:
    """Check every field of a rule mapping and build the Rule (errors name the field)."""
    if not isinstance(data, dict):
        raise DisclosureError(f"{where}: a rule must be a mapping of fields")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise DisclosureError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key in ("name", "threshold"):
        if key not in data:
            raise DisclosureError(f"{where}: field {key!r} is required")
    threshold = _integer(data["threshold"], "threshold", where, minimum=0)
    rounding = data.get("rounding")
    if rounding is not None:
        rounding = _integer(rounding, "rounding", where, minimum=1)
    protection = _integer(data.get("protection_interval", threshold), "protection_interval", where, minimum=0)
    exempt = data.get("exempt_measures") or []
    if not isinstance(exempt, list):
        raise DisclosureError(f"{where}: field 'exempt_measures' must be a list of measures")
    try:
        measures = tuple(Measure(m) for m in exempt)
    except ValueError as exc:
        raise DisclosureError(f"{where}: field 'exempt_measures': {exc}") from None
    return Rule(name=str(data["name"]), title=str(data.get("title", data["name"])), source=str(data.get("source", "")),
                source_text=str(data.get("source_text", "")), threshold=threshold,
                zero_is_safe=_flag(data.get("zero_is_safe", True), "zero_is_safe", where), rounding=rounding,
                national_exempt=_flag(data.get("national_exempt", False), "national_exempt", where),
                protection_interval=protection, exempt_measures=measures)


def _integer(value, field: str, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DisclosureError(f"{where}: field {field!r} must be a whole number, got {value!r}")
    if value < minimum:
        raise DisclosureError(f"{where}: field {field!r} must be at least {minimum}, got {value}")
    return value


def _flag(value, field: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise DisclosureError(f"{where}: field {field!r} must be true or false, got {value!r}")
    return value
