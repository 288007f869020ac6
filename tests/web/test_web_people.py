"""Signing in and out, sessions, reset links, API tokens and members, through the real pages and API."""

import io
from datetime import timedelta

import pandas as pd
import pytest
from web_helpers import csrf_from, sign_in
from sqlalchemy import func, select, update

from marginalgains.store import accounts
from marginalgains.store.models import ApiToken, SignInAttempt, WebSession
from marginalgains.web.auth import SESSION_COOKIE

ANALYST = "analyst@qwe.example"


def test_sign_in_starts_a_session_the_api_recognises(client):
    response = sign_in(client, ANALYST)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain HTTP here
    me = client.get("/api/me").json()
    assert me["email"] == ANALYST and not me["via_token"]
    assert [(m["organisation"]["code"], m["role"]) for m in me["memberships"]] == [("QWE", "analyst")]
    assert "NHS South West London ICB" in client.get("/").text


def test_cookies_are_secure_behind_tls(app):
    from fastapi.testclient import TestClient
    with TestClient(app, base_url="https://testserver") as client:
        response = sign_in(client, ANALYST)
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    wrong_password = sign_in(client, ANALYST, "not-the-password")
    unknown = sign_in(client, "nobody@nowhere.example", "not-the-password")
    assert wrong_password.status_code == unknown.status_code == 400
    assert "Email or password not recognised." in wrong_password.text
    strip = lambda html: html.replace(ANALYST, "").replace("nobody@nowhere.example", "")  # noqa: E731
    assert strip(wrong_password.text) == strip(unknown.text)
    assert client.get("/api/me").status_code == 401


def test_sign_in_is_rate_limited_in_the_store_for_known_and_unknown_emails(client, store):
    for email in (ANALYST, "nobody@nowhere.example"):
        statuses = [sign_in(client, email, f"wrong-{i}").status_code for i in range(accounts.MAX_FAILURES_PER_EMAIL)]
        assert statuses == [400] * accounts.MAX_FAILURES_PER_EMAIL
        blocked = sign_in(client, email, "demo-password-1" if email == ANALYST else "x")
        assert blocked.status_code == 429 and "Too many sign-in attempts" in blocked.text
    with store.sessions() as db:  # the count lives in the store, so every worker sees it
        assert db.scalar(select(func.count()).select_from(SignInAttempt)) == 2 * accounts.MAX_FAILURES_PER_EMAIL
        db.execute(update(SignInAttempt).values(at=accounts.utcnow() - accounts.SIGN_IN_WINDOW - timedelta(seconds=1)))
        db.commit()
    assert sign_in(client, ANALYST).status_code == 303  # the window has passed


def test_session_fixation_a_planted_cookie_is_never_the_signed_in_session(client, store):
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    response = sign_in(client, ANALYST)
    issued = response.cookies[SESSION_COOKIE]
    assert issued != "planted-by-an-attacker"
    with store.sessions() as db:
        assert db.scalar(select(WebSession).where(WebSession.secret_hash == accounts.digest(issued))) is not None
        assert db.scalar(select(WebSession).where(
            WebSession.secret_hash == accounts.digest("planted-by-an-attacker"))) is None


def test_signing_in_again_replaces_the_old_session(client, new_client):
    first = sign_in(client, ANALYST).cookies[SESSION_COOKIE]
    second = sign_in(client, ANALYST).cookies[SESSION_COOKIE]
    assert first != second
    stale = new_client()
    stale.cookies.set(SESSION_COOKIE, first)
    assert stale.get("/api/me").status_code == 401


def test_sign_out_ends_the_session_in_the_store(client, new_client):
    secret = sign_in(client, ANALYST).cookies[SESSION_COOKIE]
    assert client.post("/sign-out", data={"csrf_token": csrf_from(client)}, follow_redirects=False).status_code == 303
    replay = new_client()
    replay.cookies.set(SESSION_COOKIE, secret)
    assert replay.get("/api/me").status_code == 401


def test_an_expired_session_signs_nobody_in(client, store):
    sign_in(client, ANALYST)
    with store.sessions() as db:
        db.execute(update(WebSession).values(expires_at=accounts.utcnow() - timedelta(seconds=1)))
        db.commit()
    assert client.get("/api/me").status_code == 401
    assert client.get("/tokens", follow_redirects=False).headers["location"] == "/sign-in"


def test_an_admin_issues_a_one_use_reset_link(client, new_client):
    sign_in(client, "admin@qwe.example")
    html = client.get("/organisations/QWE").text
    member_id = _member_id(html, ANALYST)
    page = client.post(f"/organisations/QWE/members/{member_id}/reset", data={"csrf_token": csrf_from(client)})
    link = page.text.split('id="reset-link">')[1].split("<")[0]
    path = "/" + link.split("/", 3)[3]
    person = new_client()
    form = person.get(path)
    assert form.status_code == 200 and ANALYST in form.text
    short = person.post(path, data={"password": "short", "csrf_token": csrf_from(person, path)})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    done = person.post(path, data={"password": "a brand new password", "csrf_token": csrf_from(person, path)},
                       follow_redirects=False)
    assert done.status_code == 303
    assert sign_in(person, ANALYST).status_code == 400  # the old password is gone
    assert sign_in(person, ANALYST, "a brand new password").status_code == 303
    assert person.get(path).status_code == 404  # used once


def _member_id(html: str, email: str) -> int:
    row = html.split(email)[1]
    return int(row.split("/members/")[1].split("/reset")[0])


def test_only_an_admin_of_that_organisation_issues_resets_or_adds_members(client):
    sign_in(client, "admin@qkk.example")  # an admin, but of another ICB
    token = csrf_from(client)
    assert client.post("/organisations/QWE/members/1/reset", data={"csrf_token": token}).status_code == 403
    assert client.post("/organisations/QWE/members", data={"email": "admin@qkk.example", "role": "admin",
                                                            "csrf_token": token}).status_code == 403
    assert "Members" not in client.get("/organisations/QWE").text
    assert client.get("/api/organisations/QWE/members").status_code == 404


def test_an_admin_adds_a_member_with_a_role(client, new_client):
    sign_in(client, "admin@qwe.example")
    response = client.post("/organisations/QWE/members", data={"email": "analyst@qkk.example", "role": "viewer",
                                                                "csrf_token": csrf_from(client)}, follow_redirects=False)
    assert response.status_code == 303
    members = {m["email"]: m["role"] for m in client.get("/api/organisations/QWE/members").json()}
    assert members["analyst@qkk.example"] == "viewer" and members[ANALYST] == "analyst"
    other = new_client()
    sign_in(other, "analyst@qkk.example")
    assert {(m["organisation"]["code"], m["role"]) for m in other.get("/api/me").json()["memberships"]} == {
        ("QKK", "analyst"), ("QWE", "viewer")}


def _new_token(client, organisation="QWE", role="viewer", days=30) -> str:
    page = client.post("/tokens", data={"name": "notebook", "organisation": organisation, "role": role,
                                        "days": days, "csrf_token": csrf_from(client, "/tokens")})
    assert page.status_code == 200, page.text
    return page.text.split('id="new-token">')[1].split("<")[0]


def test_a_token_acts_in_one_organisation_with_at_most_its_role(client, new_client, store):
    sign_in(client, "admin@qwe.example")
    secret = _new_token(client, role="viewer")
    with store.sessions() as db:
        stored = db.scalar(select(ApiToken))
        assert stored.secret_hash == accounts.digest(secret) and secret not in stored.secret_hash
    script = new_client()
    me = script.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["via_token"] and [(m["organisation"]["code"], m["role"]) for m in me["memberships"]] == [("QWE", "viewer")]


def test_a_token_cannot_be_more_than_its_holder(client):
    sign_in(client, "viewer@qwe.example")
    page = client.post("/tokens", data={"name": "x", "organisation": "QWE", "role": "admin", "days": 30,
                                        "csrf_token": csrf_from(client, "/tokens")})
    assert page.status_code == 400 and "is not admin in QWE" in page.text


@pytest.mark.parametrize("spoil", ["revoke", "expire"])
def test_revoked_and_expired_tokens_are_refused(client, new_client, store, spoil):
    sign_in(client, "analyst@qwe.example")
    secret = _new_token(client)
    headers = {"Authorization": f"Bearer {secret}"}
    script = new_client()
    assert script.get("/api/me", headers=headers).status_code == 200
    with store.sessions() as db:
        token_id = db.scalar(select(ApiToken.id))
    if spoil == "revoke":
        assert client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(client, "/tokens")},
                           follow_redirects=False).status_code == 303
        assert "revoked" in client.get("/tokens").text
    else:
        with store.sessions() as db:
            db.execute(update(ApiToken).values(expires_at=accounts.utcnow() - timedelta(seconds=1)))
            db.commit()
    refused = script.get("/api/me", headers=headers)
    assert refused.status_code == 401 and "unknown, expired or revoked" in refused.json()["detail"]


def test_nobody_revokes_another_persons_token(client, new_client, store):
    sign_in(client, ANALYST)
    _new_token(client)
    with store.sessions() as db:
        token_id = db.scalar(select(ApiToken.id))
    other = new_client()
    sign_in(other, "admin@qwe.example")
    assert other.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(other)}).status_code == 404


def test_the_organisation_directory_needs_sign_in(client):
    assert client.get("/api/organisations").status_code == 401
    sign_in(client, ANALYST)
    codes = {o["code"]: o for o in client.get("/api/organisations").json()}
    assert codes["RJ7"]["parent_code"] == "QWE" and codes["QWE"]["type"] == "icb" and codes["X24"]["parent_code"] is None


def test_the_people_pages_tables_download_as_formula_safe_csv(client, new_client):
    sign_in(client, "admin@qwe.example")
    token = csrf_from(client, "/organisations/QWE")
    assert client.post("/organisations/QWE/sharing", data={"partner": "QKK", "reason": "=agreement 7",
                                                           "csrf_token": token}, follow_redirects=False).status_code == 303
    client.post("/tokens", data={"name": "@notebook", "organisation": "QWE", "role": "viewer", "days": "30",
                                 "csrf_token": csrf_from(client, "/tokens")})

    def read(path):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), path
        return pd.read_csv(io.StringIO(response.text), keep_default_na=False)

    assert read("/organisations.csv").to_dict("records") == [
        {"organisation": "NHS South West London ICB", "code": "QWE", "type": "icb", "role": "admin"}]
    members = read("/organisations/QWE/members.csv")
    assert sorted(members["email"]) == ["admin@qwe.example", "analyst@qwe.example", "viewer@qwe.example"]
    sharing = read("/organisations/QWE/sharing.csv")
    assert sharing[["partner_code", "why", "granted_by", "revoked"]].to_dict("records") == [
        {"partner_code": "QKK", "why": "'=agreement 7", "granted_by": "admin@qwe.example", "revoked": ""}]
    tokens = read("/tokens.csv")
    assert tokens[["name", "organisation", "role", "state"]].to_dict("records") == [
        {"name": "'@notebook", "organisation": "QWE", "role": "viewer", "state": "active"}]
    viewer = new_client()
    sign_in(viewer, "viewer@qwe.example")
    assert viewer.get("/organisations/QWE/sharing.csv").status_code == 403  # admins only, as on the page
    outsider = new_client()
    sign_in(outsider, "analyst@qkk.example")
    assert outsider.get("/organisations/QWE/members.csv").status_code == 404
    assert pd.read_csv(io.StringIO(outsider.get("/tokens.csv").text)).empty
