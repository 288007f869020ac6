"""Following areas through the real API: a publication that makes a new special-cause signal in a followed area puts
it in the follower's feed, with the XmR figures worked out here by hand, and never shows a suppressed area's signal
to an organisation that sees its figures protected."""

import io

import numpy as np
import pandas as pd
from test_web_data import CATALOGUE, upload
from test_web_plans import api_post
from web_helpers import csrf_from, sign_in

MONTHS = [f"{2022 + (3 + m) // 12}-{(3 + m) % 12 + 1:02d}" for m in range(21)]  # 2022-04 .. 2023-12
OWNER, FOLLOWER, OUTSIDER = "analyst@qwe.example", "viewer@qwe.example", "analyst@qkk.example"
STEADY = [45, 55] * 10  # 20 months alternating either side of 50%: common cause only
USUAL = [30, 34] * 10  # counts per 1000 a month, none small under nhs-hes-2018


def series(numerators: dict[str, list[int]], months: list[str], denominator: int) -> bytes:
    lines = ["indicator_id,area_code,period,numerator,denominator"]
    lines += [f"screening,{area},{month},{n},{denominator}" for area, ns in numerators.items()
              for month, n in zip(months, ns)]
    return ("\n".join(lines) + "\n").encode()


def publish(client, values: bytes) -> dict:
    batch = upload(client, values=values, catalogue=CATALOGUE, api=True).json()
    published = client.post(f"/api/batches/{batch['id']}/publish", headers={"X-CSRF-Token": csrf_from(client)})
    assert published.status_code == 200, published.text
    return published.json()


def xmr_limits(values: list[float]) -> tuple[float, float, float]:
    """The XmR chart's centre and process limits worked by hand as NHSRplotthedots 0.2.2 draws them: the mean,
    and 2.66 x the mean moving range, recomputed without the ranges of 3.267 x that mean or more."""
    points = np.asarray(values, dtype=float)
    ranges = np.abs(np.diff(points))
    moving_range = ranges[ranges < 3.267 * ranges.mean()].mean()
    return points.mean(), points.mean() - 2.66 * moving_range, points.mean() + 2.66 * moving_range


def follow(client, area: str, indicator: str = "screening"):
    return api_post(client, "/api/follows", {"indicator_id": indicator, "area_code": area})


def signals(client) -> list[dict]:
    return [i for i in client.get("/api/feed").json() if i["kind"] == "signal"]


def test_a_new_signal_in_a_followed_area_comes_to_its_followers_feeds(client, new_client):
    sign_in(client, OWNER)
    publish(client, series({"RJ7": [n * 10 for n in STEADY], "RAX": [500] * 20}, MONTHS[:20], 1000))
    follower, outsider = new_client(), new_client()
    sign_in(follower, FOLLOWER)
    sign_in(outsider, OUTSIDER)
    for person in (follower, outsider):
        made = follow(person, "RJ7")
        assert made.status_code == 201, made.text
        assert follow(person, "RJ7").json()["id"] == made.json()["id"]  # following again is the same follow
    assert signals(follower) == []  # the steady months held no signal, and nothing new was published since
    publish(client, series({"RJ7": [900], "RAX": [500]}, MONTHS[20:], 1000))

    percent = STEADY + [90.0]  # per cent: numerators per 1000 / 10
    mean, lpl, upl = xmr_limits(percent)
    assert percent[-1] > upl and all(lpl < p < upl for p in percent[:-1])  # only the last month is beyond the limits
    expected = (f"new special-cause signal (improvement) in RJ7, Screening uptake (screening), 2023-12: 90.0% "
                f"(beyond limits; mean {mean:.1f}%, process limits {lpl:.1f}% to {upl:.1f}%)")
    assert [i["text"] for i in signals(follower)] == [expected]
    # another ICB sees these counts protected, but none is small, so the atlas shows it the series, and the signal
    assert [i["text"] for i in signals(outsider)] == [expected]
    assert signals(client) == []  # the publisher follows nothing
    publish(client, series({"RJ7": [910], "RAX": [500]}, MONTHS[20:], 1000))  # a correction: still beyond, not new
    assert len(signals(follower)) == 1


def test_a_signal_naming_a_suppressed_months_figure_stays_with_those_who_see_it_in_full(client, new_client):
    sign_in(client, OWNER)
    others = {"RJ7": 500, "RAX": 400, "RJ6": 300}  # larger counts beside it, to be its complements
    publish(client, series({"RVR": USUAL} | {a: [n] * 20 for a, n in others.items()}, MONTHS[:20], 1000))
    follower, outsider = new_client(), new_client()
    sign_in(follower, FOLLOWER)
    sign_in(outsider, OUTSIDER)
    assert follow(follower, "RVR").status_code == 201 and follow(outsider, "RVR").status_code == 201
    publish(client, series({"RVR": [2]} | {a: [n] for a, n in others.items()}, MONTHS[20:], 1000))  # 2: small
    mean, lpl, upl = xmr_limits([n / 10 for n in USUAL + [2]])
    assert 0.2 < lpl
    assert [i["text"] for i in signals(follower)] == [
        f"new special-cause signal (concern) in RVR, Screening uptake (screening), 2023-12: 0.2% "
        f"(beyond limits; mean {mean:.1f}%, process limits {lpl:.1f}% to {upl:.1f}%)"]
    # the year's count (2023/24, 258) is no small count, so another ICB's atlas keeps the series; but the month's
    # count of 2 is one (nhs-hes-2018 hides 1 to 7), and the signal names it (2 of 1000 is 0.2%): it is withheld
    view = outsider.get("/api/atlas/screening/2023/24").json()
    assert {a["area_code"]: a["value"] for a in view["areas"]}["RVR"] is not None
    assert signals(outsider) == []
    assert "0.2%" not in outsider.get("/feed").text


def test_following_needs_published_values_and_is_ones_own(client, new_client):
    sign_in(client, OWNER)
    publish(client, series({"RJ7": [500] * 2}, MONTHS[:2], 1000))
    refused = follow(client, "RJ7", indicator="nope")
    assert refused.status_code == 400 and refused.json()["detail"].startswith("indicator_id:")
    refused = follow(client, "ZZZ")
    assert refused.status_code == 400 and refused.json()["detail"].startswith("area_code:")
    made = follow(client, "RJ7").json()
    assert [f["area_code"] for f in client.get("/api/follows").json()] == ["RJ7"]
    other = new_client()
    sign_in(other, OUTSIDER)
    assert other.get("/api/follows").json() == []
    assert other.delete(f"/api/follows/{made['id']}", headers={"X-CSRF-Token": csrf_from(other)}).status_code == 404
    assert client.delete(f"/api/follows/{made['id']}", headers={"X-CSRF-Token": csrf_from(client)}).status_code == 204
    assert client.get("/api/follows").json() == []
    page = client.get("/follows").text
    assert "You follow no areas yet." in page and 'name="csrf_token"' in page


def test_the_follows_table_downloads_as_csv(client):
    sign_in(client, OWNER)
    publish(client, series({"RJ7": [500] * 2}, MONTHS[:2], 1000))
    follow(client, "RJ7")
    rows = pd.read_csv(io.StringIO(client.get("/follows.csv").text), keep_default_na=False)
    assert rows[["indicator_id", "title", "area_code", "synthetic"]].to_dict("records") == [
        {"indicator_id": "screening", "title": "Screening uptake", "area_code": "RJ7", "synthetic": ""}]
    assert 'href="/follows.csv"' in client.get("/follows").text
