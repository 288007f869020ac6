"""Who sees what: the one layer every atlas page, API response and download goes through.

An organisation sees its own published figures in full, and so does a partner it shares them with
under a data-sharing agreement; an area's own organisation sees that area's figures. The atlas is
built once from the true counts of every organisation (so national figures are true), and then
shaped for the viewer by `protect_atlas`, the only place figures are shaped for an audience:
everything the viewer may not see in full is protected by the workspace's disclosure rule
(marginalgains.disclosure, with the viewer's own areas as the audience; the breakdowns of each
indicator family, from the catalogue's sex, age and family, protected as one table, so Persons less
Female gives no hidden Male count away): small counts suppressed,
complements chosen so none can be worked out from what the viewer sees, values, intervals, series
and opportunities of a suppressed area withheld with its counts, other counts rounded if the rule
says so. The benchmarks that are single areas' values (top quartile, top decile) are left out of
an indicator any of whose areas is withheld; the pooled figure, counts of areas, spreads and
funnel limits stay (computed from true counts; the national figures are what the rule exempts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marginalgains.atlas import SHARED_BENCHMARKS, Atlas, build_atlas
from marginalgains.disclosure import DisclosureError, Rule
from marginalgains.disclosure.atlas import protect_atlas_for
from marginalgains.io.catalogue import Catalogue
from marginalgains.io.values import check_values
from marginalgains.model import VALUE_INPUTS, Indicator, Measure, Polarity, distinct_titles
from marginalgains.store import batches
from marginalgains.store.models import Batch, BatchIndicator, BatchStatus, Organisation, SharingAgreement
from marginalgains.store.settings import public_indicators
from marginalgains.web.auth import Viewer
from marginalgains.web.cache import Kept

PROTECTED_REASON = ("figures of another organisation, shown in full only to it, to partners it shares them with "
                    "and to the area's own organisation; to everyone else protected by the workspace's disclosure rule")
POOLED_BENCHMARK = SHARED_BENCHMARKS["national"]  # the others (top quartile, top decile) are single areas' values


@dataclass(frozen=True)
class Audience:
    """Whose figures a viewer sees in full: owners (by organisation id) and areas (by code); and which indicators
    they may see at all: `indicators` None, every one (anyone signed in), else only those (anyone not signed in:
    the workspace's public indicators, every figure protected)."""

    full_owner_ids: frozenset[int]
    own_area_codes: frozenset[str]
    indicators: frozenset[str] | None = None

    @property
    def key(self) -> tuple:
        """What the figures a viewer sees depend on (with the data version and the rule): cache by it."""
        shown = None if self.indicators is None else tuple(sorted(self.indicators))
        return tuple(sorted(self.full_owner_ids)), tuple(sorted(self.own_area_codes)), shown

    def may_see(self, indicator_id: str) -> bool:
        return self.indicators is None or indicator_id in self.indicators


def audience_for(db: Session, viewer: Viewer) -> Audience:
    """The viewer's organisations, plus every organisation sharing its figures with one of them; anyone not
    signed in sees the public indicators only, all protected (no organisation's figures in full)."""
    own = frozenset(viewer.roles)
    if not own:  # nobody's figures in full; and with nobody signed in, only the public indicators at all
        return Audience(frozenset(), frozenset(), None if viewer.signed_in else public_indicators(db))
    # one query (every request asks): each own organisation's code, with each organisation sharing with it
    rows = db.execute(select(Organisation.code, SharingAgreement.owner_id).where(Organisation.id.in_(own))
                      .outerjoin(SharingAgreement, (SharingAgreement.partner_id == Organisation.id)
                                 & SharingAgreement.revoked_at.is_(None))).all()
    sharing = {owner for _, owner in rows if owner is not None}
    return Audience(own | frozenset(sharing), frozenset(code for code, _ in rows))


@dataclass
class WorkspaceAtlas:
    """The atlas of every current published value (true counts), with each indicator x area's owners."""

    atlas: Atlas | None
    owners: pd.DataFrame  # indicator_id, area_code, organisation_id
    version: tuple


_built: Kept[WorkspaceAtlas] = Kept(8)  # per worker process: the true atlas (all, or the public indicators') of each
# store's current data version


def data_version(db: Session) -> tuple:
    """Changes whenever a batch is published (publishing is the only way current values change)."""
    row = db.execute(select(func.count(), func.max(Batch.decided_at)).where(Batch.status == BatchStatus.PUBLISHED)).one()
    return tuple(row)


def workspace_atlas(db: Session, cache_key: str, indicators: frozenset[str] | None = None) -> WorkspaceAtlas:
    """The true atlas (of only `indicators`, when given: an atlas of the public ones is built from their values
    alone, so no total or ranking draws on the others), rebuilt only when a batch has been published since."""
    version = data_version(db)
    shown = None if indicators is None else tuple(sorted(indicators))
    return _built.get((cache_key, version, shown), lambda: _build(db, version, indicators))


def _build(db: Session, version: tuple, indicators: frozenset[str] | None) -> WorkspaceAtlas:
    values = batches.current_values(db)
    # areas are named from every published batch: a name is register data, and a public atlas of a few
    # indicators names its areas as a signed-in one does
    names = values[["area_code", "area_name"]].dropna().drop_duplicates("area_code")
    if indicators is not None:
        values = values[values["indicator_id"].isin(indicators)]
    owners = values[["indicator_id", "area_code", "organisation_id"]].drop_duplicates()
    if values.empty:
        return WorkspaceAtlas(None, owners, version)
    # the same indicator x area x period from two organisations: the latest published batch is the figure
    values = values.sort_values("batch_id").drop_duplicates(["indicator_id", "area_code", "period"], keep="last")
    catalogue = workspace_catalogue(db, indicators)
    inputs = values[VALUE_INPUTS + ["area_name"]].astype({"numerator": float, "denominator": float})
    read = check_values(inputs, catalogue, "the workspace's published values")
    provenance = {"sources": sorted({i.source for i in catalogue if i.source}),
                  "licences": sorted({i.licence for i in catalogue if i.licence}),
                  "synthetic_data": any(i.synthetic for i in catalogue), "rows_read": read.rows_read,
                  "rows_accepted": read.rows_accepted, "rows_rejected": read.rows_rejected}
    atlas = build_atlas(read.values, catalogue, provenance,
                        areas=names[names["area_code"].isin(values["area_code"])])
    return WorkspaceAtlas(atlas, owners, version)


def workspace_catalogue(db: Session, indicators: frozenset[str] | None = None) -> Catalogue:
    """Each indicator (of `indicators`, when given) as its latest published batch defines it."""
    query = (select(BatchIndicator).join(Batch, Batch.id == BatchIndicator.batch_id)
             .where(Batch.status == BatchStatus.PUBLISHED).order_by(Batch.id, BatchIndicator.id))
    if indicators is not None:
        query = query.where(BatchIndicator.indicator_id.in_(sorted(indicators)))
    rows = db.scalars(query).all()
    indicators = {r.indicator_id: Indicator(
        id=r.indicator_id, title=r.title, polarity=Polarity(r.polarity), measure=Measure(r.measure),
        multiplier=r.multiplier, unit=r.unit, source=r.source, licence=r.licence, synthetic=r.synthetic,
        min_denominator=r.min_denominator, sex=r.sex, age=r.age, family=r.family, modelled=r.modelled)
        for r in rows}
    return Catalogue(distinct_titles(indicators), path="the workspace")


def shown_in_full(owners: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """indicator_id, area_code pairs whose every owner the audience sees in full (or that are its own areas)."""
    owned = owners.assign(full=owners["organisation_id"].isin(audience.full_owner_ids)
                          | owners["area_code"].isin(audience.own_area_codes))
    pairs = owned.groupby(["indicator_id", "area_code"], as_index=False)["full"].all()
    return pairs.loc[pairs["full"], ["indicator_id", "area_code"]]


@dataclass(frozen=True)
class Shaped:
    """The atlas as one audience sees it, and per indicator x period what was protected: `n_withheld` areas
    whose value is withheld with its counts, `n_suppressed` counts suppressed (primary and secondary),
    `n_rounded` counts rounded. `rule` is None when the audience sees every figure in full."""

    atlas: Atlas | None
    protection: pd.DataFrame  # indicator_id, period, n_withheld, n_suppressed, n_rounded
    rule: Rule | None


PROTECTION_COLUMNS = ["indicator_id", "period", "n_withheld", "n_suppressed", "n_rounded"]


def protect_atlas(built: WorkspaceAtlas, audience: Audience, rule: Rule) -> Shaped:
    """The atlas as this audience may see it: in full where it may, protected by `rule` everywhere else."""
    atlas = built.atlas
    if atlas is None:
        return Shaped(None, pd.DataFrame(columns=PROTECTION_COLUMNS), None)
    visible = shown_in_full(built.owners, audience)
    if len(visible) == len(built.owners[["indicator_id", "area_code"]].drop_duplicates()):
        return Shaped(atlas, pd.DataFrame(columns=PROTECTION_COLUMNS), None)
    seen = visible.groupby("indicator_id")["area_code"].agg(list).to_dict()
    reason = PROTECTED_REASON
    try:
        protected, protection = protect_atlas_for(atlas, rule, seen)
    except DisclosureError as exc:  # never a failed page: withhold every count the audience may not see in full
        rule = withhold_all(rule, atlas, str(exc))
        reason = f"{PROTECTED_REASON}; every such count is withheld here: {rule.title}"
        protected, protection = protect_atlas_for(atlas, rule, seen, link_breakdowns=False)  # nothing left to link
    counts = protection.table
    keys = ["indicator_id", "period"]
    per_view = pd.DataFrame({
        "indicator_id": counts["indicator_id"].astype(str), "period": counts["period"].astype(str),
        "n_withheld": counts["value_status"] == "follows",
        "n_rounded": (counts[["numerator_status", "denominator_status"]] == "rounded").sum(axis=1),
    }).groupby(keys, as_index=False).sum()
    months = protection.subperiods.reindex(columns=["indicator_id", "year"]).set_axis(keys, axis=1)  # in its year
    hidden = pd.concat([protection.audit[keys], months]).astype(str).value_counts().rename("n_suppressed")
    per_view = per_view.merge(hidden.reset_index(), on=keys, how="left").fillna({"n_suppressed": 0})
    per_view["n_suppressed"] = per_view["n_suppressed"].astype(int)
    partial = set(per_view.loc[per_view["n_withheld"] > 0, "indicator_id"])
    benchmarks = {i: {k: v for k, v in b.items() if i not in partial or k == POOLED_BENCHMARK}
                  for i, b in protected.benchmarks.items()}
    protected = replace(protected, benchmarks=benchmarks, bundle_fixes=_without_partial(atlas.bundle_fixes, partial),
                        totals=_without_partial(atlas.totals, partial),
                        provenance=protected.provenance | {"protected": reason})
    return Shaped(protected, per_view[PROTECTION_COLUMNS], rule)


def withhold_all(rule: Rule, atlas: Atlas, why: str) -> Rule:
    """`rule` made to suppress every count (each at most the atlas's largest, zero too), so nothing is left
    to work out: what a view falls back to when `rule` could not be applied to its data (`why`)."""
    counts = atlas.areas[["numerator", "denominator"]].to_numpy(dtype=float)
    largest = int(np.nanmax(counts, initial=0.0)) + 1
    title = f"{rule.title}, which could not be applied to this data ({why}), so every count is withheld"
    return replace(rule, name=f"{rule.name} (every count withheld)", title=title, threshold=largest, zero_is_safe=False,
                   rounding=None, national_exempt=False, protection_interval=0, exempt_measures=())


def _without_partial(frame: pd.DataFrame, indicators: set[str]) -> pd.DataFrame:
    """Rows of no indicator any of whose areas is withheld (a total over areas, less the visible ones, would
    reveal a withheld area's figure); rows name their indicator (`indicator_id`) or indicators (`indicators`)."""
    if frame is None or frame.empty or not indicators:
        return frame
    if "indicator_id" in frame:
        keep = ~frame["indicator_id"].astype(str).isin(indicators)
    else:
        keep = ~frame["indicators"].map(lambda named: bool(indicators & set(named)))
    return frame[keep.to_numpy()].reset_index(drop=True)


def sharing_partners(db: Session, owner: Organisation) -> list[SharingAgreement]:
    return list(db.scalars(select(SharingAgreement).where(SharingAgreement.owner_id == owner.id)
                           .order_by(SharingAgreement.id)))

