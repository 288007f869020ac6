"""The served atlas: true figures for their owner, protected for everyone else, in full under an agreement."""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from web_helpers import csrf_from, sign_in

from marginalgains.io.bundled import data_path

INDICATOR, PERIOD = "ae-4hr", "2018/19"


@pytest.fixture(scope="module")
def ae_2018():
    """Each type 1 provider's 2018/19 attendances and those seen within 4 hours, summed from the bundled CSV."""
    raw = pd.read_csv(data_path("ae_attendances.csv"), dtype={"type": str})
    year = raw[(raw["type"] == "1") & (raw["period"] >= "2018-04-01") & (raw["period"] <= "2019-03-01")]
    sums = year.groupby("org_code")[["attendances", "breaches"]].sum()
    sums["seen"] = sums["attendances"] - sums["breaches"]
    return sums


def view(client, indicator=INDICATOR, period=PERIOD):
    response = client.get(f"/api/atlas/{indicator}/{period}")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_owner_sees_every_area_with_its_true_figure(client, ae_2018):
    sign_in(client, "analyst@national.example")
    data = view(client)
    by_code = {a["area_code"]: a for a in data["areas"]}
    assert data["n_withheld"] == 0 and len(by_code) == data["summary"]["n_areas"]
    rj7 = by_code["RJ7"]
    assert (rj7["numerator"], rj7["denominator"]) == (ae_2018.loc["RJ7", "seen"], ae_2018.loc["RJ7", "attendances"])
    assert rj7["value"] == pytest.approx(100 * ae_2018.loc["RJ7", "seen"] / ae_2018.loc["RJ7", "attendances"])
    assert data["indicator"]["licence"] == "Open Government Licence v3.0" and not data["indicator"]["synthetic"]


def rounded5(count):
    return np.floor(count / 5 + 0.5) * 5  # the nhs-hes-2018 rule: other counts to the nearest 5, halves up


def test_another_organisation_sees_its_own_area_in_full_and_others_protected(client, ae_2018):
    sign_in(client, "analyst@rj7.example")
    data = view(client)
    by_code = {a["area_code"]: a for a in data["areas"]}
    assert len(by_code) == data["summary"]["n_areas"] > 100
    rj7, rvr = by_code.pop("RJ7"), by_code["RVR"]
    assert (rj7["numerator"], rj7["denominator"]) == (ae_2018.loc["RJ7", "seen"], ae_2018.loc["RJ7", "attendances"])
    assert (rvr["numerator"], rvr["denominator"]) == (rounded5(ae_2018.loc["RVR", "seen"]),
                                                      rounded5(ae_2018.loc["RVR", "attendances"]))
    assert all(a["numerator"] % 5 == 0 and a["denominator"] % 5 == 0 for a in by_code.values())
    assert data["disclosure"]["rule"] == "nhs-hes-2018"
    assert data["disclosure"]["counts_rounded"] >= 2 * len(by_code) - sum(  # counts already a multiple of 5 stay
        ae_2018.loc[c, k] % 5 == 0 for c in by_code for k in ("seen", "attendances"))
    judged = ae_2018.loc[[a for a in ae_2018.index if a]]
    assert data["summary"]["pooled"] == pytest.approx(100 * judged["seen"].sum() / judged["attendances"].sum(), rel=1e-3)
    assert "another organisation" in data["disclosure"]["reason"]


def test_a_data_sharing_agreement_shows_full_figures_until_revoked(client, new_client, store, ae_2018):
    partner = new_client()
    sign_in(partner, "viewer@qkk.example")

    def rj7_counts():
        rj7 = next(a for a in view(partner)["areas"] if a["area_code"] == "RJ7")
        return rj7["numerator"], rj7["denominator"]
    true = (ae_2018.loc["RJ7", "seen"], ae_2018.loc["RJ7", "attendances"])
    assert rj7_counts() == tuple(rounded5(c) for c in true) != true
    sign_in(client, "admin@national.example")
    token = csrf_from(client, "/organisations/X24")
    response = client.post("/organisations/X24/sharing", data={"partner": "QKK", "reason": "DSA 2025-17 (A&E review)",
                                                                "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert rj7_counts() == true and view(partner)["disclosure"] is None
    agreement = client.get("/api/organisations/X24/sharing").json()[0]
    assert (agreement["partner_code"], agreement["reason"], agreement["granted_by"]) == (
        "QKK", "DSA 2025-17 (A&E review)", "admin@national.example")
    client.post(f"/organisations/X24/sharing/{agreement['id']}/revoke", data={"csrf_token": token})
    assert rj7_counts() != true and view(partner)["disclosure"]["rule"] == "nhs-hes-2018"
    assert client.get("/api/organisations/X24/sharing").json()[0]["revoked_at"] is not None


def test_only_the_owners_admin_shares(client):
    sign_in(client, "analyst@national.example")
    token = csrf_from(client)
    assert client.post("/organisations/X24/sharing", data={"partner": "QKK", "reason": "x",
                                                            "csrf_token": token}).status_code == 403
    sign_in(client, "admin@qkk.example")
    assert client.post("/organisations/X24/sharing", data={"partner": "QKK", "reason": "x",
                                                            "csrf_token": csrf_from(client)}).status_code == 404


def test_the_atlas_page_is_the_static_page_over_the_protected_figures(client):
    sign_in(client, "analyst@rj7.example")
    response = client.get("/atlas")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    meta = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', response.text).group(1))
    assert "script-src 'sha256-" in meta and "unsafe-eval" not in meta
    data = json.loads(re.search(r'<script id="atlas-data" type="application/json">(.*?)</script>',
                                response.text, re.S).group(1))
    assert "nhs-hes-2018" in data["index"]["provenance"]["methods"]["disclosure"]  # which rule, and what it did
    assert '<p class="home"><a href="/">&larr; The workspace: plans, data, people, your feed</a></p>' in response.text


def test_the_areas_csv_is_the_view_formula_safe_with_source_and_licence(client):
    sign_in(client, "analyst@national.example")
    response = client.get(f"/atlas/{INDICATOR}/areas.csv", params={"period": PERIOD})
    table = pd.read_csv(pd.io.common.StringIO(response.text))
    assert len(table) == view(client)["summary"]["n_areas"]
    assert set(table["licence"]) == {"Open Government Licence v3.0"} and set(table["period"]) == {PERIOD}


def test_an_unknown_view_is_404(client):
    sign_in(client, "analyst@national.example")
    assert client.get("/api/atlas/ae-4hr/1999").status_code == 404
    assert client.get("/api/atlas/nope/2018/19").status_code == 404
