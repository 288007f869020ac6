"""Row-level security in practice (PostgreSQL): the application role, and whom each transaction acts for.

Migration 0006 limits a role that does not own the tenant tables to published batches and those of the
organisations named in the transaction's `app.organisation_ids`. The service connects as such a role
(`gains serve --app-database URL`; `gains workspace app-role` creates and grants it), and every
transaction of a session names the organisations set by `act_for` (none until it is called: published
rows only). The settings are only ever transaction-local, so a transaction begins with nothing named and
needs a statement only once its session names something: a request's transaction sets them once, when
its viewer is known. Migration 0009 puts data locations, engine jobs, follows and SPC signals under the same
setting; the engine job runner's sessions (`run_jobs`) also see every job's row, to claim and watch them
(never its data location or batches: a job's work acts for the job's organisation).
The tables' owner runs the migrations and the admin commands, and is not limited.
On SQLite there are no roles and no policies: `act_for` records the organisations and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from marginalgains.errors import GainsError

ORGANISATIONS_SETTING = "app.organisation_ids"
JOB_RUNNER_SETTING = "app.job_runner"  # 'on': the engine job runner, which sees every job's row (migration 0009)
_ACTING_FOR = "acting_for_organisation_ids"  # key in Session.info
_RUNS_JOBS = "runs_engine_jobs"  # key in Session.info
_NAMED = "named_in_transaction"  # key in Session.info: the settings the current transaction holds
NOTHING_NAMED = ("", "")  # a transaction's settings as it begins (organisations, job runner): none
TENANT_TABLES = ("batches", "indicator_values", "batch_indicators", "batch_rejections")
READ_ONLY_TABLES = ("alembic_version",)  # the app role checks the schema revision; only migrations change it


class AppRoleError(GainsError):
    """The application role is missing, or would not be limited by row-level security."""


def act_for(db: Session, organisation_ids: Iterable[int]) -> None:
    """Name the organisations this session's transactions act for: this one (if begun) and every later one."""
    ids = ",".join(str(int(i)) for i in sorted(set(organisation_ids)))
    db.info[_ACTING_FOR] = ids
    _apply_now(db)


def run_jobs(db: Session) -> None:
    """Make this session the engine job runner's: its transactions see and change every organisation's
    engine jobs (to claim, beat and fail them), and nothing more of any organisation's."""
    db.info[_RUNS_JOBS] = True
    _apply_now(db)


def _apply_now(db: Session) -> None:
    """Apply the session's settings to the transaction already begun, if any (later ones apply them at begin)."""
    if db.in_transaction() and db.get_bind().dialect.name == "postgresql":
        _name_organisations(db.connection(), db)


def acting_for(db: Session) -> str:
    """The organisations (comma-separated ids) this session acts for; empty: none."""
    return db.info.get(_ACTING_FOR, "")


def install(sessions: sessionmaker) -> None:
    """Make every transaction of these sessions name the organisations its session acts for (PostgreSQL)."""
    event.listen(sessions, "after_begin", _on_begin)


def _on_begin(session: Session, _transaction, connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        session.info[_NAMED] = NOTHING_NAMED
        _name_organisations(connection, session)


def _name_organisations(connection: Connection, session: Session) -> None:
    """Set the transaction's settings to its session's, unless it holds them already."""
    named = (acting_for(session), "on" if session.info.get(_RUNS_JOBS) else "")
    if session.info.get(_NAMED) == named:
        return
    # transaction-local (is_local = true): a pooled connection carries nothing into the next transaction
    connection.execute(text("SELECT set_config(:organisations, :ids, true), set_config(:runner, :runs, true)"),
                       {"organisations": ORGANISATIONS_SETTING, "ids": named[0],
                        "runner": JOB_RUNNER_SETTING, "runs": named[1]})
    session.info[_NAMED] = named


def grant_app_role(owner: Engine, role: str, create: bool = False, password: str | None = None) -> bool:
    """Give `role` what the service needs on the owner's tables: read and write the rows (row-level security
    decides which), use the sequences, read the schema revision; also on tables later migrations add.
    With `create`, the role is made (LOGIN, no superuser, no BYPASSRLS) if missing; a password is (re)set
    when given. Idempotent. Returns whether the role was created."""
    _require_postgresql(owner)
    name = _quoted(owner, role)
    with owner.begin() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None and not create:
            raise AppRoleError(f"--app-database: the role {role!r} does not exist; create it with "
                               f"`gains workspace app-role {role} --database OWNER_URL`")
        if exists is None:
            connection.execute(text(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"))
        _refuse_unlimited(connection, role)
        if password is not None:
            connection.execute(text(f"ALTER ROLE {name} PASSWORD {_literal(connection, password)}"))
        database = _quoted(owner, connection.execute(text("SELECT current_database()")).scalar_one())
        schema = _quoted(owner, connection.execute(text("SELECT current_schema()")).scalar_one())
        for grant in (f"GRANT CONNECT ON DATABASE {database} TO {name}",
                      f"GRANT USAGE ON SCHEMA {schema} TO {name}",
                      f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}",
                      f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
                      *(f"REVOKE INSERT, UPDATE, DELETE ON {t} FROM {name}" for t in READ_ONLY_TABLES
                        if connection.execute(text("SELECT to_regclass(:t)"), {"t": t}).scalar_one() is not None),
                      f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
                      f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
                      f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {name}"):
            connection.execute(text(grant))
    return exists is None


def check_app_role(app: Engine) -> str:
    """Refuse an application connection that row-level security would not limit. Returns the role's name."""
    _require_postgresql(app)
    with app.connect() as connection:
        role = connection.execute(text("SELECT current_user")).scalar_one()
        _refuse_unlimited(connection, role)
    return role


def _refuse_unlimited(connection: Connection, role: str) -> None:
    """Refuse a role that row-level security would not limit: a superuser, one with BYPASSRLS, or one with the
    privileges of a tenant table's owner (the owner itself, or a member of it)."""
    superuser, bypass = connection.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                                           {"r": role}).one()
    owners = connection.execute(text(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(:t) "
        "AND pg_has_role(:r, tableowner, 'USAGE')"), {"r": role, "t": list(TENANT_TABLES)}).scalars().all()
    why = ("is a superuser" if superuser else "has BYPASSRLS" if bypass else
           f"has the privileges of the tables' owner {owners[0]!r}" if owners else None)
    if why:
        raise AppRoleError(f"the application role {role!r} {why}, so row-level security would not limit it; "
                           "the service must connect as a role that does not own the tables (gains workspace app-role)")


def _require_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise AppRoleError("the application role is PostgreSQL's (row-level security); SQLite has no roles")


def _quoted(engine: Engine, identifier: str) -> str:
    return engine.dialect.identifier_preparer.quote_identifier(identifier)


def _literal(connection: Connection, value: str) -> str:
    """A string literal for DDL that takes no bind parameters (ALTER ROLE ... PASSWORD)."""
    return connection.execute(text("SELECT quote_literal(:v)"), {"v": value}).scalar_one()
