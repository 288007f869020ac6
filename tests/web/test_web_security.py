"""Security: CSRF on every unsafe request, headers and CSP on every response, hostile text shown as text."""

import re

import pytest
from web_helpers import csrf_from, get_paths, sign_in

from marginalgains.store import accounts
from marginalgains.web.atlas_views import PAGE_POLICY
from marginalgains.web.security import CONTENT_SECURITY_POLICY

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORM_POSTS = ["/sign-in", "/sign-out", "/tokens", "/tokens/1/revoke", "/organisations/QWE/members",
              "/organisations/QWE/members/1/reset", "/reset/anything"]


@pytest.mark.parametrize("path", FORM_POSTS)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_this_browsers_csrf_token_are_refused(client, path, token):
    sign_in(client, "admin@qwe.example")
    data = {"email": "admin@qwe.example", "password": "demo-password-1", "name": "x", "organisation": "QWE",
            "role": "admin", "days": "1"} | ({} if token is None else {"csrf_token": token})
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403 and "CSRF token" in response.text
    assert client.get("/api/me").status_code == 200  # sign-out without the token did nothing


def test_a_token_from_another_browser_does_not_pass(client, new_client):
    sign_in(client, "admin@qwe.example")
    other = new_client()
    sign_in(other, "analyst@qwe.example")
    stolen = csrf_from(other)
    response = client.post("/sign-out", data={"csrf_token": stolen}, follow_redirects=False)
    assert response.status_code == 403


def test_the_sign_in_form_needs_its_csrf_cookie(client, new_client):
    token = csrf_from(client, "/sign-in")
    bare = new_client()  # the token, but not the cookie it was issued with
    response = bare.post("/sign-in", data={"email": "admin@qwe.example", "password": "demo-password-1",
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403


def test_bearer_tokens_need_no_csrf_token(client, store):
    with store.sessions() as db:
        user = accounts.user_by_email(db, "admin@qwe.example")
        secret, _ = accounts.issue_token(db, user, accounts.organisation_by_code(db, "QWE"), "admin", "t")
        db.commit()
    response = client.post("/organisations/QWE/members", data={"email": "viewer@qkk.example", "role": "viewer"},
                           headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False)
    assert response.status_code == 303


def _every_get_route(app) -> list[str]:
    concrete = {re.sub(r"\{[^}]+\}", "1", p.replace("{code}", "QWE").replace("{secret}", "no-such-link"))
                for p in get_paths(app)}
    return sorted(concrete | {"/api/openapi.json", "/no-such-page", "/static/style.css"})


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_response_carries_the_security_headers(app, client, signed_in):
    if signed_in:
        sign_in(client, "admin@qwe.example")
    for path in _every_get_route(app):
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        policy = response.headers["content-security-policy"]
        assert policy == CONTENT_SECURITY_POLICY or policy == PAGE_POLICY, path  # the atlas page brings its own
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in response.headers, path  # only over TLS


def test_hostile_names_are_rendered_as_text(client, new_client, store):
    with store.sessions() as db:
        organisation = accounts.add_organisation(db, "HOST1", HOSTILE, "trust", "QWE")
        user = accounts.add_user(db, "hostile@qwe.example", HOSTILE, "demo-password-1")
        accounts.grant(db, user, organisation, "admin")
        db.commit()
    sign_in(client, "hostile@qwe.example")
    for path in ["/", "/organisations/HOST1", "/tokens"]:
        html = client.get(path).text
        assert HOSTILE not in html and "<script>alert" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    stranger = new_client()
    failed = stranger.post("/sign-in", data={"email": HOSTILE, "password": "x", "csrf_token": csrf_from(stranger, "/sign-in")})
    assert failed.status_code == 400 and HOSTILE not in failed.text and "&lt;script&gt;" in failed.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(store):
    from fastapi.testclient import TestClient

    from marginalgains.web.app import Settings, create_app
    with TestClient(create_app(store, Settings(max_upload_bytes=1000))) as client:
        response = client.post("/sign-in", content=b"x" * 5000,
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "limit of 1000 bytes" in response.json()["detail"]
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
