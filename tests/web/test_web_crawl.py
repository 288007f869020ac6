"""A crawler visits every route, as each role of other organisations and with guessed ids, and looks for
any figure of the owner's that it may not see: none may appear in any page, JSON response or download."""

import json
import re

import pytest
from test_web_data import upload
from web_helpers import csrf_from, get_paths, sign_in

OWNER = "analyst@national.example"
OUTSIDERS = {"admin@qkk.example": set(), "viewer@qkk.example": set(),
             "analyst@rjz.example": {"RJZ"}}  # each with the areas that are its own
ATLAS_DATA = re.compile(r'<script id="atlas-data" type="application/json">(.*?)</script>', re.S)


def benchmarks(client) -> set[float]:
    """The benchmarks an area's own opportunity is sized against (a quantile such as the top quarter's value,
    which may equal some area's value without saying whose): shown with the outsider's own area."""
    data = json.loads(ATLAS_DATA.search(client.get("/atlas").text).group(1))
    return {round(v, 4) for profile in data["profiles"].values() for v in profile["columns"]["benchmark"] if v is not None}


def owner_figures(client, own_areas: set[str], allowed: set[float]) -> dict[str, set[str]]:
    """Every figure of the owner's the outsider may not see, as the texts it would appear as: per area.
    An outsider with an area of its own sees that area's monthly series, whose thousands of figures rounded
    to 4 decimals meet others' by chance, so for it figures are looked for at full precision only."""
    figures = {}
    for indicator in client.get("/api/atlas").json():
        for period in indicator["periods"]:
            view = client.get(f"/api/atlas/{indicator['id']}/{period['period']}").json()
            for area in view["areas"]:
                if area["area_code"] in own_areas:
                    continue
                texts = figures.setdefault(area["area_code"], set())
                for key in ("numerator", "denominator"):
                    if area[key] is not None and area[key] >= 1000:  # small counts would match too much by chance
                        texts.add(rf"(?<![\d.]){int(area[key])}(?:\.0)?(?!\.?\d)")
                for key in ("value", "lower95", "upper95", "lower998", "upper998"):
                    if area[key] is not None and round(area[key], 4) not in allowed:
                        for shown in {repr(area[key])} | (set() if own_areas else {repr(round(area[key], 4))}):
                            texts.add(r"(?<![\d.])" + re.escape(shown) + r"(?!\d)")
    return figures


def routes_to_visit(app, client, codes, batch_ids, views) -> list[str]:
    paths = []
    for path in get_paths(app):
        if "{code}" in path:
            paths += [path.replace("{code}", c) for c in codes]
        elif "{batch_id}" in path:
            paths += [path.replace("{batch_id}", str(b)) for b in batch_ids]
        elif "{indicator_id}" in path and "{period" in path:
            paths += [re.sub(r"\{period[^}]*\}", p, path.replace("{indicator_id}", i)) for i, p in views]
        elif "{indicator_id}" in path:
            paths += [path.replace("{indicator_id}", i) + f"?period={p}" for i, p in views]
        elif "{" in path:
            paths.append(re.sub(r"\{[^}]+\}", "1", path))
        else:
            paths.append(path)
    return paths


def visible_text(response) -> str:
    """The response's text; of the atlas page, its data without the Vega bundle, and without the funnel
    curves (a function of the pooled figure alone, whose thousands of points would match figures by chance)."""
    match = ATLAS_DATA.search(response.text)
    if not match:
        return response.text
    data = json.loads(match.group(1))
    for view in data["views"].values():
        view.pop("limits", None)
    return json.dumps(data)


def test_no_unprotected_figure_of_the_owner_appears_anywhere(app, client, new_client):
    sign_in(client, OWNER)
    draft = upload(client, code="X24", values=b"indicator_id,area_code,period,numerator,denominator\n"
                                              b"screening,RJ7,2023/24,43210,98765\n", api=True).json()["id"]
    codes = [o["code"] for o in client.get("/api/organisations").json()]
    views = [(i["id"], p["period"]) for i in client.get("/api/atlas").json() for p in i["periods"]]
    batch_ids = list(range(1, draft + 3))
    allowed = benchmarks(client)
    for outsider, own_areas in OUTSIDERS.items():
        secrets = owner_figures(client, own_areas, allowed if own_areas else set())
        secrets.setdefault("RJ7", set()).update({r"(?<!\d)43210(?!\d)", r"(?<!\d)98765(?!\d)"})  # the draft's
        patterns = re.compile("|".join(p for texts in secrets.values() for p in texts))
        browser = new_client()
        sign_in(browser, outsider)
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


@pytest.mark.parametrize("path", ["/api/atlas", "/api/atlas/ae-4hr/2018/19", "/atlas", "/atlas/ae-4hr/areas.csv?period=2018/19",
                                  "/api/batches/1", "/api/organisations/X24/batches", "/api/organisations/X24/sharing"])
def test_nobody_signed_out_sees_anything(client, path):
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (303, 401) and "ae-4hr" not in response.text
