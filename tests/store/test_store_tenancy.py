"""The application role and whom a session acts for (store/tenancy.py): granting is idempotent and refuses a
role row-level security would not limit; `act_for` names the organisations in this transaction and every later
one of the session, and nothing leaks to the next session on the same pooled connection."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marginalgains.store.database import open_store
from marginalgains.store.tenancy import (
    JOB_RUNNER_SETTING, ORGANISATIONS_SETTING, AppRoleError, act_for, acting_for, check_app_role, grant_app_role,
    run_jobs,
)

SETTING = text(f"SELECT current_setting('{ORGANISATIONS_SETTING}', true)")


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    yield store
    store.dispose()


def postgresql_only(store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("roles and row-level security are PostgreSQL's")


def test_each_transaction_of_a_session_acts_for_its_organisations_and_the_next_session_for_none(store):
    postgresql_only(store)
    with store.sessions() as db:
        assert db.execute(SETTING).scalar_one() in (None, "")  # before act_for: no organisation
        act_for(db, [7, 3, 3])
        assert acting_for(db) == "3,7" and db.execute(SETTING).scalar_one() == "3,7"  # the transaction begun
        db.commit()
        assert db.execute(SETTING).scalar_one() == "3,7"  # and the next one
        db.rollback()
    with store.sessions() as db:  # the pool hands back the same connection: the setting was transaction-local
        assert db.execute(SETTING).scalar_one() in (None, "")


def test_a_transaction_is_told_whom_it_acts_for_once_and_only_when_it_acts_for_someone(store, settings_sent):
    postgresql_only(store)
    runner = text(f"SELECT current_setting('{JOB_RUNNER_SETTING}', true)")
    with store.sessions() as db, settings_sent(store.engine) as sent:
        assert db.execute(SETTING).scalar_one() in (None, "") and db.execute(runner).scalar_one() in (None, "")
        assert sent == []  # acting for nobody: nothing to send, as a transaction begins with nothing named
        act_for(db, [3])
        act_for(db, [3])
        assert db.execute(SETTING).scalar_one() == "3" and sent == [("3", "")]  # named once
        db.commit()
        assert db.execute(SETTING).scalar_one() == "3" and len(sent) == 2  # the next transaction, at its begin
        act_for(db, [])
        assert db.execute(SETTING).scalar_one() == "" and sent[2:] == [("", "")]  # named back to nobody
        db.commit()
        run_jobs(db)  # between transactions: the next one is named at its begin
        act_for(db, [5])
        assert db.execute(runner).scalar_one() == "on" and db.execute(SETTING).scalar_one() == "5"
        assert sent[3:] == [("5", "on")]
        db.rollback()
    with store.sessions() as db:  # the pooled connection carries nothing over
        assert db.execute(SETTING).scalar_one() in (None, "") and db.execute(runner).scalar_one() in (None, "")


def test_granting_the_application_role_is_idempotent_and_the_role_is_limited(store):
    postgresql_only(store)
    role = f"mg_app_{uuid.uuid4().hex[:8]}"
    try:
        with pytest.raises(AppRoleError, match="does not exist; create it with `gains workspace app-role"):
            grant_app_role(store.engine, role)
        assert grant_app_role(store.engine, role, create=True, password="pw") is True
        assert grant_app_role(store.engine, role, create=True) is False  # again: nothing new, no error
        app = create_engine(make_url(store.engine.url).set(username=role, password="pw"))
        assert check_app_role(app) == role
        with app.connect() as connection:  # it reads the schema revision, and may not change it
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            with pytest.raises(Exception, match="permission denied"):
                connection.execute(text("DELETE FROM alembic_version"))
        app.dispose()
    finally:
        with store.engine.connect() as owner:  # DROP OWNED needs the role's privileges
            owner.execute(text(f'GRANT "{role}" TO CURRENT_USER'))
            owner.execute(text(f'DROP OWNED BY "{role}"'))
            owner.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            owner.commit()


def test_the_tables_owner_is_refused_as_the_application_role(store):
    postgresql_only(store)
    owner = make_url(store.engine.url).username
    with pytest.raises(AppRoleError, match=f"'{owner}' has the privileges of the tables' owner"):
        check_app_role(store.engine)
    with pytest.raises(AppRoleError, match="row-level security would not limit it"):
        grant_app_role(store.engine, owner, create=True)
    with store.engine.connect() as connection:  # and refusing took none of the owner's own privileges
        assert connection.execute(text("SELECT has_table_privilege('alembic_version', 'UPDATE')")).scalar_one()


def test_on_sqlite_there_is_no_application_role(store):
    if store.dialect != "sqlite":
        pytest.skip("the SQLite half")
    with pytest.raises(AppRoleError, match="SQLite has no roles"):
        grant_app_role(store.engine, "anyone", create=True)
    with store.sessions() as db:
        act_for(db, [1])  # recorded, with no effect on the database
        assert acting_for(db) == "1"
