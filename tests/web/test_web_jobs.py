"""Engine jobs through the pages and the API: run a catalogue over a data location in the background, see its
progress, get the values `gains compute` gives as a draft batch; other organisations neither see nor start them;
a server SIGKILLed mid-job restarts with the job failed, never left running."""

import os
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from served import start, stop
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner
from web_helpers import csrf_from, csrf_of, sign_in

from marginalgains.cli.app import app as gains_app
from marginalgains.store import accounts, jobs
from marginalgains.store.database import open_store
from marginalgains.store.models import Batch, EngineJob, Value
from marginalgains.synth import generate

SCALE = 8000  # synthetic records: a couple of seconds of counting


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """SYNTHETIC records (Parquet tables, one of them turned into CSV, so a folder of both) and their catalogue."""
    folder = tmp_path_factory.mktemp("synthetic") / "records"
    generated = generate(folder, SCALE, seed=11)
    pd.read_parquet(folder / "eye_screening.parquet").to_csv(folder / "eye_screening.csv", index=False)
    (folder / "eye_screening.parquet").unlink()
    return generated.catalogue


@pytest.fixture(scope="module")
def duckdb_file(synthetic, tmp_path_factory) -> Path:
    """The same records stored inside a DuckDB database file."""
    path = tmp_path_factory.mktemp("duckdb") / "records.duckdb"
    with duckdb.connect(str(path)) as con:
        for table in ("mi_admissions", "diabetes_care"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{synthetic.parent / table}.parquet')")
        con.execute(f"CREATE TABLE eye_screening AS SELECT * FROM read_csv('{synthetic.parent}/eye_screening.csv')")
    return path


def add_location(store, code: str, name: str, location: Path) -> None:
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, code), name, str(location), "test")
        db.commit()


def start_job(client, location: str, catalogue: bytes, code: str = "QWE", backend: str = "duckdb"):
    return client.post(f"/api/organisations/{code}/jobs", data={"location": location, "backend": backend},
                       files={"catalogue": ("catalogue.yaml", catalogue, "application/yaml")},
                       headers={"X-CSRF-Token": csrf_from(client)})


def finished(client, job_id: int, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def gains_compute(catalogue: Path, data: Path, out: Path, *extra: str) -> pd.DataFrame:
    result = CliRunner().invoke(gains_app, ["compute", "--catalogue", str(catalogue), "--data", str(data),
                                            "--out", str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype={"period": str, "area_code": str})


def batch_values(store, batch_id: int) -> pd.DataFrame:
    with store.sessions() as db:
        rows = db.execute(select(Value.indicator_id, Value.area_code, Value.period, Value.numerator,
                                 Value.denominator).where(Value.batch_id == batch_id)).all()
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])


def same_values(stored: pd.DataFrame, expected: pd.DataFrame) -> None:
    keys = ["indicator_id", "area_code", "period"]
    pd.testing.assert_frame_equal(stored.sort_values(keys).reset_index(drop=True),
                                  expected[stored.columns].sort_values(keys).reset_index(drop=True),
                                  check_dtype=False)


@pytest.mark.parametrize("kind", ["folder", "duckdb"])
def test_a_job_gives_the_values_gains_compute_gives_as_a_draft_batch(kind, client, store, synthetic, duckdb_file,
                                                                     tmp_path):
    data = synthetic.parent if kind == "folder" else duckdb_file
    add_location(store, "QWE", "records", data)
    sign_in(client, "analyst@qwe.example")
    started = start_job(client, "records", synthetic.read_bytes())
    assert started.status_code == 202, started.text
    assert started.json()["state"] in ("queued", "running") and started.json()["location"] == "records"
    job = finished(client, started.json()["id"])
    assert job["state"] == "succeeded", job
    definitions = len(yaml.safe_load(synthetic.read_text())["indicators"])  # each bundle counts once
    assert (job["progress"]["done"], job["progress"]["total"]) == (definitions, definitions) and job["seconds"] > 0
    expected = gains_compute(synthetic, data, tmp_path / "values.csv", *(["--database-only"] if kind == "duckdb" else []))
    report = client.get(f"/api/batches/{job['batch_id']}").json()
    assert report["status"] == "draft" and report["kind"] == "engine" and report["organisation_code"] == "QWE"
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (len(expected), len(expected), 0)
    assert all(i["synthetic"] for i in report["indicators"]) and len(report["indicators"]) == 22
    same_values(batch_values(store, job["batch_id"]), expected)
    published = client.post(f"/api/batches/{job['batch_id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert published.status_code == 200 and published.json()["batch"]["status"] == "published"


RECORDS = pd.DataFrame({  # area A: 2 records dated 2018/19 (1 done) and 1 undated; area B: 1 dated (done), 2 undated
    "area": ["A", "A", "A", "B", "B", "B"],
    "day": pd.to_datetime(["2018-05-01", "2018-06-01", None, "2018-07-01", None, None]),
    "done": [True, False, True, True, False, True],
})
CATALOGUE = {"synthetic": True, "source": "hand-made records", "licence": "none", "indicators": [
    {"id": "done", "title": "Records done", "polarity": "high_is_good", "measure": "proportion", "table": "visits",
     "area": "area", "period": {"column": "day", "grain": "financial_year"}, "numerator": "done"}]}


@pytest.fixture
def visits(store, tmp_path) -> Path:
    folder = tmp_path / "visits"
    folder.mkdir()
    RECORDS.to_csv(folder / "visits.csv", index=False)
    add_location(store, "QWE", "visits", folder)
    return folder


def test_undated_records_are_rejected_rows_of_the_batch_so_rows_in_are_accepted_plus_rejected(client, visits):
    sign_in(client, "analyst@qwe.example")
    job = finished(client, start_job(client, "visits", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    assert job["state"] == "succeeded", job
    report = client.get(f"/api/batches/{job['batch_id']}").json()
    # per area: one 2018/19 row and one row of undated records, which the values check refuses
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (4, 2, 2)
    assert {(r["column"], r["reason"]) for r in report["rejections"]} == {("period", "missing value")}
    assert {r["file"] for r in report["rejections"]} == {f"values of job {job['id']}"}


def test_the_form_starts_a_job_whose_page_refreshes_until_it_ends(client, visits):
    sign_in(client, "analyst@qwe.example")
    form = client.get("/organisations/QWE/jobs").text
    assert '<option value="visits">visits (folder)</option>' in form and str(visits) not in form
    response = client.post("/organisations/QWE/jobs", data={"location": "visits", "backend": "duckdb",
                                                            "csrf_token": csrf_of(form)},
                           files={"catalogue": ("visits.yaml", yaml.safe_dump(CATALOGUE).encode())},
                           follow_redirects=False)
    assert response.status_code == 303
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    first = client.get(f"/jobs/{job_id}").text
    shown = first.split("State: <strong>")[1].split("</strong>")[0]
    assert ('http-equiv="refresh"' in first) == (shown in ("queued", "running")), shown  # refreshes while active
    job = finished(client, job_id)
    page = client.get(f"/jobs/{job_id}").text
    assert 'http-equiv="refresh"' not in page and f'href="/batches/{job["batch_id"]}"' in page
    assert "State: <strong>succeeded</strong>" in page and "1 of 1 indicators counted" in page
    no_csrf = client.post("/organisations/QWE/jobs", data={"location": "visits"},
                          files={"catalogue": ("visits.yaml", b"indicators: []")}, follow_redirects=False)
    assert no_csrf.status_code == 403


@pytest.fixture
def records_database(tmp_path):
    """A PostgreSQL database holding the visits table (the test PostgreSQL server's), as an Ibis URL."""
    admin_url = os.environ.get("MARGINALGAINS_TEST_POSTGRES")  # see tests/conftest.py
    if not admin_url:
        pytest.skip("needs the test PostgreSQL server (MARGINALGAINS_TEST_POSTGRES)")
    name = f"mg_records_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name)
    records = create_engine(url)
    RECORDS.to_sql("visits", records, index=False)
    records.dispose()
    yield url.set(drivername="postgres").render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_job_over_a_database_url_counts_in_that_database_as_gains_compute_does(client, store, records_database,
                                                                                  tmp_path):
    with store.sessions() as db:
        jobs.add_location(db, accounts.organisation_by_code(db, "QWE"), "warehouse", records_database, "test")
        db.commit()
    sign_in(client, "analyst@qwe.example")
    assert client.get("/api/organisations/QWE/data-locations").json() == [
        {"name": "warehouse", "kind": "url", "backends": ["database"]}]
    job = finished(client, start_job(client, "warehouse", yaml.safe_dump(CATALOGUE).encode(),
                                     backend="database").json()["id"])
    assert job["state"] == "succeeded", job
    (tmp_path / "catalogue.yaml").write_text(yaml.safe_dump(CATALOGUE))
    expected = gains_compute(tmp_path / "catalogue.yaml", records_database, tmp_path / "values.csv")
    accepted = expected.dropna(subset=["period"])  # the undated rows are the batch's rejections
    assert len(accepted) == 2 and len(expected) == 4
    same_values(batch_values(store, job["batch_id"]), accepted)


def test_other_organisations_neither_see_nor_start_jobs_and_viewers_only_watch(client, new_client, visits):
    sign_in(client, "analyst@qwe.example")
    job = finished(client, start_job(client, "visits", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    outsider = new_client()
    sign_in(outsider, "analyst@qkk.example")
    for path in (f"/api/jobs/{job['id']}", "/api/organisations/QWE/jobs", "/api/organisations/QWE/data-locations",
                 f"/jobs/{job['id']}", "/organisations/QWE/jobs"):
        assert outsider.get(path).status_code == 404, path
    assert start_job(outsider, "visits", b"indicators: []").status_code == 404
    own = start_job(outsider, "visits", b"indicators: []", code="QKK")  # QWE's location is not QKK's
    assert own.status_code == 400 and "'visits' is not one of QKK's data locations" in own.json()["detail"]
    assert outsider.get("/api/organisations/QKK/jobs").json() == []
    viewer = new_client()
    sign_in(viewer, "viewer@qwe.example")
    assert [j["id"] for j in viewer.get("/api/organisations/QWE/jobs").json()] == [job["id"]]
    refused = start_job(viewer, "visits", b"indicators: []")
    assert refused.status_code == 403 and "this needs analyst" in refused.json()["detail"]


@pytest.mark.parametrize("catalogue, error", [
    ({"indicators": [{"id": "typo", "title": "T", "polarity": "high_is_good", "measure": "proportion",
                      "table": "visits", "area": "area", "period": "day", "numerator": "dun"}]},
     "indicator 'typo', numerator 'dun': unknown column(s) dun"),
    ({"indicators": [{"id": "t", "title": "T", "polarity": "high_is_good", "measure": "proportion",
                      "table": "missing", "area": "area", "period": "day", "numerator": "done"}]},
     "table 'missing' not found"),
    ("indicators: [", "catalogue.yaml: not a readable YAML catalogue"),
])
def test_a_bad_catalogue_fails_the_job_with_the_engine_s_message(client, visits, catalogue, error):
    sign_in(client, "analyst@qwe.example")
    text = catalogue if isinstance(catalogue, str) else yaml.safe_dump(catalogue)
    job = finished(client, start_job(client, "visits", text.encode()).json()["id"])
    assert job["state"] == "failed" and error in job["error"] and job["batch_id"] is None, job
    assert error in client.get(f"/jobs/{job['id']}").text.replace("&#39;", "'")


def test_a_location_reads_only_what_it_holds(client, store, visits, tmp_path):
    sign_in(client, "analyst@qwe.example")
    outside = tmp_path / "elsewhere.csv"
    RECORDS.to_csv(outside, index=False)
    (visits / "more.csv").symlink_to(outside)
    job = finished(client, start_job(client, "visits", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    assert job["state"] == "failed" and "more.csv is a symbolic link; refused" in job["error"], job
    database = tmp_path / "views.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE VIEW visits AS SELECT * FROM read_csv('{outside}')")
    add_location(store, "QWE", "views", database)
    job = finished(client, start_job(client, "views", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    assert job["state"] == "failed" and "refused in database-only mode" in job["error"], job
    wrong = start_job(client, "views", yaml.safe_dump(CATALOGUE).encode(), backend="spark")
    assert wrong.status_code == 400 and "'spark' cannot read the duckdb location 'views'" in wrong.json()["detail"]


def test_a_worker_stopping_interrupts_and_fails_the_job_it_is_running_and_stores_nothing_of_it(app, store, endless,
                                                                                              engine_queries):
    with TestClient(app, base_url="http://testserver") as client:  # the app's lifespan: its job runner
        sign_in(client, "analyst@qwe.example")
        job_id = start_job(client, "endless", yaml.safe_dump(CATALOGUE).encode()).json()["id"]
        assert engine_queries.in_flight.wait(120)
    # the worker has stopped: the job cannot finish, so it says so, and its engine, interrupted, stores no draft
    for thread in job_threads(job_id):
        thread.join(timeout=60)  # counting the rows would take hours
        assert not thread.is_alive()
    assert engine_queries.stopped
    with store.sessions() as db:
        job = db.get(EngineJob, job_id)
        assert job.state == "failed" and job.error.startswith("interrupted by a server shutdown at "), job.error
        assert job.batch_id is None and db.scalar(select(func.count()).select_from(Batch)
                                                  .where(Batch.kind == "engine")) == 0


# --- a real server, SIGKILLed mid-job ---------------------------------------------------------------------------

def test_a_server_killed_mid_job_restarts_with_the_job_failed_and_runs_the_next(databases, demo_template, synthetic,
                                                                              tmp_path):
    url = databases.new(template=demo_template)
    store = open_store(url)
    try:
        add_location(store, "QWE", "records", synthetic.parent)
        with store.sessions() as db:
            token, _ = accounts.issue_token(db, accounts.user_by_email(db, "analyst@qwe.example"),
                                            accounts.organisation_by_code(db, "QWE"), "analyst", "jobs")
            db.commit()
    finally:
        store.dispose()
    headers = {"Authorization": f"Bearer {token}"}

    def submit(base: str) -> int:
        response = httpx.post(f"{base}/api/organisations/QWE/jobs", data={"location": "records"}, headers=headers,
                              files={"catalogue": ("catalogue.yaml", synthetic.read_bytes())}, timeout=60)
        assert response.status_code == 202, response.text
        return response.json()["id"]

    base, process = start(url, tmp_path / "ws", workers=2)
    try:
        job_id = submit(base)
        deadline = time.monotonic() + 60
        while (job := httpx.get(f"{base}/api/jobs/{job_id}", headers=headers).json())["state"] == "queued":
            assert time.monotonic() < deadline, job
            time.sleep(0.02)
        assert job["state"] == "running", job
        os.killpg(process.pid, signal.SIGKILL)  # the whole server, workers and all: no chance to clean up
        process.wait(timeout=30)
        before = time.time()
        base, process = start(url, tmp_path / "ws", workers=2)
        job = httpx.get(f"{base}/api/jobs/{job_id}", headers=headers).json()
        assert job["state"] == "failed" and job["batch_id"] is None, job
        assert job["error"].startswith("interrupted by a restart at ") and "start it again" in job["error"]
        restarted = pd.Timestamp(job["error"].split(" at ")[1].split(" UTC")[0], tz="UTC").timestamp()
        assert before - 1 <= restarted <= time.time() + 1
        assert "1 engine job(s) interrupted by the last stop marked failed" in (
            tmp_path / "ws" / f"serve-{base.rsplit(':', 1)[1]}.log").read_text()
        again = submit(base)  # the restarted server runs jobs
        deadline = time.monotonic() + 120
        while (job := httpx.get(f"{base}/api/jobs/{again}", headers=headers).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["state"] == "succeeded" and job["batch_id"] is not None, job
    finally:
        stop(process)
        databases.drop(url)


def test_the_runner_claims_while_any_lifespan_of_the_app_runs_and_starts_again_after(app, store):
    """Two test clients of one app run its lifespan twice at once; a later client runs it again."""

    def claiming() -> bool:
        return any(t.name == "engine-jobs" and t.is_alive() for t in threading.enumerate())

    runner = app.state.job_runner
    with TestClient(app, base_url="http://testserver"), TestClient(app, base_url="http://testserver"):
        assert claiming()
    runner._thread.join(timeout=60)
    assert not claiming()
    with TestClient(app, base_url="http://testserver"):
        assert claiming()


@pytest.fixture
def held_at_first_step(monkeypatch):
    """The first progress step any job reaches waits until released: a job is then surely running (and its
    cancellation surely arrives before its next step). Yields (reached, release) events."""
    reached, release = threading.Event(), threading.Event()
    real = jobs.record_progress

    def held(*args, **kwargs):
        if not reached.is_set():
            reached.set()
            release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "record_progress", held)
    yield reached, release
    release.set()


def engine_batches(store) -> int:
    with store.sessions() as db:
        return db.scalar(select(func.count()).select_from(Batch).where(Batch.kind == "engine"))


def test_an_analyst_cancels_a_queued_and_a_running_job_and_nothing_of_them_is_stored(client, new_client, store,
                                                                                    visits, held_at_first_step):
    reached, release = held_at_first_step
    catalogue = yaml.safe_dump(CATALOGUE).encode()
    sign_in(client, "analyst@qwe.example")
    running = start_job(client, "visits", catalogue).json()["id"]
    assert reached.wait(60)
    queued = start_job(client, "visits", catalogue).json()  # the one slot is busy: it waits
    assert queued["state"] == "queued"
    outsider, viewer = new_client(), new_client()
    sign_in(outsider, "admin@qkk.example")
    sign_in(viewer, "viewer@qwe.example")
    for job_id in (running, queued["id"]):
        refused = outsider.post(f"/api/jobs/{job_id}/cancel", headers={"X-CSRF-Token": csrf_from(outsider)})
        assert refused.status_code == 404
        refused = viewer.post(f"/api/jobs/{job_id}/cancel", headers={"X-CSRF-Token": csrf_from(viewer)})
        assert refused.status_code == 403 and "this needs analyst" in refused.json()["detail"]
    assert client.post(f"/jobs/{queued['id']}/cancel", follow_redirects=False).status_code == 403  # no CSRF token
    assert "Cancel this job" not in viewer.get(f"/jobs/{running}").text
    page = client.get(f"/jobs/{queued['id']}").text
    assert "Cancel this job" in page
    cancelled = client.post(f"/jobs/{queued['id']}/cancel", data={"csrf_token": csrf_of(page)},
                            follow_redirects=False)
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/jobs/{queued['id']}"
    queued = client.get(f"/api/jobs/{queued['id']}").json()
    assert (queued["state"], queued["cancelled_by"], queued["batch_id"]) == ("cancelled", "Analyst at QWE", None)
    assert queued["cancel_requested_at"] is not None and queued["finished_at"] is not None
    asked = client.post(f"/api/jobs/{running}/cancel", headers={"X-CSRF-Token": csrf_from(client)})
    assert asked.status_code == 200 and asked.json()["state"] == "running"  # held: it stops at its step
    assert asked.json()["progress"]["label"] == "cancelling: its worker is stopping the engine"
    release.set()
    stopped = finished(client, running)
    assert (stopped["state"], stopped["cancelled_by"], stopped["batch_id"], stopped["error"]) == (
        "cancelled", "Analyst at QWE", None, None)
    assert engine_batches(store) == 0  # no draft batch is left of either
    page = client.get(f"/jobs/{running}").text
    assert "State: <strong>cancelled</strong>" in page and "Cancelled by Analyst at QWE" in page
    assert 'http-equiv="refresh"' not in page and "Cancel this job" not in page
    done = finished(client, start_job(client, "visits", catalogue).json()["id"])  # the runner goes on
    assert done["state"] == "succeeded" and engine_batches(store) == 1
    late = client.post(f"/api/jobs/{done['id']}/cancel", headers={"X-CSRF-Token": csrf_from(client)})
    assert late.status_code == 409 and "has already succeeded" in late.json()["detail"]


def test_a_job_s_duckdb_runs_on_the_server_s_job_threads(app, store, visits, monkeypatch):
    """Each job's DuckDB is capped at --job-threads (by default every core but one, left for requests)."""
    from marginalgains.engine import run
    from marginalgains.web.app import ENV_DATABASE, ENV_JOB_THREADS, app_from_environment

    assert app.state.job_runner.threads == max(1, (os.cpu_count() or 2) - 1)
    monkeypatch.setenv(ENV_DATABASE, store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv(ENV_JOB_THREADS, "1")
    capped = app_from_environment()
    assert capped.state.job_runner.threads == 1
    seen, opened = [], run.open_source

    def read_back(*args, **kwargs):
        source = opened(*args, **kwargs)
        with source.con.con.cursor() as cursor:
            seen.append(cursor.execute("SELECT current_setting('threads')").fetchone()[0])
        return source

    monkeypatch.setattr(run, "open_source", read_back)
    with TestClient(capped, base_url="http://testserver") as client:
        sign_in(client, "analyst@qwe.example")
        job = finished(client, start_job(client, "visits", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    capped.state.store.dispose()
    assert job["state"] == "succeeded" and seen == [1]


# --- stopping a job's engine mid-query ---------------------------------------------------------------------------

ENDLESS_ROWS = 100_000_000_000  # counting them would take hours: a job over them ends only if it is stopped


def endless_file(path: Path) -> Path:
    """A DuckDB file whose visits view (CATALOGUE's table) holds ENDLESS_ROWS."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE VIEW visits AS SELECT 'A' || (i % 100) AS area, DATE '2018-04-01' + CAST(i % 365 AS "
                    f"INTEGER) AS day, i % 3 = 0 AS done FROM range({ENDLESS_ROWS}) t(i)")
    return path


@pytest.fixture
def endless(store, tmp_path) -> Path:
    """QWE's data location 'endless' (endless_file)."""
    path = endless_file(tmp_path / "endless.duckdb")
    add_location(store, "QWE", "endless", path)
    return path


LONG_QUERY = 2.0  # seconds: a query still running after this long is the endless one


@pytest.fixture
def engine_queries(monkeypatch):
    """Watches the engine's stoppable queries in this process: `in_flight` is set once one has run for
    LONG_QUERY seconds (the endless count, not a quick check before it that may end before an interrupt
    comes, which then refuses the next query instead of stopping one), `stopped` counts the stops the
    queries got."""
    from marginalgains.engine.interrupt import Interrupter

    watched = type("Watched", (), {"in_flight": threading.Event(), "stopped": []})()
    real = Interrupter.query

    @contextmanager
    def query(self, stop):
        def kept():
            watched.stopped.append(stop)
            stop()
        with real(self, None if stop is None else kept):
            long_running = threading.Timer(LONG_QUERY, watched.in_flight.set)
            if stop is not None:
                long_running.start()
            try:
                yield
            finally:
                long_running.cancel()

    monkeypatch.setattr(Interrupter, "query", query)
    return watched


def job_threads(job_id: int) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == f"engine-job-{job_id}"]


def test_a_job_cancelled_mid_query_is_interrupted_ends_cancelled_and_its_worker_runs_the_next(
        client, store, endless, visits, engine_queries):
    sign_in(client, "analyst@qwe.example")
    job_id = start_job(client, "endless", yaml.safe_dump(CATALOGUE).encode()).json()["id"]
    assert engine_queries.in_flight.wait(120), client.get(f"/api/jobs/{job_id}").json()
    page = client.get(f"/jobs/{job_id}").text
    assert "State: <strong>running</strong>" in page and "Cancel this job" in page
    asked = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert asked.status_code == 303
    stopped = finished(client, job_id)  # two minutes at most; counting the rows would take hours
    assert (stopped["state"], stopped["cancelled_by"], stopped["batch_id"], stopped["error"]) == (
        "cancelled", "Analyst at QWE", None, None)
    assert stopped["cancel_requested_at"] <= stopped["finished_at"]
    assert engine_queries.stopped  # DuckDB was told to stop its query, which then ended
    for thread in job_threads(job_id):
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert engine_batches(store) == 0
    page = client.get(f"/jobs/{job_id}").text
    assert "State: <strong>cancelled</strong>" in page and "Cancelled by Analyst at QWE" in page
    assert "is being stopped" not in page and "Cancel this job" not in page
    done = finished(client, start_job(client, "visits", yaml.safe_dump(CATALOGUE).encode()).json()["id"])
    assert done["state"] == "succeeded" and engine_batches(store) == 1  # the worker is free for the next job


def test_a_served_job_cancelled_through_the_api_stops_whichever_worker_runs_it(databases, demo_template, tmp_path):
    """`gains serve --workers 2`: the cancel may reach the other worker; the job's own sees it in its watch."""
    url = databases.new(template=demo_template)
    store = open_store(url)
    try:
        add_location(store, "QWE", "endless", endless_file(tmp_path / "endless.duckdb"))
        with store.sessions() as db:
            token, _ = accounts.issue_token(db, accounts.user_by_email(db, "analyst@qwe.example"),
                                            accounts.organisation_by_code(db, "QWE"), "analyst", "jobs")
            db.commit()
    finally:
        store.dispose()
    base, process = start(url, tmp_path / "ws", workers=2)
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
            started = api.post("/api/organisations/QWE/jobs", data={"location": "endless"},
                               files={"catalogue": ("catalogue.yaml", yaml.safe_dump(CATALOGUE).encode())})
            assert started.status_code == 202, started.text
            job_id = started.json()["id"]
            deadline = time.monotonic() + 60
            while (job := api.get(f"/api/jobs/{job_id}").json())["state"] == "queued":
                assert time.monotonic() < deadline, job
                time.sleep(0.05)
            for _ in range(4):  # a few cancels, each reaching either worker: asking again changes nothing
                asked = api.post(f"/api/jobs/{job_id}/cancel")
                assert asked.status_code == 200 and asked.json()["state"] in ("running", "cancelled"), asked.text
            deadline = time.monotonic() + 120  # counting the rows would take hours
            while (job := api.get(f"/api/jobs/{job_id}").json())["state"] == "running":
                assert time.monotonic() < deadline, job
                time.sleep(0.05)
            assert (job["state"], job["cancelled_by"], job["batch_id"], job["error"]) == (
                "cancelled", "Analyst at QWE", None, None), job
    finally:
        stop(process)
        databases.drop(url)


def test_a_job_whose_engine_is_interrupted_for_another_reason_than_a_cancel_ends_failed_saying_why(store, endless,
                                                                                                  engine_queries):
    from marginalgains.engine import Interrupter
    from marginalgains.web.job_runner import run_job

    with store.sessions() as db:
        job_id = jobs.submit(db, accounts.organisation_by_code(db, "QWE"), None, "endless", "duckdb", "visits.yaml",
                             yaml.safe_dump(CATALOGUE).encode()).id
        db.commit()
        assert jobs.claim_next(db, "here:1").id == job_id
    interrupter = Interrupter()
    running = threading.Thread(target=run_job, args=(store, job_id, 1, interrupter), daemon=True)
    running.start()
    assert engine_queries.in_flight.wait(120)
    for _ in range(1200):  # as the runner does, again until it ends: two minutes at most (counting takes hours)
        interrupter.interrupt("the operator is draining this machine")
        running.join(timeout=0.1)
        if not running.is_alive():
            break
    assert not running.is_alive() and engine_queries.stopped
    with store.sessions() as db:
        job = db.get(EngineJob, job_id)
        assert (job.state, job.batch_id, job.cancel_requested_at) == ("failed", None, None)
        assert job.error == "the engine was interrupted: the operator is draining this machine"
    assert engine_batches(store) == 0
