"""Reliability of a real `gains serve`: a server killed (SIGKILL, no chance to clean up) during a batch upload
leaves no partial batch, and restarts with every published figure as it was."""

import os
import signal
import sqlite3
import time
from contextlib import closing

import httpx
import psycopg
import pytest
from served import start, stop
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from marginalgains.store import accounts
from marginalgains.store.database import open_store
from marginalgains.store.models import Batch, BatchRejection, Value

CATALOGUE = (os.path.dirname(__file__) + "/fixtures/catalogue.yaml")
AREAS, PERIODS = 2000, [f"{2019 + i}/{20 + i}" for i in range(5)]  # 10,000 rows
CHUNK = 64 * 1024


def values_csv(shift: int) -> bytes:
    """Every area x period once; `shift` changes the numerators so two uploads are told apart."""
    lines = ["indicator_id,area_code,period,numerator,denominator"]
    lines += [f"screening,A{a:05d},{p},{(a * 7 + i * 3 + shift) % 90 + 5},100"
              for i, p in enumerate(PERIODS) for a in range(AREAS)]
    return ("\n".join(lines) + "\n").encode()


def upload_request(base: str, token: str, values: bytes) -> httpx.Request:
    with open(CATALOGUE, "rb") as catalogue:
        return httpx.Request("POST", f"{base}/api/organisations/QWE/batches", data={"kind": "tidy"},
                             headers={"Authorization": f"Bearer {token}"},
                             files={"values": ("values.csv", values, "text/csv"),
                                    "catalogue": ("catalogue.yaml", catalogue.read(), "application/yaml")})


def streamed(request: httpx.Request, after_body) -> httpx.Request:
    """The same request with its body sent in chunks; `after_body` runs once the whole body has gone."""
    body = request.read()

    def chunks():
        for start_at in range(0, len(body), CHUNK):
            yield body[start_at:start_at + CHUNK]
        after_body()
    return httpx.Request("POST", request.url, headers=dict(request.headers), content=chunks())


def wait_for_a_write_transaction(url: str, seconds: float = 120) -> None:
    """Return once some connection holds an open write transaction on the store (the upload being stored)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not writing(url):
        time.sleep(0.002)


def writing(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(parsed.database, timeout=0, isolation_level=None)) as probe:
            try:
                probe.execute("BEGIN IMMEDIATE")  # refused at once while another connection holds the write lock
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc) or "busy" in str(exc), exc
                return True
            probe.execute("ROLLBACK")
            return False
    with psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False)) as probe:
        return probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()").fetchone()[0] > 0


def state(url: str) -> dict:
    """What the store holds: each batch with its stored value and rejection counts, and the current figures."""
    store = open_store(url, migrate=False)
    try:
        with store.sessions() as db:
            batches = {b.id: (b.status, b.rows_accepted, b.rows_rejected) for b in db.scalars(select(Batch))}
            stored = dict(db.execute(select(Value.batch_id, func.count()).group_by(Value.batch_id)).all())
            rejected = dict(db.execute(select(BatchRejection.batch_id, func.count())
                                       .group_by(BatchRejection.batch_id)).all())
            current = db.scalar(select(func.count()).select_from(Value).join(Batch, Batch.id == Value.batch_id)
                                .where(Batch.status == "published", Value.superseded_by_id.is_(None)))
    finally:
        store.dispose()
    return {"batches": batches, "stored": stored, "rejected": rejected, "current": current}


def assert_no_partial_batch(snapshot: dict) -> None:
    for batch_id, (status, accepted, rejected) in snapshot["batches"].items():
        if status != "discarded":
            assert snapshot["stored"].get(batch_id, 0) == accepted, (batch_id, snapshot)
        assert snapshot["rejected"].get(batch_id, 0) == rejected, (batch_id, snapshot)
    assert set(snapshot["stored"]) <= set(snapshot["batches"]), snapshot


def published_views(base: str, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    index = httpx.get(f"{base}/api/atlas", headers=headers, timeout=120).json()
    views = {(i["id"], p["period"]): httpx.get(f"{base}/api/atlas/{i['id']}/{p['period']}", headers=headers,
                                               timeout=120).json()
             for i in index for p in i["periods"][-1:]}
    return {"index": index, "views": views}


@pytest.fixture
def workspace(databases, demo_template):
    url = databases.new(template=demo_template)
    store = open_store(url)
    with store.sessions() as db:
        token, _ = accounts.issue_token(db, accounts.user_by_email(db, "analyst@qwe.example"),
                                        accounts.organisation_by_code(db, "QWE"), "analyst", "reliability")
        db.commit()
    store.dispose()
    yield url, token, databases.app_url(url)
    databases.drop(url)


def test_a_server_killed_during_an_upload_keeps_no_partial_batch_and_restarts_with_all_published(workspace, tmp_path):
    url, token, app_url = workspace
    base, process = start(url, tmp_path / "ws", workers=1, app_database=app_url)
    try:
        with httpx.Client(timeout=300) as client:
            response = client.send(upload_request(base, token, values_csv(0)))
            assert response.status_code == 201, response.text
            published = client.post(f"{base}/api/batches/{response.json()['id']}/publish",
                                    headers={"Authorization": f"Bearer {token}"})
            assert published.status_code == 200, published.text
        before = state(url)
        views = published_views(base, token)
        assert before["batches"][response.json()["id"]] == ("published", AREAS * len(PERIODS), 0)
        # SIGKILLed while the server's transaction is storing the next upload: no chance to clean up
        def kill():
            wait_for_a_write_transaction(url)
            os.killpg(process.pid, signal.SIGKILL)
        with httpx.Client(timeout=300) as client, pytest.raises(httpx.TransportError):
            answer = client.send(streamed(upload_request(base, token, values_csv(1)), kill))
            pytest.fail(f"the upload finished ({answer.status_code}) before the kill")
        process.wait(timeout=30)
        after = state(url)
        assert after == before  # no trace of the interrupted upload, nothing published lost
        assert_no_partial_batch(after)
        base, process = start(url, tmp_path / "ws", workers=1, app_database=app_url)
        assert published_views(base, token) == views
        with httpx.Client(timeout=300) as client:  # and the restarted server takes the same upload whole
            response = client.send(upload_request(base, token, values_csv(1)))
            assert response.status_code == 201 and response.json()["rows_accepted"] == AREAS * len(PERIODS)
        assert_no_partial_batch(state(url))
    finally:
        stop(process)
