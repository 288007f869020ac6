"""Workspace service fixtures: the demo workspace on each database, and signing in through the real pages."""

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from marginalgains.store import accounts
from marginalgains.store.database import open_store
from marginalgains.web.app import create_app
from marginalgains.web.demo import seed_demo

def quick_argon2(patch: pytest.MonkeyPatch) -> None:
    """argon2id at its lowest cost, so seeding two dozen demo people takes milliseconds, not seconds."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    patch.setattr(accounts, "_hasher", hasher)
    patch.setattr(accounts, "_DUMMY_HASH", hasher.hash("not a password anybody has"))


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    quick_argon2(monkeypatch)


@pytest.fixture(scope="session")
def demo_template(databases):
    """The demo workspace (organisations, people, the A&E batch) made once per backend, cloned for each test."""
    with pytest.MonkeyPatch.context() as patch:
        quick_argon2(patch)
        url = databases.new()
        store = open_store(url)
        seed_demo(store)
        store.dispose()
    return url


@pytest.fixture
def store(databases, demo_template):
    url = databases.new(template=demo_template)
    store = open_store(url)
    yield store
    store.dispose()
    databases.drop(url)


@pytest.fixture
def app(store, databases):
    """The service as it runs: on PostgreSQL connected as an application role that does not own the tables, so
    row-level security limits every request (the tests' own `store` stays the owner, as admin commands are)."""
    url = databases.app_url(store.engine.url.render_as_string(hide_password=False))
    serving = store if databases.kind == "sqlite" else open_store(url, migrate=False)
    yield create_app(serving)
    if serving is not store:
        serving.dispose()


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def new_client(app):
    """Another browser (its own cookies) on the same app."""
    clients = []

    def make() -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        return client
    yield make
    for client in clients:
        client.close()

