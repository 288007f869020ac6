"""The store's schema: migrated on open, refused when newer than the code, the same on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import inspect, text

from marginalgains.store.database import StoreError, code_revision, normalise_url, open_store, schema_revision
from marginalgains.store.models import Base


def test_open_migrates_an_empty_database_to_every_model_table(database_url):
    store = open_store(database_url)
    try:
        assert schema_revision(store.engine) == code_revision()
        assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())
    finally:
        store.dispose()


def test_opening_twice_is_a_no_op(database_url):
    open_store(database_url).dispose()
    store = open_store(database_url)
    assert schema_revision(store.engine) == code_revision()
    store.dispose()


def test_a_database_newer_than_the_code_is_refused(database_url):
    store = open_store(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    store.dispose()
    with pytest.raises(StoreError, match="9999_from_the_future.*newer than this marginal-gains"):
        open_store(database_url)


def test_a_worker_refuses_an_unmigrated_database(tmp_path):
    with pytest.raises(StoreError, match="run `gains serve` once to upgrade it"):
        open_store(f"sqlite:///{tmp_path / 'empty.sqlite'}", migrate=False)


@pytest.mark.parametrize("url, expected", [
    ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
])
def test_urls_are_normalised_to_the_installed_driver(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize("url, reason", [("mysql://h/db", "'mysql' is not supported"),
                                         ("not a url", "is not a database URL")])
def test_other_databases_are_refused_by_name(url, reason):
    with pytest.raises(StoreError, match=reason):
        normalise_url(url)
