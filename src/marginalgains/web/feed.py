"""Each person's activity feed (HTML and JSON): data a partner published, a plan's status changed, a mention.

The feed is read from the store as it is asked for: partners' published batches, the status changes
recorded for the plans the person sees (statuses are refreshed over the owners' figures first, so data
published since the last look show up), and the comments that mention them.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.store import plans as store
from marginalgains.store.models import (
    Batch, BatchStatus, Comment, Mention, Organisation, PlanStatusEvent, SharingAgreement,
)
from marginalgains.web.auth import Viewer
from marginalgains.web.deps import DB, SignedIn
from marginalgains.web.plans import refresh_status
from marginalgains.web.render import page

router = APIRouter()
FEED_LENGTH = 200


class ActivityOut(BaseModel):
    kind: str  # published | status | mention
    at: datetime
    text: str
    link: str


def _partner_ids(db: Session, own: set[int], plans) -> set[int]:
    """Organisations sharing figures with one of the person's, or working on a plan with one of them."""
    sharing = set(db.scalars(select(SharingAgreement.owner_id).where(SharingAgreement.partner_id.in_(own),
                                                                     SharingAgreement.revoked_at.is_(None))))
    return (sharing | {o for p in plans for o in store.member_ids(p)}) - own


def _published(db: Session, partner_ids: set[int]) -> list[ActivityOut]:
    rows = db.execute(select(Batch, Organisation).join(Organisation, Organisation.id == Batch.organisation_id)
                      .where(Batch.status == BatchStatus.PUBLISHED, Batch.organisation_id.in_(partner_ids)))
    return [ActivityOut(kind="published", at=b.decided_at,
                        text=f"{o.name} ({o.code}) published {b.filename}: {b.rows_accepted} values",
                        link="/atlas") for b, o in rows]


def _statuses(db: Session, plans) -> list[ActivityOut]:
    by_id = {p.id: p for p in plans}
    events = db.scalars(select(PlanStatusEvent).where(PlanStatusEvent.plan_id.in_(by_id),
                                                      PlanStatusEvent.previous.is_not(None)))
    return [ActivityOut(kind="status", at=e.at, text=f"plan {by_id[e.plan_id].plan_key} in {e.area_code}: "
                        f"{e.previous} → {e.status}", link=f"/plans/{e.plan_id}") for e in events]


def _mentions(db: Session, viewer: Viewer, plans) -> list[ActivityOut]:
    visible = {p.id for p in plans}
    rows = db.scalars(select(Comment).join(Mention, Mention.comment_id == Comment.id)
                      .where(Mention.user_id == viewer.user.id))
    out = []
    for comment in rows:
        if comment.plan_id is not None and comment.plan_id not in visible:
            continue
        if comment.plan_id is None and comment.organisation_id not in viewer.roles:
            continue
        where = f"plan {comment.plan_id}" if comment.plan_id else f"indicator {comment.indicator_id}"
        author = comment.author.email if comment.author else "a former member"
        out.append(ActivityOut(kind="mention", at=comment.created_at, text=f"{author} mentioned you on {where}: "
                               f"{comment.body}", link=f"/plans/{comment.plan_id}#comments" if comment.plan_id
                               else f"/api/indicators/{comment.indicator_id}/comments"))
    return out


def activity(db: Session, viewer: Viewer) -> list[ActivityOut]:
    """The person's feed, newest first."""
    own = set(viewer.roles)
    plans = store.visible_plans(db, own)
    for record in plans:
        refresh_status(db, record, store.document_of(store.current_version(db, record)))
    db.commit()
    items = _published(db, _partner_ids(db, own, plans)) + _statuses(db, plans) + _mentions(db, viewer, plans)
    return sorted(items, key=lambda i: i.at, reverse=True)[:FEED_LENGTH]


@router.get("/api/feed", response_model=list[ActivityOut])
def feed_api(*, viewer: SignedIn, db: DB) -> list[ActivityOut]:
    """The caller's activity: partners' published data, status changes of plans they see, mentions of them."""
    return activity(db, viewer)


@router.get("/feed", include_in_schema=False)
def feed_page(*, request: Request, viewer: SignedIn, db: DB):
    return page(request, viewer, "feed.html", items=activity(db, viewer))
