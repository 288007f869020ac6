"""An engine job in a real `gains serve`: its cost over the engine alone, and whether requests wait for it.

SYNTHETIC records (`gains synth`, Parquet) are counted three ways: the engine alone in this process
(`compute` plus the values check an upload gets, as `gains compute` then an upload would), and as an engine
job through `gains serve --workers N` (queued by the API, claimed by a worker, stored as a draft batch).
While the job runs, a client reads the job and the organisation's batch list back to back; their latencies
are compared with the same reads on the idle server.

Run:
    .venv/bin/python benchmarks/bench_workspace_jobs.py [--rows 2000000] [--workers 2] [--database URL]
Targets: a job costs little over the engine (storing its draft); reads during a job stay as fast as idle.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
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


def prepare(url: str, folder: Path) -> str:
    """The demo workspace, QWE's data location over the records, and an analyst's API token."""
    store = open_store(url)
    seed_demo(store)
    with store.sessions() as db:
        qwe = accounts.organisation_by_code(db, "QWE")
        jobs.add_location(db, qwe, "records", str(folder), "benchmark")
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


def percentiles(timings: list[float]) -> dict:
    return {"n": len(timings), "p50_ms": round(float(np.percentile(timings, 50)), 1),
            "p95_ms": round(float(np.percentile(timings, 95)), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="SYNTHETIC record rows, roughly")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", help="an empty database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marginalgains-jobs-") as folder:
        records = Path(folder) / "records"
        generated = generate(records, args.rows, seed=2024)
        alone = engine_alone(generated.catalogue, records, args.repeat)
        url = args.database or default_url(folder)
        secret = prepare(url, records)
        base, process = serve(url, args.workers, Path(folder))
        try:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=600) as client:
                idle_until = time.monotonic() + 5
                idle = read_latencies(client, None, lambda: time.monotonic() > idle_until)
                runs = [run_job(client, generated.catalogue) for _ in range(args.repeat)]
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
    }, indent=2))


if __name__ == "__main__":
    main()
