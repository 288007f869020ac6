"""Shared fixtures: the bundled catalogue and small files written per test."""

from pathlib import Path

import pytest

from marginalgains.io.bundled import ae_catalogue

FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty workspace database: a SQLite file, and a new PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workspace.sqlite'}"
        return
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(POSTGRES_NOT_RUN)
    name = f"mg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_terminal_summary(terminalreporter):
    import os
    if not os.environ.get(POSTGRES_ENV):
        terminalreporter.write_line(POSTGRES_NOT_RUN, yellow=True)
