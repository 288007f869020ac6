"""The atlas, served: the static page's renderer and charts over the workspace's published values, protected
for the viewer by `visibility.protect_atlas` under the workspace's disclosure rule; per-view JSON and CSV
downloads go through the same layer and say which rule was applied and how many counts it suppressed."""

from __future__ import annotations

import re

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from marginalgains.report.html import render_page
from marginalgains.web.auth import Viewer
from marginalgains.web.cache import Kept
from marginalgains.web.deps import DB, CurrentViewer
from marginalgains.web.render import csv_response, page
from marginalgains.store.settings import disclosure_rule
from marginalgains.web.visibility import PROTECTED_REASON, Shaped, audience_for, protect_atlas, workspace_atlas

router = APIRouter()
WORKSPACE_HOME = ("/", "The workspace: plans, data, people, your feed")  # linked at the top of every served page
PAGE_POLICY = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"  # the page's own meta policy does the rest
AREA_COLUMNS = ["area_code", "area_name", "numerator", "denominator", "value", "lower95", "upper95", "lower998",
                "upper998", "funnel_band", "funnel_band_adjusted"]
SUMMARY_FIGURES = ["n_areas", "min", "max", "fold", "fold_trimmed5", "p95_p5", "iqr_ratio", "cv", "scv", "pooled",
                   "n_high_998", "n_high_95", "n_low_95", "n_low_998"]
# per worker process, keyed by `_protected`'s key (plus the view): never stale, never another audience's
_shaped: Kept[Shaped] = Kept(32)  # a whole atlas per audience
_pages: Kept[str] = Kept(32)  # the static page per audience
_answers: Kept[bytes] = Kept(512)  # the JSON of the index and of each view per audience
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
FULL = "none: shown in full"  # the CSV's disclosure column when the caller sees every figure


class IndicatorPeriodOut(BaseModel):
    period: str
    n_withheld: int  # areas whose value is withheld from the caller with its suppressed counts


class DisclosureOut(BaseModel):
    """The disclosure rule the caller's figures were protected by, and what it did to this view."""

    rule: str
    title: str
    source: str
    description: str
    cells_suppressed: int  # counts hidden: small ones, and the complements that keep them from being worked out
    counts_rounded: int
    reason: str


class IndicatorOut(BaseModel):
    id: str
    title: str
    unit: str
    measure: str
    polarity: str
    source: str
    licence: str
    synthetic: bool
    breakdown: str  # "Male, 10+ yrs" ("" for none): each breakdown is its own indicator, never added to another
    family: str  # the id its breakdowns share ("" is its own id)
    periods: list[IndicatorPeriodOut]


class AreaOut(BaseModel):
    area_code: str
    area_name: str | None
    numerator: float | None
    denominator: float | None
    value: float | None
    lower95: float | None
    upper95: float | None
    lower998: float | None
    upper998: float | None
    funnel_band: int | None
    funnel_band_adjusted: int | None


class ViewOut(BaseModel):
    indicator: IndicatorOut
    period: str
    summary: dict[str, float | None]
    areas: list[AreaOut]
    n_withheld: int
    disclosure: DisclosureOut | None  # None: the caller sees every figure of this view in full


def _protected(request: Request, db: Session, viewer: Viewer, indicator_id: str | None = None) -> tuple[Shaped, tuple]:
    """The atlas shaped for the viewer's audience, and the key of everything it depends on (the store, its data
    version, the audience and the disclosure rule, all read from the database on this request); shaping the
    whole atlas costs far more than answering one view from it, so it is kept under that key. Anyone not signed
    in reads only the public indicators (`indicator_id`, when given, must be one): else 401, as every other page;
    the audience's key says which they are, so no signed-in audience's answer is ever theirs."""
    audience = audience_for(db, viewer)
    public_only = audience.indicators is not None  # nobody signed in (the feed's viewers of an organisation are)
    if public_only and not (audience.indicators if indicator_id is None else audience.may_see(indicator_id)):
        raise HTTPException(401, "sign in first")
    store_url = str(request.app.state.store.engine.url)
    built = workspace_atlas(db, store_url, audience.indicators)
    rule = disclosure_rule(db)
    key = (store_url, built.version, audience.key, rule)
    return _shaped.get(key, lambda: protect_atlas(built, audience, rule)), key


def _json(data: BaseModel | list[BaseModel]) -> bytes:
    if isinstance(data, list):
        return b"[" + b",".join(item.model_dump_json().encode() for item in data) + b"]"
    return data.model_dump_json().encode()


def _json_response(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def shaped_for(request: Request, db: Session, viewer: Viewer) -> Shaped:
    """The atlas as this viewer may see it: the same shaping, and cache, as every atlas view."""
    return _protected(request, db, viewer)[0]


def _protection(shaped: Shaped, indicator_id: str, period: str, column: str = "n_withheld") -> int:
    table = shaped.protection
    rows = table[(table["indicator_id"] == indicator_id) & (table["period"] == period)]
    return int(rows[column].iloc[0]) if len(rows) else 0


def _disclosure(shaped: Shaped, indicator_id: str, period: str) -> DisclosureOut | None:
    rule = shaped.rule
    if rule is None:
        return None
    return DisclosureOut(rule=rule.name, title=rule.title, source=rule.source, description=rule.describe(),
                         cells_suppressed=_protection(shaped, indicator_id, period, "n_suppressed"),
                         counts_rounded=_protection(shaped, indicator_id, period, "n_rounded"), reason=PROTECTED_REASON)


def _indicator_out(shaped: Shaped, indicator) -> IndicatorOut:
    return IndicatorOut(id=indicator.id, title=indicator.title, unit=indicator.unit, measure=str(indicator.measure),
                        polarity=str(indicator.polarity), source=indicator.source, licence=indicator.licence,
                        synthetic=indicator.synthetic, breakdown=indicator.breakdown, family=indicator.family,
                        periods=[IndicatorPeriodOut(period=p, n_withheld=_protection(shaped, indicator.id, p))
                                 for p in shaped.atlas.periods(indicator.id)])


@router.get("/atlas", include_in_schema=False)
def atlas_page(*, request: Request, viewer: CurrentViewer, db: DB):
    """The static atlas page, rendered over what this viewer may see (kept while the data and audience stay)."""
    shaped, key = _protected(request, db, viewer)
    atlas = shaped.atlas
    if atlas is None:
        return page(request, viewer, "error.html", status_code=404, status=404,
                    message="nothing has been published in this workspace yet")
    html = _pages.get(key, lambda: render_page(atlas, home=WORKSPACE_HOME))
    return HTMLResponse(html, headers={"content-security-policy": PAGE_POLICY})


@router.get("/api/atlas", response_model=list[IndicatorOut])
def atlas_index(*, request: Request, viewer: CurrentViewer, db: DB) -> Response:
    """Every published indicator (without signing in: every public one) with its periods, and how many areas'
    figures are withheld from the caller."""
    shaped, key = _protected(request, db, viewer)
    if shaped.atlas is None:
        return _json_response(b"[]")
    return _json_response(_answers.get((*key, "index"), lambda: _json(
        [_indicator_out(shaped, i) for i in shaped.atlas.headline_indicators()])))


def _view(shaped: Shaped, indicator_id: str, period: str) -> tuple[ViewOut, pd.DataFrame]:
    atlas = shaped.atlas
    if atlas is None or indicator_id not in atlas.catalogue or period not in atlas.periods(indicator_id):
        raise HTTPException(404, "no such indicator and period in this workspace")
    rows = atlas.areas[(atlas.areas["indicator_id"] == indicator_id) & (atlas.areas["period"] == period)]
    names = atlas.area_names()
    rows = rows.assign(area_name=rows["area_code"].map(names)).sort_values("value", ascending=False, kind="stable")
    summary = atlas.summary[(atlas.summary["indicator_id"] == indicator_id) & (atlas.summary["period"] == period)]
    table = rows[AREA_COLUMNS]
    view = ViewOut(indicator=_indicator_out(shaped, atlas.catalogue[indicator_id]), period=period,
                   summary={k: _number(summary[k].iloc[0]) for k in SUMMARY_FIGURES},
                   areas=[AreaOut(**r) for r in _records(table)],
                   n_withheld=_protection(shaped, indicator_id, period),
                   disclosure=_disclosure(shaped, indicator_id, period))
    return view, table


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _indicator_and_period(shaped: Shaped, viewer: Viewer, path: str) -> tuple[str, str]:
    """`path` (an indicator id, a slash, a period) cut into an indicator id and a period. Both may hold slashes (a bundle's
    processes are `bundle/process`; financial years are `2018/19`), so the cut is where a known id ends
    and one of its periods follows. Not signed in, an id that is not public is 401, as for any other page."""
    catalogue = shaped.atlas.catalogue if shaped.atlas is not None else {}
    cuts = [(path[:at], path[at + 1:]) for at in range(len(path)) if path[at] == "/" and path[:at] in catalogue]
    for indicator_id, period in cuts:
        if period in shaped.atlas.periods(indicator_id):
            return indicator_id, period
    if not cuts and not viewer.signed_in:
        raise HTTPException(401, "sign in first")
    raise HTTPException(404, "no such indicator and period in this workspace")


@router.get("/api/atlas/{indicator_and_period:path}", response_model=ViewOut)
def atlas_view(*, indicator_and_period: str, request: Request, viewer: CurrentViewer, db: DB) -> Response:
    """One indicator x period (`{indicator}/{period}`, each of which may hold a slash): the summary from true
    counts and every area the caller may see in full."""
    shaped, key = _protected(request, db, viewer)
    return _json_response(_answers.get((*key, "view", indicator_and_period),
                                       lambda: _view_json(shaped, viewer, indicator_and_period)))


def _view_json(shaped: Shaped, viewer: Viewer, path: str) -> bytes:
    """The view at `path` as JSON; kept under the path itself, so a repeated read does not cut it up again
    (finding where the id ends and its period begins costs more than the rest of a kept answer)."""
    indicator_id, period = _indicator_and_period(shaped, viewer, path)
    return _json(_view(shaped, indicator_id, period)[0])


@router.get("/atlas/{indicator_id:path}/areas.csv", include_in_schema=False)
def atlas_areas_csv(*, indicator_id: str, period: str, request: Request, viewer: CurrentViewer, db: DB):
    """The view's areas as a formula-safe CSV (?period=2018/19), with the same protection as the page."""
    view, table = _view(_protected(request, db, viewer, indicator_id)[0], indicator_id, period)
    return csv_response(table.assign(indicator_id=indicator_id, period=period, source=view.indicator.source,
                                     licence=view.indicator.licence,
                                     synthetic="SYNTHETIC" if view.indicator.synthetic else "",
                                     disclosure=view.disclosure.rule if view.disclosure else FULL),
                        f"{_SAFE.sub('_', indicator_id)}-areas.csv")
