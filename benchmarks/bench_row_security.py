"""What row-level security costs the service on PostgreSQL: the same reads as the tables' owner and as the
application role (whose every row passes migration 0006's policies), at practice scale.

One organisation publishes a batch of --areas practices x --indicators indicators (SYNTHETIC counts); another
holds a draft of the same size, which the application role, acting for the first, must not see. Timed, as the
owner and as the application role acting for the publisher: `current_values` (every published value: what
the atlas is built from) and one organisation's batch list, each the median of --repeat runs. The database
and the role are made for the run and dropped afterwards.

Run (a role that may create databases and roles, as the test suite's):
    .venv/bin/python benchmarks/bench_row_security.py --database postgresql://user:pw@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
import uuid

import numpy as np
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from marginalgains.store import accounts, batches
from marginalgains.store.database import open_store
from marginalgains.store.models import Batch
from marginalgains.store.tenancy import act_for, grant_app_role


def practice_csv(areas: int, indicators: int, rng: np.random.Generator) -> bytes:
    """Tidy values: every practice x indicator for one year, binomial counts (SYNTHETIC)."""
    denominators = rng.integers(50, 5000, size=areas * indicators)
    numerators = rng.binomial(denominators, rng.uniform(0.2, 0.9, size=areas * indicators))
    ids = np.repeat([f"synthetic-{i:02d}" for i in range(indicators)], areas)
    codes = np.tile([f"P{a:05d}" for a in range(areas)], indicators)
    rows = "\n".join(f"{i},{c},2023/24,{n},{d}" for i, c, n, d in zip(ids, codes, numerators, denominators))
    return ("indicator_id,area_code,period,numerator,denominator\n" + rows + "\n").encode()


def catalogue_yaml(indicators: int) -> bytes:
    return yaml.safe_dump({"source": "SYNTHETIC", "licence": "none: synthetic", "indicators": [
        {"id": f"synthetic-{i:02d}", "title": f"Synthetic proportion {i}", "polarity": "high_is_good",
         "measure": "proportion", "multiplier": 100, "unit": "%", "synthetic": True} for i in range(indicators)]}
    ).encode()


def seed(url: str, areas: int, indicators: int) -> int:
    """The publisher's published batch and the other organisation's draft; returns the publisher's id."""
    store = open_store(url)
    rng = np.random.default_rng(2026)
    with store.sessions() as db:
        ids = []
        for code, publish in (("QWE", True), ("QKK", False)):
            organisation = accounts.add_organisation(db, code, f"ICB {code}", "icb")
            catalogue, read = batches.read_upload("tidy", io.BytesIO(practice_csv(areas, indicators, rng)),
                                                  "values.csv", io.BytesIO(catalogue_yaml(indicators)))
            batch = batches.create_draft(db, organisation, None, "tidy", "values.csv", catalogue, read)
            if publish:
                batches.publish(db, batch, None)
            ids.append(organisation.id)
        db.commit()
    store.dispose()
    return ids[0]


def timed(store, acting_for: int | None, repeat: int) -> dict[str, float]:
    def once(read) -> float:
        with store.sessions() as db:
            if acting_for is not None:
                act_for(db, [acting_for])
            start = time.perf_counter()
            read(db)
            return time.perf_counter() - start
    reads = {"current_values": lambda db: batches.current_values(db),
             "batch_list": lambda db: db.scalars(select(Batch).where(Batch.organisation_id == acting_for)).all()}
    result = {}
    for name, read in reads.items():
        once(read)  # warm the cache and the plan
        result[name] = round(statistics.median(once(read) for _ in range(repeat)), 4)
    with store.sessions() as db:
        if acting_for is not None:
            act_for(db, [acting_for])
        result["rows_seen"] = len(batches.current_values(db))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL of a role with CREATEDB and CREATEROLE")
    parser.add_argument("--areas", type=int, default=6500)
    parser.add_argument("--indicators", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    admin = create_engine(args.database, isolation_level="AUTOCOMMIT")
    name, role = f"mg_bench_{uuid.uuid4().hex[:8]}", f"mg_bench_app_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.database).set(database=name)
    try:
        publisher = seed(url.render_as_string(hide_password=False), args.areas, args.indicators)
        owner = open_store(url.render_as_string(hide_password=False), migrate=False)
        grant_app_role(owner.engine, role, create=True, password="bench")
        app = open_store(url.set(username=role, password="bench").render_as_string(hide_password=False),
                         migrate=False)
        as_owner, as_app = timed(owner, publisher, args.repeat), timed(app, publisher, args.repeat)
        owner.dispose()
        app.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
    print(json.dumps({"areas": args.areas, "indicators": args.indicators, "values_published": args.areas *
                      args.indicators, "values_in_draft": args.areas * args.indicators, "owner_seconds": as_owner,
                      "app_role_seconds": as_app}, indent=2))


if __name__ == "__main__":
    main()
