"""FastAPI dependencies shared by every route: a store session, the viewer, the CSRF guard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session

from marginalgains.store.tenancy import act_for
from marginalgains.web.auth import Viewer, require_csrf, resolve_viewer


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.store.sessions() as db:
        yield db


DB = Annotated[Session, Depends(get_db)]
# a row id in a path: a positive 32-bit integer (PostgreSQL's integer key; larger ones would overflow the driver)
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# text in a request body: PostgreSQL text holds no NUL characters, so one is refused as input (422), not a 500
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


def current_viewer(request: Request, db: DB) -> Viewer:
    """The viewer, and the request's transactions acting for their organisations: on PostgreSQL row-level
    security then shows them published rows and their own organisations' drafts, and nothing else."""
    viewer = resolve_viewer(db, request)
    act_for(db, viewer.roles)
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


async def signed_in(viewer: CurrentViewer) -> Viewer:
    """The viewer, who must be signed in; async (it does no I/O), so FastAPI calls it on the event loop rather
    than handing it to a thread as it does a plain function: one thread hop less a request."""
    if not viewer.signed_in:
        raise HTTPException(401, "sign in first")
    return viewer


SignedIn = Annotated[Viewer, Depends(signed_in)]


async def csrf_guard(request: Request, viewer: CurrentViewer) -> None:
    await require_csrf(request, viewer)
