"""Who sees what: an organisation's published small counts reach other organisations only protected by the
workspace's disclosure rule (nhs-hes-2018 by default), never as they are; the owner sees them in full; and
the disclosure audit, run on exactly what an outsider receives, proves no hidden count can be narrowed."""

import re
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from test_web_data import CATALOGUE, upload
from web_helpers import csrf_from, sign_in

from marginalgains.disclosure import Dimension, Structure, audit, load_rule
from marginalgains.report.html import read_page_data
from marginalgains.store.settings import set_disclosure_rule, set_indicator_public

OWNER, OUTSIDER, AREA_ORG = "analyst@national.example", "analyst@qkk.example", "analyst@rj7.example"
PERIOD = "2023/24"
# screening uptake by trust, published by the national team: RJ7's 3 screened and RJ2's 3 unscreened (a
# remainder: 228 of 231) are small counts under the rule; every other count is at least 8
COUNTS = {"RJ7": (3, 412), "RVR": (145, 530), "RAX": (288, 611), "RJ6": (97, 402), "RJZ": (121, 233),
          "RJ2": (228, 231), "RJ1": (310, 702), "RAL": (199, 455), "RKE": (64, 187), "RRV": (402, 880)}
SMALL = {("RJ7", "numerator"), ("RJ2", "remainder")}


def values_csv(counts=COUNTS) -> bytes:
    rows = "".join(f"screening,{code},{PERIOD},{n},{d}\n" for code, (n, d) in counts.items())
    return ("indicator_id,area_code,period,numerator,denominator\n" + rows).encode()


@pytest.fixture
def published(client):
    """The national team's screening batch, published."""
    sign_in(client, OWNER)
    batch = upload(client, code="X24", values=values_csv(), catalogue=CATALOGUE, api=True).json()["id"]
    assert client.post(f"/api/batches/{batch}/publish", headers={"X-CSRF-Token": csrf_from(client)}).status_code == 200
    return batch


def as_viewer(new_client, email):
    browser = new_client()
    sign_in(browser, email)
    return browser


def screening_view(client) -> dict:
    response = client.get(f"/api/atlas/screening/{PERIOD}")
    assert response.status_code == 200, response.text
    return response.json()


def round5(count: float) -> float:
    return np.floor(count / 5 + 0.5) * 5  # NHS Digital: to the nearest 5, halves up


def test_the_owner_sees_every_count_in_full_and_no_rule(published, new_client):
    data = screening_view(as_viewer(new_client, OWNER))
    shown = {a["area_code"]: (a["numerator"], a["denominator"]) for a in data["areas"]}
    assert shown == {code: (float(n), float(d)) for code, (n, d) in COUNTS.items()}
    assert data["disclosure"] is None and data["n_withheld"] == 0
    assert by_code(data)["RJ7"]["value"] == pytest.approx(100 * 3 / 412)


def by_code(data: dict) -> dict[str, dict]:
    return {a["area_code"]: a for a in data["areas"]}


def test_another_organisation_never_receives_a_small_count(published, new_client):
    browser = as_viewer(new_client, OUTSIDER)
    data = screening_view(browser)
    areas = by_code(data)
    assert data["disclosure"]["rule"] == "nhs-hes-2018" and "counts 1 to 7 suppressed" in data["disclosure"]["description"]
    assert data["disclosure"]["cells_suppressed"] >= 4  # two small counts and at least one complement each
    for code in ("RJ7", "RJ2"):  # the areas with a small count lose every figure that would reveal it
        assert [areas[code][k] for k in ("value", "lower95", "upper95", "lower998", "upper998", "funnel_band")] == \
            [None] * 6
    assert areas["RJ7"]["numerator"] is None and None in (areas["RJ2"]["numerator"], areas["RJ2"]["denominator"])
    assert data["n_withheld"] == sum(a["value"] is None for a in data["areas"]) >= 2
    for area in data["areas"]:
        for key in ("numerator", "denominator"):
            count = area[key]
            assert count is None or count == round5(COUNTS[area["area_code"]][key == "denominator"])
            assert count is None or not 1 <= count <= 7
    assert data["summary"]["pooled"] == pytest.approx(  # national: from the true counts (the rule exempts it)
        100 * sum(n for n, _ in COUNTS.values()) / sum(d for _, d in COUNTS.values()))
    assert data["summary"]["min"] == min(a["value"] for a in data["areas"] if a["value"] is not None)

    csv = pd.read_csv(StringIO(browser.get("/atlas/screening/areas.csv", params={"period": PERIOD}).text))
    assert set(csv["disclosure"]) == {"nhs-hes-2018"}
    csv_counts = csv[["numerator", "denominator"]].to_numpy(dtype=float)
    assert not ((csv_counts >= 1) & (csv_counts <= 7)).any()
    assert csv.set_index("area_code").loc[["RJ7", "RJ2"], "value"].isna().all()

    page = browser.get("/atlas").text
    page_data = read_page_data(page)
    view = page_data["views"][f"screening|{PERIOD}"]["areas"]
    codes = page_data["codes"]
    for code in ("RJ7", "RJ2"):
        assert view["value"][codes.index(code)] is None
    for secret in (100 * 3 / 412, 100 * 228 / 231):  # the withheld values, at any precision the page uses
        for decimals in range(2, 7):
            assert re.search(rf"(?<![\d.]){re.escape(str(round(secret, decimals)))}(?!\d)", page) is None
    assert "nhs-hes-2018" in page


def test_the_areas_own_organisation_sees_that_area_in_full(published, new_client):
    areas = by_code(screening_view(as_viewer(new_client, AREA_ORG)))
    assert (areas["RJ7"]["numerator"], areas["RJ7"]["denominator"]) == (3, 412)
    assert areas["RJ7"]["value"] == pytest.approx(100 * 3 / 412)
    assert areas["RVR"]["numerator"] == round5(145)


def test_the_audit_of_what_an_outsider_receives_finds_every_small_count_protected(published, new_client):
    """The attacker knows every count the outsider receives (each rounded, so within 2 of its true count), the
    national counts exactly (the rule publishes them) and how the cells add up; for each small count the
    linear programme's interval must still be at least the rule's protection (7) wide."""
    rule = load_rule("nhs-hes-2018")
    received = by_code(screening_view(as_viewer(new_client, OUTSIDER)))
    rows = []
    for code in COUNTS:
        shown = received[code]
        rows += [(code, "numerator", shown["numerator"]), (code, "denominator", shown["denominator"]),
                 (code, "remainder", None)]  # never sent: the attacker has only numerator and denominator
    total_n, total_d = (sum(c[i] for c in COUNTS.values()) for i in (0, 1))
    rows += [("national", "numerator", total_n), ("national", "denominator", total_d),
             ("national", "remainder", total_d - total_n)]
    table = pd.DataFrame(rows, columns=["area_code", "part", "count"]).astype({"count": float})
    structure = Structure((Dimension("part", {"numerator": "denominator", "remainder": "denominator"}),
                           Dimension("area_code", {code: "national" for code in COUNTS})), geography="area_code")
    rounded = (table["area_code"] != "national").to_numpy()
    intervals = audit(table, structure, rounding=rule.rounding, rounded=rounded).set_index(["area_code", "part"])
    assert SMALL <= set(intervals.index)  # hidden
    for cell in SMALL:
        assert intervals.loc[cell, "width"] >= rule.protection_interval, cell
    # the test can fail: publishing RJ2's rounded counts as they are would pin its remainder to within 4
    exposed = table.copy()
    exposed.loc[(exposed["area_code"] == "RJ2") & (exposed["part"] != "remainder"), "count"] = [round5(228),
                                                                                                   round5(231)]
    naive = audit(exposed, structure, rounding=rule.rounding, rounded=rounded).set_index(["area_code", "part"])
    assert naive.loc[("RJ2", "remainder"), "width"] < rule.protection_interval


def test_a_stricter_workspace_rule_applies_to_every_outsider(published, new_client, store):
    with store.sessions() as db:
        set_disclosure_rule(db, "under-10", "test")
        db.commit()
    data = screening_view(as_viewer(new_client, OUTSIDER))
    assert data["disclosure"]["rule"] == "under-10"
    areas = by_code(data)
    assert areas["RVR"]["numerator"] == 145  # no rounding under this rule
    assert areas["RJ7"]["numerator"] is None
    assert screening_view(as_viewer(new_client, OWNER))["disclosure"] is None


def test_a_public_indicator_is_seen_without_signing_in_protected_as_by_any_outsider(published, new_client, store):
    anonymous = new_client()
    assert anonymous.get(f"/api/atlas/screening/{PERIOD}").status_code == 401  # nothing is public by default
    with store.sessions() as db:
        set_indicator_public(db, "screening", True, "test")
        db.commit()
    data = screening_view(anonymous)
    outsider = screening_view(as_viewer(new_client, OUTSIDER))  # an organisation with no area of its own here
    assert data["areas"] == outsider["areas"] and data["summary"] == outsider["summary"]
    assert data["disclosure"] == outsider["disclosure"] and data["disclosure"]["rule"] == "nhs-hes-2018"
    assert by_code(data)["RJ7"]["numerator"] is None and by_code(data)["RVR"]["numerator"] == round5(145)
    assert [i["id"] for i in anonymous.get("/api/atlas").json()] == ["screening"]  # the demo's A&E is not public
    csv = pd.read_csv(StringIO(anonymous.get("/atlas/screening/areas.csv", params={"period": PERIOD}).text))
    assert set(csv["disclosure"]) == {"nhs-hes-2018"} and csv.set_index("area_code").loc["RJ7"].isna()["value"]
    page = anonymous.get("/atlas")
    assert page.status_code == 200 and set(read_page_data(page.text)["views"]) == \
        {f"screening|{PERIOD}"}
    assert "ae-4hr" not in page.text
    assert '<a href="/atlas">The public atlas</a>: 1 indicator\n' in anonymous.get("/").text
    assert anonymous.get("/api/atlas/ae-4hr/2018/19").status_code == 401
    assert anonymous.get("/atlas/ae-4hr/areas.csv?period=2018/19", follow_redirects=False).status_code == 303
    with store.sessions() as db:
        set_indicator_public(db, "screening", False, "test")
        db.commit()
    assert anonymous.get("/api/atlas").status_code == 401 and anonymous.get("/atlas", follow_redirects=False) \
        .headers["location"] == "/sign-in"
    assert "public atlas" not in anonymous.get("/").text


def test_a_view_counts_the_monthly_cells_suppressed_in_its_year(client, new_client):
    # RVR's months of 2023/24: 30, 34, 30, 34, 30, 34, 30, 34, then 2 of 1000 (small); every annual count is large
    from test_web_follows import MONTHS, USUAL, publish, series
    sign_in(client, "analyst@qwe.example")  # an ICB publishing monthly figures
    others = {"RJ7": 500, "RAX": 400, "RJ6": 300}
    publish(client, series({"RVR": USUAL + [2]} | {a: [n] * 21 for a, n in others.items()}, MONTHS, 1000))
    data = as_viewer(new_client, OUTSIDER).get("/api/atlas/screening/2023/24").json()
    # no annual cell is hidden; among the months, the 2 and its 998 without the event, with the cheapest
    # complement of its year (a 30 and its 970) so that 2023/24's published 258 less the other months cannot give it
    assert data["n_withheld"] == 0
    assert data["disclosure"]["cells_suppressed"] == 4


def test_a_rule_that_cannot_be_applied_withholds_every_protected_count_rather_than_failing(published, new_client,
                                                                                            monkeypatch):
    from marginalgains.disclosure import DisclosureError
    from marginalgains.web import visibility
    real = visibility.protect_atlas_for

    def failing(atlas, rule, seen, **options):
        if rule.name == "nhs-hes-2018":
            raise DisclosureError("the solver gave up")
        return real(atlas, rule, seen, **options)

    monkeypatch.setattr(visibility, "protect_atlas_for", failing)
    browser = as_viewer(new_client, OUTSIDER)
    data = screening_view(browser)
    assert data["disclosure"]["rule"] == "nhs-hes-2018 (every count withheld)"
    assert "could not be applied to this data (the solver gave up), so every count is withheld" in \
        data["disclosure"]["description"]
    assert all(a[k] is None for a in data["areas"] for k in ("numerator", "denominator", "value"))
    assert data["n_withheld"] == len(COUNTS)
    assert browser.get("/atlas").status_code == 200
