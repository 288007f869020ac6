"""The demo workspace with the SYNTHETIC national dataset: every view, table, CSV row and feed item of its data
says SYNTHETIC, as the static page does; the real A&E data beside it do not."""

import io
import json

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from test_web_plans import api_post
from web_helpers import csrf_from, sign_in

from marginalgains.store.database import open_store
from marginalgains.web.app import create_app
from marginalgains.web.demo import SYNTHETIC_FILE, seed_demo

SCALE = 20_000  # record rows: enough for every SYNTHETIC indicator to have values, quick to count


@pytest.fixture(scope="module")
def demo(databases, tmp_path_factory):
    """A demo workspace seeded as `gains serve --demo` seeds it, and the generator's own catalogue."""
    folder = tmp_path_factory.mktemp("synthetic")
    url = databases.new()
    store = open_store(url)
    seed_demo(store, synthetic_folder=folder, synthetic_scale=SCALE)
    catalogue = yaml.safe_load((folder / "catalogue.yaml").read_text(encoding="utf-8"))
    yield store, {i["id"] for i in catalogue["indicators"]}
    store.dispose()
    databases.drop(url)


@pytest.fixture(scope="module")
def outsider(demo):
    """An ICB analyst (another organisation than the national team that published both datasets)."""
    with TestClient(create_app(demo[0]), base_url="http://testserver") as client:
        sign_in(client, "analyst@qkk.example")
        yield client


def csv(response) -> pd.DataFrame:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text), keep_default_na=False)


def test_every_view_of_the_synthetic_data_says_so(demo, outsider):
    _, generated = demo
    index = outsider.get("/api/atlas").json()
    synthetic = {i["id"] for i in index if i["synthetic"]}
    assert {i.split("/")[0] for i in synthetic} == generated  # the generator's indicators (bundles' processes too)
    assert {i["id"] for i in index} - synthetic == {"ae-4hr", "ae-admit"}  # the real data, not labelled
    page = outsider.get("/atlas").text
    assert "Indicators marked SYNTHETIC use generated data" in page
    for indicator in (i for i in index if "/" not in i["id"]):  # a bundle's process ("a/b") has no view route yet
        period = indicator["periods"][0]["period"]
        view = outsider.get(f"/api/atlas/{indicator['id']}/{period}")
        assert view.status_code == 200, (indicator["id"], period, view.text)
        assert view.json()["indicator"]["synthetic"] is (indicator["id"] in synthetic)
    one = sorted(synthetic)[0]
    rows = csv(outsider.get(f"/atlas/{one}/areas.csv", params={"period": index[-1]["periods"][0]["period"]}))
    assert len(rows) and set(rows["synthetic"]) == {"SYNTHETIC"}
    real = csv(outsider.get("/atlas/ae-4hr/areas.csv", params={"period": "2018/19"}))
    assert set(real["synthetic"]) == {""}


def test_the_synthetic_batch_its_plans_and_feed_items_say_so(demo, outsider):
    store, _ = demo
    app = create_app(store)
    with TestClient(app, base_url="http://testserver") as national, TestClient(app, base_url="http://testserver") as admin:
        sign_in(national, "analyst@national.example")
        batches = csv(national.get("/organisations/X24/batches.csv"))
        assert list(batches.loc[batches["file"] == SYNTHETIC_FILE, "synthetic"]) == ["SYNTHETIC"]
        assert set(batches.loc[batches["file"] != SYNTHETIC_FILE, "synthetic"]) == {""}
        batch = int(batches.loc[batches["file"] == SYNTHETIC_FILE, "batch"].iloc[0])
        assert set(csv(national.get(f"/batches/{batch}/indicators.csv"))["synthetic"]) == {"SYNTHETIC"}
        assert national.get(f"/batches/{batch}").text.count('<span class="synthetic">SYNTHETIC</span>') == len(
            csv(national.get(f"/batches/{batch}/indicators.csv")))
        sign_in(admin, "admin@national.example")
        shared = admin.post("/organisations/X24/sharing", follow_redirects=False, data={
            "partner": "QKK", "reason": "demo", "csrf_token": csrf_from(admin, "/organisations/X24")})
        assert shared.status_code == 303
    plan = {"id": "syn-eye", "title": "Eye screening", "indicator_id": "syn-eye-screening",
            "areas": [outsider.get("/api/atlas/syn-eye-screening/2018/19").json()["areas"][0]["area_code"]],
            "owner": {"organisation": "QKK"}, "baseline": {"period": "2016/17"}, "target": "+3pp", "by": "2019-03"}
    made = api_post(outsider, "/api/plans", {"organisation": "QKK", "document": json.dumps(plan)})
    assert made.status_code == 201, made.text
    assert set(csv(outsider.get("/plans.csv"))["synthetic"]) == {"SYNTHETIC"}
    assert "SYNTHETIC: this plan tracks generated data" in outsider.get(f"/plans/{made.json()['id']}").text
    assert set(csv(outsider.get(f"/plans/{made.json()['id']}/scorecard.csv"))["synthetic"]) <= {"SYNTHETIC"}
    feed = outsider.get("/api/feed").json()
    published = {i["text"]: i["synthetic"] for i in feed if i["kind"] == "published"}
    assert {t.startswith("SYNTHETIC: ") for t, s in published.items() if s} == {True}
    assert any(SYNTHETIC_FILE in t for t in published) and any("ae_" in t for t, s in published.items() if not s)
    rows = csv(outsider.get("/feed.csv"))
    assert set(rows.loc[rows["text"].str.contains(SYNTHETIC_FILE, regex=False), "synthetic"]) == {"SYNTHETIC"}


def test_the_demo_has_plans_shared_between_partners_a_mention_and_records_for_a_job(demo, outsider):
    store, _ = demo
    with TestClient(create_app(store), base_url="http://testserver") as trust:
        sign_in(trust, "analyst@rj7.example")  # St George's: owner of one plan, partner in its ICB's
        plans = {p["plan_id"]: p for p in trust.get("/api/plans").json()}
        assert set(plans) == {"ae-rj7", "ae-swl"}
        assert plans["ae-swl"]["owner_code"] == "QWE" and "RJ7" in plans["ae-swl"]["partner_codes"]
        assert {row["area_code"] for row in plans["ae-swl"]["scorecard"]} == {"RJ7", "RVR", "RAX", "RJ6"}
        assert all(row["status"] for p in plans.values() for row in p["scorecard"])  # tracked over the A&E figures
        (mention,) = [i for i in trust.get("/api/feed").json() if i["kind"] == "mention"]
        assert mention["text"].startswith("analyst@qwe.example mentioned you on plan \u201cFour hours across South West "
                                          "London\u201d (ae-swl): @analyst@rj7.example could St George's streaming")
        sign_in(trust, "analyst@national.example")
        assert trust.get("/api/organisations/X24/data-locations").json() == [
            {"name": "SYNTHETIC national records", "kind": "folder", "backends": ["duckdb", "spark"]}]
    assert not {p["plan_id"] for p in outsider.get("/api/plans").json()} & {"ae-rj7", "ae-swl", "ae-ral"}  # QKK: none
