"""Workspace settings kept in the store: the disclosure rule every outsider's view of the figures is protected by."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from marginalgains.disclosure import Rule, load_rule
from marginalgains.disclosure.rules import SHIPPED, rule_from_dict
from marginalgains.store.models import WorkspaceSetting

DISCLOSURE = "disclosure_rule"
DEFAULT_DISCLOSURE = "nhs-hes-2018"


def disclosure_rule(db: Session) -> Rule:
    """The workspace's disclosure rule (NHS Digital's HES/ECDS 2018 rule until one is set), read on every call
    (so every worker applies a changed rule at once) but parsed once per text."""
    setting = db.get(WorkspaceSetting, DISCLOSURE)
    return _parsed_rule(DEFAULT_DISCLOSURE if setting is None else setting.value)


@lru_cache(maxsize=16)
def _parsed_rule(value: str) -> Rule:
    """The rule a setting's value names (a shipped rule) or holds (a rule file's text)."""
    if value in SHIPPED:
        return load_rule(value)
    return rule_from_dict(yaml.safe_load(value), "the workspace's disclosure rule")


def set_disclosure_rule(db: Session, name_or_path: str | Path, changed_by: str) -> Rule:
    """Set the rule by a shipped name or a rule file, whose text is kept (so every worker applies the same rule)."""
    rule = load_rule(name_or_path)
    value = str(name_or_path) if str(name_or_path) in SHIPPED else Path(name_or_path).read_text(encoding="utf-8")
    setting = db.get(WorkspaceSetting, DISCLOSURE)
    if setting is None:
        db.add(WorkspaceSetting(key=DISCLOSURE, value=value, changed_by=changed_by))
    else:
        setting.value, setting.changed_by = value, changed_by
    db.flush()
    return rule
