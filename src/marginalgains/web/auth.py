"""Who is asking: sessions, API tokens, CSRF, and the sign-in seam.

Every request is resolved to one `Viewer` here (a signed-in person, a script with a token, or
nobody), and every unsafe request passes `require_csrf` unless it carries a bearer token.
Sign-in goes through an `Authenticator`; passwords are the first, and OpenID Connect (Microsoft
Entra ID) slots in as a second that maps a verified identity to a `User`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from marginalgains.store import accounts
from marginalgains.store.models import Role, User

SESSION_COOKIE = "mg_session"
CSRF_COOKIE = "mg_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Viewer:
    """The person (or script) behind a request and the role they hold in each organisation."""

    user: User | None = None
    roles: dict[int, Role] = field(default_factory=dict)
    csrf_token: str | None = None  # the session's token; None without a session
    via_token: bool = False

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def role_in(self, organisation_id: int) -> Role | None:
        return self.roles.get(organisation_id)

    def can(self, organisation_id: int, role: Role) -> bool:
        held = self.roles.get(organisation_id)
        return held is not None and held.rank >= role.rank


class Authenticator(Protocol):
    """One way of signing in: credentials from the sign-in form in, the user they prove out (or None)."""

    name: str

    def authenticate(self, db: Session, credentials: dict[str, str]) -> User | None: ...


class PasswordAuthenticator:
    """Email and password, checked against the argon2id hash."""

    name = "password"

    def authenticate(self, db: Session, credentials: dict[str, str]) -> User | None:
        return accounts.verify_password(db, credentials.get("email", ""), credentials.get("password", ""))


def resolve_viewer(db: Session, request: Request) -> Viewer:
    """The viewer a request's bearer token or session cookie proves; nobody if neither is valid."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        found = accounts.token_and_held_role(db, authorization[7:].strip())
        if found is None:
            raise HTTPException(401, "the API token is unknown, expired or revoked",
                                headers={"WWW-Authenticate": "Bearer"})
        token, held = found
        if held is None:
            return Viewer(user=token.user, via_token=True)
        role = Role(token.role) if Role(token.role).rank <= held.rank else held
        return Viewer(user=token.user, roles={token.organisation_id: role}, via_token=True)
    secret = request.cookies.get(SESSION_COOKIE)
    session = accounts.session_for(db, secret) if secret else None
    if session is None:
        return Viewer()
    roles = {m.organisation_id: Role(m.role) for m in session.user.memberships}
    return Viewer(user=session.user, roles=roles, csrf_token=session.csrf_token)


def form_csrf_token(viewer: Viewer, request: Request) -> str:
    """The token a form must send back: the session's, or before sign-in the CSRF cookie's."""
    return viewer.csrf_token or request.cookies.get(CSRF_COOKIE) or ""


async def require_csrf(request: Request, viewer: Viewer) -> None:
    """Refuse an unsafe request that does not carry this browser's CSRF token (bearer tokens are not ambient)."""
    if request.method in SAFE_METHODS or viewer.via_token:
        return
    expected = form_csrf_token(viewer, request)
    given = request.headers.get("x-csrf-token", "")
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = str((await request.form()).get("csrf_token", ""))
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "the form's CSRF token is missing or does not match; reload the page and try again")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
