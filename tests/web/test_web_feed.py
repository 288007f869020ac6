"""Each person's activity feed through the real pages and API: partners' published data, status changes, mentions."""

import io
import json

import pandas as pd

from test_web_data import upload
from test_web_plans import OUTSIDER, OWNER, PARTNER, PLAN, api_post, create, library_tracking
from web_helpers import csrf_from, sign_in

LATER_BASELINE = {**PLAN, "baseline": {"from": "2017-10", "to": "2018-03"}}
NAMED = f"\u201c{PLAN['title']}\u201d ({PLAN['id']})"  # how the feed names the plan


def test_a_partner_sees_mentions_status_changes_and_published_data_in_its_feed(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    api_post(client, f"/api/plans/{plan_id}/comments", {"body": f"<b>look</b> @{PARTNER}"})
    assert api_post(client, f"/api/plans/{plan_id}", {"base_version": 1, "document": json.dumps(LATER_BASELINE)},
                    "put").status_code == 200
    batch = upload(client, code="RJ7", api=True).json()["id"]
    assert client.post(f"/api/batches/{batch}/publish", headers={"X-CSRF-Token": csrf_from(client)}).status_code == 200
    partner = new_client()
    sign_in(partner, PARTNER)
    feed = partner.get("/api/feed").json()
    kinds = {item["kind"]: item for item in feed}
    assert kinds["mention"]["text"] == f"{OWNER} mentioned you on plan {NAMED}: <b>look</b> @{PARTNER}"
    before, after = (library_tracking(p).scorecard.iloc[0]["status"] for p in (PLAN, LATER_BASELINE))
    assert before != after  # the later baseline changes the status, as the library judges it
    assert kinds["status"]["text"] == f"plan {NAMED} in RJ7: {before} → {after}"
    assert kinds["published"]["text"].startswith("St George's University Hospitals NHS FT (RJ7) published values.csv")
    assert [i["at"] for i in feed] == sorted((i["at"] for i in feed), reverse=True)
    html = partner.get("/feed").text
    assert "&lt;b&gt;look&lt;/b&gt;" in html and "<b>look</b>" not in html


def test_an_outsider_sees_none_of_it(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    api_post(client, f"/api/plans/{plan_id}/comments", {"body": f"@{PARTNER}"})
    outsider = new_client()
    sign_in(outsider, OUTSIDER)
    assert outsider.get("/api/feed").json() == []


def test_the_feed_downloads_as_csv_with_the_same_items(client, new_client):
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    api_post(client, f"/api/plans/{plan_id}/comments", {"body": f"=1+1 @{PARTNER}"})
    partner = new_client()
    sign_in(partner, PARTNER)
    rows = pd.read_csv(io.StringIO(partner.get("/feed.csv").text), keep_default_na=False)
    feed = partner.get("/api/feed").json()
    assert rows[["kind", "text", "link"]].to_dict("records") == [
        {"kind": i["kind"], "text": i["text"], "link": i["link"]} for i in feed]
    assert rows["text"].tolist() == [f"{OWNER} mentioned you on plan {NAMED}: =1+1 @{PARTNER}"]
    assert 'href="/feed.csv"' in partner.get("/feed").text
