"""Helpers for the workspace tests: sign in through the real form, read a page's CSRF token."""

import re

from fastapi.testclient import TestClient

from marginalgains.web.demo import DEMO_PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = DEMO_PASSWORD):
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def csrf_from(client: TestClient, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def get_paths(app) -> list[str]:
    """The path of every GET route of the app, including those of included routers."""
    paths, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        if hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
        elif "GET" in (getattr(route, "methods", None) or set()):
            paths.append(route.path)
    return paths
