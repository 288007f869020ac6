"""Opening the workspace store: one URL for SQLite or PostgreSQL, the schema brought up to date on start.

`open_store` upgrades the schema with the migrations shipped in the package and refuses a database
that a newer marginal-gains has migrated further than this code knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from marginalgains.errors import GainsError
from marginalgains.store import tenancy


class StoreError(GainsError):
    """The workspace store cannot be opened or used (bad URL, database newer than the code ...)."""


@dataclass
class Store:
    """An open store: the engine and a factory of ORM sessions bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def default_url(workspace: str | Path) -> str:
    """The embedded SQLite file inside a workspace folder."""
    return f"sqlite:///{Path(workspace).resolve() / 'workspace.sqlite'}"


def normalise_url(url: str) -> str:
    """Accept `postgresql://` as psycopg 3 (the driver installed), refuse anything but SQLite and PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"--database: {url!r} is not a database URL (sqlite:///path or postgresql://...)") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"--database: {parsed.get_backend_name()!r} is not supported; use sqlite or postgresql")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_store_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection, _record) -> None:
    """Write-ahead logging so several workers read while one writes; foreign keys enforced."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("marginalgains.store") / "migrations"))
    config.attributes["engine"] = engine
    return config


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def code_revision() -> str:
    """The newest migration this code ships."""
    head = ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://"))).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine) -> None:
    """Bring the schema to this code's newest migration; refuse a database migrated past it."""
    config = _alembic_config(engine)
    current = schema_revision(engine)
    if current is not None and not _known(ScriptDirectory.from_config(config), current):
        raise StoreError(f"the workspace database is at schema revision {current!r}, newer than this "
                         f"marginal-gains ({code_revision()!r}); upgrade marginal-gains to open it")
    command.upgrade(config, "head")


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def open_store(url: str, migrate: bool = True) -> Store:
    """Open the store at `url` (upgrading its schema unless `migrate` is false) and check it is current."""
    engine = create_store_engine(url)
    try:
        if migrate:
            upgrade(engine)
        elif schema_revision(engine) != code_revision():
            raise StoreError(f"the workspace database is at schema revision {schema_revision(engine)!r}, "
                             f"not {code_revision()!r}; run `gains serve` once to upgrade it")
    except Exception:
        engine.dispose()
        raise
    sessions = sessionmaker(engine, expire_on_commit=False)
    tenancy.install(sessions)  # each transaction names the organisations its session acts for (row-level security)
    return Store(engine, sessions)
