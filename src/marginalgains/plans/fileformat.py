"""The plan file: YAML with a `plans` list (or a single plan mapping), read and written as plain data."""

from __future__ import annotations

from pathlib import Path

import yaml

from marginalgains.io.yamltext import YamlRefused, load_yaml
from marginalgains.plans.model import Plan, PlanError



def read_plans(source: str | Path) -> tuple[list[Plan], list[PlanError]]:
    """Every readable plan of a file (a Path, a path ending .yaml/.yml, or an existing file's name)
    or YAML text, and one error per plan that is not.

    A plan with a bad field does not stop the others being read; repeated ids are errors.
    """
    return plans_from_text(*_text(source))


def plans_from_text(name: str, text: str) -> tuple[list[Plan], list[PlanError]]:
    """`read_plans` over YAML (or JSON) text already in hand, named `name` in messages (never read as a path)."""
    try:
        document = load_yaml(text, name, "the plan file")
    except YamlRefused as exc:
        raise PlanError("?", "file", str(exc)) from None
    entries = document.get("plans") if isinstance(document, dict) and "plans" in document else document
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise PlanError("?", "plans", f"{name} holds no plans: expected a list under `plans:`")
    plans, errors, seen = [], [], set()
    for entry in entries:
        try:
            plan = Plan.from_dict(entry)
        except PlanError as exc:
            errors.append(exc)
            continue
        if plan.id in seen:
            errors.append(PlanError(plan.id, "id", "this id is used by an earlier plan in the file"))
            continue
        seen.add(plan.id)
        plans.append(plan)
    return plans, errors


def load_plans(source: str | Path) -> list[Plan]:
    """The plans of a file or YAML text; the first bad plan raises its PlanError."""
    plans, errors = read_plans(source)
    if errors:
        raise errors[0]
    return plans


def dump_plans(plans: list[Plan]) -> str:
    """Plans as YAML text that `load_plans` reads back to equal plans."""
    return yaml.safe_dump({"plans": [p.to_dict() for p in plans]}, sort_keys=False, allow_unicode=True)


def _text(source: str | Path) -> tuple[str, str]:
    if isinstance(source, Path) or ("\n" not in str(source) and (Path(str(source)).suffix in (".yaml", ".yml")
                                                                  or Path(str(source)).is_file())):
        path = Path(source)
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PlanError("?", "file", f"cannot read {path}: {exc.strerror or exc}") from None
    return "<plans text>", str(source)
