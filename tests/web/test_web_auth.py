"""CSRF on every unsafe route the app has (found from its routing table, so a route added later is covered):
a signed-in browser's post without its token, with a forged one, or as a multipart upload, is refused."""

import re

import pytest
from web_helpers import sign_in

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes(app) -> list[tuple[str, str]]:
    """(method, concrete path) for every unsafe route: codes become QWE's, ids 1, secrets a made-up one."""
    routes, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        if hasattr(route, "original_router"):  # an included router: its own routes
            pending.extend(route.original_router.routes)
            continue
        for method in sorted(UNSAFE & (getattr(route, "methods", None) or set())):
            path = route.path.replace("{code}", "QWE").replace("{secret}", "no-such-link")
            routes.append((method, re.sub(r"\{[a-z_]*id(:[a-z]+)?\}", "1", path)))
    return routes


def test_the_routing_table_lists_the_forms_and_the_api(app):
    paths = {path for _, path in unsafe_routes(app)}
    assert {"/sign-in", "/sign-out", "/tokens", "/organisations/QWE/batches", "/api/batches/1/publish",
            "/api/organisations/QWE/batches"} <= paths
    assert not any("{" in path for path in paths), paths


@pytest.mark.parametrize("how", ["no token", "forged header", "forged form field", "multipart without token"])
def test_every_unsafe_route_refuses_a_post_without_this_browsers_token(app, client, how):
    sign_in(client, "admin@qwe.example")
    for method, path in unsafe_routes(app):
        kwargs = {"no token": {"data": {"name": "x"}},
                  "forged header": {"data": {"name": "x"}, "headers": {"X-CSRF-Token": "forged"}},
                  "forged form field": {"data": {"name": "x", "csrf_token": "forged"}},
                  "multipart without token": {"files": {"values": ("v.csv", b"a,b\n", "text/csv")}}}[how]
        response = client.request(method, path, follow_redirects=False, **kwargs)
        assert response.status_code == 403 and "CSRF token" in response.text, (method, path, response.status_code)
    assert client.get("/api/me").status_code == 200  # nothing was done: still signed in, sign-out refused too
    assert client.get("/api/organisations/QWE/batches").json() == []  # and no upload went in
