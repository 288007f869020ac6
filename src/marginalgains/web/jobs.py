"""Engine jobs, as pages and JSON: an analyst runs a catalogue over one of the organisation's data locations in
the background, watches its progress, and gets a draft batch (published or discarded as an upload's is); an analyst
of the organisation may cancel a queued or running job."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from marginalgains.store import jobs
from marginalgains.store.models import EngineJob, Organisation, Role
from marginalgains.web.auth import Viewer
from marginalgains.web.data import member_organisation
from marginalgains.web.deps import DB, RowId, SignedIn, Text
from marginalgains.web.render import page

router = APIRouter()
CatalogueUpload = Annotated[UploadFile, File(description="The indicator catalogue (YAML) with record-level definitions.")]
LocationField = Annotated[Text, Form(description="The name of one of the organisation's data locations.")]
BackendField = Annotated[Text, Form(description="duckdb or spark for a folder, duckdb for a DuckDB file, "
                                                "database for a database URL.")]


class DataLocationOut(BaseModel):
    name: str
    kind: str  # folder | duckdb | url
    backends: list[str]


class JobProgressOut(BaseModel):
    done: int  # indicators counted
    total: int | None  # indicators to count (known once the catalogue is read)
    label: str


class JobOut(BaseModel):
    id: int
    organisation_code: str
    requested_by: str | None
    location: str
    backend: str
    catalogue_filename: str
    state: str  # queued | running | succeeded | failed | cancelled
    progress: JobProgressOut
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None  # from start to finish
    batch_id: int | None  # the draft batch of its values, once succeeded
    cancel_requested_at: datetime | None  # when an analyst cancelled it (a running job's engine is interrupted)
    cancelled_by: str | None


def job_out(job: EngineJob) -> JobOut:
    seconds = ((job.finished_at - job.started_at).total_seconds()
               if job.finished_at is not None and job.started_at is not None else None)
    return JobOut(id=job.id, organisation_code=job.organisation.code,
                  requested_by=job.requested_by.name if job.requested_by else None, location=job.location_name,
                  backend=job.backend, catalogue_filename=job.catalogue_filename, state=job.state,
                  progress=JobProgressOut(done=job.progress_done, total=job.progress_total, label=job.progress_label),
                  error=job.error, created_at=job.created_at, started_at=job.started_at,
                  finished_at=job.finished_at, seconds=seconds, batch_id=job.batch_id,
                  cancel_requested_at=job.cancel_requested_at,
                  cancelled_by=job.cancelled_by.name if job.cancelled_by else None)


def _locations(db: Session, organisation: Organisation) -> list[DataLocationOut]:
    return [DataLocationOut(name=location.name, kind=location.kind, backends=list(jobs.BACKENDS_BY_KIND[location.kind]))
            for location in jobs.locations_of(db, organisation)]


def job_or_404(db: Session, viewer: Viewer, job_id: int, role: Role = Role.VIEWER) -> EngineJob:
    """A job of one of the viewer's organisations, where they hold at least `role`; 404 to everyone else."""
    job = db.get(EngineJob, job_id)
    if job is None or viewer.role_in(job.organisation_id) is None:
        raise HTTPException(404, "no such job among your organisations'")
    if not viewer.can(job.organisation_id, role):
        raise HTTPException(403, f"you are {viewer.role_in(job.organisation_id)} in {job.organisation.code}; "
                                 f"this needs {role}")
    return job


def _cancel(request: Request, db: Session, viewer: Viewer, job_id: int) -> EngineJob:
    """Cancel a job of an organisation where the viewer is an analyst; 409 once it has ended. This worker's
    runner looks at once (the job may be running here); another worker's sees it within its watch."""
    try:
        job = jobs.cancel(db, job_or_404(db, viewer, job_id, Role.ANALYST), viewer.user)
    except jobs.JobEnded as exc:
        raise HTTPException(409, str(exc)) from None
    request.app.state.job_runner.wake()
    return job


def _start(request: Request, db: Session, viewer: Viewer, code: str, location: str, backend: str,
           catalogue: UploadFile) -> EngineJob:
    organisation = member_organisation(db, viewer, code, Role.ANALYST)
    job = jobs.submit(db, organisation, viewer.user, location, backend, catalogue.filename or "catalogue.yaml",
                      catalogue.file.read())
    db.commit()
    request.app.state.job_runner.wake()
    return job


# --- pages ----------------------------------------------------------------------------------------------------

def _jobs_page(request: Request, viewer: Viewer, db: Session, organisation: Organisation, status_code: int = 200,
               message: str | None = None):
    listed = jobs.jobs_of(db, organisation)
    return page(request, viewer, "jobs.html", status_code=status_code, organisation=organisation, jobs=listed,
                locations=_locations(db, organisation), can_start=viewer.can(organisation.id, Role.ANALYST),
                active=any(job.state in jobs.ACTIVE for job in listed), message=message)


@router.get("/organisations/{code}/jobs", include_in_schema=False)
def jobs_page(*, code: str, request: Request, viewer: SignedIn, db: DB):
    return _jobs_page(request, viewer, db, member_organisation(db, viewer, code))


@router.post("/organisations/{code}/jobs", include_in_schema=False)
def start_page(*, code: str, request: Request, viewer: SignedIn, db: DB, location: LocationField,
               backend: BackendField = "duckdb", catalogue: CatalogueUpload):
    try:
        job = _start(request, db, viewer, code, location, backend, catalogue)
    except jobs.JobError as exc:
        db.rollback()
        return _jobs_page(request, viewer, db, member_organisation(db, viewer, code), 400, str(exc))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", include_in_schema=False)
def job_page(*, job_id: RowId, request: Request, viewer: SignedIn, db: DB):
    job = job_or_404(db, viewer, job_id)
    return page(request, viewer, "job.html", job=job, active=job.state in jobs.ACTIVE,
                can_cancel=viewer.can(job.organisation_id, Role.ANALYST) and job.cancel_requested_at is None)


@router.post("/jobs/{job_id}/cancel", include_in_schema=False)
def cancel_page(*, job_id: RowId, request: Request, viewer: SignedIn, db: DB):
    _cancel(request, db, viewer, job_id)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


# --- JSON API -------------------------------------------------------------------------------------------------

@router.get("/api/organisations/{code}/data-locations", response_model=list[DataLocationOut])
def list_locations(*, code: str, viewer: SignedIn, db: DB) -> list[DataLocationOut]:
    """The data locations the server may read for this organisation (named by its operator; paths not shown)."""
    return _locations(db, member_organisation(db, viewer, code))


@router.get("/api/organisations/{code}/jobs", response_model=list[JobOut])
def list_jobs(*, code: str, viewer: SignedIn, db: DB) -> list[JobOut]:
    """An organisation's engine jobs, newest first (its members only)."""
    return [job_out(job) for job in jobs.jobs_of(db, member_organisation(db, viewer, code))]


@router.post("/api/organisations/{code}/jobs", response_model=JobOut, status_code=202)
def start_job(*, code: str, request: Request, viewer: SignedIn, db: DB, location: LocationField,
              backend: BackendField = "duckdb", catalogue: CatalogueUpload) -> JobOut:
    """Queue the engine over one of the organisation's data locations (analysts); poll the job for its progress."""
    try:
        job = _start(request, db, viewer, code, location, backend, catalogue)
    except jobs.JobError as exc:
        raise HTTPException(400, str(exc)) from None
    return job_out(job)


@router.get("/api/jobs/{job_id}", response_model=JobOut)
def get_job(*, job_id: RowId, viewer: SignedIn, db: DB) -> JobOut:
    """A job's state and progress; once succeeded, `batch_id` names its draft batch (see /api/batches/{id})."""
    return job_out(job_or_404(db, viewer, job_id))


@router.post("/api/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(*, job_id: RowId, request: Request, viewer: SignedIn, db: DB) -> JobOut:
    """Cancel a queued or running job (analysts of its organisation): a queued job is cancelled at once; a running
    one has its engine's queries interrupted and stores nothing (poll it until its state is `cancelled`)."""
    return job_out(_cancel(request, db, viewer, job_id))
