"""Row-level security (migrations 0006 and 0009): on PostgreSQL a role that does not own the tables reads another
organisation's draft batch rows, data locations, engine jobs, members' follows and draft signals by no raw query;
published rows stay readable; the job runner sees every job but no other row; on SQLite the policies are absent."""

import io
import uuid

import pytest
from sqlalchemy import text

from marginalgains.store import accounts, batches
from marginalgains.store.database import open_store
from marginalgains.store.models import DataLocation, EngineJob, Follow, SpcSignal
from test_store_batches import CATALOGUE, GOOD

TENANT_TABLES = ("batches", "indicator_values", "batch_indicators", "batch_rejections")
WITH_REJECTION = GOOD + b"screening,A3,2023/24,70,60\n"  # a numerator above its denominator: one rejection


@pytest.fixture
def workspace(database_url):
    """Two ICBs: QWE with a draft (two values, one rejection), QKK with a published batch; their ids."""
    store = open_store(database_url)
    with store.sessions() as db:
        ids = {}
        for code, publish in (("QWE", False), ("QKK", True)):
            organisation = accounts.add_organisation(db, code, f"ICB {code}", "icb")
            catalogue, read = batches.read_upload("tidy", io.BytesIO(WITH_REJECTION), "values.csv",
                                                  io.BytesIO(CATALOGUE))
            batch = batches.create_draft(db, organisation, None, "tidy", "values.csv", catalogue, read)
            if publish:
                batches.publish(db, batch, None)
            ids[code] = (organisation.id, batch.id)
        db.commit()
    yield store, ids
    store.dispose()


def rows_seen(connection, acting_for: str | None, batch_id: int) -> dict[str, int]:
    """Rows of `batch_id` in each tenant table, read by a raw query in one transaction acting for organisations."""
    if acting_for is not None:
        connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true)"), {"ids": acting_for})
    column = {"batches": "id"}
    return {table: connection.execute(text(f"SELECT count(*) FROM {table} WHERE {column.get(table, 'batch_id')} = :b"),
                                      {"b": batch_id}).scalar_one() for table in TENANT_TABLES}


@pytest.fixture
def app_role(workspace):
    """A role that does not own the tables (as the service's is), which the owner's connections may SET ROLE to."""
    store, _ = workspace
    if store.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; on SQLite the migrations make no policies (checked below)")
    role = f"mg_app_{uuid.uuid4().hex[:8]}"
    with store.engine.connect() as owner:
        owner.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        owner.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        owner.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        owner.execute(text(f"GRANT {role} TO CURRENT_USER"))
        owner.commit()
    yield role
    with store.engine.connect() as owner:
        owner.execute(text(f"DROP OWNED BY {role}"))
        owner.execute(text(f"DROP ROLE {role}"))
        owner.commit()


def test_an_application_role_cannot_read_another_organisations_draft(workspace, app_role):
    store, ids = workspace
    (qwe, draft), (qkk, published) = ids["QWE"], ids["QKK"]
    everything = {"batches": 1, "indicator_values": 2, "batch_indicators": 1, "batch_rejections": 1}
    nothing = dict.fromkeys(TENANT_TABLES, 0)
    for acting_for, draft_rows in ((str(qkk), nothing), (None, nothing), ("", nothing),
                                   (f"{qkk},{qwe}", everything), (str(qwe), everything)):
        with store.engine.connect() as connection:
            connection.execute(text(f"SET LOCAL ROLE {app_role}"))
            assert rows_seen(connection, acting_for, draft) == draft_rows, acting_for
            assert rows_seen(connection, acting_for, published) == everything, acting_for  # published: all
            connection.rollback()
    with store.engine.connect() as connection:  # nor may it write rows of an organisation it does not act for
        connection.execute(text(f"SET LOCAL ROLE {app_role}"))
        connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true)"), {"ids": str(qkk)})
        assert connection.execute(text("UPDATE batches SET filename = 'x' WHERE id = :b"),
                                  {"b": draft}).rowcount == 0
        with pytest.raises(Exception, match="row-level security"):
            connection.execute(text("UPDATE batches SET organisation_id = :other WHERE id = :b"),
                               {"other": qwe, "b": published})
        connection.rollback()
    with store.engine.connect() as owner:  # the tables' owner (migrations, admin commands) is not limited
        assert rows_seen(owner, None, draft) == everything


@pytest.fixture
def teams(workspace):
    """Beside each organisation's batch (QWE's a draft, QKK's published): a member following an area, a data
    location, a queued engine job and a special-cause signal found at the batch. The ids of each, by code."""
    store, ids = workspace
    rows = {}
    with store.sessions() as db:
        for code, area in (("QWE", "A1"), ("QKK", "A2")):
            organisation_id, batch_id = ids[code]
            organisation = accounts.organisation_by_code(db, code)
            member = accounts.add_user(db, f"analyst@{code.lower()}.example", f"Analyst {code}", None)
            accounts.grant(db, member, organisation, "analyst")
            location = DataLocation(organisation=organisation, name="records", kind="folder", location=f"/{code}",
                                    added_by="test")
            db.add(location)
            db.flush()
            job = EngineJob(organisation=organisation, location_id=location.id, location_name="records",
                            backend="duckdb", catalogue_filename="c.yaml", catalogue="indicators: []", state="queued",
                            progress_done=0, progress_label="queued")
            follow = Follow(user_id=member.id, indicator_id="screening", area_code=area)
            signal = SpcSignal(batch_id=batch_id, indicator_id="screening", area_code=area, period="2023/24",
                               point_type="special_cause_concern", rule="beyond_limits", value=0.5)
            db.add_all([job, follow, signal])
            db.flush()
            rows[code] = {"data_locations": location.id, "engine_jobs": job.id, "follows": follow.id,
                          "spc_signals": signal.id, "organisation": organisation_id}
        db.commit()
    return store, rows


ROW_SECURED = ("data_locations", "engine_jobs", "follows", "spc_signals")


def ids_seen(connection, acting_for: str, runner: bool = False) -> dict[str, set[int]]:
    """The ids a raw query reads in each table of migration 0009, in one transaction acting for organisations."""
    connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true), "
                            "set_config('app.job_runner', :runner, true)"),
                       {"ids": acting_for, "runner": "on" if runner else ""})
    return {table: set(connection.execute(text(f"SELECT id FROM {table}")).scalars()) for table in ROW_SECURED}


def test_jobs_locations_follows_and_draft_signals_of_another_organisation_are_invisible(teams, app_role):
    store, rows = teams
    qwe, qkk = rows["QWE"], rows["QKK"]
    with store.engine.connect() as connection:
        connection.execute(text(f"SET LOCAL ROLE {app_role}"))
        # acting for QKK: its own rows, and the signal of QWE's batch only once published (it is a draft)
        assert ids_seen(connection, str(qkk["organisation"])) == {t: {qkk[t]} for t in ROW_SECURED}
        assert ids_seen(connection, "") == {"data_locations": set(), "engine_jobs": set(), "follows": set(),
                                            "spc_signals": {qkk["spc_signals"]}}
        both = f"{qwe['organisation']},{qkk['organisation']}"
        assert ids_seen(connection, both) == {t: {qwe[t], qkk[t]} for t in ROW_SECURED}
        # the job runner: every job's row, and still no other organisation's location or follow
        assert ids_seen(connection, "", runner=True) == {
            "data_locations": set(), "engine_jobs": {qwe["engine_jobs"], qkk["engine_jobs"]}, "follows": set(),
            "spc_signals": {qkk["spc_signals"]}}
        # publication's one question across organisations: which areas are followed, by which organisations
        connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true)"), {"ids": ""})
        assert set(connection.execute(text("SELECT * FROM followed_areas(ARRAY['screening'])")).all()) == {
            ("screening", "A1", qwe["organisation"]), ("screening", "A2", qkk["organisation"])}
        connection.rollback()
    with store.engine.connect() as connection:  # nor may it change, cancel or add another organisation's
        connection.execute(text(f"SET LOCAL ROLE {app_role}"))
        connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true)"), {"ids": str(qkk["organisation"])})
        for table in ROW_SECURED:
            assert connection.execute(text(f"DELETE FROM {table} WHERE id = :i"), {"i": qwe[table]}).rowcount == 0
        assert connection.execute(text("UPDATE engine_jobs SET state = 'cancelled' WHERE id = :i"),
                                  {"i": qwe["engine_jobs"]}).rowcount == 0
        with pytest.raises(Exception, match="row-level security"):
            connection.execute(text("INSERT INTO data_locations (organisation_id, name, kind, location, added_by, "
                                    "created_at) VALUES (:o, 'mine now', 'folder', '/etc', 'x', now())"),
                               {"o": qwe["organisation"]})
        connection.rollback()
    with store.engine.connect() as owner:  # the owner is not limited
        assert ids_seen(owner, "") == {t: {qwe[t], qkk[t]} for t in ROW_SECURED}


def test_on_sqlite_the_new_tables_have_no_policies(teams):
    store, rows = teams
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite half")
    with store.engine.connect() as connection:
        assert {t: set(connection.execute(text(f"SELECT id FROM {t}")).scalars()) for t in ROW_SECURED} == {
            t: {rows["QWE"][t], rows["QKK"][t]} for t in ROW_SECURED}


def test_on_sqlite_the_migration_changes_nothing(workspace):
    store, ids = workspace
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite half")
    with store.engine.connect() as connection:
        assert rows_seen(connection, None, ids["QWE"][1]) == {"batches": 1, "indicator_values": 2,
                                                               "batch_indicators": 1, "batch_rejections": 1}
