"""HTML pages from the Jinja2 templates in web/templates, autoescaped: text from data stays text; the print rules
the report pages share; each page's tables as formula-safe CSV."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
import pandas as pd
from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from marginalgains.io.outputs import formula_safe

from marginalgains.store.accounts import new_secret
from marginalgains.web.auth import CSRF_COOKIE, Viewer, form_csrf_token

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(resources.files("marginalgains.web") / "templates")),
    autoescape=True, undefined=jinja2.StrictUndefined)
templates = Jinja2Templates(env=_environment)


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
    return page(request, Viewer(), "error.html", status_code=status_code, status=status_code, message=message)


@lru_cache(maxsize=1)
def print_css() -> str:
    """The board-pack print rules of the atlas and plans pages (report/templates/print.css), for every page here."""
    return (resources.files("marginalgains.report") / "templates" / "print.css").read_text(encoding="utf-8")


def print_css_response() -> Response:
    return Response(print_css(), media_type="text/css; charset=utf-8")


def csv_response(table: pd.DataFrame, filename: str) -> Response:
    """A page's table as a CSV download, formula-safe (a cell such as `=1+1` stays text in a spreadsheet)."""
    return Response(formula_safe(table).to_csv(index=False), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
