"""HTML pages from the Jinja2 templates in web/templates, autoescaped: text from data stays text; the print rules
the report pages share; each page's tables as formula-safe CSV."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
import pandas as pd
from fastapi import HTTPException, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from marginalgains.io.outputs import formula_safe

from marginalgains.store.accounts import new_secret
from marginalgains.web.auth import CSRF_COOKIE, Viewer, form_csrf_token, resolve_viewer

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("marginalgains.web") / "templates")),
    autoescape=True, undefined=jinja2.StrictUndefined)
templates = Jinja2Templates(env=_environment)
ORGANISATION_TYPES = {"national": "national team", "region": "region", "icb": "ICB", "trust": "trust",
                      "local_authority": "local authority", "pcn": "PCN", "practice": "practice"}
# each error page's heading and what the reader can do about it
ERRORS = {
    400: ("The request could not be used", "Read the reason above, correct it and try again."),
    403: ("Not allowed", "Ask an admin of the organisation for the role this needs, or reload the page if a form "
                         "had been open a long time."),
    404: ("Not found", "Check the address, or go back to your organisations and follow the links from there."),
    409: ("Changed since you looked", "Reload the page to see the current state, then try again."),
    413: ("Too large", "Send a smaller file, or ask the server's operator to raise the upload limit."),
    422: ("Something is missing or malformed", "Go back, fill in each field named above, and send it again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
}
UNEXPECTED = ("Something went wrong", "Try again; if it goes on, tell the workspace's operator what you did.")


def organisation_type(code: str) -> str:
    """An organisation type's name as people say it (`icb` is an ICB, `local_authority` a local authority)."""
    return ORGANISATION_TYPES.get(code, code.replace("_", " "))


def _error_heading(status: int) -> tuple[str, str]:
    return ERRORS.get(status, UNEXPECTED)


_environment.filters["organisation_type"] = organisation_type
_environment.filters["capitalize_first"] = lambda text: text[:1].upper() + text[1:]  # "ICB" stays "ICB"
_environment.globals["error_heading"] = _error_heading


def page(request: Request, viewer: Viewer, name: str, status_code: int = 200, **context):
    """Render a template for `viewer`; before sign-in, a CSRF cookie is set so the page's forms can post."""
    fresh_csrf = None
    if viewer.csrf_token is None and not request.cookies.get(CSRF_COOKIE):
        fresh_csrf = new_secret()
    csrf = fresh_csrf or form_csrf_token(viewer, request)
    response = templates.TemplateResponse(request, name, {"viewer": viewer, "csrf_token": csrf, **context},
                                          status_code=status_code)
    if fresh_csrf:
        response.set_cookie(CSRF_COOKIE, fresh_csrf, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def render_error(request: Request, status_code: int, message: str):
    """The error page, its header showing who is signed in (as every other page) and saying what to do next."""
    with request.app.state.store.sessions() as db:
        try:
            viewer = resolve_viewer(db, request)
        except HTTPException:  # an unknown or revoked token: shown as nobody
            viewer = Viewer()
        return page(request, viewer, "error.html", status_code=status_code, status=status_code, message=message)


@lru_cache(maxsize=1)
def print_css() -> str:
    """The board-pack print rules of the atlas and plans pages (report/templates/print.css), for every page here."""
    return (resources.files("marginalgains.report") / "templates" / "print.css").read_text(encoding="utf-8")


def print_css_response() -> Response:
    return Response(print_css(), media_type="text/css; charset=utf-8")


@lru_cache(maxsize=1)
def favicon() -> bytes:
    return (resources.files("marginalgains.web") / "static" / "favicon.svg").read_bytes()


def favicon_response() -> Response:
    """The workspace's icon at the address browsers ask for by themselves (the served atlas page names none)."""
    return Response(favicon(), media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})


def csv_response(table: pd.DataFrame, filename: str) -> Response:
    """A page's table as a CSV download, formula-safe (a cell such as `=1+1` stays text in a spreadsheet)."""
    return Response(formula_safe(table).to_csv(index=False), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
