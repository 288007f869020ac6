"""Engine jobs in the store: data locations an operator adds, an atomic claim (two workers never run one job),
and jobs a dead server left running failed with the reason, on SQLite and PostgreSQL."""

import io
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker

from marginalgains.store import accounts, batches, jobs, tenancy
from marginalgains.store.database import open_store
from marginalgains.store.models import EngineJob, JobState, Value
from test_store_batches import CATALOGUE, GOOD


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    with store.sessions() as db:
        accounts.add_organisation(db, "QWE", "NHS South West London ICB", "icb")
        accounts.add_organisation(db, "QKK", "NHS South East London ICB", "icb")
        db.commit()
    yield store
    store.dispose()


@pytest.fixture
def records(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    pd.DataFrame({"area": ["A"], "day": ["2018-05-01"]}).to_csv(folder / "visits.csv", index=False)
    return folder


def queue(store, location: str = "records", count: int = 1) -> list[int]:
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        ids = [jobs.submit(db, qwe, None, location, "duckdb", "catalogue.yaml", b"indicators: []").id
               for _ in range(count)]
        db.commit()
    return ids


def test_a_location_is_stored_resolved_and_by_kind(store, records, tmp_path):
    (tmp_path / "link").symlink_to(records)
    (tmp_path / "records.duckdb").write_bytes(b"")
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        folder = jobs.add_location(db, qwe, "records", str(tmp_path / "link"), "test")
        database = jobs.add_location(db, qwe, "db", str(tmp_path / "records.duckdb"), "test")
        url = jobs.add_location(db, qwe, "warehouse", "postgres://ann:secret@db.example:5433/records", "test")
        db.commit()
        assert (folder.kind, folder.location) == ("folder", str(records.resolve()))
        assert (database.kind, url.kind) == ("duckdb", "url")
        assert jobs.describe(url.location) == "postgres://db.example:5433/records"
        assert [location.name for location in jobs.locations_of(db, qwe)] == ["db", "records", "warehouse"]
        assert jobs.locations_of(db, accounts.organisation_by_code(db, "QKK")) == []


@pytest.mark.parametrize("name, location, message", [
    ("../up", "records", "name: '../up' must be 1-100 letters"),
    ("gone", "nowhere", "does not exist on this server"),
    ("empty", "empty", "holds no Parquet or CSV tables"),
    ("text", "notes.txt", "is neither a folder of Parquet/CSV tables nor a DuckDB file"),
    ("records", "records", "QWE already has a data location named 'records'"),
])
def test_a_bad_location_is_refused_by_name(store, records, tmp_path, name, location, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        jobs.add_location(db, qwe, "records", str(records), "test")
        with pytest.raises(jobs.JobError, match=message):
            jobs.add_location(db, qwe, name, str(tmp_path / location), "test")


def test_a_folder_swapped_for_a_symbolic_link_after_it_was_added_is_refused(store, records, tmp_path):
    with store.sessions() as db:
        location = jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        assert jobs.readable(location) == str(records.resolve())
        other = tmp_path / "other"
        other.mkdir()
        records.rename(tmp_path / "moved")
        records.symlink_to(other)
        with pytest.raises(jobs.JobError, match="now leads elsewhere .* through a symbolic link; refused"):
            jobs.readable(location)


def test_two_workers_racing_never_claim_the_same_job(store, records):
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        db.commit()
    queued = queue(store, count=20)
    claimed: dict[str, list[int]] = {"one": [], "two": []}
    go = threading.Barrier(2)

    def worker(name: str) -> None:
        go.wait()
        with store.sessions() as db:
            while (job := jobs.claim_next(db, f"host:{name}")) is not None:
                claimed[name].append(job.id)
    threads = [threading.Thread(target=worker, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(claimed["one"] + claimed["two"]) == queued  # each job once, none twice, none left
    with store.sessions() as db:
        rows = db.scalars(select(EngineJob).order_by(EngineJob.id)).all()
        assert {job.state for job in rows} == {JobState.RUNNING}
        assert all(job.claimed_by == f"host:{'one' if job.id in claimed['one'] else 'two'}" for job in rows)


def test_a_restart_fails_the_jobs_this_host_left_running_and_keeps_the_queue(store, records):
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        db.commit()
    mine, theirs, waiting = queue(store, count=3)
    with store.sessions() as db:
        assert jobs.claim_next(db, "here:101").id == mine
        assert jobs.claim_next(db, "there:7").id == theirs
        restart = datetime(2026, 12, 1, 12, 30, 5, tzinfo=UTC)
        assert jobs.recover_interrupted(db, "here", restart) == 1
        states = {job.id: (job.state, job.error) for job in db.scalars(select(EngineJob))}
    assert states[mine] == (JobState.FAILED, "interrupted by a restart at 2026-12-01 12:30:05 UTC: the server on here "
                                             "running it stopped before it finished; start it again")
    assert states[theirs] == (JobState.RUNNING, None) and states[waiting] == (JobState.QUEUED, None)


def test_a_job_whose_worker_stopped_beating_is_failed_by_another(store, records):
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        db.commit()
    alive, dead = queue(store, count=2)
    with store.sessions() as db:
        jobs.claim_next(db, "a:1")
        jobs.claim_next(db, "b:2")
        claimed = db.get(EngineJob, dead).heartbeat_at
        jobs.beat(db, {alive})
        assert db.get(EngineJob, alive, populate_existing=True).heartbeat_at >= claimed
        later = claimed + timedelta(minutes=3)  # dead last beat 3 minutes before; alive beat 30 s before
        db.get(EngineJob, alive).heartbeat_at = later - timedelta(seconds=30)
        db.commit()
        assert jobs.fail_stale(db, timedelta(minutes=2), later) == 1
        failed = db.get(EngineJob, dead, populate_existing=True)
        assert failed.state == JobState.FAILED and "its worker b:2 stopped answering" in failed.error
        assert db.get(EngineJob, alive, populate_existing=True).state == JobState.RUNNING


def test_a_catalogue_that_is_not_text_or_a_backend_the_location_cannot_use_is_refused(store, records):
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        jobs.add_location(db, qwe, "records", str(records), "test")
        with pytest.raises(jobs.JobError, match="catalogue: c.yaml is not UTF-8 text"):
            jobs.submit(db, qwe, None, "records", "duckdb", "c.yaml", b"\xff\xfe")
        with pytest.raises(jobs.JobError, match="backend: 'database' cannot read the folder location 'records'; "
                                                "use duckdb or spark"):
            jobs.submit(db, qwe, None, "records", "database", "c.yaml", b"indicators: []")
        with pytest.raises(jobs.JobError, match="'nope' is not one of QWE's data locations \\('records'\\)"):
            jobs.submit(db, qwe, None, "nope", "duckdb", "c.yaml", b"indicators: []")


@pytest.mark.parametrize("acting_for_the_organisation", [True, False])
def test_a_finished_job_stores_its_draft_under_row_level_security(store, records, monkeypatch,
                                                                 acting_for_the_organisation):
    """On PostgreSQL, a role that does not own the tables writes a job's draft only by naming its organisation."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        db.commit()
    (job_id,) = queue(store)
    role = f"mg_app_{uuid.uuid4().hex[:8]}"
    with store.engine.connect() as owner:
        owner.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        owner.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        owner.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        owner.execute(text(f"GRANT {role} TO CURRENT_USER"))
        owner.commit()
    if not acting_for_the_organisation:
        monkeypatch.setattr(tenancy, "act_for", lambda db, organisation_ids: None)
    application = create_engine(store.engine.url)
    try:
        sessions = sessionmaker(application)
        tenancy.install(sessions)
        with sessions() as db:
            db.execute(text(f"SET ROLE {role}"))  # for the connection, past each commit
            tenancy.run_jobs(db)  # the runner's session: it sees every organisation's queued jobs
            job = jobs.claim_next(db, "here:1")
            catalogue, read = batches.read_upload("tidy", io.BytesIO(GOOD), "values.csv", io.BytesIO(CATALOGUE))
            if acting_for_the_organisation:
                assert jobs.succeed(db, job, catalogue, read)
            else:
                with pytest.raises(Exception, match="row-level security"):
                    jobs.succeed(db, job, catalogue, read)
                return
        with store.sessions() as db:
            stored = db.get(EngineJob, job_id)
            assert stored.state == JobState.SUCCEEDED and stored.batch.rows_accepted == 2
            assert db.scalar(select(func.count()).select_from(Value).where(Value.batch_id == stored.batch_id)) == 2
    finally:
        application.dispose()
        with store.engine.connect() as owner:
            owner.execute(text(f"DROP OWNED BY {role}"))
            owner.execute(text(f"DROP ROLE {role}"))
            owner.commit()


def test_a_cancelled_job_ends_cancelled_at_its_next_step_and_stores_nothing(store, records):
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        jobs.add_location(db, qwe, "records", str(records), "test")
        accounts.add_user(db, "ann@qwe.example", "Ann", None)
        db.commit()
    running, finishing, queued, dying, failing = queue(store, count=5)
    with store.sessions() as db:
        for _ in range(2):
            jobs.claim_next(db, "here:1")
        analyst = accounts.user_by_email(db, "ann@qwe.example")
        cancelled = jobs.cancel(db, db.get(EngineJob, queued), analyst)  # queued: at once, and never claimed
        assert (cancelled.state, cancelled.cancelled_by_id) == (JobState.CANCELLED, analyst.id)
        assert cancelled.finished_at == cancelled.cancel_requested_at
        assert [jobs.claim_next(db, "here:1").id for _ in range(2)] == [dying, failing]
        asked = jobs.cancel(db, db.get(EngineJob, running), analyst)
        assert asked.state == JobState.RUNNING and asked.cancel_requested_at is not None
        first_ask = asked.cancel_requested_at
        assert jobs.cancel(db, asked, None).cancel_requested_at == first_ask  # asking twice changes nothing
        with pytest.raises(jobs.JobStopped):
            jobs.record_progress(db, running, 1, 2, "counted one")
        assert jobs.stop_cancelled(db, running)
        assert db.get(EngineJob, running, populate_existing=True).state == JobState.CANCELLED
        # a job cancelled as it finishes: its draft and its success are one transaction, refused
        jobs.cancel(db, db.get(EngineJob, finishing), analyst)
        catalogue, read = batches.read_upload("tidy", io.BytesIO(GOOD), "values.csv", io.BytesIO(CATALOGUE))
        assert not jobs.succeed(db, db.get(EngineJob, finishing), catalogue, read)
        assert db.scalar(select(func.count()).select_from(Value)) == 0
        assert jobs.cancel(db, db.get(EngineJob, running), analyst).state == JobState.CANCELLED  # still so
        jobs.fail(db, failing, "the engine's message")
        with pytest.raises(jobs.JobEnded, match=f"job {failing} has already failed"):
            jobs.cancel(db, db.get(EngineJob, failing), analyst)
        # a job asked to stop whose worker dies ends cancelled, as asked
        jobs.cancel(db, db.get(EngineJob, dying), analyst)
        jobs.fail_own(db, {dying})
        assert db.get(EngineJob, dying, populate_existing=True).state == JobState.CANCELLED


def test_a_worker_is_told_which_of_its_jobs_to_stop_and_why(store, records):
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "records", str(records), "test")
        db.commit()
    going, cancelled, failed, elsewhere = queue(store, count=4)
    with store.sessions() as db:
        for _ in range(4):
            jobs.claim_next(db, "here:1")
        assert jobs.to_stop(db, set()) == {} and jobs.to_stop(db, {going, cancelled, failed}) == {}
        jobs.cancel(db, db.get(EngineJob, cancelled), None)
        jobs.fail(db, failed, "its worker stopped answering")  # as another worker failing it stale would
        jobs.cancel(db, db.get(EngineJob, elsewhere), None)  # another worker's job: not asked about
        assert jobs.to_stop(db, {going, cancelled, failed}) == {
            cancelled: f"job {cancelled} was cancelled", failed: f"job {failed} has failed meanwhile"}
        assert jobs.stop_cancelled(db, cancelled)  # once stopped, still to stop until its thread has ended
        assert jobs.to_stop(db, {cancelled}) == {cancelled: f"job {cancelled} was cancelled"}
