"""The workspace's own settings in the web app: the disclosure rule that protects every organisation's figures from
the others, and the indicators anyone not signed in may see (protected by that rule).

Only a workspace admin changes them: an admin of a top-level organisation (one with no parent: the national
team, or the region of a regional deployment), since both settings govern every organisation's figures.
Every change is kept with who made it and when (`store.settings.changes`, the audit trail). Every worker
reads both settings on every request, and the answers it keeps are keyed by the rule and the audience
(web/cache.py), so a change applies to the next request in every worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.disclosure import DisclosureError
from marginalgains.disclosure.rules import SHIPPED
from marginalgains.store import settings
from marginalgains.store.models import Organisation, Role, WorkspaceSettingChange
from marginalgains.web.auth import Viewer
from marginalgains.web.deps import DB, NO_NUL, SignedIn, Text
from marginalgains.web.render import page
from marginalgains.web.visibility import workspace_catalogue

router = APIRouter()
SHOWN_VALUE = 300  # characters of a changed value shown in the history (a rule file's text can be long)


class RuleOut(BaseModel):
    name: str | None  # a shipped rule's name; None for a rule file's text
    description: str


class SettingChangeOut(BaseModel):
    key: str  # disclosure_rule | public_indicators
    value: str  # a rule's name or a rule file's text; the public indicators as a JSON list
    changed_by: str
    changed_at: datetime


class WorkspaceSettingsOut(BaseModel):
    disclosure_rule: RuleOut
    shipped_rules: list[str]
    public_indicators: list[str]
    published_indicators: list[str]  # those that may be made public
    changes: list[SettingChangeOut]  # newest first


class RuleIn(BaseModel):
    """Exactly one of: a shipped rule's name, or a rule file's YAML text."""
    name: Text | None = None
    rule_yaml: Text | None = None


class PublicIn(BaseModel):
    indicator_id: Text
    public: bool


def workspace_admin(db: Session, viewer: Viewer) -> Viewer:
    """The viewer, if they are an admin of a top-level organisation; 403 to everyone else signed in."""
    administered = [o for o, role in viewer.roles.items() if role == Role.ADMIN]
    top = db.scalar(select(Organisation.id).where(Organisation.id.in_(administered),
                                                  Organisation.parent_id.is_(None)).limit(1)) if administered else None
    if top is None:
        raise HTTPException(403, "the workspace's settings are changed by an admin of a top-level organisation "
                                 "(one with no parent, such as the national team)")
    return viewer


def _who(viewer: Viewer) -> str:
    return viewer.user.email if viewer.user is not None else "an API token"


def settings_out(db: Session) -> WorkspaceSettingsOut:
    return WorkspaceSettingsOut(
        disclosure_rule=RuleOut(name=settings.disclosure_rule_name(db),
                                description=settings.disclosure_rule(db).describe()),
        shipped_rules=list(SHIPPED), public_indicators=sorted(settings.public_indicators(db)),
        published_indicators=settings.published_indicators(db),
        changes=[_change_out(change) for change in settings.changes(db)])


def _change_out(change: WorkspaceSettingChange) -> SettingChangeOut:
    return SettingChangeOut(key=change.key, value=change.value, changed_by=change.changed_by,
                            changed_at=change.changed_at)


def _set_rule(db: Session, viewer: Viewer, name: str | None, rule_yaml: str | None, where: str) -> None:
    """Set the rule by a shipped name or a rule file's text, and commit; 400 naming what is wrong."""
    if (name is None) == (rule_yaml is None):
        raise HTTPException(400, "rule: give either a shipped rule's name or a rule file, not both or neither")
    try:
        if name is not None:
            if name not in SHIPPED:
                raise DisclosureError(f"name: {name!r} is not a shipped rule ({', '.join(SHIPPED)})")
            settings.set_disclosure_rule(db, name, _who(viewer))
        else:
            settings.set_disclosure_rule_text(db, rule_yaml, where, _who(viewer))
    except DisclosureError as exc:
        db.rollback()
        raise HTTPException(400, str(exc)) from None
    db.commit()


def _set_public(db: Session, viewer: Viewer, indicator_id: str, public: bool) -> None:
    try:
        settings.set_indicator_public(db, indicator_id, public, _who(viewer))
    except settings.SettingError as exc:
        db.rollback()
        raise HTTPException(400, str(exc)) from None
    db.commit()


# --- pages ----------------------------------------------------------------------------------------------------

def _settings_page(request: Request, viewer: Viewer, db: Session, status_code: int = 200, message: str | None = None):
    return page(request, viewer, "workspace_settings.html", status_code=status_code, settings=settings_out(db),
                message=message, shown_value=SHOWN_VALUE, catalogue=workspace_catalogue(db))


def _or_page(request: Request, viewer: Viewer, db: Session, change: Callable[[], None]):
    """Make a change from a form: back to the page, or the page again with the reason it was refused."""
    try:
        change()
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        return _settings_page(request, viewer, db, 400, str(exc.detail))
    return RedirectResponse("/workspace/settings", status_code=303)


@router.get("/workspace/settings", include_in_schema=False)
def settings_page(*, request: Request, viewer: SignedIn, db: DB):
    return _settings_page(request, workspace_admin(db, viewer), db)


RuleFile = Annotated[UploadFile | None, File(description="A disclosure rule file (YAML).")]


@router.post("/workspace/settings/disclosure", include_in_schema=False)
def rule_page(*, request: Request, viewer: SignedIn, db: DB, name: str = Form("", pattern=NO_NUL),
                    rule_file: RuleFile = None):
    workspace_admin(db, viewer)
    content = rule_file.file.read() if rule_file is not None and rule_file.filename else b""
    where = rule_file.filename if content else ""

    def change() -> None:
        try:
            text = content.decode("utf-8") if content else None
        except UnicodeDecodeError:
            raise HTTPException(400, f"{where}: not UTF-8 text (a YAML rule file)") from None
        if text is not None and "\x00" in text:
            raise HTTPException(400, f"{where}: holds a NUL character; not a YAML rule file")
        _set_rule(db, viewer, None if text is not None or not name else name, text, where)

    return _or_page(request, viewer, db, change)


@router.post("/workspace/settings/public", include_in_schema=False)
def public_page(*, request: Request, viewer: SignedIn, db: DB, indicator_id: str = Form(..., pattern=NO_NUL),
                public: bool = Form(...)):
    workspace_admin(db, viewer)
    return _or_page(request, viewer, db, lambda: _set_public(db, viewer, indicator_id, public))


# --- JSON API -------------------------------------------------------------------------------------------------

@router.get("/api/workspace/settings", response_model=WorkspaceSettingsOut)
def get_settings(*, viewer: SignedIn, db: DB) -> WorkspaceSettingsOut:
    """The disclosure rule, the public indicators and every change of them (workspace admins only)."""
    workspace_admin(db, viewer)
    return settings_out(db)


@router.put("/api/workspace/disclosure-rule", response_model=WorkspaceSettingsOut)
def put_rule(*, body: RuleIn, viewer: SignedIn, db: DB) -> WorkspaceSettingsOut:
    """Set the disclosure rule, by a shipped rule's name or a rule file's YAML text (workspace admins only);
    it protects every view from the next request on."""
    workspace_admin(db, viewer)
    _set_rule(db, viewer, body.name, body.rule_yaml, "rule_yaml")
    return settings_out(db)


@router.put("/api/workspace/public-indicators", response_model=WorkspaceSettingsOut)
def put_public(*, body: PublicIn, viewer: SignedIn, db: DB) -> WorkspaceSettingsOut:
    """Make a published indicator public (anyone not signed in sees it, protected by the rule), or not
    (workspace admins only)."""
    workspace_admin(db, viewer)
    _set_public(db, viewer, body.indicator_id, body.public)
    return settings_out(db)
