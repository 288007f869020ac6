"""Following areas, and the special-cause signals found in them when new data are published.

A person follows areas of an indicator. When a batch is published, the atlas's own XmR charts
(`marginalgains.atlas.spc_series`, over the library's `stats.spc`) are drawn for the followed areas
of the batch's indicators over the workspace's current values (the latest published batch is the
figure, as in the atlas), once just before the batch is published and once just after, in the same
transaction: each special-cause point that was not one before is a new signal, stored with the batch.

Signals are found on the true figures; reading one is protected. A viewer who sees the area's
figures in full (its owner, a partner it shares with, the area's own organisation) sees every signal
there. Anyone else sees a signal only while the atlas shaped for them (`visibility.protect_atlas`,
the one layer) still holds that area's SPC series with that point's value (an area any of whose
yearly counts is suppressed for them has its whole series withheld there), and only when the
workspace's disclosure rule would publish that month's own counts to them: a signal says where its
month's figure lies against the limits, and names it, so a month whose count is small stays hidden
however large the year's total is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import attrgetter

import numpy as np
import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marginalgains.atlas import spc_series
from marginalgains.disclosure import protect_values
from marginalgains.io.values import check_values
from marginalgains.model import VALUE_INPUTS
from marginalgains.store import batches
from marginalgains.store.models import Batch, BatchStatus, Follow, Membership, SpcSignal, User, Value
from marginalgains.web import atlas_views
from marginalgains.web.auth import Viewer
from marginalgains.web.deps import DB, NO_NUL, RowId, SignedIn, Text
from marginalgains.store.settings import disclosure_rule
from marginalgains.web.render import csv_response, page
from marginalgains.web.visibility import audience_for, shown_in_full, workspace_atlas, workspace_catalogue

router = APIRouter()
POINT_KEYS = ["indicator_id", "area_code", "period", "point_type"]
SIGNAL_COLUMNS = POINT_KEYS + ["rule", "value", "mean", "lpl", "upl"]
COMMON_CAUSE = "common_cause"


class FollowIn(BaseModel):
    indicator_id: Text
    area_code: Text


class FollowOut(BaseModel):
    id: int
    indicator_id: str
    area_code: str
    created_at: datetime


# ---- finding new signals at publication


def followed_areas(db: Session, indicator_ids: Iterable[str]) -> list[tuple[str, str, int | None]]:
    """(indicator, area, organisation of a follower, None for a follower of none) for every followed area of
    these indicators, whoever follows it. On PostgreSQL row-level security shows a request only its own
    organisations' members' follows, so this reads through the owner's `followed_areas` function (migration
    0009), which answers this and names nobody."""
    indicators = sorted(set(indicator_ids))
    if db.get_bind().dialect.name == "postgresql":
        return [tuple(row) for row in db.execute(text("SELECT * FROM followed_areas(:i)"), {"i": indicators})]
    return [tuple(row) for row in db.execute(
        select(Follow.indicator_id, Follow.area_code, Membership.organisation_id)
        .outerjoin(Membership, Membership.user_id == Follow.user_id)
        .where(Follow.indicator_id.in_(indicators)).distinct())]


def _followed_pairs(db: Session, indicator_ids: Iterable[str]) -> pd.DataFrame:
    pairs = {(indicator_id, area_code) for indicator_id, area_code, _ in followed_areas(db, indicator_ids)}
    return pd.DataFrame(sorted(pairs), columns=["indicator_id", "area_code"])


def special_cause_points(db: Session, indicator_ids: Iterable[str]) -> pd.DataFrame:
    """The special-cause points of every followed area of these indicators, as the atlas's XmR charts judge
    them over the current published values (SPC series are drawn per area, so charting the followed areas
    alone gives each the points the whole atlas gives it)."""
    pairs = _followed_pairs(db, indicator_ids)
    if pairs.empty:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    values = pd.concat([batches.current_values(db, i) for i in sorted(set(pairs["indicator_id"]))], ignore_index=True)
    values = values.sort_values("batch_id").drop_duplicates(["indicator_id", "area_code", "period"], keep="last")
    values = values.merge(pairs, on=["indicator_id", "area_code"])
    catalogue = workspace_catalogue(db)
    values = values[values["indicator_id"].isin(list(catalogue.indicators))]
    if values.empty:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    read = check_values(values[VALUE_INPUTS].astype({"numerator": float, "denominator": float}), catalogue,
                        "the workspace's published values")
    points = spc_series(read.values, catalogue) if len(read.values) else pd.DataFrame()
    if points.empty:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    points = points.astype({"point_type": str, "rule": str, "period": str, "area_code": str, "indicator_id": str})
    return points.loc[points["point_type"] != COMMON_CAUSE, SIGNAL_COLUMNS].reset_index(drop=True)


def publish_watching_signals(db: Session, batch: Batch, user: User | None) -> tuple[int, list[SpcSignal]]:
    """`batches.publish`, and the special-cause signals it made new in followed areas recorded with the batch
    (the caller commits both in one transaction). Returns the values superseded and the new signals."""
    indicator_ids = [i.indicator_id for i in batch.indicators]
    before = special_cause_points(db, indicator_ids)
    superseded = batches.publish(db, batch, user)
    after = special_cause_points(db, indicator_ids)
    fresh = after.merge(before[POINT_KEYS].drop_duplicates(), on=POINT_KEYS, how="left", indicator=True)
    fresh = fresh[fresh["_merge"] == "left_only"].drop(columns="_merge")
    signals = [SpcSignal(batch_id=batch.id, **{k: (None if pd.isna(v) else v) for k, v in row.items()})
               for row in fresh.astype(object).to_dict("records")]
    db.add_all(signals)
    db.flush()
    return superseded, signals


# ---- who may see which signal


def _shown_points(request: Request, db: Session, viewer: Viewer) -> tuple[set[tuple[str, str]], dict[tuple, float]]:
    """The indicator x areas the viewer sees in full, and every SPC point (indicator, area, period: value) of
    the atlas as shaped for them."""
    built = workspace_atlas(db, str(request.app.state.store.engine.url))
    full = shown_in_full(built.owners, audience_for(db, viewer))
    spc = atlas_views.shaped_for(request, db, viewer).atlas
    spc = spc.spc if spc is not None else pd.DataFrame()
    points = {} if spc.empty else dict(zip(zip(spc["indicator_id"].astype(str), spc["area_code"].astype(str),
                                               spc["period"].astype(str)), spc["value"].astype(float)))
    return set(zip(full["indicator_id"], full["area_code"])), points


def _published_points(db: Session, indicator_id: str, periods: set[str], full_areas: set[str]) -> set[tuple]:
    """(area, period) of the indicator whose own counts the workspace's rule publishes to an audience seeing
    `full_areas` in full, over every area of those periods (the atlas charts months whose counts its yearly
    tables would hide; a signal names its month's value, so the month itself must be publishable)."""
    values = batches.current_values(db, indicator_id)
    values = values[values["period"].isin(periods)].sort_values("batch_id")
    values = values.drop_duplicates(["indicator_id", "area_code", "period"], keep="last").reset_index(drop=True)
    measure = workspace_catalogue(db)[indicator_id].measure
    protected = protect_values(values[VALUE_INPUTS], disclosure_rule(db), audience=sorted(full_areas) or None,
                               measures={indicator_id: measure}).table
    shown = protected["numerator"].notna() & protected["denominator"].notna() & (protected["value_status"] != "follows")
    return set(zip(values.loc[shown, "area_code"].astype(str), values.loc[shown, "period"].astype(str)))


def visible_signals(request: Request, db: Session, viewer: Viewer, signals: list[SpcSignal]) -> list[SpcSignal]:
    """The signals this viewer may see: every one in an area it sees in full; any other only while the atlas
    shaped for it holds the point with that value and the point's own month is publishable to it by the rule."""
    if not signals:
        return []
    full, shown = _shown_points(request, db, viewer)
    protected = [s for s in signals if (s.indicator_id, s.area_code) not in full
                 and np.isclose(shown.get((s.indicator_id, s.area_code, s.period), np.nan), s.value)]
    publishable = set()
    for indicator_id in {s.indicator_id for s in protected}:
        periods = {s.period for s in protected if s.indicator_id == indicator_id}
        areas = {a for i, a in full if i == indicator_id}
        publishable |= {(indicator_id, *p) for p in _published_points(db, indicator_id, periods, areas)}
    protected_ids = {s.id for s in protected}
    return [s for s in signals if (s.indicator_id, s.area_code) in full
            or (s.id in protected_ids and (s.indicator_id, s.area_code, s.period) in publishable)]


def followed_signals(db: Session, user: User) -> list[SpcSignal]:
    """Signals found in the areas the person follows since they began following them."""
    return list(db.scalars(
        select(SpcSignal).join(Follow, (Follow.indicator_id == SpcSignal.indicator_id)
                               & (Follow.area_code == SpcSignal.area_code))
        .where(Follow.user_id == user.id, SpcSignal.detected_at >= Follow.created_at).order_by(SpcSignal.id)))


def followers_organisations(db: Session, signals: list[SpcSignal]) -> dict[int, list[SpcSignal]]:
    """Per organisation, the signals in areas one of its members follows (for its webhook)."""
    if not signals:
        return {}
    followed: dict[int, set[tuple[str, str]]] = {}
    for indicator_id, area_code, organisation_id in followed_areas(db, {s.indicator_id for s in signals}):
        if organisation_id is not None:
            followed.setdefault(organisation_id, set()).add((indicator_id, area_code))
    return {o: [s for s in signals if (s.indicator_id, s.area_code) in pairs] for o, pairs in followed.items()}


@dataclass(frozen=True)
class SignalGroup:
    """The new special-cause points of one area, of one kind, found at one publication: one feed item."""

    batch_id: int
    indicator_id: str
    area_code: str
    point_type: str
    points: tuple[SpcSignal, ...]

    @property
    def detected_at(self) -> datetime:
        return self.points[0].detected_at


def grouped(signals: list[SpcSignal]) -> list[SignalGroup]:
    """One group per publication, indicator, area and kind of signal, its points in period order."""
    key = attrgetter("batch_id", "indicator_id", "area_code", "point_type")
    return [SignalGroup(*k, tuple(sorted(g, key=attrgetter("period")))) for k, g in groupby(sorted(signals, key=key), key)]


# ---- following, as pages and JSON


def _follow(db: Session, viewer: Viewer, body: FollowIn) -> Follow:
    """Follow an area of an indicator with published values (its name and code are no secret: the atlas lists
    every area it holds, protected or not)."""
    if body.indicator_id not in workspace_catalogue(db):
        raise HTTPException(400, f"indicator_id: {body.indicator_id!r} has no published values in the workspace")
    published = (select(Value.id).join(Batch, Batch.id == Value.batch_id)
                 .where(Batch.status == BatchStatus.PUBLISHED, Value.indicator_id == body.indicator_id,
                        Value.area_code == body.area_code).limit(1))
    if db.scalar(published) is None:
        raise HTTPException(400, f"area_code: {body.area_code!r} has no published values of {body.indicator_id}")
    existing = db.scalar(select(Follow).where(Follow.user_id == viewer.user.id,
                                              Follow.indicator_id == body.indicator_id,
                                              Follow.area_code == body.area_code))
    if existing is not None:
        return existing
    follow = Follow(user_id=viewer.user.id, indicator_id=body.indicator_id, area_code=body.area_code)
    db.add(follow)
    db.commit()
    return follow


def _follows(db: Session, viewer: Viewer) -> list[Follow]:
    return list(db.scalars(select(Follow).where(Follow.user_id == viewer.user.id).order_by(Follow.id)))


def _unfollow(db: Session, viewer: Viewer, follow_id: int) -> None:
    follow = db.get(Follow, follow_id)
    if follow is None or follow.user_id != viewer.user.id:
        raise HTTPException(404, "no such follow of yours")
    db.delete(follow)
    db.commit()


def _follow_out(follow: Follow) -> FollowOut:
    return FollowOut(id=follow.id, indicator_id=follow.indicator_id, area_code=follow.area_code,
                     created_at=follow.created_at)


def _person(viewer: Viewer) -> Viewer:
    if viewer.user is None:
        raise HTTPException(403, "following is for people, not tokens without one")
    return viewer


@router.get("/api/follows", response_model=list[FollowOut])
def follows_api(*, viewer: SignedIn, db: DB) -> list[FollowOut]:
    """The areas the caller follows: new special-cause signals in them come to the caller's feed."""
    return [_follow_out(f) for f in _follows(db, _person(viewer))]


@router.post("/api/follows", response_model=FollowOut, status_code=201)
def follow_api(*, body: FollowIn, viewer: SignedIn, db: DB) -> FollowOut:
    """Follow an area of an indicator (following it again is the same follow)."""
    return _follow_out(_follow(db, _person(viewer), body))


@router.delete("/api/follows/{follow_id}", status_code=204)
def unfollow_api(*, follow_id: RowId, viewer: SignedIn, db: DB) -> None:
    """Stop following (the caller's own follows only)."""
    _unfollow(db, _person(viewer), follow_id)


@router.get("/follows", include_in_schema=False)
def follows_page(*, request: Request, viewer: SignedIn, db: DB):
    return page(request, viewer, "follows.html", follows=_follows(db, _person(viewer)),
                catalogue=workspace_catalogue(db))


@router.get("/follows.csv", include_in_schema=False)
def follows_csv(*, viewer: SignedIn, db: DB):
    catalogue = workspace_catalogue(db)
    rows = [{"indicator_id": f.indicator_id, "title": catalogue[f.indicator_id].title if f.indicator_id in catalogue
             else "", "area_code": f.area_code, "since": f.created_at.isoformat(),
             "synthetic": "SYNTHETIC" if f.indicator_id in catalogue and catalogue[f.indicator_id].synthetic else ""}
            for f in _follows(db, _person(viewer))]
    return csv_response(pd.DataFrame(rows, columns=["indicator_id", "title", "area_code", "since", "synthetic"]),
                        "follows.csv")


@router.post("/follows", include_in_schema=False)
def follow_page(*, viewer: SignedIn, db: DB, indicator_id: str = Form(..., pattern=NO_NUL),
                area_code: str = Form(..., pattern=NO_NUL)):
    _follow(db, _person(viewer), FollowIn(indicator_id=indicator_id, area_code=area_code))
    return RedirectResponse("/follows", status_code=303)


@router.post("/follows/{follow_id}/unfollow", include_in_schema=False)
def unfollow_page(*, follow_id: RowId, viewer: SignedIn, db: DB):
    _unfollow(db, _person(viewer), follow_id)
    return RedirectResponse("/follows", status_code=303)

