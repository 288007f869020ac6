"""Plans in the workspace through the real pages and API: create, version, refuse stale edits, track, comment."""

import io
import json
import threading

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from web_helpers import csrf_from, sign_in

from marginalgains.io.bundled import ae_values
from marginalgains.plans import Plan, track
from marginalgains.web import plans as plans_web

OWNER, PARTNER, OUTSIDER = "analyst@rj7.example", "analyst@qwe.example", "analyst@qkk.example"
PLAN = {"id": "ae-rj7", "title": "Four-hour standard at St George's", "indicator_id": "ae-4hr", "areas": ["RJ7"],
        "owner": {"organisation": "RJ7"}, "partners": ["QWE"], "baseline": {"period": "2016/17"},
        "target": "+3pp", "by": "2019-03"}
PLAN_YAML = """plans:
  - id: ae-rj7
    title: Four-hour standard at St George's
    indicator_id: ae-4hr
    areas: [RJ7]
    owner: {organisation: RJ7}
    partners: [QWE]
    baseline: {period: 2016/17}
    target: +3pp
    by: 2019-03
"""


def api_post(client, path, body, method="post"):
    return getattr(client, method)(path, json=body, headers={"X-CSRF-Token": csrf_from(client)})


def create(client, document=PLAN_YAML, organisation="RJ7"):
    return api_post(client, "/api/plans", {"organisation": organisation, "document": document})


def edited(plan: dict, **fields) -> str:
    return json.dumps({**plan, **fields})


def library_tracking(plan: dict):
    """The plans library over the bundled A&E values of the plan's areas (what the trust itself sees)."""
    catalogue, read = ae_values()
    values = read.values[read.values["area_code"].isin(plan["areas"])]
    return track([Plan.from_dict(plan)], values[["indicator_id", "area_code", "period", "numerator", "denominator"]]
                 .reset_index(drop=True), catalogue)


def test_an_analyst_creates_a_plan_tracked_over_the_figures_they_see(client):
    sign_in(client, OWNER)
    response = create(client)
    assert response.status_code == 201, response.text
    made = response.json()
    assert (made["version"], made["owner_code"], made["partner_codes"]) == (1, "RJ7", ["QWE"])
    expected = library_tracking(PLAN).scorecard.iloc[0]
    assert made["errors"] == [], made["errors"]
    row = made["scorecard"][0]
    assert (row["area_code"], row["period"], row["status"], row["forecast"]) == (
        "RJ7", expected["period"], expected["status"], expected["forecast"])
    assert row["value"] == pytest.approx(expected["value"]) and row["target"] == pytest.approx(expected["target"])
    html = client.get(f"/plans/{made['id']}").text
    assert expected["status"] in html and "Four-hour standard at St George&#39;s" in html
    chart = client.get(f"/plans/{made['id']}/chart")
    assert chart.status_code == 200 and "vega" in chart.text.lower() and '"ae-rj7"' not in chart.text.split("<body")[0]
    assert f'<a href="/plans/{made["id"]}">&larr; The plan: Four-hour standard at St George&#39;s</a>' in chart.text


def test_the_partner_sees_the_plan_but_only_its_own_figures(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    partner = new_client()
    sign_in(partner, PARTNER)
    seen = partner.get(f"/api/plans/{plan_id}").json()
    # the ICB is not shown the national team's trust figures (no sharing agreement): nothing to track for it
    assert seen["scorecard"] == [] and seen["errors"] and seen["document"]["id"] == "ae-rj7"
    assert partner.get(f"/plans/{plan_id}/chart").status_code == 404


@pytest.mark.parametrize("document, field", [
    (edited(PLAN, target="up a bit"), "target"), (edited(PLAN, by="2019-13"), "by"),
    (edited(PLAN, owner={"organisation": "QKK"}), "owner.organisation"), (edited(PLAN, partners=["NOPE"]), "partners"),
    (edited(PLAN, colour="red"), "colour"), ("plans: [", "file")])
def test_a_bad_document_is_refused_naming_the_field(client, document, field):
    sign_in(client, OWNER)
    response = create(client, document)
    assert response.status_code == 400 and field in response.json()["detail"], response.text


def test_edits_are_versioned_and_a_stale_edit_is_refused_with_the_current_version(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    partner = new_client()
    sign_in(partner, PARTNER)
    first = api_post(partner, f"/api/plans/{plan_id}", {"base_version": 1, "document": edited(PLAN, target="+4pp")},
                     "put")
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = api_post(client, f"/api/plans/{plan_id}", {"base_version": 1, "document": edited(PLAN, by="2019-02")},
                     "put")
    assert stale.status_code == 409
    assert stale.json()["current"]["number"] == 2 and stale.json()["current"]["document"]["target"]["amount"] == 4
    # resolved: the owner re-applies the change to version 2, and neither change is lost
    merged = api_post(client, f"/api/plans/{plan_id}",
                      {"base_version": 2, "document": edited(PLAN, target="+4pp", by="2019-02")}, "put")
    assert merged.status_code == 200 and merged.json()["version"] == 3
    history = client.get(f"/api/plans/{plan_id}/versions").json()
    assert [(v["number"], v["author"], v["changed"]) for v in history] == [
        (1, OWNER, "created"), (2, PARTNER, "target"), (3, OWNER, "by")]
    assert history[2]["document"]["target"]["amount"] == 4 and history[2]["document"]["by"] == "2019-02"


def test_a_partner_cannot_change_the_partners(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    partner = new_client()
    sign_in(partner, PARTNER)
    grab = api_post(partner, f"/api/plans/{plan_id}",
                    {"base_version": 1, "document": edited(PLAN, partners=["QWE", "QKK"])}, "put")
    assert grab.status_code == 400 and "partners" in grab.json()["detail"]


def test_the_edit_form_shows_a_conflict_with_the_current_version(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    form = client.get(f"/plans/{plan_id}").text
    token = csrf_from(client, f"/plans/{plan_id}")
    assert 'name="base_version" value="1"' in form
    partner = new_client()
    sign_in(partner, PARTNER)
    ok = partner.post(f"/plans/{plan_id}/edit", data={"base_version": 1, "document": edited(PLAN, target="+4pp"),
                                                      "csrf_token": csrf_from(partner, f"/plans/{plan_id}")},
                      follow_redirects=False)
    assert ok.status_code == 303
    conflict = client.post(f"/plans/{plan_id}/edit", data={"base_version": 1, "document": edited(PLAN, by="2019-02"),
                                                           "csrf_token": token})
    assert conflict.status_code == 409 and "version 2" in conflict.text
    assert 'name="base_version" value="2"' in conflict.text and "2019-02" in conflict.text  # the draft is kept


def test_people_outside_the_owner_and_partners_get_404(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    outsider = new_client()
    sign_in(outsider, OUTSIDER)
    for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/chart", f"/api/plans/{plan_id}",
                 f"/api/plans/{plan_id}/versions", f"/api/plans/{plan_id}/comments"):
        assert outsider.get(path).status_code == 404, path
    assert api_post(outsider, f"/api/plans/{plan_id}", {"base_version": 1, "document": PLAN_YAML},
                    "put").status_code == 404
    assert api_post(outsider, f"/api/plans/{plan_id}/comments", {"body": "hello"}).status_code == 404
    assert outsider.get("/api/plans").json() == []


def test_plan_forms_need_the_csrf_token(client):
    sign_in(client, OWNER)
    assert client.post("/plans", data={"organisation": "RJ7", "document": PLAN_YAML}).status_code == 403
    plan_id = create(client).json()["id"]
    assert client.post(f"/plans/{plan_id}/edit", data={"base_version": 1, "document": PLAN_YAML}).status_code == 403
    assert client.post(f"/plans/{plan_id}/comments", data={"body": "hi"}).status_code == 403
    assert client.put(f"/api/plans/{plan_id}", json={"base_version": 1, "document": PLAN_YAML}).status_code == 403


def test_a_comment_mentions_people_of_the_owner_or_partners_and_stays_text(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    hostile = f"<script>alert(1)</script> over to @{PARTNER.upper()}"
    made = api_post(client, f"/api/plans/{plan_id}/comments", {"body": hostile})
    assert made.status_code == 201 and made.json()["mentions"] == [PARTNER] and made.json()["body"] == hostile
    html = client.get(f"/plans/{plan_id}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    refused = api_post(client, f"/api/plans/{plan_id}/comments", {"body": f"cc @{OUTSIDER}"})
    assert refused.status_code == 400 and "body" in refused.json()["detail"] and OUTSIDER in refused.json()["detail"]
    half = api_post(client, f"/api/plans/{plan_id}/comments", {"body": "x", "area_code": "RJ7"})
    assert half.status_code == 400 and "period" in half.json()["detail"]
    partner = new_client()
    sign_in(partner, PARTNER)
    assert [c["body"] for c in partner.get(f"/api/plans/{plan_id}/comments").json()] == [hostile]


def test_an_annotation_on_a_point_is_promoted_to_a_rebasing_plan_change(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    note = api_post(client, f"/api/plans/{plan_id}/comments",
                    {"body": "new triage model from this month", "area_code": "RJ7", "period": "2017-10"}).json()
    viewer = new_client()
    sign_in(viewer, "viewer@qwe.example")
    assert api_post(viewer, f"/api/plans/{plan_id}/comments/{note['id']}/promote",
                    {"base_version": 1}).status_code == 403
    promoted = api_post(client, f"/api/plans/{plan_id}/comments/{note['id']}/promote", {"base_version": 1})
    assert promoted.status_code == 200 and promoted.json()["version"] == 2
    changes = promoted.json()["document"]["changes"]
    assert changes == [{"date": "2017-10", "event": "new triage model from this month",
                        "reason": f"annotation by {OWNER} on RJ7", "rebase": True}]
    expected = library_tracking({**PLAN, "changes": changes}).scorecard.iloc[0]
    row = promoted.json()["scorecard"][0]
    assert [row[k] for k in ("status", "forecast", "variation", "assurance")] == [
        expected[k] for k in ("status", "forecast", "variation", "assurance")]
    assert "new triage model from this month" in client.get(f"/plans/{plan_id}/chart").text  # marked on the chart
    again = api_post(client, f"/api/plans/{plan_id}/comments/{note['id']}/promote", {"base_version": 2})
    assert again.status_code == 400 and "already promoted" in again.json()["detail"]
    assert client.get(f"/api/plans/{plan_id}/comments").json()[0]["promoted_to_version"] == 2


def test_indicator_comments_are_read_in_the_organisation_they_were_written_in(client, new_client):
    sign_in(client, OWNER)
    made = api_post(client, "/api/indicators/ae-4hr/comments", {"organisation": "RJ7", "body": "winter pressures"})
    assert made.status_code == 201 and made.json()["indicator_id"] == "ae-4hr"
    assert [c["body"] for c in client.get("/api/indicators/ae-4hr/comments").json()] == ["winter pressures"]
    outsider = new_client()
    sign_in(outsider, OUTSIDER)
    assert outsider.get("/api/indicators/ae-4hr/comments").json() == []
    assert api_post(outsider, "/api/indicators/ae-4hr/comments",
                    {"organisation": "RJ7", "body": "hi"}).status_code == 404


def test_two_people_editing_one_plan_at_once_lose_no_change(client, new_client):
    """Two browsers in two threads each add five lines to the plan's notes; a refused (stale) edit is re-applied
    to the current version it comes back with, so every line lands, each in its own version."""
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    partner = new_client()
    sign_in(partner, PARTNER)
    start, answers = threading.Barrier(2), []

    def edit_five(browser, who):
        token = csrf_from(browser)
        current = browser.get(f"/api/plans/{plan_id}").json()
        number, document = current["version"], current["document"]
        start.wait()
        for n in range(5):
            while True:
                notes = (document.get("notes", "") + f"\n{who}-{n}").strip()
                answer = browser.put(f"/api/plans/{plan_id}", headers={"X-CSRF-Token": token},
                                     json={"base_version": number, "document": json.dumps({**document, "notes": notes})})
                answers.append(answer.status_code)
                body = answer.json()
                if answer.status_code == 409:
                    number, document = body["current"]["number"], body["current"]["document"]
                    continue
                assert answer.status_code == 200, body
                number, document = body["version"], body["document"]
                break

    threads = [threading.Thread(target=edit_five, args=pair) for pair in ((client, "owner"), (partner, "partner"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) <= {200, 409} and answers.count(200) == 10
    history = client.get(f"/api/plans/{plan_id}/versions").json()
    assert [v["number"] for v in history] == list(range(1, 12))
    lines = history[-1]["document"]["notes"].split("\n")
    assert sorted(lines) == sorted([f"owner-{n}" for n in range(5)] + [f"partner-{n}" for n in range(5)])
    for who in ("owner", "partner"):  # each person's lines in the order they wrote them
        assert [line for line in lines if line.startswith(who)] == [f"{who}-{n}" for n in range(5)]


def test_another_organisations_plan_and_comment_ids_give_404_on_every_plan_route(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    note = api_post(client, f"/api/plans/{plan_id}/comments", {"body": "x", "area_code": "RJ7", "period": "2017-10"})
    outsider = new_client()
    sign_in(outsider, OUTSIDER)
    own = create(outsider, edited(PLAN, id="qkk-plan", owner={"organisation": "QKK"}, partners=[]), "QKK").json()["id"]
    token = csrf_from(outsider)
    forms = {f"/plans/{plan_id}/edit": {"base_version": 1, "document": PLAN_YAML},
             f"/plans/{plan_id}/comments": {"body": "hi"},
             f"/plans/{plan_id}/comments/{note.json()['id']}/promote": {"base_version": 1},
             f"/plans/{own}/comments/{note.json()['id']}/promote": {"base_version": 1}}
    for path, data in forms.items():
        assert outsider.post(path, data={**data, "csrf_token": token}).status_code == 404, path
    for path in (f"/api/plans/{plan_id}/comments/{note.json()['id']}/promote",
                 f"/api/plans/{own}/comments/{note.json()['id']}/promote"):
        assert api_post(outsider, path, {"base_version": 1}).status_code == 404, path
    assert [p["id"] for p in outsider.get("/api/plans").json()] == [own]
    assert client.get(f"/api/plans/{plan_id}/versions").json()[-1]["number"] == 1  # nothing changed


def test_the_plan_tables_download_as_formula_safe_csv(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client, edited(PLAN, title="=HYPERLINK(evil)")).json()["id"]
    listed = read_csv(client.get("/plans.csv"))
    assert listed.to_dict("records") == [{"plan": "ae-rj7", "title": "'=HYPERLINK(evil)", "indicator_id": "ae-4hr",
                                          "owner": "RJ7", "partners": "QWE", "version": 1, "synthetic": ""}]
    page = client.get(f"/plans/{plan_id}").text
    assert f'href="/plans/{plan_id}/scorecard.csv"' in page and f'href="/plans/{plan_id}/versions.csv"' in page
    card, expected = read_csv(client.get(f"/plans/{plan_id}/scorecard.csv")), library_tracking(PLAN).scorecard
    assert list(card[["area_code", "period", "status"]].itertuples(index=False, name=None)) == list(
        expected[["area_code", "period", "status"]].itertuples(index=False, name=None))
    assert card["value"].tolist() == pytest.approx(expected["value"].tolist())
    assert (card["plan"].tolist(), card["synthetic"].tolist()) == (["ae-rj7"], [""])
    versions = read_csv(client.get(f"/plans/{plan_id}/versions.csv"))
    assert versions[["version", "author"]].to_dict("records") == [{"version": 1, "author": OWNER}]
    outsider = new_client()
    sign_in(outsider, OUTSIDER)
    assert outsider.get(f"/plans/{plan_id}/scorecard.csv").status_code == 404
    assert outsider.get(f"/plans/{plan_id}/versions.csv").status_code == 404
    assert read_csv(outsider.get("/plans.csv")).empty


def read_csv(response):
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text), keep_default_na=False)


FIELD_CHOICES = {"title": ["Four hours", "4 hours", "Four-hour standard"], "by": ["2019-03", "2019-02", "2018-12"],
                 "notes": ["", "weekly huddle", "new triage model"]}


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({f: st.tuples(*[st.sampled_from(c)] * 3) for f, c in FIELD_CHOICES.items()}))
def test_a_stale_edit_rebased_keeps_each_field_that_only_one_side_changed(choices):
    """The law of the edit form's rebase: a field only the editor changed takes the editor's value, one only the
    other person changed keeps theirs, and one both changed differently keeps theirs and is named as a clash."""
    base, theirs, mine = ({**PLAN, **{f: v[i] for f, v in choices.items()}} for i in range(3))
    rebased = plans_web.rebase_edit(1, Plan.from_dict(base), Plan.from_dict(theirs), Plan.from_dict(mine))
    merged = Plan.from_dict(yaml.safe_load(rebased.draft)["plans"][0]).to_dict()
    for field, (old, their, my) in choices.items():
        expected = my if their == old else their
        assert merged.get(field, "") == expected, field
        assert (field in rebased.mine) == (my != old and their == old)
        assert (field in rebased.clashes) == (my != old and their != old and my != their)
        assert (field in rebased.theirs) == (their != old)
