"""Workspace settings kept in the store: the disclosure rule every outsider's view of the figures is protected by."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from marginalgains.disclosure import Rule, load_rule
from marginalgains.disclosure.rules import SHIPPED, rule_from_dict
from marginalgains.store.models import WorkspaceSetting

DISCLOSURE = "disclosure_rule"
DEFAULT_DISCLOSURE = "nhs-hes-2018"


def disclosure_rule(db: Session) -> Rule:
    """The workspace's disclosure rule (NHS Digital's HES/ECDS 2018 rule until one is set)."""
    setting = db.get(WorkspaceSetting, DISCLOSURE)
    if setting is None:
        return load_rule(DEFAULT_DISCLOSURE)
    if setting.value in SHIPPED:
        return load_rule(setting.value)
    return rule_from_dict(yaml.safe_load(setting.value), "the workspace's disclosure rule")


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
