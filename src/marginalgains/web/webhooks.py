"""Webhooks: an organisation's admin sets an address; each event of its activity is POSTed there as JSON: a plan's
new version (`plan.version`), a plan's status changed (`plan.status`, when edited or when new data change it), a
comment on its plans or indicators with its mentions (`comment`), data a partner published (`published`) and a
new special-cause signal in an area one of its members follows (`signal`, protected as it sees the atlas). Each is signed `X-MarginalGains-Signature: sha256=<HMAC-SHA256 of the body>` with the
secret given when the address was set. Delivery is in the background, after the change is committed,
and never holds up or undoes the change; a failed delivery is logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlparse

import httpx
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.store.accounts import new_secret
from marginalgains.store.models import Role, Webhook, utcnow
from marginalgains.web.data import member_organisation
from marginalgains.web.deps import DB, SignedIn, Text

router = APIRouter()
SIGNATURE_HEADER = "X-MarginalGains-Signature"
_log = logging.getLogger(__name__)
_deliveries = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhooks")


class WebhookIn(BaseModel):
    url: Text


class WebhookOut(BaseModel):
    url: str
    secret: str  # to check signatures with; shown to the organisation's admins only
    created_at: datetime


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _deliver(url: str, secret: str, body: bytes) -> None:
    try:
        httpx.post(url, content=body, timeout=10, headers={"content-type": "application/json",
                                                           SIGNATURE_HEADER: signature(secret, body)})
    except httpx.HTTPError as exc:
        _log.warning("webhook delivery to %s failed: %s", url, exc)


def notify(db: Session, organisation_ids: set[int], kind: str, payload: dict) -> None:
    """Send an event to the webhook of each of these organisations that has one (call after committing)."""
    body = json.dumps({"kind": kind, "at": utcnow().isoformat(), **payload}).encode()
    for hook in db.scalars(select(Webhook).where(Webhook.organisation_id.in_(organisation_ids))):
        _deliveries.submit(_deliver, hook.url, hook.secret, body)


@router.put("/api/organisations/{code}/webhook", response_model=WebhookOut)
def set_webhook(*, code: str, body: WebhookIn, viewer: SignedIn, db: DB) -> WebhookOut:
    """Set (or replace) the organisation's webhook address (its admins); a new signing secret is made each time."""
    organisation = member_organisation(db, viewer, code, Role.ADMIN)
    address = urlparse(body.url)
    if address.scheme not in ("http", "https") or not address.hostname:
        raise HTTPException(400, "url: give an http:// or https:// address")
    hook = db.scalar(select(Webhook).where(Webhook.organisation_id == organisation.id))
    if hook is None:
        hook = Webhook(organisation_id=organisation.id)
        db.add(hook)
    hook.url, hook.secret, hook.set_by_id, hook.created_at = body.url, new_secret(), viewer.user.id, utcnow()
    db.commit()
    return WebhookOut(url=hook.url, secret=hook.secret, created_at=hook.created_at)


@router.get("/api/organisations/{code}/webhook", response_model=WebhookOut)
def get_webhook(*, code: str, viewer: SignedIn, db: DB) -> WebhookOut:
    organisation = member_organisation(db, viewer, code, Role.ADMIN)
    hook = db.scalar(select(Webhook).where(Webhook.organisation_id == organisation.id))
    if hook is None:
        raise HTTPException(404, "no webhook set for this organisation")
    return WebhookOut(url=hook.url, secret=hook.secret, created_at=hook.created_at)
