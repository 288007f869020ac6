"""Plans in the workspace: pages and JSON to create, edit (versioned, stale edits refused), track and discuss plans.

A plan's tracking is `plans.track` over the published values the viewer may see, by the visibility layer's
rule (`audience_for`, `shown_in_full`: the indicator x areas the viewer sees in full; the rest is withheld
whole). Its chart is the plans page
(`report.plans_page.render_plans_page`) for that one plan. People who are not members of the owner or of a
partner get 404 for every plan route, and for its comments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from marginalgains.plans import Plan, PlanError, Tracking, track
from marginalgains.report.html import format_value
from marginalgains.report.plans_page import plans_json, render_plans_page
from marginalgains.io.catalogue import Catalogue
from marginalgains.store import batches
from marginalgains.store import plans as store
from marginalgains.store.models import Comment, Organisation, Role, Value, WorkspacePlan
from marginalgains.web import atlas_views, webhooks
from marginalgains.web.auth import Viewer
from marginalgains.web.data import member_organisation
from marginalgains.web.deps import DB, NO_NUL, RowId, SignedIn, Text
from marginalgains.web.cache import Kept
from marginalgains.web.render import csv_response, page
from marginalgains.web.visibility import Audience, audience_for, data_version, shown_in_full, workspace_catalogue

router = APIRouter()
TRACK_INPUTS = ["indicator_id", "area_code", "period", "numerator", "denominator"]
_tracked: Kept[Tracked] = Kept(256)
_answers: Kept[bytes] = Kept(512)  # each plan's JSON per version, data version and audience


class VersionOut(BaseModel):
    number: int
    author: str | None
    created_at: datetime
    changed: str
    document: dict


class CommentOut(BaseModel):
    id: int
    author: str | None
    created_at: datetime
    body: str
    area_code: str | None
    period: str | None
    indicator_id: str | None
    mentions: list[str]
    promoted_to_version: int | None


class PlanOut(BaseModel):
    id: int
    plan_id: str
    title: str
    owner_code: str
    partner_codes: list[str]
    version: int
    document: dict
    scorecard: list[dict]
    errors: list[dict]


class ConflictOut(BaseModel):
    detail: str
    current: VersionOut


class PlanIn(BaseModel):
    organisation: Text
    document: Text  # the plan in the plans library's YAML or JSON form


class PlanEditIn(BaseModel):
    base_version: int
    document: Text


class CommentIn(BaseModel):
    body: Text
    area_code: Text | None = None
    period: Text | None = None


class PromoteIn(BaseModel):
    base_version: int


class IndicatorCommentIn(BaseModel):
    organisation: Text
    body: Text


IndicatorId = Annotated[str, Path(pattern=NO_NUL, max_length=200)]

CONFLICT = {409: {"model": ConflictOut, "description": "the edit was based on an older version; here is the current"}}


def plan_or_404(db: Session, viewer: Viewer, plan_id: int, role: Role = Role.VIEWER) -> WorkspacePlan:
    """A plan of the viewer's organisation or of one it partners; 404 to everyone else, 403 for a role too low."""
    record = db.get(WorkspacePlan, plan_id, options=[joinedload(WorkspacePlan.partners)])  # one query
    if record is None or not store.member_ids(record) & set(viewer.roles):
        raise HTTPException(404, "no such plan among your organisations' and partners'")
    if not any(viewer.can(o, role) for o in store.member_ids(record)):
        raise HTTPException(403, f"this needs {role} in the plan's owner or a partner")
    return record


def _may_change_partners(viewer: Viewer, record: WorkspacePlan) -> bool:
    return viewer.can(record.organisation_id, Role.ANALYST)


def visible_values(db: Session, audience: Audience, indicator_id: str) -> pd.DataFrame:
    """The indicator's current published values (monthly, as published) of the indicator x areas this audience sees
    in full, by the visibility layer's own rule (`shown_in_full`); as the atlas, the latest published batch is the
    figure when two organisations publish one indicator x area x period."""
    values = batches.current_values(db, indicator_id)
    values = values.sort_values("batch_id").drop_duplicates(["indicator_id", "area_code", "period"], keep="last")
    owners = values[["indicator_id", "area_code", "organisation_id"]].drop_duplicates()
    seen = shown_in_full(owners, audience)
    return values.merge(seen, on=["indicator_id", "area_code"], how="inner")[TRACK_INPUTS].reset_index(drop=True)


@dataclass(frozen=True)
class Tracked:
    """A plan's tracking, the catalogue it was tracked with, and the tracking as JSON-ready data (`plans_json`).
    Kept and shared between requests: read it, never modify it."""

    tracking: Tracking
    catalogue: Catalogue
    data: dict


def tracking_for(db: Session, viewer: Viewer, plan: Plan) -> Tracked:
    """The plan tracked over the published values this viewer may see: a pure function of the plan's document,
    the data version and the viewer's audience, so kept per worker under exactly those (read on this request)."""
    return _tracked_over(db, audience_for(db, viewer), data_version(db), plan)


def _tracked_over(db: Session, audience: Audience, version: tuple, plan: Plan) -> Tracked:
    key = (str(db.get_bind().url), version, audience.key, json.dumps(plan.to_dict(), sort_keys=True))
    return _tracked.get(key, lambda: _track(db, audience, plan))


def _track(db: Session, audience: Audience, plan: Plan) -> Tracked:
    catalogue = workspace_catalogue(db)
    error = _untrackable(catalogue, plan)
    if error is not None:
        tracking = Tracking(pd.DataFrame(), pd.DataFrame(columns=["area_code", "status"]), pd.DataFrame(), [error], [])
    else:
        seen = visible_values(db, audience, plan.indicator_id)
        tracking = track([plan], seen, catalogue)
        if withheld := _withheld(db, plan, seen):  # alone when nothing is left to track ("no values" is untrue)
            others = tracking.errors if set(plan.areas.codes) & set(seen["area_code"]) else []
            tracking = replace(tracking, errors=[withheld, *others])
    return Tracked(tracking, catalogue, plans_json(tracking))


def _withheld(db: Session, plan: Plan, seen: pd.DataFrame) -> PlanError | None:
    """Why some of the plan's areas are not tracked for this viewer although their figures are published: they
    belong to an organisation that has not shared them, so the viewer sees them only protected (in the atlas)."""
    published = set(batches.current_values(db, plan.indicator_id)["area_code"])
    hidden = sorted(set(plan.areas.codes) & published - set(seen["area_code"]))
    if not hidden:
        return None
    return PlanError(plan.id, "areas", f"the figures of {', '.join(hidden)} are published by an organisation that "
                                       "has not shared them with yours: you see them only protected, in the atlas, "
                                       "so they are not tracked here (its admin can share them)")


def _untrackable(catalogue: Catalogue, plan: Plan) -> PlanError | None:
    """Why the plan cannot be tracked in this workspace: its indicator has no published values, or the plan names
    a breakdown that is not its indicator's (each breakdown is its own indicator: "Male, 10+ yrs" is never Persons)."""
    if plan.indicator_id not in catalogue:
        return PlanError(plan.id, "indicator_id", f"{plan.indicator_id!r} has no published values in the workspace")
    held = catalogue[plan.indicator_id].breakdown
    if plan.breakdown is not None and plan.breakdown != held:
        return PlanError(plan.id, "breakdown", f"{plan.breakdown!r} is not the breakdown of {plan.indicator_id!r}, "
                                               f"which is {held or 'no breakdown (no sex or age given)'!r}")
    return None


def refresh_status(db: Session, record: WorkspacePlan, plan: Plan) -> list[dict]:
    """Record the plan's status per area over its owner's figures, when it has changed (for the feed)."""
    owner = Viewer(roles={record.organisation_id: Role.VIEWER})
    tracking = tracking_for(db, owner, plan).tracking
    events = store.record_statuses(db, record, dict(zip(tracking.scorecard["area_code"], tracking.scorecard["status"])))
    return [{"area_code": e.area_code, "status": e.status, "previous": e.previous} for e in events if e.previous]


def announce(db: Session, record: WorkspacePlan, kind: str, **payload) -> None:
    """The event to the webhooks of the plan's owner and partners (after the change is committed)."""
    webhooks.notify(db, store.member_ids(record), kind, {"plan": record.id, "plan_id": record.plan_key, **payload})


def announce_version(db: Session, record: WorkspacePlan, version, statuses: list[dict]) -> None:
    announce(db, record, "plan.version", version=version.number, changed=version.changed,
             author=version.author.email if version.author else None)
    for status in statuses:
        announce(db, record, "plan.status", **status)


def version_out(version) -> VersionOut:
    return VersionOut(number=version.number, author=version.author.email if version.author else None,
                      created_at=version.created_at, changed=version.changed,
                      document=store.document_of(version).to_dict())


def comment_out(comment: Comment) -> CommentOut:
    return CommentOut(id=comment.id, author=comment.author.email if comment.author else None,
                      created_at=comment.created_at, body=comment.body, area_code=comment.area_code,
                      period=comment.period, indicator_id=comment.indicator_id,
                      mentions=[m.user.email for m in comment.mentions], promoted_to_version=comment.promoted_to_version)


def plan_out(request: Request, db: Session, viewer: Viewer, record: WorkspacePlan) -> PlanOut:
    return _plan_out(db, audience_for(db, viewer), data_version(db), record)


def plan_answers(db: Session, viewer: Viewer, records: list[WorkspacePlan]) -> list[bytes]:
    """Each plan's `plan_out` as JSON, kept per worker under everything it depends on, read on this request: the
    store, the plan and its version (a plan's versions never change; its partners are in its document), the data
    version and the viewer's audience (as its tracking is kept)."""
    audience, version = audience_for(db, viewer), data_version(db)
    return [_plan_answer(db, audience, version, record) for record in records]


def _plan_answer(db: Session, audience: Audience, version: tuple, record: WorkspacePlan) -> bytes:
    key = (str(db.get_bind().url), record.id, record.version, version, audience.key)
    return _answers.get(key, lambda: _plan_out(db, audience, version, record).model_dump_json().encode())


def _plan_out(db: Session, audience: Audience, version: tuple, record: WorkspacePlan) -> PlanOut:
    plan = store.document_of(store.current_version(db, record))
    tracked = _tracked_over(db, audience, version, plan).data
    return PlanOut(id=record.id, plan_id=record.plan_key, title=plan.title, owner_code=record.organisation.code,
                   partner_codes=[p.organisation.code for p in record.partners], version=record.version,
                   document=plan.to_dict(), scorecard=tracked["scorecard"], errors=tracked["errors"])


def _conflict(exc: store.StaleEdit) -> JSONResponse:
    return JSONResponse(ConflictOut(detail=str(exc), current=version_out(exc.current)).model_dump(mode="json"),
                        status_code=409)


def _refused(exc: Exception) -> HTTPException:
    return HTTPException(400, str(exc))


# ---- creating and editing


def _create(request: Request, db: Session, viewer: Viewer, code: str, document: str) -> WorkspacePlan:
    owner = member_organisation(db, viewer, code, Role.ANALYST)
    try:
        record = store.create_plan(db, viewer.user, owner, store.parse_document(document))
    except store.PlanStoreError as exc:
        raise _refused(exc) from None
    statuses = refresh_status(db, record, store.document_of(store.current_version(db, record)))
    db.commit()
    announce_version(db, record, store.current_version(db, record), statuses)
    return record


def _edit(request: Request, db: Session, viewer: Viewer, record: WorkspacePlan, base_version: int, document: str):
    try:
        version = store.edit_plan(db, viewer.user, record, base_version, store.parse_document(document),
                                  _may_change_partners(viewer, record))
    except store.PlanStoreError as exc:
        raise _refused(exc) from None
    statuses = refresh_status(db, record, store.document_of(version))
    db.commit()
    announce_version(db, record, version, statuses)
    return version


@router.post("/api/plans", response_model=PlanOut, status_code=201)
def create_api(*, body: PlanIn, request: Request, viewer: SignedIn, db: DB) -> PlanOut:
    """Create a plan of `organisation` (an analyst there) from its YAML or JSON document; version 1."""
    return plan_out(request, db, viewer, _create(request, db, viewer, body.organisation, body.document))


@router.put("/api/plans/{plan_id}", response_model=PlanOut, responses=CONFLICT)
def edit_api(*, plan_id: RowId, body: PlanEditIn, request: Request, viewer: SignedIn, db: DB):
    """A new version, if `base_version` is still the current one; otherwise 409 with the current version."""
    record = plan_or_404(db, viewer, plan_id, Role.ANALYST)
    try:
        _edit(request, db, viewer, record, body.base_version, body.document)
    except store.StaleEdit as exc:
        return _conflict(exc)
    return plan_out(request, db, viewer, record)


@router.get("/api/plans", response_model=list[PlanOut])
def list_api(*, viewer: SignedIn, db: DB) -> Response:
    """Every plan of the caller's organisations and of those partnering them, tracked over what the caller sees."""
    answers = plan_answers(db, viewer, store.visible_plans(db, set(viewer.roles)))
    return Response(b"[" + b",".join(answers) + b"]", media_type="application/json")


@router.get("/api/plans/{plan_id}", response_model=PlanOut)
def plan_api(*, plan_id: RowId, viewer: SignedIn, db: DB) -> Response:
    """The plan's current document and its tracking (scorecard rows with status and forecast, errors)."""
    return Response(plan_answers(db, viewer, [plan_or_404(db, viewer, plan_id)])[0], media_type="application/json")


@router.get("/api/plans/{plan_id}/versions", response_model=list[VersionOut])
def versions_api(*, plan_id: RowId, viewer: SignedIn, db: DB) -> list[VersionOut]:
    """Every version: who, when, which fields changed, and the whole document."""
    return [version_out(v) for v in store.versions(db, plan_or_404(db, viewer, plan_id))]


PLAN_EXAMPLE = """plans:
  - id: ae-4hr-rj7
    title: Four-hour standard at St George's
    indicator_id: ae-4hr
    areas: [RJ7]
    owner: {organisation: RJ7}
    partners: [QWE]
    baseline: {period: 2016/17}
    target: +3pp
    by: 2019-03
"""


def organisation_names(db: Session, codes) -> dict[str, str]:
    """The workspace's name of each organisation among `codes` (plans name their owner and partners by code)."""
    codes = sorted(set(codes))
    return dict(db.execute(select(Organisation.code, Organisation.name).where(Organisation.code.in_(codes))).all())


def area_names(db: Session, indicator_id: str, codes) -> dict[str, str]:
    """A name for each area code: the workspace's organisation of that code, else the name its values carry."""
    codes = sorted(set(codes))
    named = db.execute(select(Value.area_code, Value.area_name).where(
        Value.indicator_id == indicator_id, Value.area_code.in_(codes), Value.area_name.is_not(None)).distinct())
    return dict(named.all()) | organisation_names(db, codes)


@router.get("/plans", include_in_schema=False)
def plans_page(*, request: Request, viewer: SignedIn, db: DB):
    return _plans_page(request, db, viewer)


def _plans_page(request: Request, db: Session, viewer: Viewer, status_code: int = 200, message: str | None = None,
                draft: str = ""):
    records = store.visible_plans(db, set(viewer.roles))
    rows = [(r, store.document_of(store.current_version(db, r))) for r in records]
    catalogue = workspace_catalogue(db)
    owners = [m.organisation for m in viewer.user.memberships if viewer.can(m.organisation_id, Role.ANALYST)]
    return page(request, viewer, "plans.html", status_code=status_code, rows=rows, message=message, draft=draft,
                catalogue=catalogue, owners=owners,
                names=organisation_names(db, [c for _, plan in rows for c in plan.partners]), example=PLAN_EXAMPLE)


SCORECARD_COLUMNS = ["area_code", "period", "status", "value", "trajectory", "target", "forecast"]


def synthetic_label(catalogue: Catalogue, indicator_id: str) -> str:
    """A CSV row's `synthetic` cell: SYNTHETIC for generated demonstration data, else empty."""
    return "SYNTHETIC" if indicator_id in catalogue and catalogue[indicator_id].synthetic else ""


@router.get("/plans.csv", include_in_schema=False)
def plans_csv(*, viewer: SignedIn, db: DB):
    """The plans page's table: every plan the caller sees."""
    catalogue = workspace_catalogue(db)
    rows = []
    for record in store.visible_plans(db, set(viewer.roles)):
        plan = store.document_of(store.current_version(db, record))
        rows.append({"plan": record.plan_key, "title": plan.title, "indicator_id": plan.indicator_id,
                     "owner": record.organisation.code, "partners": " ".join(plan.partners),
                     "version": record.version, "synthetic": synthetic_label(catalogue, plan.indicator_id)})
    columns = ["plan", "title", "indicator_id", "owner", "partners", "version", "synthetic"]
    return csv_response(pd.DataFrame(rows, columns=columns), "plans.csv")


@router.get("/plans/{plan_id}/scorecard.csv", include_in_schema=False)
def scorecard_csv(*, plan_id: RowId, viewer: SignedIn, db: DB):
    """The plan page's status table, over the figures the caller sees (as the page)."""
    record = plan_or_404(db, viewer, plan_id)
    plan = store.document_of(store.current_version(db, record))
    tracked = tracking_for(db, viewer, plan)
    catalogue = tracked.catalogue
    card = pd.DataFrame(tracked.data["scorecard"], columns=SCORECARD_COLUMNS)[SCORECARD_COLUMNS]
    card = card.assign(plan=record.plan_key, indicator_id=plan.indicator_id,
                       source=catalogue[plan.indicator_id].source if plan.indicator_id in catalogue else "",
                       synthetic=synthetic_label(catalogue, plan.indicator_id))
    return csv_response(card, f"plan-{record.id}-scorecard.csv")


@router.get("/plans/{plan_id}/versions.csv", include_in_schema=False)
def versions_csv(*, plan_id: RowId, viewer: SignedIn, db: DB):
    """The plan page's versions table: who changed which fields when."""
    record = plan_or_404(db, viewer, plan_id)
    rows = [{"version": v.number, "author": v.author.email if v.author else "a former member",
             "created_at": v.created_at.isoformat(), "changed": v.changed} for v in store.versions(db, record)]
    return csv_response(pd.DataFrame(rows, columns=["version", "author", "created_at", "changed"]),
                        f"plan-{record.id}-versions.csv")


@router.post("/plans", include_in_schema=False)
def create_page(*, request: Request, viewer: SignedIn, db: DB, organisation: str = Form(...),
                document: str = Form(...)):
    if "\x00" in organisation:
        raise HTTPException(400, "organisation: a NUL character is not part of any code")
    try:
        record = _create(request, db, viewer, organisation, document)
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        db.rollback()  # refused: the plans page again with the reason, the writer's text kept
        return _plans_page(request, db, viewer, 400, exc.detail, draft=document)
    return RedirectResponse(f"/plans/{record.id}", status_code=303)


def _plan_page(request: Request, db: Session, viewer: Viewer, record: WorkspacePlan, status_code: int = 200,
               message: str | None = None, draft: str | None = None, rebased: Rebased | None = None,
               typed_comment: dict[str, str] | None = None):
    version = store.current_version(db, record)
    plan = store.document_of(version)
    tracked = tracking_for(db, viewer, plan)
    indicator = tracked.catalogue[plan.indicator_id] if plan.indicator_id in tracked.catalogue else None
    scorecard = [{**row, "shown": {c: format_value(row[c], indicator) if row[c] is not None else "–"
                                   for c in ("value", "trajectory", "target")}} for row in tracked.data["scorecard"]]
    comments = store.plan_comments(db, record)
    codes = [*plan.areas.codes, *(r["area_code"] for r in scorecard), *(c.area_code for c in comments if c.area_code)]
    return page(request, viewer, "plan.html", status_code=status_code, record=record, plan=plan, version=version,
                indicator=indicator, synthetic=bool(indicator and indicator.synthetic),
                draft=rebased.draft if rebased else draft if draft is not None else store.dump_document(plan),
                rebased=rebased, current_document=store.dump_document(plan),
                scorecard=scorecard, errors=tracked.tracking.errors,
                area_names=area_names(db, plan.indicator_id, codes), partner_names=organisation_names(db, plan.partners),
                versions=store.versions(db, record), comments=comments, message=message,
                typed_comment=typed_comment or {"body": "", "area_code": "", "period": ""},
                can_edit=any(viewer.can(o, Role.ANALYST) for o in store.member_ids(record)))


@dataclass(frozen=True)
class Rebased:
    """A stale edit carried onto the current version: the fields the editor changed are applied to it, unless
    someone else changed the same field meanwhile (a clash: theirs is kept, the editor's value is shown)."""

    base: int  # the version the editor started from
    draft: str  # the current version with the editor's own changes applied: the text the edit form now holds
    theirs: list[str]  # fields changed since the editor's version
    mine: list[str]  # fields the editor changed that are applied
    clashes: dict[str, str]  # field -> the editor's value (as JSON) where both changed it: the current one is kept


def rebase_edit(base_number: int, base: Plan, current: Plan, draft: Plan) -> Rebased | None:
    """Three-way, field by field: what the editor changed from `base` (version `base_number`), onto `current`;
    None when the result is not a valid plan (then the editor's text is shown unchanged)."""
    old, theirs, mine = base.to_dict(), current.to_dict(), draft.to_dict()
    merged, applied, clashes = dict(theirs), [], {}
    for key in sorted(old.keys() | theirs.keys() | mine.keys()):
        if mine.get(key) == old.get(key) or mine.get(key) == theirs.get(key):
            continue  # the editor did not change it, or made the same change
        if theirs.get(key) == old.get(key):
            applied.append(key)
            if key in mine:
                merged[key] = mine[key]
            else:
                merged.pop(key, None)
        else:
            clashes[key] = json.dumps(mine.get(key))
    try:
        text = store.dump_document(Plan.from_dict(merged))
    except PlanError:
        return None
    changed = sorted(k for k in old.keys() | theirs.keys() if old.get(k) != theirs.get(k))
    return Rebased(base=base_number, draft=text, theirs=changed, mine=applied, clashes=clashes)


@router.get("/plans/{plan_id}", include_in_schema=False)
def plan_page(*, plan_id: RowId, request: Request, viewer: SignedIn, db: DB):
    return _plan_page(request, db, viewer, plan_or_404(db, viewer, plan_id))


@router.post("/plans/{plan_id}/edit", include_in_schema=False)
def edit_page(*, plan_id: RowId, request: Request, viewer: SignedIn, db: DB, base_version: int = Form(...),
              document: str = Form(...)):
    record = plan_or_404(db, viewer, plan_id, Role.ANALYST)
    try:
        _edit(request, db, viewer, record, base_version, document)
    except store.StaleEdit as exc:
        record = db.get(WorkspacePlan, plan_id)
        return _plan_page(request, db, viewer, record, 409, str(exc), draft=document,
                          rebased=_rebased(db, record, base_version, exc.current, document))
    except HTTPException as exc:  # refused (unreadable, unchanged): the page again, the editor's text kept
        db.rollback()
        return _plan_page(request, db, viewer, db.get(WorkspacePlan, plan_id), exc.status_code, exc.detail,
                          draft=document)
    return RedirectResponse(f"/plans/{record.id}", status_code=303)


def _rebased(db: Session, record: WorkspacePlan, base_version: int, current, document: str) -> Rebased | None:
    """The stale edit rebased onto the current version, when the editor's version and text can be read."""
    base = next((v for v in store.versions(db, record) if v.number == base_version), None)
    try:
        draft = store.parse_document(document)
    except store.PlanStoreError:
        return None
    return base and rebase_edit(base_version, store.document_of(base), store.document_of(current), draft)


@router.get("/plans/{plan_id}/chart", include_in_schema=False)
def chart_page(*, plan_id: RowId, request: Request, viewer: SignedIn, db: DB):
    """The plans page (its chart, table, status and forecast) for this one plan, over what the viewer sees."""
    record = plan_or_404(db, viewer, plan_id)
    plan = store.document_of(store.current_version(db, record))
    tracked = tracking_for(db, viewer, plan)
    if tracked.tracking.scorecard.empty:
        raise HTTPException(404, "; ".join(str(e) for e in tracked.tracking.errors) or "nothing to chart yet")
    html = render_plans_page(tracked.tracking, tracked.catalogue, home=(f"/plans/{plan_id}", f"The plan: {plan.title}"))
    return HTMLResponse(html, headers={"content-security-policy": atlas_views.PAGE_POLICY})


# ---- comments


def _comment(db: Session, viewer: Viewer, record: WorkspacePlan, body: CommentIn) -> Comment:
    try:
        comment = store.add_comment(db, viewer.user, record.organisation_id, store.member_ids(record), body.body,
                                    plan=record, area_code=body.area_code or None, period=body.period or None)
    except store.PlanStoreError as exc:
        raise _refused(exc) from None
    db.commit()
    announce(db, record, "comment", **comment_out(comment).model_dump(mode="json"))
    return comment


@router.get("/api/plans/{plan_id}/comments", response_model=list[CommentOut])
def comments_api(*, plan_id: RowId, viewer: SignedIn, db: DB) -> list[CommentOut]:
    """The plan's comments and point annotations, oldest first."""
    return [comment_out(c) for c in store.plan_comments(db, plan_or_404(db, viewer, plan_id))]


@router.post("/api/plans/{plan_id}/comments", response_model=CommentOut, status_code=201)
def comment_api(*, plan_id: RowId, body: CommentIn, viewer: SignedIn, db: DB) -> CommentOut:
    """Comment on the plan, or annotate one point (area_code and period); @email mentions members."""
    return comment_out(_comment(db, viewer, plan_or_404(db, viewer, plan_id), body))


@router.post("/plans/{plan_id}/comments", include_in_schema=False)
def comment_page(*, plan_id: RowId, request: Request, viewer: SignedIn, db: DB, body: str = Form(...),
                 area_code: str = Form(""), period: str = Form("")):
    record = plan_or_404(db, viewer, plan_id)
    try:
        _comment(db, viewer, record, CommentIn(body=body, area_code=area_code, period=period))
    except HTTPException as exc:  # refused: the plan page again, saying why, with the comment as it was typed
        db.rollback()
        return _plan_page(request, db, viewer, db.get(WorkspacePlan, plan_id), exc.status_code, exc.detail,
                          typed_comment={"body": body, "area_code": area_code, "period": period})
    return RedirectResponse(f"/plans/{record.id}#comments", status_code=303)


def _promote(request: Request, db: Session, viewer: Viewer, plan_id: int, comment_id: int, base_version: int):
    record = plan_or_404(db, viewer, plan_id, Role.ANALYST)
    comment = db.get(Comment, comment_id)
    if comment is None or comment.plan_id != record.id:
        raise HTTPException(404, "no such comment on this plan")
    try:
        version = store.promote(db, viewer.user, record, comment, base_version, _may_change_partners(viewer, record))
    except store.PlanStoreError as exc:
        raise _refused(exc) from None
    statuses = refresh_status(db, record, store.document_of(version))
    db.commit()
    announce_version(db, record, version, statuses)
    return record


@router.post("/api/plans/{plan_id}/comments/{comment_id}/promote", response_model=PlanOut, responses=CONFLICT)
def promote_api(*, plan_id: RowId, comment_id: RowId, body: PromoteIn, request: Request, viewer: SignedIn, db: DB):
    """Make a point's annotation a rebasing change of the plan at its period (a new version)."""
    try:
        record = _promote(request, db, viewer, plan_id, comment_id, body.base_version)
    except store.StaleEdit as exc:
        return _conflict(exc)
    return plan_out(request, db, viewer, record)


@router.post("/plans/{plan_id}/comments/{comment_id}/promote", include_in_schema=False)
def promote_page(*, plan_id: RowId, comment_id: RowId, request: Request, viewer: SignedIn, db: DB,
                 base_version: int = Form(...)):
    try:
        _promote(request, db, viewer, plan_id, comment_id, base_version)
    except store.StaleEdit as exc:
        return _plan_page(request, db, viewer, plan_or_404(db, viewer, plan_id), 409, str(exc))
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


@router.get("/api/indicators/{indicator_id}/comments", response_model=list[CommentOut])
def indicator_comments_api(*, indicator_id: IndicatorId, viewer: SignedIn, db: DB) -> list[CommentOut]:
    """Comments on an indicator written in any of the caller's organisations."""
    return [comment_out(c) for c in store.indicator_comments(db, indicator_id, set(viewer.roles))]


@router.post("/api/indicators/{indicator_id}/comments", response_model=CommentOut, status_code=201)
def indicator_comment_api(*, indicator_id: IndicatorId, body: IndicatorCommentIn, viewer: SignedIn, db: DB) -> CommentOut:
    """Comment on an indicator inside one of the caller's organisations (its members read it)."""
    organisation = member_organisation(db, viewer, body.organisation)
    try:
        comment = store.add_comment(db, viewer.user, organisation.id, {organisation.id}, body.body,
                                    indicator_id=indicator_id)
    except store.PlanStoreError as exc:
        raise _refused(exc) from None
    db.commit()
    webhooks.notify(db, {organisation.id}, "comment", comment_out(comment).model_dump(mode="json"))
    return comment_out(comment)
