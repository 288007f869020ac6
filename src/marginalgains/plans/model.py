"""Improvement plans as plain data: what is to improve, where, by how much, by when, and what changed.

A `Plan` is a frozen dataclass that converts to and from a plain dict (`from_dict`, `to_dict`),
so the YAML file, the Python API and the workspace's store all hold the same thing. Numbers the
plan resolved from data (baseline values, a benchmark target) are recorded per area in the plan
itself: a plan commits to the figure it was set against, not to whatever the data say later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from marginalgains.errors import GainsError
from marginalgains.periods import Grain, parse_period

TARGET_FORMS = ("absolute", "change_points", "change_relative", "benchmark")
BENCHMARK_TARGETS = ("peer_best5", "top_quartile", "top_decile", "national", "own_best")
TRAJECTORY_FORMS = ("linear", "stepped", "monthly")
_POINTS = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*(?:pp|points?|percentage points?)$", re.IGNORECASE)
_RELATIVE = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*%$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class PlanError(GainsError, ValueError):
    """A plan that cannot be read or tracked: names the plan, the field and the reason."""

    def __init__(self, plan_id: str, field_name: str, reason: str):
        self.plan_id, self.field, self.reason = plan_id, field_name, reason
        super().__init__(f"plan {plan_id!r}, field {field_name!r}: {reason}")


def month_index(label: str) -> int:
    """Months since year 0 of a YYYY-MM label (for arithmetic on months)."""
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_labels(indices) -> np.ndarray:
    """YYYY-MM labels of month indices, vectorised; None where an index is missing (NaN)."""
    months = pd.Series(np.asarray(indices, dtype=float))
    known = months.notna()
    whole = months.fillna(0).astype(np.int64)
    text = (whole // 12).astype(str).str.zfill(4) + "-" + (whole % 12 + 1).astype(str).str.zfill(2)
    return np.where(known, text.to_numpy(dtype=object), None)


def period_months(label: str) -> tuple[int, int]:
    """First and last month (indices) of a period label of any grain the project reads."""
    grain, start = parse_period(label)
    length = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.FINANCIAL_YEAR: 12, Grain.YEAR: 12}.get(grain)
    if length is None:
        raise ValueError(f"{label!r} pools several years; give a month, quarter or year")
    first = start.year * 12 + start.month - 1
    return first, first + length - 1


@dataclass(frozen=True)
class Owner:
    """Who answers for the plan: an organisation code and a contact."""

    organisation: str
    contact: str = ""


@dataclass(frozen=True)
class Intervention:
    """What the plan does: a `gains fund` allocation id, or free text, with cost and expected effect
    (people benefited, the unit `gains fund` buys)."""

    allocation: str | None = None
    text: str | None = None
    cost: float | None = None
    effect: float | None = None


@dataclass(frozen=True)
class Areas:
    """One area, a list, or every area of a type (`area_type`, matched to the data's area types)."""

    codes: tuple[str, ...] = ()
    area_type: str | None = None


@dataclass(frozen=True)
class Baseline:
    """The months measured before the plan (first..last) and the value there, per area."""

    first: str
    last: str
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """The value to reach: absolute, a change from baseline (points or relative %), or a benchmark
    resolved at the baseline; `values` is the number it resolved to, per area."""

    form: str
    amount: float | None = None
    benchmark: str | None = None
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Trajectory:
    """How the value should move: linear (monthly, baseline to target), stepped (a value per
    quarter, year or month, held until the next) or monthly (every month given)."""

    form: str = "linear"
    steps: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """A dated event with its reason; `rebase` asks for SPC limits recalculated from that month."""

    date: str
    event: str
    reason: str = ""
    rebase: bool = False


@dataclass(frozen=True)
class Plan:
    """One improvement plan: an indicator (with breakdown) in some areas, owned by an organisation
    with partners and interventions, from a baseline to a target by a month along a trajectory,
    with its dated changes. See docs/plans.md for the file format."""

    id: str
    title: str
    indicator_id: str
    areas: Areas
    owner: Owner
    baseline: Baseline
    target: Target
    by: str
    trajectory: Trajectory = Trajectory()
    breakdown: str | None = None
    partners: tuple[str, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    changes: tuple[Change, ...] = ()
    notes: str = ""
    fix_after_n_points: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        """A plan from its plain-data form (as in a plan file); PlanError names the field at fault."""
        if not isinstance(d, dict):
            raise PlanError("?", "plan", f"expected a mapping, got {type(d).__name__}")
        plan_id = _text(d, "id", "?")
        reader = _Reader(plan_id, d)
        unknown = sorted(set(d) - _FIELDS)
        if unknown:
            raise PlanError(plan_id, unknown[0], f"unknown field (known: {', '.join(sorted(_FIELDS))})")
        return cls(
            id=plan_id, title=reader.text("title"), indicator_id=reader.text("indicator_id"),
            areas=reader.areas(), owner=reader.owner(), baseline=reader.baseline(), target=reader.target(),
            by=reader.month("by", d.get("by")), trajectory=reader.trajectory(),
            breakdown=reader.optional_text("breakdown"), partners=tuple(reader.text_list("partners")),
            interventions=reader.interventions(), changes=reader.changes(), notes=reader.optional_text("notes") or "",
            fix_after_n_points=reader.optional_count("fix_after_n_points"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The plain-data form; `Plan.from_dict(plan.to_dict()) == plan`."""
        out: dict[str, Any] = {"id": self.id, "title": self.title, "indicator_id": self.indicator_id}
        if self.breakdown is not None:
            out["breakdown"] = self.breakdown
        out["areas"] = {"type": self.areas.area_type} if self.areas.area_type else list(self.areas.codes)
        out["owner"] = {"organisation": self.owner.organisation, "contact": self.owner.contact}
        if self.partners:
            out["partners"] = list(self.partners)
        if self.interventions:
            out["interventions"] = [{k: v for k, v in vars(i).items() if v is not None} for i in self.interventions]
        out["baseline"] = {"from": self.baseline.first, "to": self.baseline.last, **_values(self.baseline.values)}
        target = {"form": self.target.form}
        if self.target.amount is not None:
            target["amount"] = self.target.amount
        if self.target.benchmark is not None:
            target["benchmark"] = self.target.benchmark
        out["target"] = {**target, **_values(self.target.values)}
        out["by"] = self.by
        out["trajectory"] = (self.trajectory.form if self.trajectory.form == "linear"
                             else {self.trajectory.form: dict(self.trajectory.steps)})
        if self.changes:
            out["changes"] = [{"date": c.date, "event": c.event, "reason": c.reason, "rebase": c.rebase}
                              for c in self.changes]
        if self.notes:
            out["notes"] = self.notes
        if self.fix_after_n_points is not None:
            out["fix_after_n_points"] = self.fix_after_n_points
        return out


_FIELDS = {"id", "title", "indicator_id", "breakdown", "areas", "owner", "partners", "interventions", "notes",
           "baseline", "target", "by", "trajectory", "changes", "fix_after_n_points"}


def _values(values: dict[str, float]) -> dict[str, Any]:
    return {"values": {k: float(v) for k, v in values.items()}} if values else {}


def _text(d: dict, key: str, default: str | None = None) -> str:
    value = d.get(key, default)
    return str(value).strip() if value is not None else ""


def parse_target(plan_id: str, raw) -> Target:
    """A target from a number, text ("78%", "+5pp", "-10%"), a benchmark name, or its mapping form."""
    if isinstance(raw, bool) or raw is None:
        raise PlanError(plan_id, "target", "missing: give a value, a change (+5pp, -10%) or a benchmark "
                        f"({', '.join(BENCHMARK_TARGETS)})")
    if isinstance(raw, (int, float)):
        return Target("absolute", float(raw))
    if isinstance(raw, dict):
        return _target_mapping(plan_id, raw)
    text = str(raw).strip()
    if text in BENCHMARK_TARGETS:
        return Target("benchmark", benchmark=text)
    if m := _POINTS.match(text):
        return Target("change_points", float(m[2]) * (1 if m[1] == "+" else -1))
    if m := _RELATIVE.match(text):
        return Target("change_relative", float(m[2]) * (1 if m[1] == "+" else -1))
    if m := _PERCENT.match(text):
        return Target("absolute", float(m[1]))  # on the indicator's scale (proportions are usually x100)
    try:
        return Target("absolute", float(text))
    except ValueError:
        raise PlanError(plan_id, "target", f"cannot read {text!r}: give a value (78 or 78%), a change from the "
                        f"baseline (+5pp, -10%) or a benchmark ({', '.join(BENCHMARK_TARGETS)})") from None


def _target_mapping(plan_id: str, raw: dict) -> Target:
    form = raw.get("form")
    if form not in TARGET_FORMS:
        raise PlanError(plan_id, "target.form", f"{form!r} is not one of {', '.join(TARGET_FORMS)}")
    benchmark = raw.get("benchmark")
    if form == "benchmark" and benchmark not in BENCHMARK_TARGETS:
        raise PlanError(plan_id, "target.benchmark", f"{benchmark!r} is not one of {', '.join(BENCHMARK_TARGETS)}")
    amount = raw.get("amount")
    if form != "benchmark" and not _is_number(amount):
        raise PlanError(plan_id, "target.amount", f"a {form} target needs a number, got {amount!r}")
    values = _number_map(plan_id, "target.values", raw.get("values", {}))
    return Target(form, float(amount) if amount is not None else None, benchmark, values)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and pd.notna(value)


def _number_map(plan_id: str, name: str, raw) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise PlanError(plan_id, name, f"expected a mapping of area code to number, got {type(raw).__name__}")
    for key, value in raw.items():
        if not _is_number(value):
            raise PlanError(plan_id, f"{name}.{key}", f"expected a number, got {value!r}")
    return {str(k): float(v) for k, v in raw.items()}


@dataclass
class _Reader:
    """Reads one plan's fields, each error naming the plan and the field."""

    plan_id: str
    d: dict

    def fail(self, name: str, reason: str) -> PlanError:
        return PlanError(self.plan_id, name, reason)

    def text(self, name: str) -> str:
        value = _text(self.d, name)
        if not value:
            raise self.fail(name, "missing")
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.d.get(name)
        return None if value is None else str(value)

    def text_list(self, name: str) -> list[str]:
        raw = self.d.get(name) or []
        if not isinstance(raw, list):
            raise self.fail(name, f"expected a list, got {type(raw).__name__}")
        return [str(x) for x in raw]

    def optional_count(self, name: str) -> int | None:
        raw = self.d.get(name)
        if raw is None:
            return None
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 2:
            raise self.fail(name, f"expected a whole number of at least 2, got {raw!r}")
        return raw

    def month(self, name: str, raw) -> str:
        text = str(raw).strip() if raw is not None else ""
        if isinstance(raw, (pd.Timestamp,)) or hasattr(raw, "year"):
            text = f"{raw.year:04d}-{raw.month:02d}"
        if not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12:
            raise self.fail(name, f"expected a month such as 2027-03, got {raw!r}")
        return text

    def areas(self) -> Areas:
        raw = self.d.get("areas")
        if isinstance(raw, str) and raw.strip():
            return Areas((raw.strip(),))
        if isinstance(raw, list) and raw and all(isinstance(x, str) and x.strip() for x in raw):
            if len(set(raw)) < len(raw):
                raise self.fail("areas", "an area is listed twice")
            return Areas(tuple(x.strip() for x in raw))
        if isinstance(raw, dict) and set(raw) == {"type"} and str(raw["type"]).strip():
            return Areas(area_type=str(raw["type"]).strip())
        raise self.fail("areas", f"give an area code, a list of codes or {{type: <area type>}}, got {raw!r}")

    def owner(self) -> Owner:
        raw = self.d.get("owner")
        if isinstance(raw, str) and raw.strip():
            return Owner(raw.strip())
        if isinstance(raw, dict) and str(raw.get("organisation") or "").strip():
            return Owner(str(raw["organisation"]).strip(), str(raw.get("contact") or ""))
        raise self.fail("owner", "give the owning organisation's code (and optionally a contact)")

    def baseline(self) -> Baseline:
        raw = self.d.get("baseline")
        if not isinstance(raw, dict):
            raise self.fail("baseline", "give {period: <month, quarter or year>} or {from: <month>, to: <month>}")
        if "period" in raw:
            try:
                first, last = period_months(str(raw["period"]))
            except ValueError as exc:
                raise self.fail("baseline.period", str(exc)) from None
        else:
            first = month_index(self.month("baseline.from", raw.get("from")))
            last = month_index(self.month("baseline.to", raw.get("to")))
            if last < first:
                raise self.fail("baseline.to", "the baseline ends before it starts")
        values = _number_map(self.plan_id, "baseline.values", raw.get("values", {}))
        if "value" in raw:
            codes = self.areas().codes
            if len(codes) != 1 or not _is_number(raw["value"]):
                raise self.fail("baseline.value", "one number for a one-area plan (else give values per area)")
            values = {codes[0]: float(raw["value"])}
        return Baseline(month_label(first), month_label(last), values)

    def target(self) -> Target:
        return parse_target(self.plan_id, self.d.get("target"))

    def trajectory(self) -> Trajectory:
        raw = self.d.get("trajectory", "linear")
        if raw == "linear":
            return Trajectory()
        if isinstance(raw, dict) and len(raw) == 1 and next(iter(raw)) in ("stepped", "monthly"):
            form, steps = next(iter(raw.items()))
            values = _number_map(self.plan_id, f"trajectory.{form}", steps)
            if not values:
                raise self.fail(f"trajectory.{form}", "no values given")
            for label in values:
                if form == "monthly":
                    self.month(f"trajectory.monthly.{label}", label)
                    continue
                try:
                    period_months(label)
                except ValueError as exc:
                    raise self.fail(f"trajectory.stepped.{label}", str(exc)) from None
            return Trajectory(form, values)
        raise self.fail("trajectory", f"give linear, {{stepped: {{period: value}}}} or {{monthly: {{month: value}}}}, "
                        f"got {raw!r}")

    def interventions(self) -> tuple[Intervention, ...]:
        raw = self.d.get("interventions") or []
        if not isinstance(raw, list):
            raise self.fail("interventions", "expected a list")
        out = []
        for n, item in enumerate(raw):
            name = f"interventions[{n}]"
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict) or not (item.get("allocation") or item.get("text")):
                raise self.fail(name, "give an allocation id (from gains fund) or text")
            for key in ("cost", "effect"):
                if item.get(key) is not None and not _is_number(item[key]):
                    raise self.fail(f"{name}.{key}", f"expected a number, got {item[key]!r}")
            extra = set(item) - {"allocation", "text", "cost", "effect"}
            if extra:
                raise self.fail(f"{name}.{sorted(extra)[0]}", "unknown field (known: allocation, text, cost, effect)")
            out.append(Intervention(*(item.get(k) for k in ("allocation", "text")),
                                    *(None if item.get(k) is None else float(item[k]) for k in ("cost", "effect"))))
        return tuple(out)

    def changes(self) -> tuple[Change, ...]:
        raw = self.d.get("changes") or []
        if not isinstance(raw, list):
            raise self.fail("changes", "expected a list")
        out = []
        for n, item in enumerate(raw):
            name = f"changes[{n}]"
            if not isinstance(item, dict) or not str(item.get("event") or "").strip():
                raise self.fail(name, "give date, event, reason (and rebase: true to recalculate limits)")
            rebase = item.get("rebase", False)
            if not isinstance(rebase, bool):
                raise self.fail(f"{name}.rebase", f"expected true or false, got {rebase!r}")
            out.append(Change(self.month(f"{name}.date", item.get("date")), str(item["event"]),
                              str(item.get("reason") or ""), rebase))
        return tuple(out)
