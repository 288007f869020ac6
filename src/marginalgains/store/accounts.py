"""Organisations, people, roles and credentials: the operations the admin commands and the service share.

Secrets (session cookies, API tokens, reset links) are random 256-bit strings handed out once;
the store keeps only their SHA-256, so a copy of the database signs nobody in. Passwords are argon2id.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload

from marginalgains.errors import GainsError
from marginalgains.store.models import (
    ApiToken, Membership, Organisation, OrganisationType, PasswordReset, Role, SignInAttempt, User, WebSession, utcnow,
)

SESSION_LIFETIME = timedelta(hours=12)
RESET_LIFETIME = timedelta(hours=24)
TOKEN_LIFETIME = timedelta(days=90)
MIN_PASSWORD_LENGTH = 12
SIGN_IN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
_DUMMY_HASH = _hasher.hash("not a password anybody has")


class AccountError(GainsError):
    """An account operation was refused: the message names the field and the reason."""


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- organisations and people -------------------------------------------------------------------------------

def add_organisation(db: Session, code: str, name: str, type: str, parent_code: str | None = None) -> Organisation:
    if type not in set(OrganisationType):
        raise AccountError(f"type: {type!r} is not one of {', '.join(OrganisationType)}")
    if not code.strip() or not name.strip():
        raise AccountError("code and name: both are required")
    if db.scalar(select(Organisation).where(Organisation.code == code)) is not None:
        raise AccountError(f"code: an organisation {code!r} already exists")
    parent = None
    if parent_code is not None:
        parent = organisation_by_code(db, parent_code)
    organisation = Organisation(code=code, name=name, type=type, parent=parent)
    db.add(organisation)
    db.flush()
    return organisation


def organisation_by_code(db: Session, code: str) -> Organisation:
    organisation = db.scalar(select(Organisation).where(Organisation.code == code))
    if organisation is None:
        raise AccountError(f"organisation: no organisation has the code {code!r}")
    return organisation


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters are needed")


def add_user(db: Session, email: str, name: str, password: str | None) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError(f"email: {email!r} is not an email address")
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"email: a user {email!r} already exists")
    if password is not None:
        check_password(password)
    user = User(email=email, name=name.strip() or email,
                password_hash=None if password is None else _hasher.hash(password))
    db.add(user)
    db.flush()
    return user


def user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise AccountError(f"user: nobody has the email {email!r}")
    return user


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"role: {role!r} is not one of {', '.join(Role)}") from None


def grant(db: Session, user: User, organisation: Organisation, role: str) -> Membership:
    """Give `user` `role` in `organisation` (replacing any role they had there)."""
    role = parse_role(role)
    membership = db.scalar(select(Membership).where(Membership.user_id == user.id,
                                                    Membership.organisation_id == organisation.id))
    if membership is None:
        membership = Membership(user=user, organisation=organisation, role=role)
        db.add(membership)
    membership.role = role
    db.flush()
    return membership


def set_password(db: Session, user: User, password: str) -> None:
    check_password(password)
    user.password_hash = _hasher.hash(password)
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))  # every other browser signed out


# --- signing in ----------------------------------------------------------------------------------------------

def verify_password(db: Session, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None; the same work is done when nobody has the email."""
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


def sign_in_blocked(db: Session, email: str, client: str, now: datetime | None = None) -> bool:
    """True when too many failed sign-ins came recently for this email or from this client."""
    since = (now or utcnow()) - SIGN_IN_WINDOW
    by_email = db.scalar(select(func.count()).where(SignInAttempt.email_key == digest(email.strip().lower()),
                                                    SignInAttempt.at >= since))
    by_client = db.scalar(select(func.count()).where(SignInAttempt.client == client, SignInAttempt.at >= since))
    return by_email >= MAX_FAILURES_PER_EMAIL or by_client >= MAX_FAILURES_PER_CLIENT


def record_failure(db: Session, email: str, client: str) -> None:
    db.add(SignInAttempt(email_key=digest(email.strip().lower()), client=client[:64]))
    db.execute(delete(SignInAttempt).where(SignInAttempt.at < utcnow() - 2 * SIGN_IN_WINDOW))


def start_session(db: Session, user: User) -> tuple[str, WebSession]:
    """A new session for `user` (always a new secret: a session id set before sign-in is never reused)."""
    secret = new_secret()
    session = WebSession(secret_hash=digest(secret), user=user, csrf_token=new_secret(),
                         expires_at=utcnow() + SESSION_LIFETIME)
    db.add(session)
    db.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    db.flush()
    return secret, session


def session_for(db: Session, secret: str) -> WebSession | None:
    """The live session with this secret, its user and the user's memberships loaded with it (one query: every
    request of a browser asks)."""
    session = db.execute(select(WebSession).options(joinedload(WebSession.user).joinedload(User.memberships))
                         .where(WebSession.secret_hash == digest(secret))).unique().scalar_one_or_none()
    if session is None or session.expires_at <= utcnow():
        return None
    return session


def end_session(db: Session, secret: str) -> None:
    db.execute(delete(WebSession).where(WebSession.secret_hash == digest(secret)))


# --- password reset links -----------------------------------------------------------------------------------

def issue_reset(db: Session, user: User, issued_by: User | None) -> str:
    secret = new_secret()
    db.add(PasswordReset(secret_hash=digest(secret), user=user, issued_by_id=issued_by.id if issued_by else None,
                         expires_at=utcnow() + RESET_LIFETIME))
    db.flush()
    return secret


def reset_for(db: Session, secret: str) -> PasswordReset | None:
    reset = db.scalar(select(PasswordReset).where(PasswordReset.secret_hash == digest(secret)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def use_reset(db: Session, reset: PasswordReset, password: str) -> None:
    set_password(db, reset.user, password)
    reset.used_at = utcnow()


# --- API tokens ---------------------------------------------------------------------------------------------

def issue_token(db: Session, user: User, organisation: Organisation, role: str, name: str,
                lifetime: timedelta = TOKEN_LIFETIME) -> tuple[str, ApiToken]:
    """A token acting as `user` in `organisation` with at most `role` (never more than the user holds there)."""
    role = parse_role(role)
    held = membership_role(user, organisation.id)
    if held is None or held.rank < role.rank:
        raise AccountError(f"role: {user.email} is not {role} in {organisation.code}, so a token cannot be")
    if lifetime <= timedelta(0):
        raise AccountError("expires: a token's lifetime must be positive")
    secret = "mg_" + new_secret()
    token = ApiToken(secret_hash=digest(secret), name=name, user=user, organisation=organisation, role=role,
                     expires_at=utcnow() + lifetime)
    db.add(token)
    db.flush()
    return secret, token


def token_for(db: Session, secret: str) -> ApiToken | None:
    """The live (unrevoked, unexpired) token with this secret."""
    found = token_and_held_role(db, secret)
    return None if found is None else found[0]


def token_and_held_role(db: Session, secret: str) -> tuple[ApiToken, Role | None] | None:
    """The live token with this secret, its user loaded with it, and the role that user holds now in the token's
    organisation (None: no longer a member); one query, as every scripted request asks, read afresh each time
    (so a revoked token or a role taken away counts on the very next request)."""
    row = db.execute(select(ApiToken, Membership.role).options(joinedload(ApiToken.user, innerjoin=True))
                     .outerjoin(Membership, (Membership.user_id == ApiToken.user_id)
                                & (Membership.organisation_id == ApiToken.organisation_id))
                     .where(ApiToken.secret_hash == digest(secret))).first()
    if row is None:
        return None
    token, held = row
    if token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    return token, None if held is None else Role(held)


def revoke_token(db: Session, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise AccountError(f"token: no token has the id {token_id}")
    token.revoked_at = token.revoked_at or utcnow()
    return token


def membership_role(user: User, organisation_id: int) -> Role | None:
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return Role(membership.role)
    return None
