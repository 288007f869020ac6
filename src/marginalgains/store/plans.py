"""Plans in the workspace: versioned plan documents shared by an owner and its partners, comments with
@mentions (on a plan, on one of its SPC points, on an indicator), and status changes for the activity feed.

A plan's content is the plans library's plain data (`Plan.to_dict`), kept whole in every version. An edit
names the version it was based on; if that is no longer the current one the edit is refused with the
current version (`StaleEdit`), never applied over it: the version bump is a conditional UPDATE and the
(plan, number) pair is unique, so of two edits based on one version exactly one lands.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marginalgains.errors import GainsError
from marginalgains.plans import Change, Plan, PlanError, dump_plans, plans_from_text
from marginalgains.store.models import (
    Comment, Membership, Mention, Organisation, PlanPartner, PlanStatusEvent, PlanVersion, User, WorkspacePlan,
)

MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
MAX_COMMENT = 10_000


class PlanStoreError(GainsError):
    """A plan document or comment the workspace refuses; the message names the field and the reason."""


class StaleEdit(GainsError):
    """An edit based on a version that is no longer the plan's current one."""

    def __init__(self, current: PlanVersion):
        self.current = current
        super().__init__(f"base_version: the plan is at version {current.number}, changed by someone else since; "
                         "read it and apply your change to it")


def parse_document(text: str) -> Plan:
    """One plan from its YAML or JSON form, checked by `Plan.from_dict` (errors name the field)."""
    try:
        plans, errors = plans_from_text("the plan document", text)
    except PlanError as exc:
        raise PlanStoreError(str(exc)) from None
    if errors:
        raise PlanStoreError(str(errors[0]))
    if len(plans) != 1:
        raise PlanStoreError(f"document: holds {len(plans)} plans; a workspace plan is one plan")
    return plans[0]


def document_of(version: PlanVersion) -> Plan:
    return Plan.from_dict(json.loads(version.document))


def current_version(db: Session, plan: WorkspacePlan) -> PlanVersion:
    return db.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id,
                                                PlanVersion.number == plan.version)).one()


def versions(db: Session, plan: WorkspacePlan) -> list[PlanVersion]:
    return list(db.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.number)))


def member_ids(plan: WorkspacePlan) -> set[int]:
    """The organisations whose members see the plan: its owner and its partners."""
    return {plan.organisation_id} | {p.organisation_id for p in plan.partners}


def _partner_organisations(db: Session, owner: Organisation, plan: Plan) -> list[Organisation]:
    partners = []
    for code in plan.partners:
        organisation = db.scalar(select(Organisation).where(Organisation.code == code))
        if organisation is None:
            raise PlanStoreError(f"partners: no organisation in the workspace has the code {code!r}")
        if organisation.id == owner.id:
            raise PlanStoreError(f"partners: {code} owns the plan; partners are other organisations")
        partners.append(organisation)
    return partners


def create_plan(db: Session, author: User, owner: Organisation, plan: Plan) -> WorkspacePlan:
    """Version 1 of a new plan of `owner` (the document's owner.organisation must be its code)."""
    if plan.owner.organisation != owner.code:
        raise PlanStoreError(f"owner.organisation: the document names {plan.owner.organisation!r}; a plan created "
                             f"in {owner.code} must name {owner.code}")
    partners = _partner_organisations(db, owner, plan)
    if db.scalar(select(WorkspacePlan.id).where(WorkspacePlan.organisation_id == owner.id,
                                                WorkspacePlan.plan_key == plan.id)) is not None:
        raise PlanStoreError(f"id: {owner.code} already has a plan with the id {plan.id!r}")
    record = WorkspacePlan(organisation=owner, plan_key=plan.id, version=1,
                           partners=[PlanPartner(organisation=o) for o in partners])
    db.add(record)
    db.flush()
    db.add(PlanVersion(plan_id=record.id, number=1, document=json.dumps(plan.to_dict()), changed="created",
                       author_id=author.id))
    db.flush()
    return record


def changed_fields(before: Plan, after: Plan) -> list[str]:
    old, new = before.to_dict(), after.to_dict()
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def edit_plan(db: Session, author: User, record: WorkspacePlan, base_version: int, plan: Plan,
              may_change_partners: bool) -> PlanVersion:
    """A new version of `record` from `plan`, if `base_version` is still its current one (else StaleEdit)."""
    current = current_version(db, record)
    if base_version != record.version:
        raise StaleEdit(current)
    before = document_of(current)
    if plan.id != before.id:
        raise PlanStoreError(f"id: a plan keeps its id ({before.id!r}); create a new plan instead")
    if plan.owner.organisation != before.owner.organisation:
        raise PlanStoreError(f"owner.organisation: the plan belongs to {before.owner.organisation}; it cannot move")
    if set(plan.partners) != set(before.partners) and not may_change_partners:
        raise PlanStoreError("partners: only the owner's analysts change who the partners are")
    changed = changed_fields(before, plan)
    if not changed:
        raise PlanStoreError("document: nothing changed from the current version")
    partners = _partner_organisations(db, record.organisation, plan)
    number = base_version + 1
    bumped = db.execute(update(WorkspacePlan).where(WorkspacePlan.id == record.id, WorkspacePlan.version == base_version)
                        .values(version=number).execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        db.rollback()
        raise StaleEdit(current_version(db, db.get(WorkspacePlan, record.id, populate_existing=True)))
    version = PlanVersion(plan_id=record.id, number=number, document=json.dumps(plan.to_dict()),
                          changed=", ".join(changed), author_id=author.id)
    db.add(version)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise StaleEdit(current_version(db, db.get(WorkspacePlan, record.id, populate_existing=True))) from None
    db.refresh(record)
    _set_partners(db, record, partners)
    return version


def _set_partners(db: Session, record: WorkspacePlan, partners: list[Organisation]) -> None:
    wanted = {o.id for o in partners}
    record.partners = [p for p in record.partners if p.organisation_id in wanted] + [
        PlanPartner(organisation=o) for o in partners if o.id not in {p.organisation_id for p in record.partners}]
    db.flush()


def _mentioned(db: Session, body: str, readers: set[int]) -> list[User]:
    """The people a comment @mentions by email; each must be a member of an organisation that reads it."""
    people = []
    for email in dict.fromkeys(m.lower() for m in MENTION.findall(body)):
        user = db.scalar(select(User).join(Membership).where(User.email == email,
                                                            Membership.organisation_id.in_(readers)))
        if user is None:
            raise PlanStoreError(f"body: @{email} is not a member of an organisation that can read this comment")
        people.append(user)
    return people


def add_comment(db: Session, author: User, organisation_id: int, readers: set[int], body: str, *,
                plan: WorkspacePlan | None = None, indicator_id: str | None = None, area_code: str | None = None,
                period: str | None = None) -> Comment:
    """A comment (kept as the text written) and its mentions; a point needs both its area and its period."""
    body = body.strip()
    if not body:
        raise PlanStoreError("body: a comment needs some text")
    if len(body) > MAX_COMMENT:
        raise PlanStoreError(f"body: longer than {MAX_COMMENT} characters")
    if "\x00" in body + (area_code or "") + (period or ""):
        raise PlanStoreError("body: a NUL character is not text")
    if (area_code is None) != (period is None):
        raise PlanStoreError("period: a comment on a point names both its area_code and its period")
    comment = Comment(organisation_id=organisation_id, plan_id=plan.id if plan else None, indicator_id=indicator_id,
                      area_code=area_code, period=period, body=body, author_id=author.id,
                      mentions=[Mention(user=u) for u in _mentioned(db, body, readers)])
    db.add(comment)
    db.flush()
    return comment


def plan_comments(db: Session, plan: WorkspacePlan) -> list[Comment]:
    return list(db.scalars(select(Comment).where(Comment.plan_id == plan.id).order_by(Comment.id)))


def indicator_comments(db: Session, indicator_id: str, organisation_ids: set[int]) -> list[Comment]:
    return list(db.scalars(select(Comment).where(Comment.indicator_id == indicator_id, Comment.plan_id.is_(None),
                                                 Comment.organisation_id.in_(organisation_ids)).order_by(Comment.id)))


def promote(db: Session, author: User, record: WorkspacePlan, comment: Comment, base_version: int,
            may_change_partners: bool) -> PlanVersion:
    """A point's annotation made a rebasing change of the plan at its period: a new plan version."""
    if comment.plan_id != record.id or comment.period is None:
        raise PlanStoreError("comment: only an annotation on one of this plan's points can become a plan change")
    if comment.promoted_to_version is not None:
        raise PlanStoreError(f"comment: already promoted to version {comment.promoted_to_version}")
    plan = document_of(current_version(db, record))
    author_name = comment.author.email if comment.author else "a former member"
    change = Change(date=comment.period, event=comment.body, reason=f"annotation by {author_name} on "
                    f"{comment.area_code}", rebase=True)
    version = edit_plan(db, author, record, base_version, replace(plan, changes=(*plan.changes, change)),
                        may_change_partners)
    comment.promoted_to_version = version.number
    db.flush()
    return version


def record_statuses(db: Session, record: WorkspacePlan, statuses: dict[str, str]) -> list[PlanStatusEvent]:
    """Store each area's status that differs from the last one recorded (the feed's 'status changed')."""
    last: dict[str, str] = {}
    for event in db.scalars(select(PlanStatusEvent).where(PlanStatusEvent.plan_id == record.id)
                            .order_by(PlanStatusEvent.id)):
        last[event.area_code] = event.status
    events = [PlanStatusEvent(plan_id=record.id, area_code=area, status=status, previous=last.get(area))
              for area, status in sorted(statuses.items()) if last.get(area) != status]
    db.add_all(events)
    db.flush()
    return events


def visible_plans(db: Session, organisation_ids: set[int]) -> list[WorkspacePlan]:
    """Plans owned by, or partnered with, any of these organisations."""
    partnered = select(PlanPartner.plan_id).where(PlanPartner.organisation_id.in_(organisation_ids))
    return list(db.scalars(select(WorkspacePlan).where(WorkspacePlan.organisation_id.in_(organisation_ids)
                                                       | WorkspacePlan.id.in_(partnered)).order_by(WorkspacePlan.id)))


def dump_document(plan: Plan) -> str:
    """The plan as the YAML its edit form starts from (read back by `parse_document`)."""
    return dump_plans([plan])
