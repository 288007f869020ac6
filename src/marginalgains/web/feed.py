"""Each person's activity feed (HTML and JSON) and each organisation's webhook of the same kinds: data a partner
published, a plan's status changed, a new special-cause signal in an area they follow, a mention.

The feed is read from the store as it is asked for: partners' published batches, the status changes
recorded for the plans the person sees (statuses are refreshed over the owners' figures first, so data
published since the last look show up), the signals found in the areas they follow (`follows`, protected
as the atlas is), and the comments that mention them. Each kind is also POSTed to the webhooks of the
organisations whose members would see it, when it happens (`announce_publication` after a publication).
Items of SYNTHETIC data say so in their text.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.io.catalogue import Catalogue
from marginalgains.plans import Plan
from marginalgains.store import plans as store
from marginalgains.store.models import (
    Batch, BatchStatus, Comment, Mention, PlanStatusEvent, Role, SharingAgreement, SpcSignal,
    WorkspacePlan,
)
from marginalgains.web import follows, webhooks
from marginalgains.web.auth import Viewer
from marginalgains.web.deps import DB, SignedIn
from marginalgains.web.plans import announce, refresh_status
from marginalgains.web.render import csv_response, page
from marginalgains.web.visibility import workspace_catalogue

router = APIRouter()
FEED_LENGTH = 200


SYNTHETIC = "SYNTHETIC: "  # the start of every item about SYNTHETIC data


class ActivityOut(BaseModel):
    kind: str  # published | status | signal | mention
    at: datetime
    text: str
    link: str
    synthetic: bool  # about SYNTHETIC data (generated for demonstration; no real patients or areas)


def _labelled(text: str, synthetic: bool) -> str:
    return SYNTHETIC + text if synthetic else text


def _partner_ids(db: Session, own: set[int], plans) -> set[int]:
    """Organisations sharing figures with one of the person's, or working on a plan with one of them."""
    sharing = set(db.scalars(select(SharingAgreement.owner_id).where(SharingAgreement.partner_id.in_(own),
                                                                     SharingAgreement.revoked_at.is_(None))))
    return (sharing | {o for p in plans for o in store.member_ids(p)}) - own


def published_item(batch: Batch) -> ActivityOut:
    synthetic = any(i.synthetic for i in batch.indicators)
    organisation = batch.organisation
    return ActivityOut(kind="published", at=batch.decided_at, synthetic=synthetic, link="/atlas",
                       text=_labelled(f"{organisation.name} ({organisation.code}) published {batch.filename}: "
                                      f"{batch.rows_accepted} values", synthetic))


def _published(db: Session, partner_ids: set[int]) -> list[ActivityOut]:
    rows = db.scalars(select(Batch).where(Batch.status == BatchStatus.PUBLISHED, Batch.organisation_id.in_(partner_ids)))
    return [published_item(b) for b in rows]


def _synthetic_plan(record: WorkspacePlan, catalogue: Catalogue, plan_documents: dict) -> bool:
    indicator_id = plan_documents[record.id].indicator_id
    return indicator_id in catalogue and catalogue[indicator_id].synthetic


def _statuses(db: Session, plans, catalogue: Catalogue, documents: dict) -> list[ActivityOut]:
    by_id = {p.id: p for p in plans}
    events = db.scalars(select(PlanStatusEvent).where(PlanStatusEvent.plan_id.in_(by_id),
                                                      PlanStatusEvent.previous.is_not(None)))
    items = []
    for e in events:
        synthetic = _synthetic_plan(by_id[e.plan_id], catalogue, documents)
        items.append(ActivityOut(kind="status", at=e.at, synthetic=synthetic, link=f"/plans/{e.plan_id}", text=_labelled(
            f"plan {_plan_name(documents[e.plan_id])} in {e.area_code}: {e.previous} → {e.status}", synthetic)))
    return items


def _plan_name(document: Plan) -> str:
    """A plan as the feed names it: its title, then its id ("“Four hours” (ae-rj7)")."""
    return f"“{document.title}” ({document.id})"


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}{unit}" if unit == "%" else f"{value:,.1f} {unit}".rstrip()


def signal_text(group: follows.SignalGroup, catalogue: Catalogue) -> str:
    """One new signal, said as a board would read it: where, what, when, how far from the limits."""
    indicator = catalogue[group.indicator_id] if group.indicator_id in catalogue else None
    title, unit = (indicator.title, indicator.unit) if indicator else (group.indicator_id, "")
    latest = group.points[-1]
    periods = (latest.period if len(group.points) == 1 else
               f"{group.points[0].period} to {latest.period} ({len(group.points)} points)")
    rules = ", ".join(sorted({p.rule.replace("_", " ") for p in group.points}))
    kind = group.point_type.removeprefix("special_cause_").replace("_", " ")
    return _labelled(f"new special-cause signal ({kind}) in {group.area_code}, {title} ({group.indicator_id}), "
                     f"{periods}: {_figure(latest.value, unit)} ({rules}; mean {_figure(latest.mean, unit)}, "
                     f"process limits {_figure(latest.lpl, unit)} to {_figure(latest.upl, unit)})",
                     bool(indicator and indicator.synthetic))


def signal_item(group: follows.SignalGroup, catalogue: Catalogue) -> ActivityOut:
    synthetic = group.indicator_id in catalogue and catalogue[group.indicator_id].synthetic
    return ActivityOut(kind="signal", at=group.detected_at, text=signal_text(group, catalogue), synthetic=synthetic,
                       link=f"/atlas#{group.indicator_id}")


def _signals(request: Request, db: Session, viewer: Viewer, catalogue: Catalogue) -> list[ActivityOut]:
    seen = follows.visible_signals(request, db, viewer, follows.followed_signals(db, viewer.user))
    return [signal_item(g, catalogue) for g in follows.grouped(seen)]


def _mentions(db: Session, viewer: Viewer, plans, catalogue: Catalogue, documents: dict) -> list[ActivityOut]:
    visible = {p.id for p in plans}
    rows = db.scalars(select(Comment).join(Mention, Mention.comment_id == Comment.id)
                      .where(Mention.user_id == viewer.user.id))
    out = []
    for comment in rows:
        if comment.plan_id is not None and comment.plan_id not in visible:
            continue
        if comment.plan_id is None and comment.organisation_id not in viewer.roles:
            continue
        out.append(mention_item(comment, catalogue, documents))
    return out


def mention_item(comment: Comment, catalogue: Catalogue, documents: dict) -> ActivityOut:
    where = f"plan {_plan_name(documents[comment.plan_id])}" if comment.plan_id else f"indicator {comment.indicator_id}"
    indicator_id = documents[comment.plan_id].indicator_id if comment.plan_id else comment.indicator_id
    synthetic = indicator_id in catalogue and catalogue[indicator_id].synthetic
    author = comment.author.email if comment.author else "a former member"
    return ActivityOut(kind="mention", at=comment.created_at, synthetic=synthetic,
                       text=_labelled(f"{author} mentioned you on {where}: {comment.body}", synthetic),
                       link=f"/plans/{comment.plan_id}#comments" if comment.plan_id
                       else f"/api/indicators/{comment.indicator_id}/comments")


def refresh_statuses(db: Session, records: list[WorkspacePlan]) -> None:
    """Track each plan over its owner's figures, record the statuses that changed, commit, and announce each
    change to the webhooks of the plan's owner and partners (each change is recorded, so announced, once)."""
    changed = [(r, refresh_status(db, r, store.document_of(store.current_version(db, r)))) for r in records]
    db.commit()
    for record, statuses in changed:
        for status in statuses:
            announce(db, record, "plan.status", **status)


def _documents(db: Session, plans) -> dict:
    return {p.id: store.document_of(store.current_version(db, p)) for p in plans}


def activity(request: Request, db: Session, viewer: Viewer) -> list[ActivityOut]:
    """The person's feed, newest first."""
    own = set(viewer.roles)
    plans = store.visible_plans(db, own)
    refresh_statuses(db, plans)
    catalogue, documents = workspace_catalogue(db), _documents(db, plans)
    items = (_published(db, _partner_ids(db, own, plans)) + _statuses(db, plans, catalogue, documents)
             + _signals(request, db, viewer, catalogue) + _mentions(db, viewer, plans, catalogue, documents))
    return sorted(items, key=lambda i: i.at, reverse=True)[:FEED_LENGTH]


@router.get("/api/feed", response_model=list[ActivityOut])
def feed_api(*, request: Request, viewer: SignedIn, db: DB) -> list[ActivityOut]:
    """The caller's activity: partners' published data, status changes of plans they see, new special-cause
    signals in areas they follow, mentions of them."""
    return activity(request, db, viewer)


@router.get("/feed", include_in_schema=False)
def feed_page(*, request: Request, viewer: SignedIn, db: DB):
    return page(request, viewer, "feed.html", items=activity(request, db, viewer))


@router.get("/feed.csv", include_in_schema=False)
def feed_csv(*, request: Request, viewer: SignedIn, db: DB):
    """The feed as a CSV (formula-safe: a comment's text stays text); rows of SYNTHETIC data say so."""
    rows = [{"at": i.at.isoformat(), "kind": i.kind, "text": i.text, "link": i.link,
             "synthetic": "SYNTHETIC" if i.synthetic else ""} for i in activity(request, db, viewer)]
    return csv_response(pd.DataFrame(rows, columns=["at", "kind", "text", "link", "synthetic"]), "activity.csv")


# ---- webhooks of a publication's activity


def publication_audience(db: Session, organisation_id: int) -> set[int]:
    """The organisations in whose members' feeds this organisation's publications appear: those it shares its
    figures with, and those working on a plan with it."""
    sharing = set(db.scalars(select(SharingAgreement.partner_id).where(SharingAgreement.owner_id == organisation_id,
                                                                       SharingAgreement.revoked_at.is_(None))))
    plans = store.visible_plans(db, {organisation_id})
    return (sharing | {o for p in plans for o in store.member_ids(p)}) - {organisation_id}


def announce_publication(request: Request, db: Session, batch: Batch, signals: list[SpcSignal]) -> None:
    """After a publication is committed: `published` to the partners' webhooks, the plan statuses it changed
    (`plan.status`), and each new signal (`signal`) to the organisations whose members follow its area,
    protected as that organisation sees the atlas (a signal it may not see is not sent)."""
    item = published_item(batch)
    webhooks.notify(db, publication_audience(db, batch.organisation_id), "published",
                    {"organisation": batch.organisation.code, "batch": batch.id, "filename": batch.filename,
                     "rows_accepted": batch.rows_accepted, "indicators": [i.indicator_id for i in batch.indicators],
                     "synthetic": item.synthetic, "text": item.text})
    indicators = {i.indicator_id for i in batch.indicators}
    records = list(db.scalars(select(WorkspacePlan).order_by(WorkspacePlan.id)))
    refresh_statuses(db, [r for r in records
                          if store.document_of(store.current_version(db, r)).indicator_id in indicators])
    catalogue = workspace_catalogue(db)
    for organisation_id, candidates in follows.followers_organisations(db, signals).items():
        seen = follows.visible_signals(request, db, Viewer(roles={organisation_id: Role.VIEWER}), candidates)
        for group in follows.grouped(seen):
            latest = group.points[-1]
            webhooks.notify(db, {organisation_id}, "signal", {
                "indicator_id": group.indicator_id, "area_code": group.area_code, "point_type": group.point_type,
                "rules": sorted({p.rule for p in group.points}), "periods": [p.period for p in group.points],
                "value": latest.value, "mean": latest.mean, "lpl": latest.lpl, "upl": latest.upl,
                "batch": batch.id, "synthetic": signal_item(group, catalogue).synthetic,
                "text": signal_text(group, catalogue)})
