"""A crawler visits every route, as each role of other organisations and with guessed ids, and looks for
any figure of the owner's that it may not see unprotected: none may appear in any page, JSON response or
download. Protected figures (counts rounded to 5 by the workspace's nhs-hes-2018 rule, values of areas
with no small count) are published and may appear; true counts, and every figure of an area whose count
is suppressed, may not."""

import json
import re

import pytest

from test_web_data import upload
from test_web_visibility import CATALOGUE, COUNTS, PERIOD, values_csv
from web_helpers import csrf_from, get_paths, sign_in

from marginalgains.report.html import read_page_data
from marginalgains.store.settings import set_indicator_public

OWNER = "analyst@national.example"
OUTSIDERS = {"admin@qkk.example": set(), "viewer@qkk.example": set(),
             "analyst@rjz.example": {"RJZ"}}  # each with the areas that are its own
ATLAS_DATA = re.compile(r'<script id="atlas-data" type="application/json">(.*?)</script>', re.S)
COUNT_KEYS = ("numerator", "denominator")
VALUE_KEYS = ("value", "lower95", "upper95", "lower998", "upper998")


def unprotected_figures(owner, outsider, own_areas: set[str], indicators: set[str] | None = None) -> set[str]:
    """Every figure the owner sees that the outsider may not, as the texts it would appear as: each true count
    that rounding to 5 changes (of 1000 or more: smaller ones would match too much by chance; the small counts
    are test_web_visibility's), and each figure of an area whose value the outsider's view withholds.
    An outsider with an area of its own sees that area's monthly series, whose thousands of figures rounded
    to 4 decimals meet others' by chance, so for it values are looked for at full precision only."""
    texts = set()
    for indicator in owner.get("/api/atlas").json():
        if indicators is not None and indicator["id"] not in indicators:
            continue
        for period in indicator["periods"]:
            path = f"/api/atlas/{indicator['id']}/{period['period']}"
            received = {a["area_code"]: a for a in outsider.get(path).json()["areas"]}
            for area in owner.get(path).json()["areas"]:
                if area["area_code"] in own_areas:
                    continue
                for key in COUNT_KEYS:
                    if area[key] is not None and area[key] >= 1000 and area[key] % 5:
                        texts.add(rf"(?<![\d.]){int(area[key])}(?:\.0)?(?!\.?\d)")
                if received[area["area_code"]]["value"] is not None:
                    continue
                for key in VALUE_KEYS:
                    if area[key] is not None:
                        for shown in {repr(area[key])} | (set() if own_areas else {repr(round(area[key], 4))}):
                            texts.add(r"(?<![\d.])" + re.escape(shown) + r"(?!\d)")
    return texts


def routes_to_visit(app, client, codes, batch_ids, views) -> list[str]:
    paths = []
    for path in get_paths(app):
        if "{code}" in path:
            paths += [path.replace("{code}", c) for c in codes]
        elif "{batch_id}" in path:
            paths += [path.replace("{batch_id}", str(b)) for b in batch_ids]
        elif "{indicator_and_period" in path:
            paths += [re.sub(r"\{indicator_and_period[^}]*\}", f"{i}/{p}", path) for i, p in views]
        elif "{indicator_id" in path and "{period" in path:
            paths += [re.sub(r"\{period[^}]*\}", p, re.sub(r"\{indicator_id[^}]*\}", i, path)) for i, p in views]
        elif "{indicator_id" in path:
            paths += [re.sub(r"\{indicator_id[^}]*\}", i, path) + f"?period={p}" for i, p in views]
        elif "{" in path:
            paths.append(re.sub(r"\{[^}]+\}", "1", path))
        else:
            paths.append(path)
    return paths


def visible_text(response) -> str:
    """The response's text; of the atlas page, its data without the Vega bundle, and without the funnel
    curves (a function of the pooled figure alone, whose thousands of points would match figures by chance)."""
    if not ATLAS_DATA.search(response.text):
        return response.text
    data = read_page_data(response.text)
    for view in data["views"].values():
        view.pop("limits", None)
    return json.dumps(data)


def test_no_unprotected_figure_of_the_owner_appears_anywhere(app, client, new_client):
    sign_in(client, OWNER)
    token = {"X-CSRF-Token": csrf_from(client)}
    small = upload(client, code="X24", values=values_csv(), catalogue=CATALOGUE, api=True).json()["id"]
    assert client.post(f"/api/batches/{small}/publish", headers=token).status_code == 200  # RJ7's 3 of 412
    draft = upload(client, code="X24", values=b"indicator_id,area_code,period,numerator,denominator\n"
                                              b"screening,RJ7,2023/24,43210,98765\n", api=True).json()["id"]
    codes = [o["code"] for o in client.get("/api/organisations").json()]
    views = [(i["id"], p["period"]) for i in client.get("/api/atlas").json() for p in i["periods"]]
    batch_ids = list(range(1, draft + 3))
    for outsider, own_areas in OUTSIDERS.items():
        browser = new_client()
        sign_in(browser, outsider)
        secrets = unprotected_figures(client, browser, own_areas)
        secrets |= {r"(?<!\d)43210(?!\d)", r"(?<!\d)98765(?!\d)"}  # the draft's
        patterns = re.compile("|".join(secrets))
        rj7, true = (next(a for a in b.get(f"/api/atlas/screening/{PERIOD}").json()["areas"] if a["area_code"] == "RJ7")
                     for b in (browser, client))
        assert rj7["numerator"] is None and rj7["value"] is None  # the small count: suppressed, with what follows
        assert true["value"] == 100 * COUNTS["RJ7"][0] / COUNTS["RJ7"][1] and re.escape(repr(true["value"])) in patterns.pattern
        visited = 0
        for path in routes_to_visit(app, browser, codes, batch_ids, views):
            response = browser.get(path)
            assert response.status_code < 500, path
            found = patterns.search(visible_text(response))
            assert found is None, f"{outsider} saw {found.group(0)!r} at {path}"
            visited += 1
        assert visited > 100
        token = csrf_from(browser)
        for action in ("publish", "discard"):
            for batch_id in batch_ids:
                assert browser.post(f"/api/batches/{batch_id}/{action}", headers={"X-CSRF-Token": token}).status_code \
                    in (403, 404)
    assert client.get(f"/api/batches/{draft}").json()["status"] == "draft"  # nobody else decided it


def test_an_anonymous_visitor_sees_public_indicators_protected_and_nothing_else(app, client, new_client, store):
    """Screening made public: crawled without signing in, every route shows no unprotected figure of it, and no
    other indicator (the demo's A&E ones) is named or answered anywhere."""
    sign_in(client, OWNER)
    small = upload(client, code="X24", values=values_csv(), catalogue=CATALOGUE, api=True).json()["id"]
    assert client.post(f"/api/batches/{small}/publish", headers={"X-CSRF-Token": csrf_from(client)}).status_code == 200
    with store.sessions() as db:
        set_indicator_public(db, "screening", True, "test")
        db.commit()
    codes = [o["code"] for o in client.get("/api/organisations").json()]
    views = [(i["id"], p["period"]) for i in client.get("/api/atlas").json() for p in i["periods"]]
    hidden = {i for i, _ in views} - {"screening"}
    assert hidden  # the demo's A&E indicators stay behind sign-in
    anonymous = new_client()
    secrets = unprotected_figures(client, anonymous, set(), indicators={"screening"})
    assert re.escape(repr(100 * COUNTS["RJ7"][0] / COUNTS["RJ7"][1])) in "|".join(secrets)
    patterns = re.compile("|".join(secrets | {rf"(?<![\w-]){re.escape(i)}(?![\w-])" for i in hidden}))
    answered = set()
    for path in routes_to_visit(app, anonymous, codes, range(1, small + 3), views):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        found = patterns.search(visible_text(response))
        assert found is None, f"an anonymous visitor saw {found.group(0)!r} at {path}"
        if response.status_code == 200:
            answered.add(path)
    assert {"/api/atlas", "/atlas", f"/api/atlas/screening/{PERIOD}"} <= answered
    assert not any(i in path for path in answered for i in hidden)


@pytest.mark.parametrize("path", ["/api/atlas", "/api/atlas/ae-4hr/2018/19", "/atlas", "/atlas/ae-4hr/areas.csv?period=2018/19",
                                  "/api/batches/1", "/api/organisations/X24/batches", "/api/organisations/X24/sharing"])
def test_nobody_signed_out_sees_anything(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (303, 401) and "ae-4hr" not in response.text
