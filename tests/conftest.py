"""Shared fixtures: the bundled catalogue and small files written per test."""

from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import event

from marginalgains.io.bundled import ae_catalogue

FIXTURES = Path(__file__).parent / "fixtures"

# Speed is measured in benchmarks/, never by a test: no property test fails for taking long on shared cores.
settings.register_profile("marginalgains", deadline=None)
settings.load_profile("marginalgains")


@pytest.fixture
def catalogue():
    return ae_catalogue()


@pytest.fixture
def write_csv(tmp_path):
    """Write text to a CSV file in a fresh folder and return its path."""
    def write(text: str, name: str = "values.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


# --- the workspace store on SQLite and PostgreSQL -------------------------------------------------------------
POSTGRES_ENV = "MARGINALGAINS_TEST_POSTGRES"
POSTGRES_NOT_RUN = (f"PostgreSQL suite not run: set {POSTGRES_ENV} to a postgresql+psycopg:// URL of a role "
                    "that may create databases (.ci/run starts one)")


APP_ROLE_PASSWORD = "app-role-password"


class Databases:
    """Makes empty workspace databases (and clones of a filled one) on one backend for the tests."""

    def __init__(self, kind: str, folder):
        import os

        from sqlalchemy import create_engine

        self.kind, self.folder, self.count = kind, folder, 0
        self.admin_url = os.environ.get(POSTGRES_ENV) if kind == "postgresql" else None
        if kind == "postgresql" and not self.admin_url:
            pytest.skip(POSTGRES_NOT_RUN)
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT") if self.admin_url else None
        self.made: list[str] = []
        self.app_role: str | None = None  # PostgreSQL: the role the served app connects as, made when first asked

    def new(self, template: str | None = None) -> str:
        """The URL of a new database (a copy of `template`'s, a URL this object made, when given)."""
        import shutil
        import uuid

        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        self.count += 1
        if self.kind == "sqlite":
            path = self.folder / f"workspace-{self.count}.sqlite"
            if template is not None:
                shutil.copyfile(make_url(template).database, path)
            return f"sqlite:///{path}"
        name = f"mg_test_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.made.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def app_url(self, url: str) -> str:
        """The URL the service connects to the database at `url` with: on PostgreSQL as an application role that
        does not own the tables (row-level security applies), granted them as `gains serve --app-database` does;
        on SQLite `url` itself."""
        import uuid

        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from marginalgains.store.tenancy import grant_app_role

        if self.kind == "sqlite":
            return url
        created = self.app_role is None
        self.app_role = self.app_role or f"mg_test_app_{uuid.uuid4().hex[:12]}"
        owner = create_engine(url)
        try:
            grant_app_role(owner, self.app_role, create=created, password=APP_ROLE_PASSWORD if created else None)
        finally:
            owner.dispose()
        return make_url(url).set(username=self.app_role, password=APP_ROLE_PASSWORD).render_as_string(
            hide_password=False)

    def drop(self, url: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        if self.kind == "postgresql":
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def close(self) -> None:
        from sqlalchemy import text

        for name in self.made:
            self.drop(f"postgresql:///{name}")
        if self.app_role is not None:  # its grants went with the databases
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP ROLE IF EXISTS "{self.app_role}"'))
        if self.admin is not None:
            self.admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def databases(request, tmp_path_factory):
    """A maker of workspace databases, once on SQLite and once on PostgreSQL (when one is configured)."""
    maker = Databases(request.param, tmp_path_factory.mktemp(f"databases-{request.param}"))
    yield maker
    maker.close()


@pytest.fixture
def settings_sent():
    """`with settings_sent(engine) as sent:` the (organisations, job runner) of each statement naming whom a
    transaction acts for (store/tenancy.py) that the engine sent while the block ran."""
    @contextmanager
    def watch(engine):
        sent = []

        def seen(_connection, _cursor, statement, parameters, _context, _many):
            if "set_config" in statement:
                sent.append((parameters["ids"], parameters["runs"]))

        event.listen(engine, "before_cursor_execute", seen)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    return watch


@pytest.fixture
def database_url(databases):
    """A fresh, empty workspace database: a SQLite file, and a new PostgreSQL database when one is configured."""
    url = databases.new()
    yield url
    databases.drop(url)


def pytest_terminal_summary(terminalreporter):
    import os
    if not os.environ.get(POSTGRES_ENV):
        terminalreporter.write_line(POSTGRES_NOT_RUN, yellow=True)
