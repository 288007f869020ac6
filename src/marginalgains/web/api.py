"""The JSON API: typed responses, documented at /api/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlalchemy import select

from marginalgains.store.models import Membership, Organisation, User
from marginalgains.web.deps import DB, SignedIn

router = APIRouter(prefix="/api")


class OrganisationOut(BaseModel):
    code: str
    name: str
    type: str
    parent_code: str | None


class MembershipOut(BaseModel):
    organisation: OrganisationOut
    role: str


class MeOut(BaseModel):
    email: str
    name: str
    via_token: bool
    memberships: list[MembershipOut]


class MemberOut(BaseModel):
    email: str
    name: str
    role: str


def organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut(code=organisation.code, name=organisation.name, type=organisation.type,
                           parent_code=organisation.parent.code if organisation.parent else None)


@router.get("/me", response_model=MeOut)
def me(*, viewer: SignedIn, db: DB) -> MeOut:
    """Who the caller is and, per organisation, the role this session or token acts with."""
    organisations = {o.id: o for o in db.scalars(select(Organisation).where(Organisation.id.in_(viewer.roles)))}
    return MeOut(email=viewer.user.email, name=viewer.user.name, via_token=viewer.via_token,
                 memberships=[MembershipOut(organisation=organisation_out(organisations[i]), role=role)
                              for i, role in sorted(viewer.roles.items())])


@router.get("/organisations", response_model=list[OrganisationOut])
def organisations(*, viewer: SignedIn, db: DB) -> list[OrganisationOut]:
    """Every organisation in the workspace (names and codes are public: partners are named by them)."""
    return [organisation_out(o) for o in db.scalars(select(Organisation).order_by(Organisation.code))]


@router.get("/organisations/{code}/members", response_model=list[MemberOut])
def members(*, code: str, viewer: SignedIn, db: DB) -> list[MemberOut]:
    """An organisation's members, for its own members only."""
    organisation = db.scalar(select(Organisation).where(Organisation.code == code))
    if organisation is None or viewer.role_in(organisation.id) is None:
        raise HTTPException(404, "no such organisation among yours")
    rows = db.scalars(select(Membership).where(Membership.organisation_id == organisation.id)
                      .join(User).order_by(User.email))
    return [MemberOut(email=m.user.email, name=m.user.name, role=m.role) for m in rows]
