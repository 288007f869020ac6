"""`gains workspace data-location add | list | remove`: where the server may read record-level data, per organisation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from marginalgains.cli.workspace import DatabaseOption, WorkspaceOption, _session, workspace_app

locations_app = typer.Typer(name="data-location", no_args_is_help=True,
                            help="Data locations (folders, DuckDB files, database URLs) an organisation's engine "
                                 "jobs may read.")
workspace_app.add_typer(locations_app)


@locations_app.command("add")
def add_command(
    organisation: Annotated[str, typer.Argument(help="The organisation whose analysts may use it.")],
    name: Annotated[str, typer.Argument(help="The name analysts choose it by.")],
    location: Annotated[str, typer.Argument(help="A folder of Parquet/CSV tables, a DuckDB file, or a database URL.")],
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Let an organisation's analysts run engine jobs over a location on this server."""
    from marginalgains.store import accounts, jobs

    with _session(workspace, database) as db:
        added = jobs.add_location(db, accounts.organisation_by_code(db, organisation), name, location,
                                  "gains workspace data-location add")
        db.commit()
        print(f"{organisation} may run jobs over {added.kind} {jobs.describe(added.location)} as {added.name!r}")


@locations_app.command("list")
def list_command(
    organisation: Annotated[Optional[str], typer.Argument(help="Only this organisation's.")] = None,
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """List the data locations (a URL without its user name or password)."""
    from marginalgains.store import accounts, jobs

    with _session(workspace, database) as db:
        chosen = accounts.organisation_by_code(db, organisation) if organisation is not None else None
        for location in jobs.locations_of(db, chosen):
            print(f"{location.organisation.code}\t{location.name}\t{location.kind}\t{jobs.describe(location.location)}")


@locations_app.command("remove")
def remove_command(
    organisation: Annotated[str, typer.Argument(help="The organisation's code.")],
    name: Annotated[str, typer.Argument(help="The location's name.")],
    workspace: WorkspaceOption = Path("workspace"),
    database: DatabaseOption = None,
) -> None:
    """Stop offering a location (its past jobs keep its name)."""
    from marginalgains.store import accounts, jobs

    with _session(workspace, database) as db:
        jobs.remove_location(db, accounts.organisation_by_code(db, organisation), name)
        db.commit()
        print(f"removed {organisation}'s data location {name!r}")
