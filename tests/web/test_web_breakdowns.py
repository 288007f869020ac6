"""Breakdowns (sex, age, family) kept end to end in the workspace, through the real HTTP client on each database:
uploaded with their catalogue or export, stored per breakdown, served one view per indicator x breakdown x period
with the static page's titles, totals of the broadest breakdown only, each family protected as one table (no
hidden Male count is Persons less Female), plans on one."""

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from web_helpers import csrf_from, sign_in

from marginalgains.atlas import build_atlas
from marginalgains.disclosure import Dimension, Structure, audit
from marginalgains.io.catalogue import read_catalogue
from marginalgains.io.fingertips import read_fingertips
from marginalgains.io.values import read_values
from marginalgains.report.html import page_data

FIXTURES = Path(__file__).parent / "fixtures"
CATALOGUE = FIXTURES / "catalogue_breakdowns.yaml"
FINGERTIPS = Path(__file__).parents[1] / "io" / "fixtures" / "fingertips_breakdowns.csv"
ANALYST, OUTSIDER = "analyst@qwe.example", "analyst@qkk.example"
PERIOD = "2022/23"
AREAS = [f"E060000{a:02d}" for a in range(1, 21)]


def breakdown_values(period=PERIOD, male_scale=1.0) -> pd.DataFrame:
    """Male and Female counts per area and Persons their sum (the breakdowns add up, as real ones do); area 3's
    Male count is 3, a small count any disclosure rule hides; one row with a negative count is refused."""
    rows = []
    for a, area in enumerate(AREAS):
        male = 3 if a == 2 else round((120 + 9 * a) * male_scale)
        female = 150 + 11 * a
        rows += [("screened-m", area, period, male, 400), ("screened-f", area, period, female, 420),
                 ("screened", area, period, male + female, 820)]
    rows.append(("screened-f", "E06000099", period, -1, 420))
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])


def upload(client, values: bytes, name: str, kind: str, catalogue: bytes | None = None, code="QWE"):
    files = {"values": (name, values, "text/csv")}
    if catalogue is not None:
        files["catalogue"] = ("catalogue.yaml", catalogue, "application/yaml")
    response = client.post(f"/api/organisations/{code}/batches", data={"kind": kind}, files=files,
                           headers={"X-CSRF-Token": csrf_from(client)})
    assert response.status_code == 201, response.text
    return response.json()


def publish(client, batch_id: int):
    return client.post(f"/api/batches/{batch_id}/publish", headers={"X-CSRF-Token": csrf_from(client)})


def upload_tidy(client, values: pd.DataFrame, code="QWE", catalogue: bytes | None = None):
    return upload(client, values.to_csv(index=False).encode(), "screening.csv", "tidy",
                  CATALOGUE.read_bytes() if catalogue is None else catalogue, code)


def served_page_data(client) -> dict:
    page = client.get("/atlas")
    assert page.status_code == 200
    return json.loads(re.search(r'<script id="atlas-data" type="application/json">(.*?)</script>', page.text,
                                re.S).group(1))


def view(client, indicator_id: str, period: str = PERIOD) -> dict:
    response = client.get(f"/api/atlas/{indicator_id}/{period}")
    assert response.status_code == 200, response.text
    return response.json()


def static_atlas(tmp_path, values: pd.DataFrame):
    """The static atlas (`gains atlas`) over the same files: the reference the served one must match."""
    (tmp_path / "values.csv").write_text(values.to_csv(index=False))
    catalogue = read_catalogue(CATALOGUE)
    read = read_values(tmp_path / "values.csv", catalogue)
    return build_atlas(read.values, catalogue), read


def test_a_fingertips_export_of_two_sexes_and_two_age_bands_is_served_one_view_per_breakdown(client):
    export = read_fingertips(FINGERTIPS)  # the library's reading: the reference for every figure below
    sign_in(client, ANALYST)
    batch = upload(client, FINGERTIPS.read_bytes(), FINGERTIPS.name, "fingertips")
    read = export.read
    assert (batch["rows_read"], batch["rows_accepted"], batch["rows_rejected"]) == (
        read.rows_read, read.rows_accepted, read.rows_rejected) == (20, 20, 0)
    stored = {i["indicator_id"]: i for i in batch["indicators"]}
    assert set(stored) == set(export.catalogue.indicators) and len(stored) == 4
    male_young = stored["93088 (Male, 18-64 yrs)"]
    assert (male_young["sex"], male_young["age"], male_young["family"], male_young["breakdown"]) == (
        "Male", "18-64 yrs", "93088", "Male, 18-64 yrs")
    listed = pd.read_csv(io.StringIO(client.get(f"/batches/{batch['id']}/indicators.csv").text), keep_default_na=False,
                         dtype=str)
    assert list(zip(listed["indicator_id"], listed["breakdown"], listed["family"])) == [
        (i.id, i.breakdown, "93088") for i in export.catalogue]
    assert "<td>Female, 65+ yrs</td>" in client.get(f"/batches/{batch['id']}").text
    assert publish(client, batch["id"]).status_code == 200

    served = {i["id"]: i for i in client.get("/api/atlas").json() if i["family"] == "93088"}
    assert {i: (s["title"], s["breakdown"]) for i, s in served.items()} == {
        i: (export.catalogue[i].title, export.catalogue[i].breakdown) for i in export.catalogue.indicators}
    assert served["93088 (Female, 65+ yrs)"]["title"] == "Proportion of adults who are overweight or obese (Female, 65+ yrs)"
    # the page's menu: the static page's entries for these four, none reading the same as any other
    menu = served_page_data(client)["index"]["indicators"]
    static_menu = page_data(build_atlas(read.values, export.catalogue))["index"]["indicators"]
    assert [(m["id"], m["title"]) for m in menu if m["id"] in served] == [(m["id"], m["title"]) for m in static_menu]
    assert len({m["title"] for m in menu}) == len(menu)
    # each view holds its own breakdown's areas and the export's counts: no breakdown reads another's rows
    for indicator_id in served:
        areas = {a["area_code"]: a for a in view(client, indicator_id)["areas"]}
        expected = read.values[read.values["indicator_id"] == indicator_id].set_index("area_code")
        assert set(areas) == set(expected.index) and len(areas) == 5
        for code, row in expected.iterrows():
            assert (areas[code]["numerator"], areas[code]["denominator"]) == (row["numerator"], row["denominator"])
    assert view(client, "93088 (Male, 65+ yrs)")["areas"][0]["numerator"] == 1461  # E06000018, 1461 / 1898


def test_tidy_values_with_breakdowns_total_only_the_broadest_and_menus_say_the_breakdown(client, tmp_path):
    values = breakdown_values()
    sign_in(client, ANALYST)
    batch = upload_tidy(client, values)
    assert (batch["rows_read"], batch["rows_accepted"], batch["rows_rejected"]) == (61, 60, 1)
    assert [(r["row"], r["column"]) for r in batch["rejections"]] == [(61, "numerator")]  # the 61st row, the last
    assert publish(client, batch["id"]).status_code == 200

    served = {i["id"]: i for i in client.get("/api/atlas").json() if i["family"] == "screened"}
    assert {i: s["title"] for i, s in served.items()} == {  # the catalogue's titles repeat: the menu's do not
        "screened": "Screening uptake (Persons, All ages)", "screened-m": "Screening uptake (Male, All ages)",
        "screened-f": "Screening uptake (Female, All ages)"}
    static, _ = static_atlas(tmp_path, values)
    totals = [t for t in served_page_data(client)["index"]["pareto"] if t["period"] == PERIOD]
    assert len(totals) == 1
    total = totals[0]
    persons, male, female = (static.improvement[i].summary.significant_gain for i in ("screened", "screened-m", "screened-f"))
    assert male > 0 and female > 0  # so a total adding them would differ
    # the broadest breakdown's total, with the others beside it and never added in
    assert (total["breakdown"], total["beside"], total["unit"]) == ("Persons, All ages", ["screened-f", "screened-m"],
                                                                    "more people")
    assert total["total"] == pytest.approx(persons) and total["total"] != pytest.approx(persons + male + female)
    assert {row for row in total["largest"]["indicator"]} == {"screened"}
    # each breakdown's own view: its own counts (area E06000003: Male 3, Female 172, Persons their sum)
    third = {i: next(a for a in view(client, i)["areas"] if a["area_code"] == "E06000003") for i in served}
    assert (third["screened-m"]["numerator"], third["screened-f"]["numerator"], third["screened"]["numerator"]) == (
        3, 172, 175)


def test_a_newer_batch_supersedes_the_same_breakdown_and_period_only(client):
    sign_in(client, ANALYST)
    first = upload_tidy(client, breakdown_values())
    assert publish(client, first["id"]).json()["values_superseded"] == 0
    male_only = breakdown_values(male_scale=1.1)
    male_only = male_only[male_only["indicator_id"] == "screened-m"]
    second = upload_tidy(client, male_only)
    assert second["rows_accepted"] == 20
    assert publish(client, second["id"]).json()["values_superseded"] == 20  # Male's 20 areas; Persons and Female stay
    areas = {a["area_code"]: a["numerator"] for a in view(client, "screened-m")["areas"]}
    assert areas["E06000020"] == round((120 + 9 * 19) * 1.1) == 320
    assert {a["area_code"]: a["numerator"] for a in view(client, "screened")["areas"]}["E06000020"] == 291 + 359


def test_an_id_published_with_another_breakdown_is_refused_and_nothing_changes(client, new_client):
    sign_in(client, ANALYST)
    assert publish(client, upload_tidy(client, breakdown_values())["id"]).status_code == 200
    before = view(client, "screened")
    other = new_client()
    sign_in(other, OUTSIDER)
    redefined = CATALOGUE.read_text().replace("    sex: Persons\n", "    sex: Male\n", 1).encode()  # "screened" as Male
    draft = upload_tidy(other, breakdown_values(), code="QKK", catalogue=redefined)
    refused = publish(other, draft["id"])
    assert refused.status_code == 409
    assert re.search(r"indicator 'screened' is published in this workspace as 'Persons, All ages' \(batch \d+ of QWE\), "
                     r"but this batch gives it as 'Male, All ages'", refused.json()["detail"])
    assert other.get(f"/api/batches/{draft['id']}").json()["status"] == "draft"  # not half-published
    assert view(client, "screened") == before


DEATHS = b"""source: "Test source"
licence: "Open Government Licence v3.0"
indicators:
""" + b"".join(f"""  - id: {i}
    title: "Deaths"
    polarity: low_is_good
    measure: rate
    multiplier: 1000
    sex: {sex}
    family: deaths
""".encode() for i, sex in (("deaths", "Persons"), ("deaths-m", "Male"), ("deaths-f", "Female")))


def deaths(areas=AREAS[:3]) -> pd.DataFrame:
    """A hand-worked family: deaths among 1,000 men and 1,000 women in each of three areas, Persons their sum.
    Area 1's 3 male deaths is the one small count."""
    counts = {"deaths-m": (3, 20, 30), "deaths-f": (47, 40, 25), "deaths": (50, 60, 55)}
    rows = [(i, area, PERIOD, c, 2000 if i == "deaths" else 1000) for i, cs in counts.items()
            for area, c in zip(areas, cs)]
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])


def served_deaths(client, new_client) -> dict[str, dict[str, float | None]]:
    """The deaths another organisation can read from what it is served: indicator -> area -> deaths (None:
    hidden). Counts are rounded to 5, but each rate is published from the true count (as NHS Digital's rule
    allows), so rate x population / 1,000 gives the count exactly."""
    sign_in(client, ANALYST)
    assert publish(client, upload_tidy(client, deaths(), catalogue=DEATHS)["id"]).status_code == 200
    own = {a["area_code"]: a["numerator"] for a in view(client, "deaths-m")["areas"]}
    assert own[AREAS[0]] == 3  # its own figures, in full
    other = new_client()
    sign_in(other, OUTSIDER)
    served = {i: view(other, i)["areas"] for i in ("deaths-m", "deaths-f", "deaths")}
    assert all((a["numerator"] is None) == (a["value"] is None) for areas in served.values() for a in areas)
    return {i: {a["area_code"]: None if a["value"] is None else round(a["value"] * a["denominator"] / 1000, 9)
                for a in areas} for i, areas in served.items()}


def test_protected_apart_persons_less_female_gives_a_hidden_male_count_back(client, new_client, monkeypatch):
    from marginalgains.disclosure import atlas as disclosure_atlas
    monkeypatch.setattr(disclosure_atlas, "catalogue_breakdowns", lambda catalogue: {})  # each breakdown its own table
    served = served_deaths(client, new_client)
    first, second, _ = AREAS[:3]
    # Male hides area 1's 3 and its cheapest complement (area 2's 20); Persons and Female are shown in full
    assert (served["deaths-m"][first], served["deaths-m"][second]) == (None, None)
    assert served["deaths"][first] - served["deaths-f"][first] == 3


def test_another_organisation_cannot_work_out_a_hidden_male_count_as_persons_less_female(client, new_client):
    served = served_deaths(client, new_client)
    first, second, third = AREAS[:3]
    # one table: area 1's row needs a second hidden cell, and each column a second one; the cheapest rectangle is
    # Male and Female of areas 1 and 3 (3 + 30 + 47 + 25 = 105 deaths; with area 2, 3 + 20 + 47 + 40 = 110; with
    # Persons, 3 + 30 + 50 + 55 = 138); England's counts are exempt and dearest (hidden only when nothing else
    # protects), so all of Persons and area 2 are shown
    assert served["deaths-m"] == {first: None, second: 20, third: None}
    assert served["deaths-f"] == {first: None, second: 40, third: None}
    assert served["deaths"] == {first: 50, second: 60, third: 55}
    # The attacker, with England's true counts (Male 53, Female 112): M1 + M3 = 53 - 20 = 33, F1 + F3 = 112 - 40 = 72,
    # M1 + F1 <= 50 and M3 + F3 <= 55 (people of no stated sex, 0 or more): M1 can be anything in [0, 33]; the
    # attacker's LP over the joint table of what is served says the same
    structure = Structure((Dimension("area_code", dict.fromkeys(AREAS[:3], "E")),
                           Dimension.breakdown("sex", "P", ["M", "F", "rest"])), geography="area_code")
    cells = [(a, s, served[i][a]) for i, s in (("deaths-m", "M"), ("deaths-f", "F"), ("deaths", "P")) for a in AREAS[:3]]
    cells += [("E", "M", 53), ("E", "F", 112), ("E", "P", 165)] + [(a, "rest", None) for a in [*AREAS[:3], "E"]]
    table = pd.DataFrame(cells, columns=["area_code", "sex", "count"]).astype({"count": float})
    attack = audit(table, structure).set_index(["area_code", "sex"])
    assert (attack.loc[(first, "M"), "lower"], attack.loc[(first, "M"), "upper"]) == (0.0, 33.0)
    assert attack.loc[[(first, "M"), (third, "M"), (first, "F"), (third, "F")], "width"].min() >= 7


def plan_document(breakdown: str | None) -> str:
    plan = {"id": "screening-men", "title": "Screening uptake among men", "indicator_id": "screened-m",
            "areas": ["E06000005"], "owner": {"organisation": "QWE"}, "baseline": {"period": "2021/22"},
            "target": "+3pp", "by": "2023-06"}
    return json.dumps(plan | ({"breakdown": breakdown} if breakdown else {}))


def test_a_plan_on_a_breakdown_names_it_and_is_tracked_on_that_breakdown_alone(client):
    sign_in(client, ANALYST)
    months = [f"{year}-{month:02d}" for year, month in [(2021, m) for m in range(4, 13)] + [(2022, m) for m in range(1, 13)]]
    monthly = pd.concat([breakdown_values(month, male_scale=1 + 0.01 * n).iloc[:-1] for n, month in enumerate(months)],
                        ignore_index=True)
    assert publish(client, upload_tidy(client, monthly)["id"]).status_code == 200
    created = client.post("/api/plans", json={"organisation": "QWE", "document": plan_document("Male, All ages")},
                          headers={"X-CSRF-Token": csrf_from(client)})
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["errors"] == [] and plan["document"]["breakdown"] == "Male, All ages"
    (card,) = plan["scorecard"]
    # tracked on Male alone (E06000005: 156 men screened of 400 in April 2021, growing 1% a month), not on Persons
    male = {month: round(156 * (1 + 0.01 * n)) for n, month in enumerate(months)}
    assert (card["area_code"], card["period"]) == ("E06000005", "2022-12")
    assert card["value"] == pytest.approx(100 * male["2022-12"] / 400) == 46.75
    assert card["baseline"] == pytest.approx(100 * sum(male[m] for m in months[:12]) / (12 * 400))
    wrong = client.post("/api/plans", json={"organisation": "QWE", "document":
                                            plan_document("Female, All ages").replace("screening-men", "mislabelled")},
                        headers={"X-CSRF-Token": csrf_from(client)})
    assert wrong.status_code == 201 and wrong.json()["scorecard"] == []
    (error,) = wrong.json()["errors"]
    assert error["field"] == "breakdown" and error["reason"] == (
        "'Female, All ages' is not the breakdown of 'screened-m', which is 'Male, All ages'")


def test_a_follow_on_a_breakdown_signals_in_that_breakdown_and_the_feed_names_it(client, new_client):
    from test_web_follows import MONTHS, STEADY, follow, signals, xmr_limits

    def months(male: list[int], periods: list[str]) -> pd.DataFrame:
        rows = [(i, "E06000005", period, n, d) for period, m in zip(periods, male)
                for i, n, d in (("screened-m", m, 100), ("screened-f", 50, 100), ("screened", m + 50, 200))]
        return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])

    sign_in(client, ANALYST)
    assert publish(client, upload_tidy(client, months(STEADY, MONTHS[:20]))["id"]).status_code == 200
    follower = new_client()
    sign_in(follower, "viewer@qwe.example")
    assert follow(follower, "E06000005", "screened-m").status_code == 201
    assert publish(client, upload_tidy(client, months([90], MONTHS[20:]))["id"]).status_code == 200
    mean, lpl, upl = xmr_limits(STEADY + [90.0])
    assert [i["text"] for i in signals(follower)] == [
        f"new special-cause signal (improvement) in E06000005, Screening uptake (Male, All ages) (screened-m), "
        f"2023-12: 90.0% (beyond limits; mean {mean:.1f}%, process limits {lpl:.1f}% to {upl:.1f}%)"]


def test_a_fingertips_breakdown_keeps_its_first_id_when_a_later_export_names_it_otherwise(client, tmp_path):
    """An export of several breakdowns calls Persons, All ages `93088 (Persons, All ages)`; one of Persons alone
    calls it `93088`. Published after the first, the second is that same breakdown and supersedes it."""
    several = pd.read_csv(FINGERTIPS, dtype=str, keep_default_na=False)
    young_men = (several["Sex"] == "Male") & (several["Age"] == "18-64 yrs")
    several.loc[young_men, ["Sex", "Age"]] = ["Persons", "All ages"]
    alone = several[young_men]
    sign_in(client, ANALYST)
    first = upload(client, several.to_csv(index=False).encode(), "several.csv", "fingertips")
    assert "93088 (Persons, All ages)" in {i["indicator_id"] for i in first["indicators"]}
    assert publish(client, first["id"]).status_code == 200
    (tmp_path / "alone.csv").write_text(alone.to_csv(index=False))
    assert set(read_fingertips(tmp_path / "alone.csv").catalogue.indicators) == {"93088"}  # what the reader calls it
    second = upload(client, alone.to_csv(index=False).encode(), "alone.csv", "fingertips")
    (kept,) = second["indicators"]
    assert (kept["indicator_id"], kept["given_id"], kept["breakdown"]) == ("93088 (Persons, All ages)", "93088",
                                                                            "Persons, All ages")
    page = client.get(f"/batches/{second['id']}").text
    assert "<tr><td>93088 (Persons, All ages) (the file's 93088)</td>" in page
    assert publish(client, second["id"]).json()["values_superseded"] == 5
    served = [i for i in client.get("/api/atlas").json() if i["family"] == "93088"]
    assert sorted(i["id"] for i in served) == ["93088 (Female, 18-64 yrs)", "93088 (Female, 65+ yrs)",
                                               "93088 (Male, 65+ yrs)", "93088 (Persons, All ages)"]
    areas = {a["area_code"]: a["numerator"] for a in view(client, "93088 (Persons, All ages)")["areas"]}
    assert areas == {"E92000001": 672, "E06000015": 783, "E06000016": 900, "E06000017": 1023, "E06000018": 1151}
