"""Engine jobs: the record-level engine run over a data location in the background, kept as rows every
server worker sees, and the data locations an operator lets the server read.

A request queues a job; exactly one worker claims it (an UPDATE only one claimant can win), the job
writes its progress into its row while it runs and ends succeeded (its values a draft batch, read with
the same checks as an upload) or failed (with the reason). A server that dies leaves no job 'running':
the next start fails the jobs it was running, and a job whose worker stops beating is failed by any
other worker. An analyst may cancel a job: a queued one ends at once; a running one is asked to stop,
and its worker, watching its jobs' rows, interrupts the engine's queries (`to_stop`) and stores nothing of it.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from marginalgains.engine.backends import record_files
from marginalgains.errors import GainsError
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.values import ReadResult
from marginalgains.store import batches, tenancy
from marginalgains.store.models import (
    DataLocation, EngineJob, JobState, Organisation, User, utcnow,
)

# which engine backends may read each kind of location; a database URL is counted by that database itself
BACKENDS_BY_KIND = {"folder": ("duckdb", "spark"), "duckdb": ("duckdb",), "url": ("database",)}
_DUCKDB_SUFFIXES = {".duckdb", ".db", ".ddb"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}")
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
# a running job whose worker is gone ends failed, or cancelled if an analyst had asked it to stop
GONE = case((EngineJob.cancel_requested_at.is_not(None), JobState.CANCELLED), else_=JobState.FAILED)


class JobError(GainsError):
    """A data location cannot be added or read, or a job cannot be started (the message says why)."""


class JobEnded(JobError):
    """The job has already ended (it can no longer be cancelled)."""


class JobStopped(Exception):
    """Raised inside a running job's progress step when it must stop: cancelled, or failed meanwhile."""


# --- data locations -------------------------------------------------------------------------------------------

def add_location(db: Session, organisation: Organisation, name: str, location: str, added_by: str) -> DataLocation:
    """Let `organisation`'s analysts run jobs over `location` (a folder of Parquet/CSV tables, a DuckDB file, or a
    database URL). A path is stored resolved (symbolic links followed once, now, by the operator)."""
    if not _NAME.fullmatch(name):
        raise JobError(f"name: {name!r} must be 1-100 letters, digits, spaces, '.', '_' or '-', starting with a "
                       "letter or digit")
    if db.scalar(select(DataLocation).where(DataLocation.organisation_id == organisation.id,
                                            DataLocation.name == name)) is not None:
        raise JobError(f"name: {organisation.code} already has a data location named {name!r}")
    kind, stored = _locate(location)
    added = DataLocation(organisation=organisation, name=name, kind=kind, location=stored, added_by=added_by)
    db.add(added)
    db.flush()
    return added


def _locate(location: str) -> tuple[str, str]:
    if "://" in location and not location.startswith("file://"):
        if not urlparse(location).scheme:
            raise JobError(f"location: {describe(location)!r} is not a database URL")
        return "url", location
    try:
        path = Path(location.removeprefix("file://")).expanduser().resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise JobError(f"location: {location!r} does not exist on this server") from None
    if path.is_dir():
        if not record_files(path):
            raise JobError(f"location: {path} holds no Parquet or CSV tables")
        return "folder", str(path)
    if path.is_file() and path.suffix in _DUCKDB_SUFFIXES:
        return "duckdb", str(path)
    raise JobError(f"location: {path} is neither a folder of Parquet/CSV tables nor a DuckDB file "
                   f"({', '.join(sorted(_DUCKDB_SUFFIXES))})")


def describe(location: str) -> str:
    """A location as it may be shown: a URL without its user name or password."""
    parsed = urlparse(location)
    if "://" not in location or parsed.scheme == "file":
        return location
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.hostname or ''}{port}{parsed.path}"


def locations_of(db: Session, organisation: Organisation | None) -> list[DataLocation]:
    """An organisation's data locations by name; every organisation's (by its code, then name) given None."""
    query = select(DataLocation).join(Organisation).order_by(Organisation.code, DataLocation.name)
    if organisation is not None:
        query = query.where(DataLocation.organisation_id == organisation.id)
    return list(db.scalars(query))


def location_named(db: Session, organisation: Organisation, name: str) -> DataLocation:
    found = db.scalar(select(DataLocation).where(DataLocation.organisation_id == organisation.id,
                                                 DataLocation.name == name))
    if found is None:
        known = ", ".join(repr(location.name) for location in locations_of(db, organisation))
        raise JobError(f"location: {name!r} is not one of {organisation.code}'s data locations "
                       f"({known or 'it has none: the server operator adds them'})")
    return found


def remove_location(db: Session, organisation: Organisation, name: str) -> None:
    """Stop offering a location (jobs that used it keep its name)."""
    db.delete(location_named(db, organisation, name))


def readable(location: DataLocation) -> str:
    """The engine's `data` for a location, checked as the job starts: a path must still be what the operator
    added (no component swapped for a symbolic link since) and a folder may hold no symbolic link, so a job
    reads only what the location itself holds."""
    if location.kind == "url":
        return location.location
    path = Path(location.location)
    where = f"data location {location.name!r}"
    if Path(os.path.realpath(path)) != path:
        raise JobError(f"{where}: {path} now leads elsewhere ({os.path.realpath(path)}) through a symbolic link; "
                       "refused")
    if location.kind == "duckdb":
        if not path.is_file():
            raise JobError(f"{where}: the DuckDB file {path} is gone")
        return str(path)
    if not path.is_dir():
        raise JobError(f"{where}: the folder {path} is gone")
    for folder, names, files in os.walk(path):
        for entry in sorted(names + files):
            if Path(folder, entry).is_symlink():
                raise JobError(f"{where}: {Path(folder, entry).relative_to(path)} is a symbolic link; refused "
                               "(a job reads only what the folder itself holds)")
    return str(path)


# --- jobs -----------------------------------------------------------------------------------------------------

def submit(db: Session, organisation: Organisation, user: User | None, location_name: str, backend: str,
           catalogue_filename: str, catalogue: bytes) -> EngineJob:
    """Queue a job of `organisation` over one of its locations; the catalogue is kept in the job's row, so the
    worker that claims it reads it from the store (its problems fail the job, with the engine's message)."""
    location = location_named(db, organisation, location_name)
    allowed = BACKENDS_BY_KIND[location.kind]
    if backend not in allowed:
        raise JobError(f"backend: {backend!r} cannot read the {location.kind} location {location.name!r}; "
                       f"use {' or '.join(allowed)}")
    try:
        content = catalogue.decode("utf-8")
    except UnicodeDecodeError:
        raise JobError(f"catalogue: {catalogue_filename} is not UTF-8 text (a YAML catalogue)") from None
    if "\x00" in content:
        raise JobError(f"catalogue: {catalogue_filename} holds a NUL character; not a YAML catalogue")
    job = EngineJob(organisation=organisation, requested_by=user, location_id=location.id,
                    location_name=location.name, backend=backend, catalogue_filename=catalogue_filename[:300],
                    catalogue=content, state=JobState.QUEUED, progress_done=0, progress_label="queued")
    db.add(job)
    db.flush()
    return job


def jobs_of(db: Session, organisation: Organisation) -> list[EngineJob]:
    return list(db.scalars(select(EngineJob).where(EngineJob.organisation_id == organisation.id)
                           .order_by(EngineJob.id.desc())))


def claim_next(db: Session, worker: str) -> EngineJob | None:
    """Claim the oldest queued job for `worker` and commit. The UPDATE moves a job out of 'queued' only
    once, so when two workers race for a job exactly one wins (the other tries the next)."""
    candidates = db.scalars(select(EngineJob.id).where(EngineJob.state == JobState.QUEUED)
                            .order_by(EngineJob.id).limit(10)).all()
    db.commit()
    for job_id in candidates:
        now = utcnow()
        claimed = db.execute(update(EngineJob).where(EngineJob.id == job_id, EngineJob.state == JobState.QUEUED)
                             .values(state=JobState.RUNNING, claimed_by=worker, started_at=now, heartbeat_at=now,
                                     progress_label="opening the data"))
        db.commit()
        if claimed.rowcount == 1:
            return db.get(EngineJob, job_id, populate_existing=True)
    return None


def record_progress(db: Session, job_id: int, done: int, total: int | None, label: str) -> None:
    """A running job's progress (indicators counted of all), which also shows its worker is alive.
    JobStopped when the job is to go no further (cancelled, or failed as its worker was thought dead)."""
    moved = db.execute(update(EngineJob).where(*_going_on(job_id))
                       .values(progress_done=done, progress_total=total, progress_label=label, heartbeat_at=utcnow()))
    db.commit()
    if moved.rowcount != 1:
        raise JobStopped(job_id)


def _going_on(job_id: int) -> tuple:
    """The job is running and nobody has asked it to stop."""
    return EngineJob.id == job_id, EngineJob.state == JobState.RUNNING, EngineJob.cancel_requested_at.is_(None)


def cancel(db: Session, job: EngineJob, user: User | None) -> EngineJob:
    """Cancel a job for `user` and commit: a queued one is cancelled at once (no worker will claim it); a running
    one is asked to stop, and its worker interrupts its engine and marks it cancelled. JobEnded when it has
    already ended; asking twice changes nothing."""
    now = utcnow()
    who = {"cancel_requested_at": now, "cancelled_by_id": user.id if user else None}
    queued = db.execute(update(EngineJob).where(EngineJob.id == job.id, EngineJob.state == JobState.QUEUED)
                        .values(state=JobState.CANCELLED, finished_at=now, progress_label="cancelled", **who))
    if queued.rowcount == 0:
        db.execute(update(EngineJob).where(*_going_on(job.id))
                   .values(progress_label="cancelling: its worker is stopping the engine", **who))
    db.commit()
    db.refresh(job)
    if job.state not in ACTIVE and job.state != JobState.CANCELLED:
        raise JobEnded(f"job {job.id} has already {job.state}; only a queued or running job can be cancelled")
    return job


def to_stop(db: Session, job_ids: set[int]) -> dict[int, str]:
    """Which of a worker's running jobs must stop now, and why: an analyst cancelled it, or it has ended
    meanwhile (failed by another worker that thought its worker gone)."""
    if not job_ids:
        return {}
    rows = db.execute(select(EngineJob.id, EngineJob.state, EngineJob.cancel_requested_at)
                      .where(EngineJob.id.in_(job_ids))).all()
    db.commit()
    return {job_id: f"job {job_id} was cancelled" if asked is not None else f"job {job_id} has {state} meanwhile"
            for job_id, state, asked in rows if asked is not None or state != JobState.RUNNING}


def stop_cancelled(db: Session, job_id: int) -> bool:
    """A worker ends a running job that was asked to stop: cancelled (nothing of it stored). False if it was not
    asked to (or has ended otherwise)."""
    stopped = db.execute(update(EngineJob).where(EngineJob.id == job_id, EngineJob.state == JobState.RUNNING,
                                                 EngineJob.cancel_requested_at.is_not(None))
                         .values(state=JobState.CANCELLED, finished_at=utcnow(), progress_label="cancelled"))
    db.commit()
    return stopped.rowcount == 1


def beat(db: Session, job_ids: set[int]) -> None:
    """Refresh the heartbeat of running jobs (a single long aggregate query gives no progress for a while)."""
    if job_ids:
        db.execute(update(EngineJob).where(EngineJob.id.in_(job_ids), EngineJob.state == JobState.RUNNING)
                   .values(heartbeat_at=utcnow()))
        db.commit()


def succeed(db: Session, job: EngineJob, catalogue: Catalogue, read: ReadResult) -> bool:
    """Store a finished job's values as a draft batch of its organisation and mark the job succeeded, in one
    transaction; False (nothing stored) if the job was cancelled or failed meanwhile (its worker thought dead)."""
    tenancy.act_for(db, [job.organisation_id])  # row-level security: the draft is this organisation's
    batch = batches.create_draft(db, job.organisation, job.requested_by, "engine",
                                 f"{job.catalogue_filename} over {job.location_name}", catalogue, read)
    moved = db.execute(update(EngineJob).where(*_going_on(job.id))
                       .values(state=JobState.SUCCEEDED, batch_id=batch.id, finished_at=utcnow(),
                               progress_label="done: a draft batch"))
    if moved.rowcount != 1:
        db.rollback()
        return False
    db.commit()
    return True


def fail(db: Session, job_id: int, error: str) -> None:
    db.execute(update(EngineJob).where(EngineJob.id == job_id, EngineJob.state.in_(ACTIVE))
               .values(state=JobState.FAILED, error=error, finished_at=utcnow()))
    db.commit()


def recover_interrupted(db: Session, host: str, now: datetime | None = None) -> int:
    """On a server's start, before its workers: fail the jobs a server on `host` (one `gains serve` per machine
    and workspace) left running when it stopped. Queued jobs stay queued: the new workers run them."""
    now = now or utcnow()
    failed = db.execute(update(EngineJob).where(EngineJob.state == JobState.RUNNING,
                                                EngineJob.claimed_by.like(f"{host}:%"))
                        .values(state=GONE, finished_at=now,
                                error=f"interrupted by a restart at {now:%Y-%m-%d %H:%M:%S} UTC: the server on "
                                      f"{host} running it stopped before it finished; start it again"))
    db.commit()
    return failed.rowcount


def fail_stale(db: Session, after: timedelta, now: datetime | None = None) -> int:
    """Fail running jobs whose worker has not beaten for `after` (a worker killed while the server lives on,
    or another machine's server gone)."""
    now = now or utcnow()
    stale = db.execute(select(EngineJob.id, EngineJob.heartbeat_at, EngineJob.claimed_by)
                       .where(EngineJob.state == JobState.RUNNING, EngineJob.heartbeat_at < now - after)).all()
    for job_id, heartbeat, worker in stale:
        db.execute(update(EngineJob).where(EngineJob.id == job_id, EngineJob.state == JobState.RUNNING,
                                           EngineJob.heartbeat_at == heartbeat)
                   .values(state=GONE, finished_at=now,
                           error=f"its worker {worker} stopped answering (last heard at "
                                 f"{heartbeat:%Y-%m-%d %H:%M:%S} UTC); start it again"))
    db.commit()
    return len(stale)


def fail_own(db: Session, job_ids: set[int], now: datetime | None = None) -> None:
    """A worker shutting down fails the jobs it is running (they cannot finish once it has gone)."""
    now = now or utcnow()
    if job_ids:
        db.execute(update(EngineJob).where(EngineJob.id.in_(job_ids), EngineJob.state == JobState.RUNNING)
                   .values(state=GONE, finished_at=now,
                           error=f"interrupted by a server shutdown at {now:%Y-%m-%d %H:%M:%S} UTC; start it again"))
        db.commit()
