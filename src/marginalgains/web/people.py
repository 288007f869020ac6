"""Pages for signing in and out, password resets, API tokens and organisations' members."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.store import accounts
from marginalgains.store.models import ApiToken, Membership, Organisation, Role, User
from marginalgains.store.settings import public_indicators
from marginalgains.web.auth import CSRF_COOKIE, SESSION_COOKIE, Viewer, client_address
from marginalgains.web.deps import DB, CurrentViewer, RowId, SignedIn
from marginalgains.web.render import csv_response, page
from marginalgains.web.visibility import sharing_partners

router = APIRouter(include_in_schema=False)
NOT_RECOGNISED = "Email or password not recognised."
TOO_MANY = "Too many sign-in attempts. Wait a few minutes and try again."


@router.get("/")
def home(*, request: Request, viewer: CurrentViewer, db: DB):
    memberships = []
    if viewer.signed_in:
        memberships = db.scalars(select(Membership).where(Membership.user_id == viewer.user.id)).all()
    public = public_indicators(db) if not viewer.signed_in else frozenset()
    return page(request, viewer, "home.html", memberships=memberships, public_indicators=len(public))


@router.get("/organisations.csv")
def organisations_csv(*, viewer: SignedIn, db: DB):
    """The home page's table: the caller's organisations and roles."""
    rows = [{"organisation": m.organisation.name, "code": m.organisation.code, "type": m.organisation.type,
             "role": m.role} for m in db.scalars(select(Membership).where(Membership.user_id == viewer.user.id))]
    return csv_response(pd.DataFrame(rows, columns=["organisation", "code", "type", "role"]), "organisations.csv")


@router.get("/sign-in")
def sign_in_form(*, request: Request, viewer: CurrentViewer):
    return page(request, viewer, "sign_in.html", message=None, email="")


@router.post("/sign-in")
def sign_in(*, request: Request, email: str = Form(""), password: str = Form(""),
            viewer: CurrentViewer, db: DB):
    """Check the credentials with each authenticator; the same answer for an unknown email and a wrong password."""
    client = client_address(request)
    if accounts.sign_in_blocked(db, email, client):
        return page(request, viewer, "sign_in.html", status_code=429, message=TOO_MANY, email=email)
    credentials = {"email": email, "password": password}
    user = next((u for a in request.app.state.authenticators if (u := a.authenticate(db, credentials))), None)
    if user is None:
        accounts.record_failure(db, email, client)
        db.commit()
        return page(request, viewer, "sign_in.html", status_code=400, message=NOT_RECOGNISED, email=email)
    if old := request.cookies.get(SESSION_COOKIE):
        accounts.end_session(db, old)
    secret, _ = accounts.start_session(db, user)
    db.commit()
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(accounts.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.post("/sign-out")
def sign_out(*, request: Request, db: DB):
    if secret := request.cookies.get(SESSION_COOKIE):
        accounts.end_session(db, secret)
        db.commit()
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _reset_or_404(db: Session, secret: str):
    reset = accounts.reset_for(db, secret)
    if reset is None:
        raise HTTPException(404, "this reset link is unknown, already used or expired; ask an admin for a new one")
    return reset


@router.get("/reset/{secret}")
def reset_form(*, secret: str, request: Request, viewer: CurrentViewer,
               db: DB):
    reset = _reset_or_404(db, secret)
    return page(request, viewer, "reset.html", email=reset.user.email, message=None)


@router.post("/reset/{secret}")
def reset_password(*, secret: str, request: Request, password: str = Form(""),
                   viewer: CurrentViewer, db: DB):
    reset = _reset_or_404(db, secret)
    try:
        accounts.use_reset(db, reset, password)
    except accounts.AccountError as exc:
        return page(request, viewer, "reset.html", status_code=400, email=reset.user.email, message=str(exc))
    db.commit()
    return RedirectResponse("/sign-in", status_code=303)


@router.get("/tokens")
def tokens(*, request: Request, viewer: SignedIn, db: DB):
    return page(request, viewer, "tokens.html", **_token_context(db, viewer))


@router.post("/tokens")
def create_token(*, request: Request, name: str = Form(...), organisation: str = Form(...), role: str = Form(...),
                 days: int = Form(90), viewer: SignedIn, db: DB):
    try:
        organisation_row = accounts.organisation_by_code(db, organisation)
        secret, _ = accounts.issue_token(db, viewer.user, organisation_row, role, name, timedelta(days=days))
    except accounts.AccountError as exc:
        return page(request, viewer, "tokens.html", status_code=400, **_token_context(db, viewer, message=str(exc)))
    db.commit()
    return page(request, viewer, "tokens.html", **_token_context(db, viewer, new_secret=secret))


@router.post("/tokens/{token_id}/revoke")
def revoke_token(*, token_id: RowId, viewer: SignedIn, db: DB):
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != viewer.user.id:
        raise HTTPException(404, "no such token")
    accounts.revoke_token(db, token_id)
    db.commit()
    return RedirectResponse("/tokens", status_code=303)


@router.get("/tokens.csv")
def tokens_csv(*, viewer: SignedIn, db: DB):
    """The tokens page's table (names, scopes and states; never a secret, which is kept only as a hash)."""
    rows = [{"name": t.name, "organisation": t.organisation.code, "role": t.role, "expires": t.expires_at.isoformat(),
             "state": "revoked" if t.revoked_at else "active"} for t in _token_context(db, viewer)["tokens"]]
    return csv_response(pd.DataFrame(rows, columns=["name", "organisation", "role", "expires", "state"]), "tokens.csv")


def _token_context(db: Session, viewer: Viewer, **extra) -> dict:
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == viewer.user.id).order_by(ApiToken.id)).all()
    return {"tokens": rows, "roles": list(Role), "memberships": viewer.user.memberships,
            "new_secret": None, "message": None} | extra


def organisation_or_404(db: Session, code: str) -> Organisation:
    organisation = db.scalar(select(Organisation).where(Organisation.code == code))
    if organisation is None:
        raise HTTPException(404, "no such organisation")
    return organisation


@router.get("/organisations/{code}")
def organisation_page(*, code: str, request: Request, viewer: SignedIn,
                      db: DB):
    organisation = organisation_or_404(db, code)
    return page(request, viewer, "organisation.html", **organisation_context(db, viewer, organisation))


@router.get("/organisations/{code}/members.csv")
def members_csv(*, code: str, viewer: SignedIn, db: DB):
    """The organisation page's members (its members only, as the page)."""
    organisation = organisation_or_404(db, code)
    if viewer.role_in(organisation.id) is None:
        raise HTTPException(404, "no such organisation among yours")
    rows = [{"name": m.user.name, "email": m.user.email, "role": m.role}
            for m in organisation_context(db, viewer, organisation)["members"]]
    return csv_response(pd.DataFrame(rows, columns=["name", "email", "role"]), f"{organisation.code}-members.csv")


@router.get("/organisations/{code}/sharing.csv")
def sharing_csv(*, code: str, viewer: SignedIn, db: DB):
    """The organisation page's data-sharing agreements (its admins only, as the page)."""
    organisation = _admin_of(db, viewer, code)
    rows = [{"partner": a.partner.name, "partner_code": a.partner.code, "why": a.reason,
             "granted_by": a.granted_by.email if a.granted_by else "", "since": a.created_at.isoformat(),
             "revoked": a.revoked_at.isoformat() if a.revoked_at else ""} for a in sharing_partners(db, organisation)]
    columns = ["partner", "partner_code", "why", "granted_by", "since", "revoked"]
    return csv_response(pd.DataFrame(rows, columns=columns), f"{organisation.code}-sharing.csv")


def organisation_context(db: Session, viewer: Viewer, organisation: Organisation, **extra) -> dict:
    members = []
    if viewer.role_in(organisation.id) is not None:
        members = db.scalars(select(Membership).where(Membership.organisation_id == organisation.id)
                             .join(User).order_by(User.email)).all()
    is_admin = viewer.can(organisation.id, Role.ADMIN)
    others = db.scalars(select(Organisation).where(Organisation.id != organisation.id).order_by(Organisation.code))
    context = {"organisation": organisation, "members": members, "roles": list(Role), "is_admin": is_admin,
               "agreements": sharing_partners(db, organisation) if is_admin else [], "reset_link": None,
               "reset_for": None, "message": None, "typed": {}, "others": others.all() if is_admin else []}
    return context | extra


def _admin_of(db: Session, viewer: Viewer, code: str) -> Organisation:
    organisation = organisation_or_404(db, code)
    if not viewer.can(organisation.id, Role.ADMIN):
        raise HTTPException(403, f"only an admin of {organisation.code} can manage its members")
    return organisation


@router.post("/organisations/{code}/members")
def add_member(*, code: str, request: Request, email: str = Form(...), role: str = Form(...),
               viewer: SignedIn, db: DB):
    organisation = _admin_of(db, viewer, code)
    try:
        accounts.grant(db, accounts.user_by_email(db, email), organisation, role)
    except accounts.AccountError as exc:
        return page(request, viewer, "organisation.html", status_code=400,
                    **organisation_context(db, viewer, organisation, message=str(exc)))
    db.commit()
    return RedirectResponse(f"/organisations/{organisation.code}", status_code=303)


@router.post("/organisations/{code}/members/{user_id}/reset")
def issue_reset(*, code: str, user_id: RowId, request: Request, viewer: SignedIn,
                db: DB):
    """An admin issues a one-use reset link for a member of their organisation, to pass on themselves."""
    organisation = _admin_of(db, viewer, code)
    member = db.get(User, user_id)
    if member is None or accounts.membership_role(member, organisation.id) is None:
        raise HTTPException(404, "no such member")
    secret = accounts.issue_reset(db, member, viewer.user)
    db.commit()
    link = str(request.url_for("reset_form", secret=secret))
    return page(request, viewer, "organisation.html", **organisation_context(db, viewer, organisation,
                                                                              reset_link=link, reset_for=member))
