"""Load on a real `gains serve`: 50 concurrent users for 60 s from this (second) process over loopback.

The demo workspace (the bundled A&E data, published by the national team; organisations and people in
every role) is served by `gains serve --workers N` on SQLite or PostgreSQL. Each user holds an analyst's
API token of one of the demo organisations (so each sees its own audience's protection) and repeatedly
reads the atlas index, reads one indicator x period view, lists its organisation's batches, or uploads a
small draft batch (the write that exists today), with no think time or (--think S) a random pause of mean
S seconds between requests. Afterwards the drafts each organisation got a 201 for are counted against the
drafts in the store: nothing lost.

Run:
    .venv/bin/python benchmarks/bench_workspace_load.py                       # SQLite in a temporary folder
    .venv/bin/python benchmarks/bench_workspace_load.py --database postgresql://user:pw@127.0.0.1:5432/empty_db
Targets: p95 under 200 ms for reads, no errors, every write stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from marginalgains.store import accounts
from marginalgains.store.database import default_url, open_store
from marginalgains.store.models import Batch, Organisation
from marginalgains.web.demo import demo_people, seed_demo

CATALOGUE = b"""source: "Load test"
licence: "Open Government Licence v3.0"
indicators:
  - id: load
    title: "Load test indicator"
    polarity: high_is_good
    measure: proportion
    multiplier: 100
    unit: "%"
"""
# the share of each request kind in a user's loop (reads dominate, as people read far more than they write)
MIX = {"atlas_index": 0.2, "atlas_view": 0.55, "batches": 0.15, "upload": 0.1}
READS = ("atlas_index", "atlas_view", "batches")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, users: int) -> list[tuple[str, str]]:
    """Seed the demo workspace and issue one analyst API token per user: (organisation code, secret)."""
    store = open_store(url)
    seed_demo(store)
    analysts = [(email, code) for email, code, role in demo_people() if role == "analyst"]
    tokens = []
    with store.sessions() as db:
        for n in range(users):
            email, code = analysts[n % len(analysts)]
            secret, _ = accounts.issue_token(db, accounts.user_by_email(db, email),
                                             accounts.organisation_by_code(db, code), "analyst", f"load-{n}")
            tokens.append((code, secret))
        db.commit()
    store.dispose()
    return tokens


def serve(url: str, workers: int, folder: Path, app_database: str | None = None) -> tuple[str, subprocess.Popen]:
    port = free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).parent / "gains"), "serve", "--workspace", str(folder),
                                "--database", url, "--port", str(port), "--workers", str(workers),
                                *(["--app-database", app_database] if app_database else [])],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gains serve exited:\n{(folder / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{base}/sign-in", timeout=2).status_code == 200:
                return base, process
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("gains serve did not answer in time")


def warm(base: str, tokens: list[tuple[str, str]], workers: int) -> list[tuple[str, str]]:
    """Ask every worker for the atlas once per audience (each builds it once per published-data version),
    and return every (indicator, period) view there is."""
    views = []
    for secret in {code: secret for code, secret in tokens}.values():
        for _ in range(2 * workers):
            index = httpx.get(f"{base}/api/atlas", headers={"Authorization": f"Bearer {secret}"}, timeout=300).json()
        views = [(i["id"], p["period"]) for i in index for p in i["periods"]]
    return views


def upload_body(n: int) -> bytes:
    rows = [f"load,L{n:05d}{a},2024/25,{(n + a) % 50 + 10},100" for a in range(4)]
    return ("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n").encode()


async def user(client: httpx.AsyncClient, code: str, secret: str, views: list, until: float, seed: int,
               think: float, timings: dict, errors: dict, written: dict) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {secret}"}
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))  # a person reading the last answer
        kind = rng.choices(kinds, weights)[0]
        began = time.perf_counter()
        try:
            if kind == "atlas_index":
                response = await client.get("/api/atlas", headers=headers)
            elif kind == "atlas_view":
                indicator, period = rng.choice(views)
                response = await client.get(f"/api/atlas/{indicator}/{period}", headers=headers)
            elif kind == "batches":
                response = await client.get(f"/api/organisations/{code}/batches", headers=headers)
            else:
                response = await client.post(f"/api/organisations/{code}/batches", headers=headers,
                                             data={"kind": "tidy"},
                                             files={"values": ("load.csv", upload_body(seed), "text/csv"),
                                                    "catalogue": ("catalogue.yaml", CATALOGUE, "application/yaml")})
        except httpx.HTTPError as exc:
            errors[f"{kind}: {exc.__class__.__name__}"] += 1
            continue
        timings[kind].append(time.perf_counter() - began)
        expected = 201 if kind == "upload" else 200
        if response.status_code != expected:
            errors[f"{kind}: HTTP {response.status_code}"] += 1
        elif kind == "upload":
            written[code] += 1


async def load(base: str, tokens: list, views: list, seconds: float, think: float) -> tuple[dict, dict, dict]:
    timings, errors, written = defaultdict(list), defaultdict(int), defaultdict(int)
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        until = time.monotonic() + seconds
        await asyncio.gather(*(user(client, code, secret, views, until, n, think, timings, errors, written)
                               for n, (code, secret) in enumerate(tokens)))
    return timings, errors, written


def stored_drafts(url: str) -> dict[str, int]:
    store = open_store(url, migrate=False)
    with store.sessions() as db:
        rows = db.execute(select(Organisation.code, func.count()).join(Batch, Batch.organisation_id == Organisation.id)
                          .where(Batch.status == "draft", Batch.filename == "load.csv").group_by(Organisation.code))
        counts = dict(rows.all())
    store.dispose()
    return counts


def report(timings: dict, errors: dict, written: dict, stored: dict, seconds: float, meta: dict) -> dict:
    kinds = {}
    for kind, values in sorted(timings.items()):
        ms = np.asarray(values) * 1000
        kinds[kind] = {"requests": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                       "p95_ms": round(float(np.percentile(ms, 95)), 1),
                       "p99_ms": round(float(np.percentile(ms, 99)), 1)}
    reads = np.concatenate([np.asarray(timings[k]) for k in READS if timings[k]]) * 1000
    total = sum(len(v) for v in timings.values())
    return {**meta, "requests": total, "per_second": round(total / seconds, 1),
            "reads_p50_ms": round(float(np.percentile(reads, 50)), 1),
            "reads_p95_ms": round(float(np.percentile(reads, 95)), 1),
            "reads_p99_ms": round(float(np.percentile(reads, 99)), 1),
            "errors": dict(errors), "writes_acknowledged": sum(written.values()), "writes_stored": sum(stored.values()),
            "writes_lost": sum(max(0, written[c] - stored.get(c, 0)) for c in written), "kinds": kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--app-database", help="PostgreSQL: the application role's URL the server's requests use "
                                               "(gains workspace app-role), as a real deployment serves")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a user waits between requests (0: none, the hardest case)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="marginalgains-load-") as folder:
        url = args.database or default_url(folder)
        tokens = prepare(url, args.users)
        base, process = serve(url, args.workers, Path(folder), args.app_database)
        try:
            views = warm(base, tokens, args.workers)
            timings, errors, written = asyncio.run(load(base, tokens, views, args.seconds, args.think))
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=60)
        result = report(timings, errors, written, stored_drafts(url), args.seconds,
                        {"backend": make_url(url).get_backend_name(), "workers": args.workers,
                         "users": args.users, "seconds": args.seconds, "think": args.think, "views": len(views)})
    print(json.dumps(result, indent=2))
    ok = result["reads_p95_ms"] < 200 and not result["errors"] and result["writes_lost"] == 0
    print("targets met" if ok else "targets NOT met: p95 of reads < 200 ms, no errors, nothing lost")


if __name__ == "__main__":
    main()
