"""Runs engine jobs inside a server worker: a few at a time, on background threads, never in a request.

Each uvicorn worker has one `JobRunner`. Its loop claims queued jobs from the store (atomically, so
several workers share the queue without running a job twice) while it has a free slot, beats for the
jobs it runs, and fails jobs whose worker stopped beating. While it runs jobs it reads their rows every
`WATCH_SECONDS` (at once when a cancel reaches this worker), and interrupts the engine of one that was
cancelled or has ended meanwhile: its DuckDB or Spark queries stop then, not when they would have
finished (engine/interrupt.py). Slots are threads, not processes: the
engine's work happens inside DuckDB or Spark, which release the GIL, so a thread costs the worker's
requests nothing, shares its store connections, and writes progress straight into the job's row.
One slot per worker is the default because one DuckDB job already uses every core (it runs
several aggregate queries side by side) and holds its working memory; a second at once would only
halve each one's speed and double the memory. Its DuckDB is capped at `threads` (`gains serve
--job-threads`, by default one fewer than the machine's cores), so a job leaves a core for requests.

On PostgreSQL the runner's sessions see every organisation's job rows (`tenancy.run_jobs`), and a job's
own work acts for the job's organisation alone: its data location and its draft batch are that
organisation's under row-level security, as an analyst's request would see them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session

from marginalgains.engine import Interrupter, compute
from marginalgains.errors import GainsError
from marginalgains.io.values import check_values
from marginalgains.store import jobs, tenancy
from marginalgains.store.batches import catalogue_from_yaml
from marginalgains.store.database import Store
from marginalgains.store.models import DataLocation, EngineJob

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0  # how often an idle worker looks for a job another worker queued
WATCH_SECONDS = 0.5  # how often a worker running jobs reads their rows, to stop one cancelled elsewhere
HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(minutes=2)  # a running job not heard of for this long has lost its worker
SHUTDOWN_SECONDS = 10.0  # how long a stopping worker waits for its jobs' engines to stop


def default_job_threads() -> int:
    """DuckDB threads for a job: every core but one, which stays for the worker's requests (at least one)."""
    return max(1, (os.cpu_count() or 2) - 1)


@contextmanager
def runner_session(store: Store) -> Iterator[Session]:
    """A store session that sees and changes every organisation's engine jobs, and nothing more of theirs."""
    with store.sessions() as db:
        tenancy.run_jobs(db)
        yield db


def worker_name() -> str:
    """This process as a job's `claimed_by`: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobRunner:
    """At most `slots` engine jobs at once in this worker, each on its own daemon thread, each with at most
    `threads` DuckDB threads."""

    def __init__(self, store: Store, slots: int = 1, poll_seconds: float = POLL_SECONDS, threads: int | None = None):
        self.store, self.slots, self.poll_seconds = store, slots, poll_seconds
        self.threads = threads or default_job_threads()
        self.worker = worker_name()
        self._free = threading.Semaphore(slots)
        self._wake, self._stop = threading.Event(), threading.Event()
        self._running: dict[int, Interrupter] = {}  # each running job's engine, to interrupt it
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._lifespans = 0  # an app's lifespan may run more than once in a process, even at once (test clients)

    def start(self) -> None:
        """Start claiming, unless already claiming for another lifespan of the app."""
        with self._lock:
            self._lifespans += 1
            if self._lifespans > 1:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="engine-jobs", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look for queued jobs now (a request has just queued one)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming, fail the jobs still running here and interrupt their engines: this worker is going
        and they cannot finish (when the last lifespan that started it ends)."""
        with self._lock:
            self._lifespans -= 1
            if self._lifespans:
                return
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock, runner_session(self.store) as db:
            jobs.fail_own(db, set(self._running))
        self._interrupt_all("the server is shutting down")

    def _interrupt_all(self, reason: str) -> None:
        """Interrupt every job's engine here, again every tenth of a second until their threads end (DuckDB
        forgets an interrupt that arrives as a query starts), for at most `SHUTDOWN_SECONDS`."""
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        while time.monotonic() < deadline:
            with self._lock:
                running = list(self._running.values())
            if not running:
                return
            for interrupter in running:
                interrupter.interrupt(reason)
            time.sleep(0.1)

    def _loop(self) -> None:
        beaten = 0.0
        while not self._stop.is_set():
            try:
                beaten = self._beat(beaten)
                self._interrupt_stopped()
                self._claim_while_free()
            except Exception:  # the store briefly unreachable: log, and try again on the next round
                log.exception("engine job runner")
            self._wake.wait(WATCH_SECONDS if self._running else self.poll_seconds)
            self._wake.clear()

    def _beat(self, beaten: float) -> float:
        now = time.monotonic()
        if now - beaten < HEARTBEAT_SECONDS:
            return beaten
        with runner_session(self.store) as db:
            with self._lock:
                jobs.beat(db, set(self._running))
            jobs.fail_stale(db, STALE_AFTER)
        return now

    def _interrupt_stopped(self) -> None:
        """Interrupt the engine of each job here that must stop; again each round until its thread ends, since
        DuckDB forgets an interrupt that arrives as a query starts."""
        with self._lock:
            running = dict(self._running)
        if not running:
            return
        with runner_session(self.store) as db:
            stopping = jobs.to_stop(db, set(running))
        for job_id, reason in stopping.items():
            running[job_id].interrupt(reason)

    def _claim_while_free(self) -> None:
        while not self._stop.is_set() and self._free.acquire(blocking=False):
            with runner_session(self.store) as db:
                job = jobs.claim_next(db, self.worker)
            if job is None:
                self._free.release()
                return
            interrupter = Interrupter()
            with self._lock:
                self._running[job.id] = interrupter
            threading.Thread(target=self._run, args=(job.id, interrupter), name=f"engine-job-{job.id}",
                             daemon=True).start()

    def _run(self, job_id: int, interrupter: Interrupter) -> None:
        try:
            run_job(self.store, job_id, self.threads, interrupter)
        finally:
            with self._lock:
                self._running.pop(job_id, None)
            self._free.release()
            self._wake.set()


def run_job(store: Store, job_id: int, threads: int | None = None, interrupter: Interrupter | None = None) -> None:
    """Run one claimed job to its end: succeeded with a draft batch, failed with the reason (an engine
    `interrupter` stopped for another reason than a cancel says why), or cancelled with nothing of it stored
    (when asked to stop: its engine interrupted, or stopped at its next progress step)."""
    with runner_session(store) as db:
        job = db.get(EngineJob, job_id)
        assert job is not None
        tenancy.act_for(db, [job.organisation_id])  # its location and draft batch: its organisation's alone
        try:
            catalogue, read = _compute(db, job, threads or default_job_threads(), interrupter)
            if not jobs.succeed(db, job, catalogue, read):
                jobs.stop_cancelled(db, job_id)
        except jobs.JobStopped:
            db.rollback()
            jobs.stop_cancelled(db, job_id)
        except GainsError as error:
            _end_failed(db, job_id, str(error))
        except Exception as error:  # never leave a job running: record what went wrong, keep the trace in the log
            log.exception("engine job %s", job_id)
            _end_failed(db, job_id, f"internal error ({type(error).__name__}): {str(error).strip()[:500]}")


def _end_failed(db: Session, job_id: int, error: str) -> None:
    """A job that went wrong is failed, unless it had been asked to stop: then it is cancelled, as asked."""
    db.rollback()
    if not jobs.stop_cancelled(db, job_id):
        jobs.fail(db, job_id, error)


def _compute(db: Session, job: EngineJob, threads: int, interrupter: Interrupter | None):
    """The engine's values for a job, checked as an upload's values are (rows in = accepted + rejected)."""
    location = db.get(DataLocation, job.location_id) if job.location_id is not None else None
    if location is None:
        raise jobs.JobError(f"data location {job.location_name!r} was removed before the job ran")
    catalogue = catalogue_from_yaml(job.catalogue.encode("utf-8"), job.catalogue_filename)
    counted = {"done": 0, "total": None}

    def progress(done: int, total: int, label: str) -> None:
        counted.update(done=done, total=total)
        jobs.record_progress(db, job.id, done, total, f"counted {label}")

    result = compute(catalogue, jobs.readable(location), backend="duckdb" if job.backend == "database" else job.backend,
                     progress=progress, database_only=location.kind == "duckdb", threads=threads,
                     interrupter=interrupter)
    jobs.record_progress(db, job.id, counted["done"], counted["total"], "checking the values")
    return result.catalogue, check_values(result.values, result.catalogue, f"values of job {job.id}")
