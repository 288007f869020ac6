"""Data batches through the pages and the API: upload a draft, read its report, publish or discard it."""

import io
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from web_helpers import csrf_from, sign_in

from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.values import read_values
from marginalgains.store import accounts
from marginalgains.store.models import Value

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE = (FIXTURES / "catalogue.yaml").read_bytes()
VALUES = (b"indicator_id,area_code,period,numerator,denominator\n"
          b"screening,RJ7,2023/24,50,100\nscreening,RVR,2023/24,30,60\n"
          b"screening,RAX,2023/24,70,60\nscreening,RJ6,2023/24,,10\n")
FINGERTIPS = Path(__file__).parents[1] / "io" / "fixtures" / "fingertips_sample.csv"


def upload(client, code="QWE", values=VALUES, name="values.csv", catalogue=CATALOGUE, kind="tidy", api=False):
    files = {"values": (name, values, "text/csv")}
    if catalogue is not None:
        files["catalogue"] = ("catalogue.yaml", catalogue, "application/yaml")
    if api:
        return client.post(f"/api/organisations/{code}/batches", data={"kind": kind}, files=files,
                           headers={"X-CSRF-Token": csrf_from(client)})
    return client.post(f"/organisations/{code}/batches", files=files, follow_redirects=False,
                       data={"kind": kind, "csrf_token": csrf_from(client, f"/organisations/{code}/batches")})


def test_an_upload_becomes_a_draft_whose_report_matches_the_library_reader(client, tmp_path):
    sign_in(client, "analyst@qwe.example")
    response = upload(client)
    assert response.status_code == 303
    batch_id = int(response.headers["location"].rsplit("/", 1)[1])
    (tmp_path / "values.csv").write_bytes(VALUES)
    (tmp_path / "catalogue.yaml").write_bytes(CATALOGUE)
    expected = read_values(tmp_path / "values.csv", read_catalogue(tmp_path / "catalogue.yaml"))
    report = client.get(f"/api/batches/{batch_id}").json()
    assert report["status"] == "draft" and report["organisation_code"] == "QWE"
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (4, 2, 2)
    assert [(r["row"], r["column"], r["reason"]) for r in report["rejections"]] == [
        (r.row, r.column, r.reason) for r in expected.rejections]
    assert {r["file"] for r in report["rejections"]} == {"values.csv"}
    assert report["indicators"][0]["licence"] == "Open Government Licence v3.0"
    html = client.get(f"/batches/{batch_id}").text
    assert "4</strong> rows read = <strong>2</strong> accepted" in html and expected.rejections[0].reason in html


def test_publish_makes_the_batch_whole_and_supersedes_the_earlier_one(client, store):
    sign_in(client, "analyst@qwe.example")
    first = upload(client, api=True).json()
    published = client.post(f"/api/batches/{first['id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert published.status_code == 200 and published.json()["values_superseded"] == 0
    second = upload(client, values=VALUES.replace(b"50,100", b"60,100"), api=True).json()
    again = client.post(f"/api/batches/{second['id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert again.json()["values_superseded"] == 2
    with store.sessions() as db:
        current = db.scalars(select(Value).where(Value.indicator_id == "screening", Value.superseded_by_id.is_(None))).all()
        assert sorted((v.area_code, v.numerator) for v in current) == [("RJ7", 60.0), ("RVR", 30.0)]
        assert db.scalar(select(func.count()).select_from(Value).where(Value.batch_id == first["id"])) == 2
    twice = client.post(f"/api/batches/{second['id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert twice.status_code == 409 and "not a draft" in twice.json()["detail"]


def test_discard_through_the_page(client, store):
    sign_in(client, "analyst@qwe.example")
    batch_id = int(upload(client).headers["location"].rsplit("/", 1)[1])
    token = csrf_from(client, f"/batches/{batch_id}")
    assert client.post(f"/batches/{batch_id}/discard", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get(f"/api/batches/{batch_id}").json()["status"] == "discarded"
    with store.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Value).where(Value.batch_id == batch_id)) == 0


def test_a_fingertips_export_uploads_with_a_token(client, new_client, store):
    with store.sessions() as db:
        user = accounts.user_by_email(db, "analyst@e09000032.example")
        secret, _ = accounts.issue_token(db, user, accounts.organisation_by_code(db, "E09000032"), "analyst", "t")
        db.commit()
    script = new_client()
    response = script.post("/api/organisations/E09000032/batches", data={"kind": "fingertips"},
                           files={"values": ("fingertips.csv", FINGERTIPS.read_bytes(), "text/csv")},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.text
    rows = len(pd.read_csv(FINGERTIPS))
    report = response.json()
    assert report["rows_read"] == rows == report["rows_accepted"] + report["rows_rejected"] + report["rows_set_aside"]
    assert report["rows_set_aside"] == 1  # the sample's deprivation-decile row, read into the inequality view
    assert report["kind"] == "fingertips" and report["indicators"]


@pytest.mark.parametrize("who, code, status", [
    ("viewer@qwe.example", "QWE", 403),  # a viewer brings no data
    ("analyst@qkk.example", "QWE", 404),  # another ICB's analyst
])
def test_only_the_organisations_analysts_upload(client, who, code, status):
    sign_in(client, who)
    assert upload(client, code=code, api=True).status_code == status


def test_drafts_are_invisible_to_other_organisations(client, new_client):
    sign_in(client, "analyst@qwe.example")
    batch_id = upload(client, api=True).json()["id"]
    outsider = new_client()
    sign_in(outsider, "admin@qkk.example")
    for path in [f"/api/batches/{batch_id}", f"/batches/{batch_id}", f"/batches/{batch_id}/rejections.csv",
                 "/api/organisations/QWE/batches", "/organisations/QWE/batches"]:
        assert outsider.get(path).status_code == 404, path
    token = csrf_from(outsider)
    for action in ("publish", "discard"):
        assert outsider.post(f"/api/batches/{batch_id}/{action}", headers={"X-CSRF-Token": token}).status_code == 404


def test_an_unreadable_upload_is_refused_naming_the_uploaded_file(client):
    sign_in(client, "analyst@qwe.example")
    response = upload(client, values=b"area_code,period\nRJ7,2023\n", name="mine.csv")
    assert response.status_code == 400 and "mine.csv: missing column" in response.text
    assert "marginalgains-upload-" not in response.text
    assert upload(client, catalogue=None, api=True).json()["detail"].startswith("catalogue: a tidy values file")


def test_rejections_csv_is_formula_safe(client):
    sign_in(client, "analyst@qwe.example")
    batch_id = upload(client, name="=HYPERLINK(evil).csv", api=True).json()["id"]
    response = client.get(f"/batches/{batch_id}/rejections.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="batch-{batch_id}-rejections.csv"'
    lines = response.text.splitlines()
    assert lines[0] == "file,row,column,reason" and len(lines) == 3
    assert all(line.startswith("'=HYPERLINK(evil).csv,") for line in lines[1:])


def test_an_upload_over_the_size_limit_is_refused_and_stores_nothing(store):
    from fastapi.testclient import TestClient

    from marginalgains.web.app import Settings, create_app
    with TestClient(create_app(store, Settings(max_upload_bytes=2000))) as client:
        sign_in(client, "analyst@qwe.example")
        big = b"indicator_id,area_code,period,numerator,denominator\n" + b"screening,RJ7,2023/24,50,100\n" * 200
        assert upload(client, values=big).status_code == 413
        assert client.get("/api/organisations/QWE/batches").json() == []


def test_the_batches_and_indicators_tables_download_as_formula_safe_csv(client, new_client):
    sign_in(client, "analyst@qwe.example")
    batch_id = upload(client, name="=HYPERLINK(evil).csv", api=True).json()["id"]
    assert 'href="/organisations/QWE/batches.csv"' in client.get("/organisations/QWE/batches").text
    listed = pd.read_csv(io.StringIO(client.get("/organisations/QWE/batches.csv").text), keep_default_na=False)
    assert listed.to_dict("records") == [{
        "batch": batch_id, "file": "'=HYPERLINK(evil).csv", "status": "draft", "kind": "tidy", "rows_read": 4,
        "rows_accepted": 2, "rows_rejected": 2, "uploaded": listed["uploaded"].iloc[0], "synthetic": ""}]
    assert 'href="/batches/%d/indicators.csv"' % batch_id in client.get(f"/batches/{batch_id}").text
    indicators = pd.read_csv(io.StringIO(client.get(f"/batches/{batch_id}/indicators.csv").text), keep_default_na=False)
    assert indicators.to_dict("records") == [{"indicator_id": "screening", "title": "Screening uptake",
                                              "breakdown": "", "family": "", "measure": "proportion", "source": "Test source",
                                              "licence": "Open Government Licence v3.0", "synthetic": ""}]
    other = new_client()
    sign_in(other, "analyst@qkk.example")
    assert other.get("/organisations/QWE/batches.csv").status_code == 404
    assert other.get(f"/batches/{batch_id}/indicators.csv").status_code == 404
