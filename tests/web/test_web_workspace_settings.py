"""The workspace's settings in the web app: only an admin of a top-level organisation (the demo's national team)
reads or changes the disclosure rule and the public indicators, through pages with CSRF and the API; every change
is kept with who made it and when; and the next view of every outsider (or anonymous visitor) follows it."""

import pytest
import yaml
from test_web_visibility import OUTSIDER, PERIOD, as_viewer, by_code, published, round5, screening_view  # noqa: F401
from web_helpers import csrf_from, csrf_of, sign_in

from marginalgains.store.settings import DEFAULT_DISCLOSURE, changes, disclosure_rule_name, public_indicators

ADMIN = "admin@national.example"
STRICT = {"name": "strict-local", "title": "Counts up to 200 suppressed (a test's rule)", "source": "this test",
          "source_text": "counts 1 to 200 are hidden", "threshold": 200, "zero_is_safe": True, "rounding": None,
          "national_exempt": False, "protection_interval": 200, "exempt_measures": []}


def put(client, path: str, body: dict, token: str | None = None):
    return client.put(path, json=body, headers={"X-CSRF-Token": token or csrf_from(client)})


@pytest.mark.parametrize("email", [None, "viewer@national.example", "analyst@national.example", "admin@qkk.example",
                                   "analyst@qkk.example", "viewer@qwe.example"])
def test_nobody_but_a_workspace_admin_reads_or_changes_the_settings(email, new_client, store):
    client = new_client()
    if email is not None:
        sign_in(client, email)
    refused = 401 if email is None else 403
    token = csrf_from(client, "/sign-in" if email is None else "/")
    assert client.get("/api/workspace/settings").status_code == refused
    assert put(client, "/api/workspace/disclosure-rule", {"name": "under-10"}, token).status_code == refused
    assert put(client, "/api/workspace/public-indicators", {"indicator_id": "ae-4hr", "public": True},
               token).status_code == refused
    page = client.get("/workspace/settings", follow_redirects=False)
    assert (page.status_code, page.headers.get("location")) == ((303, "/sign-in") if email is None else (403, None))
    for path, form in (("/workspace/settings/disclosure", {"name": "under-10"}),
                       ("/workspace/settings/public", {"indicator_id": "ae-4hr", "public": "true"})):
        posted = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert posted.status_code == (303 if email is None else 403), path  # anonymous: to the sign-in page
        assert email is not None or posted.headers["location"] == "/sign-in"
    if email is not None:
        assert "top-level organisation" in client.get("/api/workspace/settings").json()["detail"]
    with store.sessions() as db:  # nothing changed
        assert (disclosure_rule_name(db), public_indicators(db), changes(db)) == (DEFAULT_DISCLOSURE, frozenset(), [])


def test_an_admin_sets_the_rule_and_every_outsider_s_next_view_is_protected_by_it(published,  # noqa: F811
                                                                                   new_client):
    outsider = as_viewer(new_client, OUTSIDER)
    before = screening_view(outsider)  # kept by the worker under the rule in force
    assert before["disclosure"]["rule"] == "nhs-hes-2018" and by_code(before)["RAX"]["numerator"] == round5(288)
    admin = as_viewer(new_client, ADMIN)
    assert '<a href="/workspace/settings">' in admin.get("/").text
    assert '<a href="/workspace/settings">' not in as_viewer(new_client, "admin@qkk.example").get("/").text
    form = admin.get("/workspace/settings").text
    assert "In force: NHS Digital disclosure control" in form
    assert admin.post("/workspace/settings/disclosure", data={"name": "under-10"}).status_code == 403  # no CSRF
    chosen = admin.post("/workspace/settings/disclosure", data={"name": "under-10", "csrf_token": csrf_of(form)},
                        follow_redirects=False)
    assert chosen.status_code == 303 and chosen.headers["location"] == "/workspace/settings"
    after = screening_view(outsider)
    assert after["disclosure"]["rule"] == "under-10" and by_code(after)["RAX"]["numerator"] == 288  # not rounded
    uploaded = admin.post("/workspace/settings/disclosure", data={"name": "under-10", "csrf_token": csrf_of(form)},
                          files={"rule_file": ("strict.yaml", yaml.safe_dump(STRICT).encode(), "application/yaml")},
                          follow_redirects=False)
    assert uploaded.status_code == 303  # the file, given, is used instead of the shipped name
    strict = screening_view(outsider)
    assert strict["disclosure"]["rule"] == "strict-local" and by_code(strict)["RVR"]["numerator"] is None  # 145
    bad = admin.post("/workspace/settings/disclosure", data={"csrf_token": csrf_of(form)},
                     files={"rule_file": ("typo.yaml", yaml.safe_dump({**STRICT, "threshold": "seven"}).encode())})
    assert bad.status_code == 400 and "typo.yaml: field &#39;threshold&#39; must be a whole number" in bad.text
    api = put(admin, "/api/workspace/disclosure-rule", {"name": "nope"})
    assert api.status_code == 400 and "'nope' is not a shipped rule" in api.json()["detail"]
    both = put(admin, "/api/workspace/disclosure-rule", {"name": "under-10", "rule_yaml": "threshold: 3"})
    assert both.status_code == 400 and "not both or neither" in both.json()["detail"]
    assert screening_view(outsider)["disclosure"]["rule"] == "strict-local"  # the refused ones changed nothing
    settings = admin.get("/api/workspace/settings").json()
    assert settings["disclosure_rule"] == {"name": None, "description": settings["disclosure_rule"]["description"]}
    assert settings["disclosure_rule"]["description"].startswith("Counts up to 200 suppressed (a test's rule)")
    assert [(c["key"], c["value"][:12], c["changed_by"]) for c in settings["changes"]] == [
        ("disclosure_rule", yaml.safe_dump(STRICT)[:12], ADMIN), ("disclosure_rule", "under-10", ADMIN)]
    assert settings["changes"][0]["changed_at"] >= settings["changes"][1]["changed_at"]
    assert put(admin, "/api/workspace/disclosure-rule", {"name": "nhs-hes-2018"}).json()["disclosure_rule"][
        "name"] == "nhs-hes-2018"
    assert screening_view(outsider) == before  # back to the first rule: the same answer as before
    history = admin.get("/workspace/settings").text
    assert history.count(f"<td>{ADMIN}</td><td>disclosure_rule</td>") == 3


def test_an_admin_makes_an_indicator_public_and_private_again(published, new_client, store):  # noqa: F811
    anonymous = new_client()
    assert anonymous.get(f"/api/atlas/screening/{PERIOD}").status_code == 401
    admin = as_viewer(new_client, ADMIN)
    made = put(admin, "/api/workspace/public-indicators", {"indicator_id": "screening", "public": True})
    assert made.status_code == 200 and made.json()["public_indicators"] == ["screening"]
    assert set(made.json()["published_indicators"]) >= {"screening", "ae-4hr"}
    seen = screening_view(anonymous)
    assert seen["disclosure"]["rule"] == "nhs-hes-2018" and by_code(seen)["RJ7"]["numerator"] is None  # protected
    page = admin.get("/workspace/settings").text
    assert page.count("Make it private") == 1
    assert admin.post("/workspace/settings/public", data={"indicator_id": "screening", "public": "false"}
                      ).status_code == 403  # no CSRF token
    hidden = admin.post("/workspace/settings/public", data={"indicator_id": "screening", "public": "false",
                                                            "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert hidden.status_code == 303
    assert anonymous.get(f"/api/atlas/screening/{PERIOD}").status_code == 401
    unknown = admin.post("/workspace/settings/public", data={"indicator_id": "nope", "public": "true",
                                                             "csrf_token": csrf_of(page)})
    assert unknown.status_code == 400 and "&#39;nope&#39; is not an indicator published in this workspace" in unknown.text
    with store.sessions() as db:
        assert [(c.key, c.value, c.changed_by) for c in changes(db)] == [
            ("public_indicators", "[]", ADMIN), ("public_indicators", '["screening"]', ADMIN)]
