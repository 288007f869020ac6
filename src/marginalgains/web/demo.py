"""`gains serve --demo`: a national team, three ICBs with their trusts and local authorities, people in each role,
and the bundled A&E data published by the national team, beside the SYNTHETIC national dataset (`gains synth`,
counted by the engine) it also publishes, labelled SYNTHETIC wherever it is seen. With the SYNTHETIC dataset come
its records as the national team's data location (for engine jobs), and a few plans shared between ICBs, their
trusts and local authorities, one with a comment mentioning a partner.

Organisation codes are the real ODS (ICBs, trusts) and ONS (local authorities) codes, so the bundled
A&E data (per trust) belong to them; the people are invented, with passwords printed for the demo only.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from marginalgains.io.bundled import ae_provider_names, ae_values
from marginalgains.sources import DEMO_SEED
from marginalgains.store import accounts, batches, jobs
from marginalgains.store import plans as plan_store
from marginalgains.store.database import Store
from marginalgains.store.models import Organisation, SharingAgreement

NATIONAL = ("X24", "NHS England national team", "national")
ICBS = {
    ("QWE", "NHS South West London ICB"): {
        "trust": [("RJ7", "St George's University Hospitals NHS FT"), ("RVR", "Epsom and St Helier University Hospitals NHS Trust"),
                  ("RAX", "Kingston Hospital NHS FT"), ("RJ6", "Croydon Health Services NHS Trust")],
        "local_authority": [("E09000032", "Wandsworth"), ("E09000008", "Croydon")],
    },
    ("QKK", "NHS South East London ICB"): {
        "trust": [("RJZ", "King's College Hospital NHS FT"), ("RJ2", "Lewisham and Greenwich NHS Trust"),
                  ("RJ1", "Guy's and St Thomas' NHS FT")],
        "local_authority": [("E09000022", "Lambeth"), ("E09000028", "Southwark")],
    },
    ("QMJ", "NHS North Central London ICB"): {
        "trust": [("RAL", "Royal Free London NHS FT"), ("RKE", "Whittington Health NHS Trust"),
                  ("RRV", "University College London Hospitals NHS FT"), ("RAP", "North Middlesex University Hospital NHS Trust")],
        "local_authority": [("E09000007", "Camden"), ("E09000019", "Islington")],
    },
}
DEMO_PASSWORD = "demo-password-1"
SYNTHETIC_SCALE = 200_000  # record rows of the SYNTHETIC national dataset: seconds to count, few tiny counts
SYNTHETIC_FILE = "SYNTHETIC national dataset (gains synth)"
SYNTHETIC_LOCATION = "SYNTHETIC national records"  # the national team's data location: the generated records
FOUR_HOURS = {"indicator_id": "ae-4hr", "baseline": {"period": "2016/17"}, "by": "2019-03"}
SHARED_PLANS = [  # (author, plan): real A&E plans, each shared with partners; none involves QKK's organisations
    ("analyst@rj7.example", {**FOUR_HOURS, "id": "ae-rj7", "title": "Four-hour standard at St George's",
                             "areas": ["RJ7"], "owner": {"organisation": "RJ7"}, "partners": ["QWE"], "target": "+3pp"}),
    ("analyst@qwe.example", {**FOUR_HOURS, "id": "ae-swl", "title": "Four hours across South West London",
                             "areas": ["RJ7", "RVR", "RAX", "RJ6"], "owner": {"organisation": "QWE"},
                             "partners": ["RJ7", "RVR", "RAX", "RJ6", "E09000032", "E09000008"], "target": "+2pp"}),
    ("analyst@qmj.example", {**FOUR_HOURS, "id": "ae-ral", "title": "Four-hour recovery at the Royal Free",
                             "areas": ["RAL"], "owner": {"organisation": "QMJ"}, "partners": ["RAL", "E09000007"],
                             "target": "+3pp"}),
]
SHARING_REASON = "demo: the A&E figures are NHS England's published statistics; shared in full with the plans' partners"
SHARED_COMMENT = ("analyst@qwe.example", "ae-swl",
                  "@analyst@rj7.example could St George's streaming at the front door be tried at Croydon this winter?")


def demo_people() -> list[tuple[str, str, str]]:
    """(email, organisation code, role) for each demo person: every role in the national team and each ICB,
    an analyst in each first trust and local authority."""
    people = [(f"{role}@national.example", NATIONAL[0], role) for role in ("admin", "analyst", "viewer")]
    for (code, _), members in ICBS.items():
        people += [(f"{role}@{code.lower()}.example", code, role) for role in ("admin", "analyst", "viewer")]
        for kind in ("trust", "local_authority"):
            first = members[kind][0][0]
            people.append((f"analyst@{first.lower()}.example", first, "analyst"))
    return people


def seed_demo(store: Store, synthetic_folder: Path | None = None,
              synthetic_scale: int = SYNTHETIC_SCALE) -> list[tuple[str, str, str]]:
    """Fill the store with the demo organisations and people (once); returns (email, password, what) to print.
    With `synthetic_folder`, the SYNTHETIC national dataset is generated there and published too."""
    with store.sessions() as db:
        if db.scalar(select(Organisation).where(Organisation.code == NATIONAL[0])) is None:
            _organisations(db)
            for email, code, role in demo_people():
                accounts.grant(db, accounts.add_user(db, email, email.split("@")[0].title() + " at " + code,
                                                     DEMO_PASSWORD), accounts.organisation_by_code(db, code), role)
            _publish_ae(db)
            if synthetic_folder is not None:
                _publish_synthetic(db, synthetic_folder, synthetic_scale)
                _share_plans(db)
            db.commit()
    return [(email, DEMO_PASSWORD, f"{role} in {code}") for email, code, role in demo_people()]


def _publish_ae(db) -> None:
    """The national team publishes the bundled A&E data (every provider, monthly), as NHS England does."""
    catalogue, read = ae_values()
    names = ae_provider_names().set_index("area_code")["area_name"]  # the static page names them: so does the atlas here
    read.values = read.values.assign(area_name=read.values["area_code"].map(names))
    analyst = accounts.user_by_email(db, "analyst@national.example")
    batch = batches.create_draft(db, accounts.organisation_by_code(db, NATIONAL[0]), analyst, "bundled",
                                 read.files[0], catalogue, read)
    batches.publish(db, batch, analyst)


def _publish_synthetic(db, folder: Path, scale: int) -> None:
    """The national team publishes the SYNTHETIC national dataset (106 CCGs, invented patients), counted from
    its records by the engine as `gains atlas --demo` does; its catalogue marks every indicator synthetic."""
    from marginalgains.sources import from_records
    from marginalgains.synth import generate

    generated = generate(folder, scale=scale, seed=DEMO_SEED)
    inputs = from_records(folder / "catalogue.yaml", str(folder), areas=generated.areas)
    names = inputs.areas.drop_duplicates("area_code").set_index("area_code")["area_name"]
    inputs.read.values = inputs.read.values.assign(area_name=inputs.read.values["area_code"].map(names))
    analyst = accounts.user_by_email(db, "analyst@national.example")
    batch = batches.create_draft(db, accounts.organisation_by_code(db, NATIONAL[0]), analyst, "bundled",
                                 SYNTHETIC_FILE, inputs.catalogue, inputs.read)
    batches.publish(db, batch, analyst)
    jobs.add_location(db, accounts.organisation_by_code(db, NATIONAL[0]), SYNTHETIC_LOCATION, str(folder),
                      "gains serve --demo")


def _share_plans(db) -> None:
    """The demo's shared plans, each version 1 by an analyst of its owner with its status recorded, as if written on
    the plans page, and a comment mentioning a partner. The national team shares its figures in full with every
    organisation in them (so each partner tracks every area of a plan); QKK's organisations stay outsiders."""
    from marginalgains.web.plans import refresh_status

    national = accounts.organisation_by_code(db, NATIONAL[0])
    admin = accounts.user_by_email(db, "admin@national.example")
    for code in sorted({c for _, d in SHARED_PLANS for c in [d["owner"]["organisation"], *d["partners"]]}):
        db.add(SharingAgreement(owner=national, partner=accounts.organisation_by_code(db, code), reason=SHARING_REASON,
                                granted_by_id=admin.id))
    db.flush()
    made = {}
    for author, document in SHARED_PLANS:
        plan = plan_store.parse_document(json.dumps(document))
        owner = accounts.organisation_by_code(db, document["owner"]["organisation"])
        made[plan.id] = record = plan_store.create_plan(db, accounts.user_by_email(db, author), owner, plan)
        refresh_status(db, record, plan)
    author, plan_id, body = SHARED_COMMENT
    record = made[plan_id]
    plan_store.add_comment(db, accounts.user_by_email(db, author), record.organisation_id,
                           plan_store.member_ids(record), body, plan=record)


def demo_guide(synthetic_folder: Path) -> list[str]:
    """What to try in the demo, beyond signing in: the shared plans and a job over the SYNTHETIC records."""
    plans = "; ".join(f"{d['title']} ({d['owner']['organisation']} with {', '.join(d['partners'])})"
                      for _, d in SHARED_PLANS)
    return [f"Shared plans: {plans}.",
            f"An engine job: sign in as analyst@national.example, open /organisations/X24/jobs, choose the data location "
            f"\u201c{SYNTHETIC_LOCATION}\u201d and upload {synthetic_folder / 'catalogue.yaml'}."]


def _organisations(db) -> None:
    accounts.add_organisation(db, NATIONAL[0], NATIONAL[1], NATIONAL[2])
    for (code, name), members in ICBS.items():
        accounts.add_organisation(db, code, name, "icb", NATIONAL[0])
        for kind, rows in members.items():
            for member_code, member_name in rows:
                accounts.add_organisation(db, member_code, member_name, kind, code)
