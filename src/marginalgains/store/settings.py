"""Workspace settings kept in the store: the disclosure rule every outsider's view of the figures is protected by,
and the indicators anyone not signed in may see (protected by that rule as for any outsider). Every change is
also kept in the settings' history (who set what, when): the audit trail."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.disclosure import Rule, load_rule
from marginalgains.disclosure.rules import SHIPPED, DisclosureError, rule_from_dict
from marginalgains.errors import GainsError
from marginalgains.store.models import Batch, BatchIndicator, BatchStatus, WorkspaceSetting, WorkspaceSettingChange

DISCLOSURE = "disclosure_rule"
DEFAULT_DISCLOSURE = "nhs-hes-2018"
PUBLIC_INDICATORS = "public_indicators"  # a JSON list of indicator ids; none until an admin makes one public


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
    _store(db, DISCLOSURE, value, changed_by)
    return rule


def set_disclosure_rule_text(db: Session, text: str, where: str, changed_by: str) -> Rule:
    """Set the rule from a rule file's text (an upload), checked field by field first (errors name `where`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DisclosureError(f"{where}: not valid YAML: {exc}") from None
    rule = rule_from_dict(data, where)
    _store(db, DISCLOSURE, text, changed_by)
    return rule


def disclosure_rule_name(db: Session) -> str | None:
    """The shipped rule in force by its name; None when it is a rule file's text."""
    setting = db.get(WorkspaceSetting, DISCLOSURE)
    value = DEFAULT_DISCLOSURE if setting is None else setting.value
    return value if value in SHIPPED else None


def public_indicators(db: Session) -> frozenset[str]:
    """The indicators the workspace shows to anyone not signed in (none unless an admin made some public)."""
    setting = db.get(WorkspaceSetting, PUBLIC_INDICATORS)
    return frozenset(json.loads(setting.value)) if setting is not None else frozenset()


class SettingError(GainsError):
    """A workspace setting cannot take the value given (the message names the setting and why)."""


def set_indicator_public(db: Session, indicator_id: str, public: bool, changed_by: str) -> frozenset[str]:
    """Make a published indicator public (or not); returns the public indicators after the change."""
    published = published_indicators(db)
    if public and indicator_id not in published:
        raise SettingError(f"public: {indicator_id!r} is not an indicator published in this workspace "
                           f"(published: {', '.join(sorted(published)) or 'none'})")
    now = public_indicators(db) | {indicator_id} if public else public_indicators(db) - {indicator_id}
    _store(db, PUBLIC_INDICATORS, json.dumps(sorted(now)), changed_by)
    return now


def published_indicators(db: Session) -> list[str]:
    """The indicators with a published batch: those that may be made public."""
    return sorted(db.scalars(select(BatchIndicator.indicator_id).join(Batch, Batch.id == BatchIndicator.batch_id)
                             .where(Batch.status == BatchStatus.PUBLISHED).distinct()))


def changes(db: Session, limit: int = 200) -> list[WorkspaceSettingChange]:
    """The settings' history, newest first: every value set, by whom and when."""
    return list(db.scalars(select(WorkspaceSettingChange).order_by(WorkspaceSettingChange.id.desc()).limit(limit)))


def _store(db: Session, key: str, value: str, changed_by: str) -> None:
    setting = db.get(WorkspaceSetting, key)
    if setting is None:
        db.add(WorkspaceSetting(key=key, value=value, changed_by=changed_by))
    else:
        setting.value, setting.changed_by = value, changed_by
    db.add(WorkspaceSettingChange(key=key, value=value, changed_by=changed_by))
    db.flush()
