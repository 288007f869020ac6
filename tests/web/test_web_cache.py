"""Answers kept per worker: one build per key, bounded, and never stale across server processes: a publish,
a sharing agreement made or revoked, and a new disclosure rule are each seen on the very next read by two
`gains serve` processes on one database, both of which had the old answers kept."""

import threading
import time
from pathlib import Path

import httpx
import pytest
from served import start, stop

from marginalgains.store import accounts
from marginalgains.store.database import open_store
from marginalgains.store.settings import set_disclosure_rule
from marginalgains.web.cache import Kept

FIXTURES = Path(__file__).parent / "fixtures"
PLAN = """plans:
  - id: ae-rj7
    title: Four-hour standard at St George's
    indicator_id: ae-4hr
    areas: [RJ7]
    owner: {organisation: QWE}
    baseline: {period: 2016/17}
    target: +3pp
    by: 2019-03
"""
VALUES = b"indicator_id,area_code,period,numerator,denominator\nscreening,RJ7,2023/24,50,100\n"


def test_a_missing_value_is_made_once_while_concurrent_askers_wait():
    kept, made = Kept(4), []

    def make():
        made.append(1)
        time.sleep(0.2)
        return "answer"
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(kept.get("key", make))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["answer"] * 8 and made == [1]


def test_the_least_recently_used_goes_first_and_a_failed_make_keeps_nothing():
    kept = Kept(2)
    kept.get("a", lambda: 1)
    kept.get("b", lambda: 2)
    assert kept.get("a", lambda: -1) == 1  # a is now the most recent
    kept.get("c", lambda: 3)
    assert len(kept) == 2 and kept.get("b", lambda: 20) == 20  # b went, not a
    assert kept.get("c", lambda: -3) == 3 and kept.get("a", lambda: 10) == 10  # then a went, to make room for b
    with pytest.raises(ZeroDivisionError):
        kept.get("d", lambda: 1 / 0)
    assert kept.get("d", lambda: 4) == 4


@pytest.fixture
def tokens(databases, demo_template):
    """The demo workspace and bearer tokens: QWE's analyst (who sees the national team's figures protected),
    the national team's admin (who shares them)."""
    url = databases.new(template=demo_template)
    store = open_store(url)
    with store.sessions() as db:
        made = {}
        for name, email, code, role in [("qwe", "analyst@qwe.example", "QWE", "analyst"),
                                        ("national", "admin@national.example", "X24", "admin")]:
            made[name], _ = accounts.issue_token(db, accounts.user_by_email(db, email),
                                                 accounts.organisation_by_code(db, code), role, "cache test")
        db.commit()
    store.dispose()
    yield url, made
    databases.drop(url)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def seen_by_qwe(base: str, token: str, plan_id: int) -> dict:
    """What QWE's analyst is answered: the indicators, the rule protecting the 4-hour view (None: in full), and
    how many areas of its plan over a national-team trust are tracked (0 while those figures are protected)."""
    with httpx.Client(base_url=base, headers=bearer(token), timeout=120) as client:
        index = client.get("/api/atlas").json()
        latest = next(i for i in index if i["id"] == "ae-4hr")["periods"][-1]["period"]
        view = client.get(f"/api/atlas/ae-4hr/{latest}").json()
        plan = client.get(f"/api/plans/{plan_id}").json()
    return {"indicators": sorted(i["id"] for i in index),
            "rule": view["disclosure"]["rule"] if view["disclosure"] else None,
            "tracked_areas": len(plan["scorecard"])}


def test_each_server_process_sees_every_change_on_its_next_read(tokens, tmp_path):
    url, token = tokens
    first, first_process = start(url, tmp_path / "first", workers=1)
    second, second_process = None, None
    try:
        second, second_process = start(url, tmp_path / "second", workers=1)
        plan = httpx.post(f"{first}/api/plans", headers=bearer(token["qwe"]), timeout=120,
                          json={"organisation": "QWE", "document": PLAN})
        assert plan.status_code == 201, plan.text
        plan_id = plan.json()["id"]

        def both() -> list[dict]:
            return [seen_by_qwe(base, token["qwe"], plan_id) for base in (first, second)]
        protected = {"indicators": ["ae-4hr", "ae-admit"], "rule": "nhs-hes-2018", "tracked_areas": 0}
        assert both() == [protected] * 2
        assert both() == [protected] * 2  # now answered from what each process keeps

        shared = httpx.post(f"{first}/organisations/X24/sharing", headers=bearer(token["national"]),
                            data={"partner": "QWE", "reason": "joint urgent care review"}, timeout=120)
        assert shared.status_code == 303, shared.text
        in_full = {**protected, "rule": None, "tracked_areas": 1}
        assert both() == [in_full] * 2

        agreement = httpx.get(f"{second}/api/organisations/X24/sharing", headers=bearer(token["national"])).json()
        revoked = httpx.post(f"{second}/organisations/X24/sharing/{agreement[0]['id']}/revoke",
                             headers=bearer(token["national"]), timeout=120)
        assert revoked.status_code == 303, revoked.text
        assert both() == [protected] * 2

        store = open_store(url, migrate=False)  # as `gains workspace disclosure under-10` does
        with store.sessions() as db:
            set_disclosure_rule(db, "under-10", "cache test")
            db.commit()
        store.dispose()
        assert both() == [{**protected, "rule": "under-10"}] * 2

        files = {"values": ("values.csv", VALUES, "text/csv"),
                 "catalogue": ("catalogue.yaml", (FIXTURES / "catalogue.yaml").read_bytes(), "text/yaml")}
        draft = httpx.post(f"{second}/api/organisations/QWE/batches", headers=bearer(token["qwe"]), files=files,
                           data={"kind": "tidy"}, timeout=120)
        assert draft.status_code == 201, draft.text
        assert both() == [{**protected, "rule": "under-10"}] * 2  # a draft changes nothing anybody reads
        published = httpx.post(f"{second}/api/batches/{draft.json()['id']}/publish", headers=bearer(token["qwe"]),
                               timeout=120)
        assert published.status_code == 200, published.text
        assert both() == [{**protected, "rule": "under-10", "indicators": ["ae-4hr", "ae-admit", "screening"]}] * 2
    finally:
        stop(first_process)
        if second_process is not None:
            stop(second_process)
