"""Every request's transactions act for the viewer's organisations: on PostgreSQL, where the served app connects
as a role that does not own the tables, a raw query inside a request cannot see another organisation's draft
(row-level security, migration 0006), in the request's first transaction or any later one; on SQLite the web
layer alone decides, and a raw query sees every row."""

from fastapi import FastAPI
from sqlalchemy import text
from test_web_data import upload
from web_helpers import sign_in

from marginalgains.store.tenancy import ORGANISATIONS_SETTING, TENANT_TABLES
from marginalgains.web.deps import DB, CurrentViewer

RAW_PATH = "/test-only/raw-rows/{batch_id}"


def add_raw_query_route(app: FastAPI) -> None:
    """A route that reads a batch's rows by raw SQL in the request's own session, in two transactions."""
    @app.get(RAW_PATH)
    def raw_rows(batch_id: int, viewer: CurrentViewer, db: DB) -> dict:
        seen = []
        for _ in range(2):
            column = {"batches": "id"}
            seen.append({t: db.execute(text(f"SELECT count(*) FROM {t} WHERE {column.get(t, 'batch_id')} = :b"),
                                       {"b": batch_id}).scalar_one() for t in TENANT_TABLES})
            db.commit()  # the next transaction must act for the same organisations
        if db.get_bind().dialect.name != "postgresql":
            return {"first": seen[0], "later": seen[1]}
        role, acting = db.execute(text("SELECT current_user, current_setting(:s, true)"),
                                  {"s": ORGANISATIONS_SETTING}).one()
        return {"first": seen[0], "later": seen[1], "role": role, "acting_for": acting}


def test_a_raw_query_in_a_request_sees_another_organisations_draft_on_no_database_but_sqlite(app, client, new_client,
                                                                                           store):
    add_raw_query_route(app)
    sign_in(client, "analyst@qkk.example")
    draft = upload(client, code="QKK", api=True).json()
    assert draft["status"] == "draft" and draft["rows_accepted"] == 2 and draft["rows_rejected"] == 2
    whole = {"batches": 1, "indicator_values": 2, "batch_indicators": 1, "batch_rejections": 2}
    none = dict.fromkeys(TENANT_TABLES, 0)
    own = client.get(RAW_PATH.format(batch_id=draft["id"])).json()
    assert own["first"] == own["later"] == whole
    outsider, anonymous = new_client(), new_client()
    sign_in(outsider, "analyst@qwe.example")
    seen_by = {"QWE": outsider.get(RAW_PATH.format(batch_id=draft["id"])).json(),
               "nobody": anonymous.get(RAW_PATH.format(batch_id=draft["id"])).json()}
    published_demo = 1  # the national team's A&E batch, seeded published: readable by policy
    if store.dialect == "sqlite":
        assert all(s["first"] == whole for s in seen_by.values())  # no row-level security: the web layer decides
        assert outsider.get(f"/api/batches/{draft['id']}").status_code == 404
        return
    with store.sessions() as db:
        ids = dict(db.execute(text("SELECT code, id FROM organisations WHERE code IN ('QKK', 'QWE')")).all())
        owner = db.execute(text("SELECT tableowner FROM pg_tables WHERE tablename = 'batches'")).scalar_one()
    assert own["acting_for"] == str(ids["QKK"]) and own["role"] != owner
    assert seen_by["QWE"]["acting_for"] == str(ids["QWE"]) and seen_by["nobody"]["acting_for"] == ""
    for seen in seen_by.values():
        assert seen["first"] == seen["later"] == none and seen["role"] == own["role"]
    for browser in (outsider, anonymous):
        assert browser.get(RAW_PATH.format(batch_id=published_demo)).json()["first"]["batches"] == 1


def test_a_request_names_its_viewer_s_organisations_once(app, client, new_client, store, settings_sent):
    """One statement a request of one transaction (none for a visitor, who acts for nobody), whatever it reads;
    a request that commits and goes on names them again in its next transaction (test above)."""
    sign_in(client, "analyst@qkk.example")
    serving = app.state.store.engine
    with store.sessions() as db:
        qkk = db.execute(text("SELECT id FROM organisations WHERE code = 'QKK'")).scalar_one()
    for path in ("/api/organisations/QKK/batches", "/api/follows", "/api/plans", "/organisations/QKK/jobs"):
        with settings_sent(serving) as sent:
            assert client.get(path).status_code == 200, path
        assert sent == ([] if store.dialect == "sqlite" else [(str(qkk), "")]), path
    with settings_sent(serving) as sent:
        assert new_client().get("/api/atlas").status_code == 401  # read the public indicators: the demo has none
    assert sent == []
