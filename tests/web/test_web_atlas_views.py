"""The shaped atlas is kept per data version and audience: shaped once, reshaped when either changes."""

from pathlib import Path

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
