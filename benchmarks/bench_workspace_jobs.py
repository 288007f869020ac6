"""An engine job in a real `gains serve`: its cost over the engine alone, and whether requests wait for it.

SYNTHETIC records (`gains synth`, Parquet) are counted three ways: the engine alone in this process
(`compute` plus the values check an upload gets, as `gains compute` then an upload would), and as an engine
job through `gains serve --workers N` (queued by the API, claimed by a worker, stored as a draft batch).
While the job runs, a client reads the job and the organisation's batch list back to back; their latencies
are compared with the same reads on the idle server. Then jobs over a DuckDB file whose view holds a hundred
billion rows (hours of counting) are cancelled through the API a second after they start running: the time
from the cancel request to the job read back `cancelled`, and the time the server recorded between the cancel
and the job's end, say how promptly the engine is interrupted (each cancel on a new connection, so it reaches
either worker: the job's own acts at once, the other's cancel is seen in the job's worker's next watch).

Run:
    .venv/bin/python benchmarks/bench_workspace_jobs.py [--rows 2000000] [--workers 2] [--cancels 5] [--database URL]
Targets: a job costs little over the engine (storing its draft); reads during a job stay as fast as idle; a
cancelled job stops within about a second (its worker watches its row every 0.5 s).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import httpx
import numpy as np
import yaml
from bench_workspace_load import serve
from sqlalchemy.engine import make_url

from marginalgains.engine import compute
from marginalgains.io.values import check_values
from marginalgains.store import accounts, jobs
from marginalgains.store.database import default_url, open_store
from marginalgains.synth import generate
from marginalgains.web.demo import seed_demo


def engine_alone(catalogue: Path, folder: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = compute(catalogue, folder)
        check_values(result.values, result.catalogue, "values")
        best = min(best, time.perf_counter() - started)
    return best


ENDLESS_ROWS = 100_000_000_000
ENDLESS_CATALOGUE = {"synthetic": True, "source": "generated rows", "licence": "none", "indicators": [
    {"id": "done", "title": "Visits done", "polarity": "high_is_good", "measure": "proportion", "table": "visits",
     "area": "area", "period": {"column": "day", "grain": "financial_year"}, "numerator": "done"}]}


def endless_database(path: Path) -> Path:
    """A DuckDB file whose visits view holds ENDLESS_ROWS rows: a job over it ends only when it is stopped."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE VIEW visits AS SELECT 'A' || (i % 100) AS area, DATE '2018-04-01' + CAST(i % 365 AS "
                    f"INTEGER) AS day, i % 3 = 0 AS done FROM range({ENDLESS_ROWS}) t(i)")
    return path


def prepare(url: str, folder: Path, endless: Path) -> str:
    """The demo workspace, QWE's data locations over the records and the endless view, and an analyst's API token."""
    store = open_store(url)
    seed_demo(store)
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        jobs.add_location(db, qwe, "records", str(folder), "benchmark")
        jobs.add_location(db, qwe, "endless", str(endless), "benchmark")
        secret, _ = accounts.issue_token(db, accounts.user_by_email(db, "analyst@qwe.example"), qwe, "analyst", "bench")
        db.commit()
    store.dispose()
    return secret


def read_latencies(client: httpx.Client, job_id: int | None, until) -> list[float]:
    """Milliseconds of each read (the job, then the batch list) while `until()` is false."""
    paths = [f"/api/jobs/{job_id}"] if job_id else []
    paths.append("/api/organisations/QWE/batches")
    timings = []
    while not until():
        for path in paths:
            started = time.perf_counter()
            client.get(path).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def run_job(client: httpx.Client, catalogue: Path) -> tuple[dict, float, list[float]]:
    started = time.perf_counter()
    response = client.post("/api/organisations/QWE/jobs", data={"location": "records"},
                           files={"catalogue": ("catalogue.yaml", catalogue.read_bytes())})
    response.raise_for_status()
    job_id = response.json()["id"]
    state = {"job": response.json()}

    def ended() -> bool:
        state["job"] = client.get(f"/api/jobs/{job_id}").json()
        return state["job"]["state"] in ("succeeded", "failed")
    during = read_latencies(client, job_id, ended)
    return state["job"], time.perf_counter() - started, during


def cancel_running(client: httpx.Client) -> tuple[float, float, float]:
    """Start a job over the endless view, cancel it a second after it runs; seconds from the cancel request to
    reading it back cancelled, between the cancel and the job's end as the server recorded them, and of the
    cancel request alone."""
    response = client.post("/api/organisations/QWE/jobs", data={"location": "endless"},
                           files={"catalogue": ("endless.yaml", yaml.safe_dump(ENDLESS_CATALOGUE).encode())})
    response.raise_for_status()
    job_id = response.json()["id"]
    while client.get(f"/api/jobs/{job_id}").json()["state"] == "queued":
        time.sleep(0.05)
    time.sleep(1.0)  # its aggregate query is under way
    asked = time.perf_counter()
    with httpx.Client(base_url=client.base_url, headers=client.headers) as fresh:  # a new connection: either worker
        fresh.post(f"/api/jobs/{job_id}/cancel").raise_for_status()
    request = time.perf_counter() - asked
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] == "running":
        time.sleep(0.01)
    observed = time.perf_counter() - asked
    assert job["state"] == "cancelled" and job["batch_id"] is None, job
    recorded = (datetime.fromisoformat(job["finished_at"]) - datetime.fromisoformat(job["cancel_requested_at"]))
    return observed, recorded.total_seconds(), request


def spread(seconds: list[float]) -> dict:
    return {"n": len(seconds), "median_s": round(float(np.median(seconds)), 3), "max_s": round(max(seconds), 3)}


def percentiles(timings: list[float]) -> dict:
    return {"n": len(timings), "p50_ms": round(float(np.percentile(timings, 50)), 1),
            "p95_ms": round(float(np.percentile(timings, 95)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="SYNTHETIC record rows, roughly")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cancels", type=int, default=5, help="running jobs to cancel")
    parser.add_argument("--database", help="an empty database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marginalgains-jobs-") as folder:
        records = Path(folder) / "records"
        generated = generate(records, args.rows, seed=2024)
        alone = engine_alone(generated.catalogue, records, args.repeat)
        url = args.database or default_url(folder)
        secret = prepare(url, records, endless_database(Path(folder) / "endless.duckdb"))
        base, process = serve(url, args.workers, Path(folder))
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=600) as client:
                idle_until = time.monotonic() + 5
                idle = read_latencies(client, None, lambda: time.monotonic() > idle_until)
                runs = [run_job(client, generated.catalogue) for _ in range(args.repeat)]
                cancels = [cancel_running(client) for _ in range(args.cancels)]
                load = os.getloadavg()
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=60)
    best = min(runs, key=lambda run: run[1])
    assert all(run[0]["state"] == "succeeded" for run in runs), [run[0] for run in runs]
    print(json.dumps({
        "rows": sum(generated.rows.values()), "backend": make_url(url).get_backend_name(), "workers": args.workers,
        "engine_alone_s": round(alone, 2), "job_submit_to_succeeded_s": round(best[1], 2),
        "job_started_to_finished_s": round(best[0]["seconds"], 2),
        "reads_idle": percentiles(idle), "reads_during_jobs": percentiles([t for run in runs for t in run[2]]),
        "cancel_to_read_back_cancelled": spread([c[0] for c in cancels]),
        "cancel_to_finished_recorded": spread([c[1] for c in cancels]),
        "cancel_request": spread([c[2] for c in cancels]),
        "load_average_1_5_15": [round(x, 1) for x in load],
    }, indent=2))


if __name__ == "__main__":
    main()
