"""`gains serve` and the admin commands `gains workspace add-org | add-user | grant | token`."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console

from marginalgains.cli.app import app, fail
from marginalgains.errors import GainsError

# the store (SQLAlchemy, Alembic, argon2) is imported inside the commands, so `gains --help` stays fast
if TYPE_CHECKING:
    from marginalgains.store.database import Store

workspace_app = typer.Typer(name="workspace", help="Administer a workspace: organisations, users, roles, tokens.",
                            no_args_is_help=True)
app.add_typer(workspace_app)

WORKER_STARTUP_SECONDS = 120  # time a worker may take to start on a busy machine
# how long an idle keep-alive connection stays open: longer than a client or reverse proxy keeps one (httpx and
# nginx upstreams: 5 s and 60 s), so the server never closes a connection just as the client sends on it
# (uvicorn's own 5 s equals httpx's: a request racing the close failed with a ReadError under load)
KEEP_ALIVE_SECONDS = 75
WorkspaceOption = Annotated[Path, typer.Option(help="Workspace folder (holds the SQLite store by default).")]
DisclosureOption = Annotated[Optional[str], typer.Option(
    help="Disclosure rule protecting each organisation's figures from the others: nhs-hes-2018 (the default), "
         "under-10 or a rule file (.yaml); kept in the workspace.")]
DatabaseOption = Annotated[Optional[str], typer.Option(
    help="Database URL (sqlite:///path or postgresql://user@host/db); default: SQLite inside the workspace.")]
AppDatabaseOption = Annotated[Optional[str], typer.Option(
    envvar="MARGINALGAINS_APP_DATABASE_URL",
    help="PostgreSQL: the URL the service's requests connect with, as a role that does not own the tables, so "
         "row-level security applies (gains workspace app-role makes one); --database (the owner) migrates.")]
OWNER_WARNING = ("warning: serving PostgreSQL as the tables' owner, whom row-level security does not limit; "
                 "give --app-database (see docs/deploy.md)")


def _open(workspace: Path, database: str | None) -> Store:
    from marginalgains.store.database import default_url, open_store

    if database is None:
        workspace.mkdir(parents=True, exist_ok=True)
    return open_store(database or default_url(workspace))


@app.command("serve")
def serve_command(
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 2,
    demo: Annotated[bool, typer.Option("--demo", help="Fill a new workspace with demo organisations, people and data (real A&E, SYNTHETIC national).")] = False,
    demo_scale: Annotated[int, typer.Option(min=20_000, help="Record rows of the demo's SYNTHETIC national dataset.")] = 200_000,  # web.demo.SYNTHETIC_SCALE
    disclosure: DisclosureOption = None,
    app_database: AppDatabaseOption = None,
    job_slots: Annotated[int, typer.Option(min=1, help="Engine jobs each worker runs at once (each DuckDB job "
                                                       "already uses every core).")] = 1,
    job_threads: Annotated[Optional[int], typer.Option(min=1, help="DuckDB threads of each engine job "
                                                                   "[default: every core but one, left for requests]."
                                                       )] = None,
) -> None:
    """Serve the shared improvement workspace (web pages and JSON API) under uvicorn."""
    from marginalgains.store.database import default_url
    from marginalgains.web.app import ENV_DATABASE, ENV_JOB_SLOTS, ENV_JOB_THREADS
    from marginalgains.web.serving import PROTOCOL

    url = database or default_url(workspace)
    try:
        store = _open(workspace, database)
        if demo:
            from marginalgains.web.demo import demo_guide, seed_demo
            people = seed_demo(store, synthetic_folder=workspace / "synthetic-data", synthetic_scale=demo_scale)
            _print_demo(people, demo_guide(workspace / "synthetic-data"), host, port)
        if disclosure is not None:
            _set_disclosure(store, disclosure, "gains serve --disclosure")
        _fail_interrupted_jobs(store)
        serving_url = _serving_url(store, url, app_database)
    except GainsError as exc:
        fail(exc)
    store.dispose()
    os.environ[ENV_DATABASE] = serving_url
    os.environ[ENV_JOB_SLOTS] = str(job_slots)
    os.environ[ENV_JOB_THREADS] = str(job_threads or "")
    sys.stdout.flush()
    # exec uvicorn's own command line: its workers then import only the web app, not this whole CLI
    os.execv(sys.executable, [sys.executable, "-m", "uvicorn", "marginalgains.web.app:app_from_environment",
                              "--factory", "--host", host, "--port", str(port), "--workers", str(workers),
                              "--timeout-worker-healthcheck", str(WORKER_STARTUP_SECONDS),
                              "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS), "--http", PROTOCOL])


def _serving_url(owner: Store, url: str, app_database: str | None) -> str:
    """The URL the workers connect with: on PostgreSQL the application role's, granted what it needs on the
    freshly migrated tables and checked to be one that row-level security limits."""
    from sqlalchemy.exc import OperationalError

    from marginalgains.store.database import create_store_engine
    from marginalgains.store.tenancy import AppRoleError, check_app_role, grant_app_role

    if app_database is None:
        if owner.dialect == "postgresql":
            print(OWNER_WARNING, file=sys.stderr)
        return url
    if owner.dialect != "postgresql":
        raise AppRoleError("--app-database: only on PostgreSQL (SQLite has no roles or row-level security)")
    app_engine = create_store_engine(app_database)
    try:
        if app_engine.url.database != owner.engine.url.database:
            raise AppRoleError(f"--app-database: names database {app_engine.url.database!r}, "
                               f"not --database's {owner.engine.url.database!r}")
        grant_app_role(owner.engine, app_engine.url.username or "")
        role = check_app_role(app_engine)
    except OperationalError as exc:
        raise AppRoleError(f"--app-database: cannot connect as {app_engine.url.username!r}: "
                           f"{str(exc.orig).strip().splitlines()[-1]}") from None
    finally:
        app_engine.dispose()
    print(f"serving requests as the role {role!r} (row-level security applies)")
    return app_database


def _fail_interrupted_jobs(store: Store) -> None:
    """Before the workers start: the engine jobs this machine's previous server was running can never finish."""
    import socket

    from marginalgains.store.jobs import recover_interrupted

    with store.sessions() as db:
        failed = recover_interrupted(db, socket.gethostname())
    if failed:
        print(f"{failed} engine job(s) interrupted by the last stop marked failed")


def _set_disclosure(store: Store, rule: str, by: str) -> None:
    from marginalgains.store.settings import set_disclosure_rule

    with store.sessions() as db:
        applied = set_disclosure_rule(db, rule, by)
        db.commit()
    print(f"disclosure rule: {applied.describe()}")


@workspace_app.command("disclosure")
def disclosure_command(
    rule: Annotated[Optional[str], typer.Argument(help="nhs-hes-2018, under-10 or a rule file (.yaml); "
                                                       "none: show the rule in force.")] = None,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Set (or show) the disclosure rule that protects every organisation's figures from the others."""
    from marginalgains.store.settings import disclosure_rule

    if rule is not None:
        try:
            store = _open(workspace, database)
            _set_disclosure(store, rule, "gains workspace disclosure")
        except GainsError as exc:
            fail(exc)
        store.dispose()
        return
    with _session(workspace, database) as db:
        print(f"disclosure rule: {disclosure_rule(db).describe()}")


@workspace_app.command("public")
def public_command(
    indicator: Annotated[Optional[str], typer.Argument(help="A published indicator's id; none: list the public ones.")] = None,
    off: Annotated[bool, typer.Option("--off", help="Make it not public again.")] = False,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Make an indicator public: anyone not signed in sees it, every figure protected by the disclosure rule."""
    from marginalgains.store.settings import public_indicators, set_indicator_public

    with _session(workspace, database) as db:
        if indicator is None:
            shown = public_indicators(db)
        else:
            shown = set_indicator_public(db, indicator, not off, f"gains workspace public{' --off' if off else ''}")
            db.commit()
        print(f"public indicators: {', '.join(sorted(shown)) or 'none (everything needs signing in)'}")


@workspace_app.command("app-role")
def app_role_command(
    role: Annotated[str, typer.Argument(help="Name of the PostgreSQL role the service's requests connect as.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read its password from standard input "
                                                 "(without: it keeps the one it has, or none).")] = False,
    database: Annotated[str, typer.Option(help="PostgreSQL URL of the tables' owner (who runs the migrations).")] = "",
) -> None:
    """Create (if missing) the role `gains serve --app-database` connects as, and grant it the tables; idempotent."""
    from marginalgains.store.tenancy import grant_app_role

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if not database:
        fail(GainsError("app-role: give --database, the PostgreSQL URL of the tables' owner"))
    try:
        store = _open(Path("workspace"), database)
        try:
            created = grant_app_role(store.engine, role, create=True, password=password)
            url = store.engine.url.set(username=role, password=None).render_as_string(hide_password=True)
        finally:
            store.dispose()
    except GainsError as exc:
        fail(exc)
    print(f"{'created' if created else 'granted'} the role {role!r}; serve with --app-database {url} "
          f"(with its password) so row-level security limits every request")


def _print_demo(people: list[tuple[str, str, str]], guide: list[str], host: str, port: int) -> None:
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"Demo workspace: open http://{host}:{port}/ and sign in as any of these:")
    for email, password, what in people:
        console.print(f"  {email}  password {password}  ({what})")
    for line in guide:
        console.print(line)


@workspace_app.command("add-org")
def add_org_command(
    code: Annotated[str, typer.Argument(help="ODS or ONS code, e.g. QWE or E54000029.")],
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    type: Annotated[str, typer.Option("--type", help="national, region, icb, trust, local_authority, pcn or practice.")],
    parent: Annotated[Optional[str], typer.Option(help="Code of the parent organisation.")] = None,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Add an organisation."""
    from marginalgains.store import accounts

    with _session(workspace, database) as db:
        organisation = accounts.add_organisation(db, code, name, type, parent)
        db.commit()
        print(f"added {organisation.type} {organisation.code} ({organisation.name})")


@workspace_app.command("add-user")
def add_user_command(
    email: Annotated[str, typer.Argument(help="The person's email (their sign-in name).")],
    name: Annotated[str, typer.Option(help="Their name as others see it.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="No password: they sign in by single sign-on or a reset link.")] = False,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Add a person (a password is asked for, unless --no-password or --password-stdin)."""
    from marginalgains.store import accounts

    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _session(workspace, database) as db:
        user = accounts.add_user(db, email, name, password)
        db.commit()
        print(f"added {user.email}")


@workspace_app.command("grant")
def grant_command(
    email: Annotated[str, typer.Argument(help="The person's email.")],
    organisation: Annotated[str, typer.Argument(help="The organisation's code.")],
    role: Annotated[str, typer.Argument(help="viewer, analyst or admin.")],
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Give a person a role in an organisation (replacing the role they had there)."""
    from marginalgains.store import accounts

    with _session(workspace, database) as db:
        membership = accounts.grant(db, accounts.user_by_email(db, email), accounts.organisation_by_code(db, organisation), role)
        db.commit()
        print(f"{email} is {membership.role} in {organisation}")


@workspace_app.command("token")
def token_command(
    email: Annotated[Optional[str], typer.Argument(help="Whose token it is.")] = None,
    organisation: Annotated[Optional[str], typer.Argument(help="The organisation it acts in.")] = None,
    role: Annotated[str, typer.Option(help="The most it may do: viewer, analyst or admin.")] = "viewer",
    name: Annotated[str, typer.Option(help="What the token is for.")] = "script",
    days: Annotated[int, typer.Option(min=1, help="Days until it expires.")] = 90,
    revoke: Annotated[Optional[int], typer.Option(help="Revoke the token with this id instead.")] = None,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Issue an API token (printed once; only its hash is kept), or --revoke one."""
    from marginalgains.store import accounts

    with _session(workspace, database) as db:
        if revoke is not None:
            token = accounts.revoke_token(db, revoke)
            db.commit()
            print(f"revoked token {token.id} ({token.name}) of {token.user.email}")
            return
        if email is None or organisation is None:
            fail(GainsError("token: give EMAIL and ORGANISATION (or --revoke ID)"))
        secret, token = accounts.issue_token(db, accounts.user_by_email(db, email),
                                             accounts.organisation_by_code(db, organisation), role, name,
                                             timedelta(days=days))
        db.commit()
        print(f"token {token.id} for {email} as {token.role} in {organisation}, expires "
              f"{token.expires_at:%Y-%m-%d}:\n{secret}")


class _session:
    """The store's session for one admin command; library errors leave with exit code 2."""

    def __init__(self, workspace: Path, database: str | None):
        self.workspace, self.database = workspace, database

    def __enter__(self):
        try:
            self.store = _open(self.workspace, self.database)
        except GainsError as exc:
            fail(exc)
        self.db = self.store.sessions()
        return self.db

    def __exit__(self, kind, exc, traceback):
        self.db.close()
        self.store.dispose()
        if isinstance(exc, GainsError):
            fail(exc)
        return False
