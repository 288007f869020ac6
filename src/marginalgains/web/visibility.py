"""Who sees what: the one layer every atlas page, API response and download goes through.

An organisation sees its own published figures in full, and so does a partner it shares them with
under a data-sharing agreement; an area's own organisation sees that area's figures. The atlas is
built once from the true counts of every organisation (so national figures are true), and then
shaped for the viewer by `protect_atlas`, the only place figures are shaped for an audience.

Until the workspace's disclosure rule (marginalgains.disclosure.protect_values) is wired in here,
figures the viewer may not see in full are withheld whole: the area's row is left out of every
area-level table and the figures that are single areas' values (the minimum, the maximum, and the
top-quartile and top-decile benchmarks, order statistics) are left out (an area's own opportunity
still shows the benchmark it is sized against, which may be the top quarter's value),
while counts of areas, the pooled figure, spreads and funnel limits, computed from true counts,
stay. The page says how many areas were withheld and why.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marginalgains.atlas import SHARED_BENCHMARKS, Atlas, build_atlas
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.values import check_values
from marginalgains.model import VALUE_INPUTS, Indicator, Measure, Polarity
from marginalgains.store import batches
from marginalgains.store.models import Batch, BatchIndicator, BatchStatus, Organisation, SharingAgreement
from marginalgains.web.auth import Viewer

WITHHELD_REASON = ("figures of another organisation, shown only to it, to partners it shares them with and to "
                   "the area's own organisation")
SINGLE_AREA_SUMMARY = ["min", "max"]
POOLED_BENCHMARK = SHARED_BENCHMARKS["national"]  # the others (top quartile, top decile) are single areas' values


@dataclass(frozen=True)
class Audience:
    """Whose figures a viewer sees in full: owners (by organisation id) and areas (by code)."""

    full_owner_ids: frozenset[int]
    own_area_codes: frozenset[str]

    @property
    def key(self) -> tuple:
        return tuple(sorted(self.full_owner_ids)), tuple(sorted(self.own_area_codes))


def audience_for(db: Session, viewer: Viewer) -> Audience:
    """The viewer's organisations, plus every organisation sharing its figures with one of them."""
    own = frozenset(viewer.roles)
    if not own:
        return Audience(frozenset(), frozenset())
    sharing = db.scalars(select(SharingAgreement.owner_id).where(SharingAgreement.partner_id.in_(own),
                                                                 SharingAgreement.revoked_at.is_(None)))
    codes = db.scalars(select(Organisation.code).where(Organisation.id.in_(own)))
    return Audience(own | frozenset(sharing), frozenset(codes))


@dataclass
class WorkspaceAtlas:
    """The atlas of every current published value (true counts), with each indicator x area's owners."""

    atlas: Atlas | None
    owners: pd.DataFrame  # indicator_id, area_code, organisation_id
    version: tuple


_cache: dict[str, WorkspaceAtlas] = {}
_cache_lock = threading.Lock()


def data_version(db: Session) -> tuple:
    """Changes whenever a batch is published (publishing is the only way current values change)."""
    row = db.execute(select(func.count(), func.max(Batch.decided_at)).where(Batch.status == BatchStatus.PUBLISHED)).one()
    return tuple(row)


def workspace_atlas(db: Session, cache_key: str) -> WorkspaceAtlas:
    """The true atlas, rebuilt only when a batch has been published since it was last built."""
    version = data_version(db)
    with _cache_lock:
        cached = _cache.get(cache_key)
        if cached is not None and cached.version == version:
            return cached
    built = _build(db, version)
    with _cache_lock:
        _cache[cache_key] = built
    return built


def _build(db: Session, version: tuple) -> WorkspaceAtlas:
    values = batches.current_values(db)
    owners = values[["indicator_id", "area_code", "organisation_id"]].drop_duplicates()
    if values.empty:
        return WorkspaceAtlas(None, owners, version)
    # the same indicator x area x period from two organisations: the latest published batch is the figure
    values = values.sort_values("batch_id").drop_duplicates(["indicator_id", "area_code", "period"], keep="last")
    catalogue = workspace_catalogue(db)
    inputs = values[VALUE_INPUTS + ["area_name"]].astype({"numerator": float, "denominator": float})
    read = check_values(inputs, catalogue, "the workspace's published values")
    provenance = {"sources": sorted({i.source for i in catalogue if i.source}),
                  "licences": sorted({i.licence for i in catalogue if i.licence}),
                  "synthetic_data": any(i.synthetic for i in catalogue), "rows_read": read.rows_read,
                  "rows_accepted": read.rows_accepted, "rows_rejected": read.rows_rejected}
    atlas = build_atlas(read.values, catalogue, provenance,
                        areas=values[["area_code", "area_name"]].dropna().drop_duplicates("area_code"))
    return WorkspaceAtlas(atlas, owners, version)


def workspace_catalogue(db: Session) -> Catalogue:
    """Each indicator as its latest published batch defines it."""
    rows = db.scalars(select(BatchIndicator).join(Batch, Batch.id == BatchIndicator.batch_id)
                      .where(Batch.status == BatchStatus.PUBLISHED).order_by(Batch.id)).all()
    indicators = {r.indicator_id: Indicator(
        id=r.indicator_id, title=r.title, polarity=Polarity(r.polarity), measure=Measure(r.measure),
        multiplier=r.multiplier, unit=r.unit, source=r.source, licence=r.licence, synthetic=r.synthetic,
        min_denominator=r.min_denominator) for r in rows}
    return Catalogue(indicators, path="the workspace")


def shown_in_full(owners: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """indicator_id, area_code pairs whose every owner the audience sees in full (or that are its own areas)."""
    owned = owners.assign(full=owners["organisation_id"].isin(audience.full_owner_ids)
                          | owners["area_code"].isin(audience.own_area_codes))
    pairs = owned.groupby(["indicator_id", "area_code"], as_index=False)["full"].all()
    return pairs.loc[pairs["full"], ["indicator_id", "area_code"]]


def _keep(frame: pd.DataFrame, visible: pd.DataFrame) -> pd.DataFrame:
    if frame is None or frame.empty or not {"indicator_id", "area_code"} <= set(frame.columns):
        return frame
    return frame.merge(visible, on=["indicator_id", "area_code"], how="inner")[frame.columns]


def protect_atlas(built: WorkspaceAtlas, audience: Audience) -> tuple[Atlas | None, pd.DataFrame]:
    """The atlas as this audience may see it, and per indicator x period how many areas were withheld."""
    atlas = built.atlas
    if atlas is None:
        return None, pd.DataFrame(columns=["indicator_id", "period", "n_withheld"])
    visible = shown_in_full(built.owners, audience)
    areas = _keep(atlas.areas, visible)
    withheld = (atlas.areas.groupby(["indicator_id", "period"]).size()
                .sub(areas.groupby(["indicator_id", "period"]).size(), fill_value=0)
                .astype(int).rename("n_withheld").reset_index())
    summary = atlas.summary.merge(withheld, on=["indicator_id", "period"], how="left")
    hidden = summary["n_withheld"].fillna(0).to_numpy() > 0
    summary.loc[hidden, SINGLE_AREA_SUMMARY] = np.nan
    improvement = {i: replace(t, areas=_keep(t.areas.assign(indicator_id=i), visible).drop(columns="indicator_id"))
                   for i, t in atlas.improvement.items()}
    partial = set(withheld.loc[withheld["n_withheld"] > 0, "indicator_id"])
    benchmarks = {i: {k: v for k, v in b.items() if i not in partial or k == POOLED_BENCHMARK}
                  for i, b in atlas.benchmarks.items()}
    protected = replace(atlas, areas=areas, summary=summary.drop(columns="n_withheld"),
                        spc=_keep(atlas.spc, visible), improvement=improvement,
                        pareto=_keep(atlas.pareto, visible), bundle_fixes=_keep(atlas.bundle_fixes, visible),
                        benchmarks=benchmarks,
                        provenance=atlas.provenance | {"withheld": WITHHELD_REASON})
    return protected, withheld


def sharing_partners(db: Session, owner: Organisation) -> list[SharingAgreement]:
    return list(db.scalars(select(SharingAgreement).where(SharingAgreement.owner_id == owner.id)
                           .order_by(SharingAgreement.id)))

