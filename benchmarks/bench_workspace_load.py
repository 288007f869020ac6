"""Load on a real `gains serve`: 50 concurrent users for 60 s from this (second) process over loopback.

The demo workspace (the bundled A&E data, published by the national team; organisations and people in
every role) and four shared plans (the national team's with the three ICBs, each ICB's with its first
trust and local authority) are served by `gains serve --workers N` on SQLite or PostgreSQL. Each user
holds an analyst's API token of one of the demo organisations (so each sees its own audience's
protection) and repeatedly reads the atlas index, one indicator x period view, one plan it takes part
in (its tracking over what the user may see) or its organisation's batches, writes a comment on that
plan, or uploads a small draft batch, with no think time or (--think S) a random pause of mean S seconds
between requests. Afterwards nothing may be lost: every comment answered 201 is in the store with its
plan and text, and every upload answered 201 is a draft there.

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

import aiohttp
import httpx
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from marginalgains.plans import Plan
from marginalgains.store import accounts
from marginalgains.store import plans as plan_store
from marginalgains.store.database import default_url, open_store
from marginalgains.store.models import Batch, Comment, Organisation
from marginalgains.web.demo import ICBS, NATIONAL, demo_people, seed_demo

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
MIX = {"atlas_index": 0.15, "atlas_view": 0.4, "plan": 0.2, "batches": 0.1, "comment": 0.1, "upload": 0.05}
READS = ("atlas_index", "atlas_view", "plan", "batches")
WRITES = {"comment": 201, "upload": 201}
KEEPALIVE_SECONDS = 30  # the client drops an idle connection well before the server would (`gains serve`: 75 s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_plans() -> list[tuple[str, Plan]]:
    """(author's email, plan): the national team's plan with the three ICBs over one trust of each, and each
    ICB's plan with its first trust and local authority over its trusts (four-hour standard, +3pp by 2019-03)."""
    def plan(key: str, owner: str, partners: list[str], areas: list[str]) -> Plan:
        return Plan.from_dict({"id": key, "title": f"Four-hour standard ({owner})", "indicator_id": "ae-4hr",
                               "areas": areas, "owner": {"organisation": owner}, "partners": partners,
                               "baseline": {"period": "2016/17"}, "target": "+3pp", "by": "2019-03"})
    icbs = [(code, members) for (code, _), members in ICBS.items()]
    plans = [("analyst@national.example",
              plan("ae-national", NATIONAL[0], [c for c, _ in icbs], [m["trust"][0][0] for _, m in icbs]))]
    for code, members in icbs:
        plans.append((f"analyst@{code.lower()}.example",
                      plan(f"ae-{code.lower()}", code, [members["trust"][0][0], members["local_authority"][0][0]],
                           [t for t, _ in members["trust"]])))
    return plans


def prepare(url: str, users: int) -> list[tuple[str, str, list[int]]]:
    """Seed the demo workspace and the shared plans, and issue one analyst API token per user:
    (organisation code, secret, ids of the plans it takes part in)."""
    store = open_store(url)
    seed_demo(store)
    analysts = [(email, code) for email, code, role in demo_people() if role == "analyst"]
    tokens = []
    with store.sessions() as db:
        for email, plan in shared_plans():
            plan_store.create_plan(db, accounts.user_by_email(db, email),
                                   accounts.organisation_by_code(db, plan.owner.organisation), plan)
        for n in range(users):
            email, code = analysts[n % len(analysts)]
            organisation = accounts.organisation_by_code(db, code)
            secret, _ = accounts.issue_token(db, accounts.user_by_email(db, email), organisation, "analyst",
                                             f"load-{n}")
            tokens.append((code, secret, [p.id for p in plan_store.visible_plans(db, {organisation.id})]))
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


def warm(base: str, tokens: list[tuple[str, str, list[int]]], workers: int) -> list[tuple[str, str]]:
    """Ask for the atlas index, every view and each plan a few times per worker and audience, over new
    connections (so they land on every worker): each worker then holds the answers it keeps per data version
    and audience, as it does once people have read for a while after a publish. Returns every (indicator,
    period) view there is."""
    views = []
    for secret, plans in {code: (secret, plans) for code, secret, plans in tokens}.values():
        headers = {"Authorization": f"Bearer {secret}"}
        for _ in range(3 * workers):
            index = httpx.get(f"{base}/api/atlas", headers=headers, timeout=300).json()
            views = [(i["id"], p["period"]) for i in index for p in i["periods"]]
            paths = [f"/api/atlas/{i}/{p}" for i, p in views] + [f"/api/plans/{plan}" for plan in plans]
            for path in paths:
                httpx.get(f"{base}{path}", headers=headers, timeout=300).raise_for_status()
    return views


def upload_body(n: int) -> bytes:
    rows = [f"load,L{n:05d}{a},2024/25,{(n + a) % 50 + 10},100" for a in range(4)]
    return ("indicator_id,area_code,period,numerator,denominator\n" + "\n".join(rows) + "\n").encode()


async def user(client: aiohttp.ClientSession, code: str, secret: str, plans: list[int], views: list, until: float,
               seed: int, think: float, timings: dict, errors: dict, written: dict) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {secret}"}
    kinds, weights = list(MIX), list(MIX.values())
    commented = 0
    while time.monotonic() < until:
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))  # a person reading the last answer
        kind = rng.choices(kinds, weights)[0]
        plan = rng.choice(plans)
        body = f"load test comment {seed}-{commented}"
        began = time.perf_counter()
        try:
            status, answer = await request(client, kind, code, plan, body, rng.choice(views), headers, seed)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            errors[f"{kind}: {exc.__class__.__name__}"] += 1
            continue
        timings[kind].append(time.perf_counter() - began)
        if status != WRITES.get(kind, 200):
            errors[f"{kind}: HTTP {status}"] += 1
        elif kind == "comment":
            written["comment"].append((json.loads(answer)["id"], plan, body))
            commented += 1
        elif kind == "upload":
            written["upload"].append(code)


async def request(client: aiohttp.ClientSession, kind: str, code: str, plan: int, body: str,
                  view: tuple[str, str], headers: dict, seed: int) -> tuple[int, bytes]:
    """One request of `kind`: its status and the whole body (read, as a real client would)."""
    if kind == "atlas_index":
        call = client.get("/api/atlas", headers=headers)
    elif kind == "atlas_view":
        call = client.get(f"/api/atlas/{view[0]}/{view[1]}", headers=headers)
    elif kind == "plan":
        call = client.get(f"/api/plans/{plan}", headers=headers)
    elif kind == "batches":
        call = client.get(f"/api/organisations/{code}/batches", headers=headers)
    elif kind == "comment":
        call = client.post(f"/api/plans/{plan}/comments", headers=headers, json={"body": body})
    else:
        form = aiohttp.FormData({"kind": "tidy"})
        form.add_field("values", upload_body(seed), filename="load.csv", content_type="text/csv")
        form.add_field("catalogue", CATALOGUE, filename="catalogue.yaml", content_type="application/yaml")
        call = client.post(f"/api/organisations/{code}/batches", headers=headers, data=form)
    async with call as response:
        return response.status, await response.read()


async def load(base: str, tokens: list, views: list, seconds: float, think: float) -> tuple[dict, dict, dict]:
    """Drive the users from one asyncio loop with aiohttp (its HTTP parser is C: the load client shares the
    server's cores, so the less CPU it takes per request, the more the measurement is of the server)."""
    timings, errors, written = defaultdict(list), defaultdict(int), defaultdict(list)
    connector = aiohttp.TCPConnector(limit=len(tokens), keepalive_timeout=KEEPALIVE_SECONDS)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:
        until = time.monotonic() + seconds
        await asyncio.gather(*(user(client, code, secret, plans, views, until, n, think, timings, errors, written)
                               for n, (code, secret, plans) in enumerate(tokens)))
    return timings, errors, written


def lost_writes(url: str, written: dict) -> dict[str, int]:
    """Acknowledged writes missing from the store: comments (by id, with their plan and text) and drafts
    (counted per organisation)."""
    store = open_store(url, migrate=False)
    with store.sessions() as db:
        stored = {c.id: (c.plan_id, c.body) for c in db.scalars(select(Comment).where(Comment.body.like("load test %")))}
        drafts = dict(db.execute(select(Organisation.code, func.count())
                                 .join(Batch, Batch.organisation_id == Organisation.id)
                                 .where(Batch.status == "draft", Batch.filename == "load.csv")
                                 .group_by(Organisation.code)).all())
    store.dispose()
    acknowledged = defaultdict(int)
    for code in written["upload"]:
        acknowledged[code] += 1
    return {"comment": sum(stored.get(i) != (plan, body) for i, plan, body in written["comment"]),
            "upload": sum(max(0, n - drafts.get(code, 0)) for code, n in acknowledged.items())}


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}


def report(timings: dict, errors: dict, written: dict, lost: dict, seconds: float, meta: dict) -> dict:
    kinds = {kind: {"requests": len(values), **percentiles(values)} for kind, values in sorted(timings.items())}
    reads = [t for k in READS for t in timings[k]]
    total = sum(len(v) for v in timings.values())
    return {**meta, "requests": total, "per_second": round(total / seconds, 1),
            **{f"reads_{k}": v for k, v in percentiles(reads).items()}, "errors": dict(errors),
            "writes_acknowledged": {k: len(v) for k, v in written.items()}, "writes_lost": lost, "kinds": kinds}


def group_cpu_seconds(group: int) -> float:
    """CPU (user and system) spent so far by the live processes of process group `group` (the server: uvicorn's
    supervisor and its workers), from /proc (Linux)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while being read
        if int(fields[2]) == group:  # fields after the command: state, ppid, pgrp, ... utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_problems(log: Path) -> list[str]:
    """Lines of the server's log that tell of a failure (a traceback, an error, a worker restarted)."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if any(word in line for word in ("Traceback", "ERROR", "died", "Exception"))]


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
        load_before = os.getloadavg()
        base, process = serve(url, args.workers, Path(folder), args.app_database)
        try:
            views = warm(base, tokens, args.workers)
            server_cpu, client_cpu = group_cpu_seconds(process.pid), time.process_time()
            timings, errors, written = asyncio.run(load(base, tokens, views, args.seconds, args.think))
            server_cpu, client_cpu = group_cpu_seconds(process.pid) - server_cpu, time.process_time() - client_cpu
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=60)
        result = report(timings, errors, written, lost_writes(url, written), args.seconds,
                        {"backend": make_url(url).get_backend_name(), "workers": args.workers,
                         "users": args.users, "seconds": args.seconds, "think": args.think, "views": len(views),
                         "load_average_before": load_before, "load_average_after": os.getloadavg()})
        answered = result["requests"] or 1
        result["cpu_ms_per_request"] = {"server": round(server_cpu * 1000 / answered, 2),
                                        "load_client": round(client_cpu * 1000 / answered, 2)}
        result["server_log_problems"] = server_problems(Path(folder) / "serve.log")
    print(json.dumps(result, indent=2))
    ok = (result["reads_p95_ms"] < 200 and not result["errors"] and not any(result["writes_lost"].values())
          and not result["server_log_problems"])
    print("targets met" if ok else "targets NOT met: p95 of reads < 200 ms, no errors, nothing lost")


if __name__ == "__main__":
    main()
