"""The workspace service: an ASGI application (FastAPI) over the store and the library.

`create_app(store)` builds it; `app_from_environment()` is the factory each uvicorn worker calls
(`gains serve` migrates the store once, then starts the workers).
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from marginalgains.store.database import Store, open_store
from marginalgains.web import (
    api, atlas_views, data, feed, follows, jobs, people, plans, sharing, webhooks, workspace_settings,
)
from marginalgains.web.auth import PasswordAuthenticator
from marginalgains.web.deps import csrf_guard
from marginalgains.web.job_runner import JobRunner, default_job_threads
from marginalgains.web.render import favicon_response, print_css_response, render_error
from marginalgains.web.security import SecurityMiddleware

OPENAPI_PATH = "/api/openapi.json"
ENV_DATABASE = "MARGINALGAINS_DATABASE_URL"
ENV_MAX_UPLOAD = "MARGINALGAINS_MAX_UPLOAD_BYTES"
ENV_JOB_SLOTS = "MARGINALGAINS_JOB_SLOTS"
ENV_JOB_THREADS = "MARGINALGAINS_JOB_THREADS"


class ErrorOut(BaseModel):
    detail: str


class InvalidRequestOut(BaseModel):
    detail: list[str]


# the error answers every API route may give, so the OpenAPI document describes them (and 422 as it really is)
ERROR_RESPONSES = {status: {"model": ErrorOut, "description": why} for status, why in [
    (400, "the upload cannot be read"), (401, "not signed in, or the API token is unknown, expired or revoked"),
    (403, "a role too low for this"), (404, "no such thing among the caller's organisations"),
    (409, "the thing has changed state"), (413, "the request is larger than the limit")]} | {
    422: {"model": InvalidRequestOut, "description": "a parameter is missing or malformed (each problem named)"}}


@dataclass(frozen=True)
class Settings:
    max_upload_bytes: int = 200 * 1024 * 1024
    job_slots: int = 1  # engine jobs each worker runs at once (see web/job_runner.py for why one)
    job_threads: int = field(default_factory=default_job_threads)  # DuckDB threads of each job


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="marginal-gains workspace", version=_version(), openapi_url=OPENAPI_PATH,
                  docs_url=None, redoc_url=None, dependencies=[Depends(csrf_guard)], responses=ERROR_RESPONSES,
                  lifespan=_running_jobs)
    app.state.store = store
    app.state.job_runner = JobRunner(store, settings.job_slots, threads=settings.job_threads)
    app.state.settings = settings
    app.state.authenticators = [PasswordAuthenticator()]
    app.state.publication_listeners = [feed.announce_publication]  # called after each publication is committed
    app.include_router(people.router)
    app.include_router(api.router)
    app.include_router(data.router)
    app.include_router(atlas_views.router)
    app.include_router(sharing.router)
    app.include_router(plans.router)
    app.include_router(feed.router)
    app.include_router(follows.router)
    app.include_router(webhooks.router)
    app.include_router(jobs.router)
    app.include_router(workspace_settings.router)
    app.add_api_route("/print.css", print_css_response, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon_response, include_in_schema=False)  # asked for by every browser
    app.mount("/static", StaticFiles(directory=str(resources.files("marginalgains.web") / "static")), name="static")
    app.add_exception_handler(StarletteHTTPException, _http_error)  # FastAPI's, and the router's own 404/405
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_upload_bytes)
    return app


@asynccontextmanager
async def _running_jobs(app: FastAPI):
    """The worker's engine job runner runs while the app serves (and fails its unfinished jobs as it stops)."""
    app.state.job_runner.start()
    try:
        yield
    finally:
        app.state.job_runner.stop()


def app_from_environment() -> FastAPI:
    """The app for one server worker: the store at $MARGINALGAINS_DATABASE_URL, already migrated."""
    max_upload = int(os.environ.get(ENV_MAX_UPLOAD, Settings.max_upload_bytes))
    slots = int(os.environ.get(ENV_JOB_SLOTS, Settings.job_slots))
    threads = int(os.environ.get(ENV_JOB_THREADS) or default_job_threads())
    return create_app(open_store(os.environ[ENV_DATABASE], migrate=False),
                      Settings(max_upload_bytes=max_upload, job_slots=slots, job_threads=threads))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def _http_error(request: Request, exc: StarletteHTTPException):
    if _wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        return RedirectResponse("/sign-in", status_code=303)
    return render_error(request, exc.status_code, str(exc.detail))


async def _validation_error(request: Request, exc: RequestValidationError):
    problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    if _wants_json(request):
        return JSONResponse({"detail": problems}, status_code=422)
    return render_error(request, 422, "; ".join(problems))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("marginal-gains")
    except PackageNotFoundError:
        return "0"
