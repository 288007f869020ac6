"""Webhooks through the real API: an admin sets an address, plan events are POSTed there signed with
HMAC-SHA256, checked by a receiver on 127.0.0.1 that computes the signature itself."""

import hashlib
import hmac
import json
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_web_plans import OWNER, PARTNER, PLAN, api_post, create
from web_helpers import sign_in

from marginalgains.web.webhooks import SIGNATURE_HEADER


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
