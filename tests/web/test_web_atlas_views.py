"""The shaped atlas is kept per data version and audience: shaped once, reshaped when either changes."""

from pathlib import Path

import pytest

from web_helpers import csrf_from, sign_in

from marginalgains.web import atlas_views

CATALOGUE = (Path(__file__).parent / "fixtures" / "catalogue.yaml").read_bytes()
VALUES = b"indicator_id,area_code,period,numerator,denominator\nscreening,RJ7,2023/24,50,100\n"


def test_the_atlas_is_shaped_once_per_data_version_and_audience(client, new_client, monkeypatch):
    shaped = []

    def counted(built, audience, rule):
        shaped.append(audience.key)
        return protect(built, audience, rule)
    protect = atlas_views.protect_atlas
    monkeypatch.setattr(atlas_views, "protect_atlas", counted)
    sign_in(client, "analyst@qwe.example")
    index = client.get("/api/atlas").json()
    indicator, period = index[0]["id"], index[0]["periods"][-1]["period"]
    assert client.get(f"/api/atlas/{indicator}/{period}").status_code == 200
    assert client.get("/api/atlas").json() == index
    assert len(shaped) == 1
    other = new_client()
    sign_in(other, "analyst@qkk.example")  # another audience: shaped for it
    assert other.get("/api/atlas").status_code == 200 and len(shaped) == 2 and shaped[0] != shaped[1]
    files = {"values": ("values.csv", VALUES, "text/csv"), "catalogue": ("catalogue.yaml", CATALOGUE, "text/yaml")}
    draft = client.post("/api/organisations/QWE/batches", files=files, headers={"X-CSRF-Token": csrf_from(client)})
    assert client.get("/api/atlas").json() == index and len(shaped) == 2  # a draft changes no figure
    published = client.post(f"/api/batches/{draft.json()['id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert published.status_code == 200
    after = client.get("/api/atlas").json()
    assert "screening" in {i["id"] for i in after} and len(shaped) == 3  # new data: shaped again, nothing stale


def test_a_view_address_is_cut_where_a_known_id_ends_and_one_of_its_periods_follows():
    from types import SimpleNamespace

    from fastapi import HTTPException

    from marginalgains.web.atlas_views import _indicator_and_period

    periods = {"nine": ["2018/19"], "nine/hba1c": ["2018/19", "2019/20"]}  # a bundle and one of its processes
    shaped = SimpleNamespace(atlas=SimpleNamespace(catalogue=periods, periods=periods.__getitem__))
    signed_in, anonymous = SimpleNamespace(signed_in=True), SimpleNamespace(signed_in=False)
    assert _indicator_and_period(shaped, signed_in, "nine/2018/19") == ("nine", "2018/19")
    assert _indicator_and_period(shaped, signed_in, "nine/hba1c/2018/19") == ("nine/hba1c", "2018/19")
    assert _indicator_and_period(shaped, signed_in, "nine/hba1c/2019/20") == ("nine/hba1c", "2019/20")
    for path, viewer, status in (("nine/2019/20", signed_in, 404), ("other/2018/19", signed_in, 404),
                                 ("other/2018/19", anonymous, 401), ("nine/1999", anonymous, 404)):
        with pytest.raises(HTTPException) as refused:
            _indicator_and_period(shaped, viewer, path)
        assert refused.value.status_code == status, path
