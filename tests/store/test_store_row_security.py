"""Row-level security (migration 0006): on PostgreSQL a role that does not own the tables reads another
organisation's draft batch rows by no raw query; published rows stay readable; on SQLite the migration is a no-op."""

import io
import uuid

import pytest
from sqlalchemy import text

from marginalgains.store import accounts, batches
from marginalgains.store.database import open_store
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


def test_an_application_role_cannot_read_another_organisations_draft(workspace):
    store, ids = workspace
    if store.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; on SQLite the migration does nothing (checked below)")
    (qwe, draft), (qkk, published) = ids["QWE"], ids["QKK"]
    role = f"mg_app_{uuid.uuid4().hex[:8]}"
    with store.engine.connect() as owner:
        owner.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        owner.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        owner.execute(text(f"GRANT {role} TO CURRENT_USER"))
        owner.commit()
    try:
        everything = {"batches": 1, "indicator_values": 2, "batch_indicators": 1, "batch_rejections": 1}
        nothing = dict.fromkeys(TENANT_TABLES, 0)
        for acting_for, draft_rows in ((str(qkk), nothing), (None, nothing), ("", nothing),
                                       (f"{qkk},{qwe}", everything), (str(qwe), everything)):
            with store.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {role}"))
                assert rows_seen(connection, acting_for, draft) == draft_rows, acting_for
                assert rows_seen(connection, acting_for, published) == everything, acting_for  # published: all
                connection.rollback()
        with store.engine.connect() as connection:  # nor may it write rows of an organisation it does not act for
            connection.execute(text(f"SET LOCAL ROLE {role}"))
            connection.execute(text("SELECT set_config('app.organisation_ids', :ids, true)"), {"ids": str(qkk)})
            assert connection.execute(text("UPDATE batches SET filename = 'x' WHERE id = :b"),
                                      {"b": draft}).rowcount == 0
            with pytest.raises(Exception, match="row-level security"):
                connection.execute(text("UPDATE batches SET organisation_id = :other WHERE id = :b"),
                                   {"other": qwe, "b": published})
            connection.rollback()
        with store.engine.connect() as owner:  # the tables' owner (migrations, admin commands) is not limited
            assert rows_seen(owner, None, draft) == everything
    finally:
        with store.engine.connect() as owner:
            owner.execute(text(f"DROP OWNED BY {role}"))
            owner.execute(text(f"DROP ROLE {role}"))
            owner.commit()


def test_on_sqlite_the_migration_changes_nothing(workspace):
    store, ids = workspace
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite half")
    with store.engine.connect() as connection:
        assert rows_seen(connection, None, ids["QWE"][1]) == {"batches": 1, "indicator_values": 2,
                                                               "batch_indicators": 1, "batch_rejections": 1}
