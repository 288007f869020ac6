"""Data-sharing agreements: an organisation's admin shows its full figures to a named partner, with a reason."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from marginalgains.store import accounts
from marginalgains.store.models import Organisation, Role, SharingAgreement, utcnow
from marginalgains.web.auth import Viewer
from marginalgains.web.data import member_organisation
from marginalgains.web.deps import DB, RowId, SignedIn
from marginalgains.web.people import organisation_context
from marginalgains.web.render import page
from marginalgains.web.visibility import sharing_partners

router = APIRouter()


class AgreementOut(BaseModel):
    id: int
    owner_code: str
    partner_code: str
    partner_name: str
    reason: str
    granted_by: str | None
    created_at: datetime
    revoked_at: datetime | None


def agreement_out(agreement: SharingAgreement) -> AgreementOut:
    return AgreementOut(id=agreement.id, owner_code=agreement.owner.code, partner_code=agreement.partner.code,
                        partner_name=agreement.partner.name, reason=agreement.reason,
                        granted_by=agreement.granted_by.email if agreement.granted_by else None,
                        created_at=agreement.created_at, revoked_at=agreement.revoked_at)


def share(db: Session, viewer: Viewer, owner: Organisation, partner_code: str, reason: str) -> SharingAgreement:
    partner = accounts.organisation_by_code(db, partner_code)
    if partner.id == owner.id:
        raise accounts.AccountError("partner: an organisation always sees its own figures")
    if not reason.strip():
        raise accounts.AccountError("reason: say why the figures are shared (the agreement it rests on)")
    agreement = SharingAgreement(owner=owner, partner=partner, reason=reason.strip(), granted_by_id=viewer.user.id)
    db.add(agreement)
    db.flush()
    return agreement


@router.post("/organisations/{code}/sharing", include_in_schema=False)
def share_page(*, code: str, request: Request, viewer: SignedIn, db: DB, partner: str = Form(...),
               reason: str = Form("")):
    owner = member_organisation(db, viewer, code, Role.ADMIN)
    try:
        share(db, viewer, owner, partner, reason)
    except accounts.AccountError as exc:  # the organisation page again, saying why, with what was typed
        db.rollback()
        return page(request, viewer, "organisation.html", status_code=400,
                    **organisation_context(db, viewer, owner, message=str(exc), typed={"partner": partner,
                                                                                       "reason": reason}))
    db.commit()
    return RedirectResponse(f"/organisations/{owner.code}", status_code=303)


@router.post("/organisations/{code}/sharing/{agreement_id}/revoke", include_in_schema=False)
def revoke_page(*, code: str, agreement_id: RowId, viewer: SignedIn, db: DB):
    owner = member_organisation(db, viewer, code, Role.ADMIN)
    agreement = db.get(SharingAgreement, agreement_id)
    if agreement is None or agreement.owner_id != owner.id:
        raise HTTPException(404, "no such agreement of this organisation")
    if agreement.revoked_at is None:
        agreement.revoked_at, agreement.revoked_by_id = utcnow(), viewer.user.id
    db.commit()
    return RedirectResponse(f"/organisations/{owner.code}", status_code=303)


@router.get("/api/organisations/{code}/sharing", response_model=list[AgreementOut])
def agreements(*, code: str, viewer: SignedIn, db: DB) -> list[AgreementOut]:
    """The organisation's data-sharing agreements, revoked ones included (its members only)."""
    return [agreement_out(a) for a in sharing_partners(db, member_organisation(db, viewer, code))]
