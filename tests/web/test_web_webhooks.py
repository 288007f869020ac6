"""Webhooks through the real API: an admin sets an address, each kind of activity (plan versions and statuses,
comments, published data, special-cause signals) is POSTed there signed with HMAC-SHA256, checked by a receiver on
127.0.0.1 that computes the signature itself."""

import hashlib
import hmac
import io
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from test_web_follows import MONTHS, OUTSIDER, STEADY, follow, publish, series
from test_web_follows import OWNER as OWNER_ICB
from test_web_plans import OWNER, PARTNER, PLAN, api_post, create
from web_helpers import sign_in

from marginalgains.io.catalogue import read_catalogue
from marginalgains.plans import Plan, track
from marginalgains.web.webhooks import SIGNATURE_HEADER

SCREENING_PLAN = {"id": "scr-rj7", "title": "Screening at St George's", "indicator_id": "screening", "areas": ["RJ7"],
                  "owner": {"organisation": "QWE"}, "partners": ["QKK"],
                  "baseline": {"from": "2022-04", "to": "2023-03"}, "target": "+5pp", "by": "2024-03"}
CATALOGUE = read_catalogue(Path(__file__).parent / "fixtures" / "catalogue.yaml")


def library_status(values: pd.DataFrame) -> str:
    """The plans library's status of the screening plan over these values (what its owner sees)."""
    values = values.astype({"period": str, "area_code": str})
    tracking = track([Plan.from_dict(SCREENING_PLAN)], values[values["area_code"] == "RJ7"].reset_index(drop=True),
                     CATALOGUE)
    return tracking.scorecard.iloc[0]["status"]


@pytest.fixture
def receiver():
    """A local HTTP server that puts each POST's (headers, body) on a queue."""
    received = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            received.put((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_a_partners_webhook_gets_each_plan_event_signed(client, new_client, receiver):
    url, received = receiver
    admin = new_client()
    sign_in(admin, "admin@qwe.example")
    hook = api_post(admin, "/api/organisations/QWE/webhook", {"url": url}, "put")
    assert hook.status_code == 200 and hook.json()["url"] == url
    secret = hook.json()["secret"]
    sign_in(client, OWNER)
    plan_id = create(client).json()["id"]
    api_post(client, f"/api/plans/{plan_id}/comments", {"body": f"@{PARTNER} see this"})
    events = [received.get(timeout=20) for _ in range(2)]
    for headers, body in events:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    payloads = sorted((json.loads(body) for _, body in events), key=lambda p: p["kind"])
    assert [(p["kind"], p["plan"], p["plan_id"]) for p in payloads] == [
        ("comment", plan_id, PLAN["id"]), ("plan.version", plan_id, PLAN["id"])]
    assert payloads[0]["mentions"] == [PARTNER] and payloads[1]["version"] == 1 and payloads[1]["author"] == OWNER


def test_only_an_admin_sets_the_webhook_and_only_an_http_address(client, new_client, receiver):
    url, _ = receiver
    sign_in(client, PARTNER)  # an analyst of QWE
    assert api_post(client, "/api/organisations/QWE/webhook", {"url": url}, "put").status_code == 403
    admin = new_client()
    sign_in(admin, "admin@qwe.example")
    refused = api_post(admin, "/api/organisations/QWE/webhook", {"url": "file:///etc/passwd"}, "put")
    assert refused.status_code == 400 and "url" in refused.json()["detail"]
    assert api_post(admin, "/api/organisations/QKK/webhook", {"url": url}, "put").status_code == 404
    assert admin.put("/api/organisations/QWE/webhook", json={"url": url}).status_code == 403  # no CSRF token


def events_until(received, kinds: set[str], seconds: float = 30) -> dict[str, list[dict]]:
    """Every event POSTed until one of each of `kinds` has come, by kind, each signature checked by the caller."""
    got: dict[str, list] = {}
    deadline = time.monotonic() + seconds
    while not kinds <= set(got):
        headers, body = received.get(timeout=max(deadline - time.monotonic(), 0.1))
        got.setdefault(json.loads(body)["kind"], []).append((headers, body))
    return got


def test_every_feed_kind_reaches_a_partners_webhook(client, new_client, receiver):
    """QKK works on a plan with QWE and follows one of its areas: QWE's next publication sends QKK's webhook
    `published`, the plan's `plan.status` it changed, and the new `signal`; a mention on an indicator, `comment`."""
    url, received = receiver
    admin = new_client()
    sign_in(admin, "admin@qkk.example")
    secret = api_post(admin, "/api/organisations/QKK/webhook", {"url": url}, "put").json()["secret"]
    sign_in(client, OWNER_ICB)
    steady = series({"RJ7": [n * 10 for n in STEADY], "RAX": [500] * 20}, MONTHS[:20], 1000)
    publish(client, steady)
    plan = api_post(client, "/api/plans", {"organisation": "QWE", "document": json.dumps(SCREENING_PLAN)})
    assert plan.status_code == 201, plan.text
    follower = new_client()
    sign_in(follower, OUTSIDER)
    assert follow(follower, "RJ7").status_code == 201
    assert api_post(follower, "/api/indicators/screening/comments",
                    {"organisation": "QKK", "body": "@viewer@qkk.example see RJ7"}).status_code == 201
    later = series({"RJ7": [900], "RAX": [500]}, MONTHS[20:], 1000)
    published = publish(client, later)

    got = events_until(received, {"plan.version", "comment", "published", "plan.status", "signal"})
    for headers, body in (e for events in got.values() for e in events):
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    payload = {kind: json.loads(events[0][1]) for kind, events in got.items()}
    assert payload["comment"]["mentions"] == ["viewer@qkk.example"] and payload["comment"]["indicator_id"] == "screening"
    assert (payload["published"]["organisation"], payload["published"]["batch"], payload["published"]["indicators"]) == (
        "QWE", published["batch"]["id"], ["screening"])
    values = [pd.read_csv(io.BytesIO(b)) for b in (steady, later)]
    before, after = (library_status(pd.concat(values[:n])) for n in (1, 2))
    assert before != after  # the month beyond the limits changes the plan's status, as the library judges it
    assert {k: payload["plan.status"][k] for k in ("plan_id", "area_code", "previous", "status")} == {
        "plan_id": "scr-rj7", "area_code": "RJ7", "previous": before, "status": after}
    signal = payload["signal"]
    assert (signal["area_code"], signal["point_type"], signal["rules"], signal["periods"]) == (
        "RJ7", "special_cause_improvement", ["beyond_limits"], ["2023-12"])
    assert signal["value"] == pytest.approx(90.0) and signal["text"].startswith("new special-cause signal")
    assert signal["synthetic"] is False
