"""Data batches, as pages and JSON: upload a draft, read its row-level report, publish it whole or discard it."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
import pandas as pd
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marginalgains.errors import GainsError
from marginalgains.io.outputs import formula_safe
from marginalgains.store import batches
from marginalgains.store.models import Batch, BatchRejection, Organisation, Role
from marginalgains.web import follows
from marginalgains.web.auth import Viewer
from marginalgains.web.deps import DB, RowId, SignedIn
from marginalgains.web.people import organisation_or_404
from marginalgains.web.render import csv_response, page

router = APIRouter()
_log = logging.getLogger(__name__)
ValuesFile = Annotated[UploadFile, File(description="Tidy values (CSV or Parquet) or a Fingertips export (CSV).")]
CatalogueFile = Annotated[UploadFile | None, File(description="The indicator catalogue (YAML), for tidy values.")]
_SAFE_CODE = re.compile(r"[^A-Za-z0-9._-]+")
REPORT_ROWS = 500  # rejections listed on the page; all of them are in the CSV


class RejectionOut(BaseModel):
    file: str
    row: int | None
    column: str | None
    reason: str


class BatchIndicatorOut(BaseModel):
    indicator_id: str
    given_id: str  # the id the upload gave, when the workspace publishes that breakdown under another ("" if not)
    title: str
    measure: str
    source: str
    licence: str
    synthetic: bool
    sex: str  # the breakdown, as the catalogue or export gives it ("" when it names none)
    age: str
    family: str  # the id its breakdowns share ("" is its own id): totals add only the family's broadest
    breakdown: str  # how the breakdown reads on pages ("Male, 10+ yrs")


class BatchOut(BaseModel):
    id: int
    organisation_code: str
    status: str
    kind: str
    filename: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_set_aside: int  # counted apart by the reader (a Fingertips export's deprivation rows, collapsed copies ...)
    created_at: datetime
    decided_at: datetime | None
    indicators: list[BatchIndicatorOut]


class BatchReportOut(BatchOut):
    rejections: list[RejectionOut]


class PublishedOut(BaseModel):
    batch: BatchOut
    values_superseded: int


def batch_out(batch: Batch) -> BatchOut:
    return BatchOut(id=batch.id, organisation_code=batch.organisation.code, status=batch.status, kind=batch.kind,
                    filename=batch.filename, rows_read=batch.rows_read, rows_accepted=batch.rows_accepted,
                    rows_rejected=batch.rows_rejected,
                    rows_set_aside=batch.rows_read - batch.rows_accepted - batch.rows_rejected, created_at=batch.created_at, decided_at=batch.decided_at,
                    indicators=[BatchIndicatorOut(indicator_id=i.indicator_id, given_id=i.given_id, title=i.title,
                                                  measure=i.measure, source=i.source, licence=i.licence,
                                                  synthetic=i.synthetic, sex=i.sex, age=i.age, family=i.family,
                                                  breakdown=i.breakdown)
                                for i in batch.indicators])


def member_organisation(db: Session, viewer: Viewer, code: str, role: Role = Role.VIEWER) -> Organisation:
    """The organisation `code` if the viewer holds at least `role` there; 404 to everyone else."""
    organisation = organisation_or_404(db, code)
    if not viewer.can(organisation.id, role):
        held = viewer.role_in(organisation.id)
        if held is None:
            raise HTTPException(404, "no such organisation among yours")
        raise HTTPException(403, f"you are {held} in {organisation.code}; this needs {role}")
    return organisation


def batch_or_404(db: Session, viewer: Viewer, batch_id: int, role: Role = Role.VIEWER) -> Batch:
    """A batch of one of the viewer's organisations (drafts are never shown to anyone else)."""
    batch = db.get(Batch, batch_id)
    if batch is None or viewer.role_in(batch.organisation_id) is None:
        raise HTTPException(404, "no such batch among your organisations'")
    if not viewer.can(batch.organisation_id, role):
        raise HTTPException(403, f"you are {viewer.role_in(batch.organisation_id)} in {batch.organisation.code}; "
                                 f"this needs {role}")
    return batch


def _upload(db: Session, viewer: Viewer, code: str, kind: str, values: UploadFile,
            catalogue: UploadFile | None) -> Batch:
    organisation = member_organisation(db, viewer, code, Role.ANALYST)
    has_catalogue = catalogue is not None and bool(catalogue.filename)
    parsed, read = batches.read_upload(kind, values.file, values.filename or "values.csv",
                                       catalogue.file if has_catalogue else None,
                                       catalogue.filename if has_catalogue else "catalogue.yaml")
    batch = batches.create_draft(db, organisation, viewer.user, kind, values.filename or "values.csv", parsed, read)
    db.commit()
    return batch


def _batch_list(db: Session, organisation: Organisation) -> list[Batch]:
    return list(db.scalars(select(Batch).where(Batch.organisation_id == organisation.id).order_by(Batch.id.desc())))


# --- pages ----------------------------------------------------------------------------------------------------

@router.get("/organisations/{code}/batches", include_in_schema=False)
def batches_page(*, code: str, request: Request, viewer: SignedIn, db: DB):
    organisation = member_organisation(db, viewer, code)
    return page(request, viewer, "batches.html", organisation=organisation, batches=_batch_list(db, organisation),
                can_upload=viewer.can(organisation.id, Role.ANALYST), message=None)


@router.get("/organisations/{code}/batches.csv", include_in_schema=False)
def batches_csv(*, code: str, viewer: SignedIn, db: DB):
    """The batches page's table; a batch of SYNTHETIC indicators says so."""
    rows = [{"batch": b.id, "file": b.filename, "status": b.status, "kind": b.kind, "rows_read": b.rows_read,
             "rows_accepted": b.rows_accepted, "rows_rejected": b.rows_rejected, "uploaded": b.created_at.isoformat(),
             "synthetic": "SYNTHETIC" if any(i.synthetic for i in b.indicators) else ""}
            for b in _batch_list(db, member_organisation(db, viewer, code))]
    columns = ["batch", "file", "status", "kind", "rows_read", "rows_accepted", "rows_rejected", "uploaded", "synthetic"]
    return csv_response(pd.DataFrame(rows, columns=columns), f"{_SAFE_CODE.sub('_', code)}-batches.csv")


@router.get("/batches/{batch_id}/indicators.csv", include_in_schema=False)
def indicators_csv(*, batch_id: RowId, viewer: SignedIn, db: DB):
    """The batch page's indicators: what each is, its source and licence, and whether it is SYNTHETIC."""
    batch = batch_or_404(db, viewer, batch_id)
    rows = [{"indicator_id": i.indicator_id, "title": i.title, "breakdown": i.breakdown, "family": i.family,
             "measure": i.measure, "source": i.source, "licence": i.licence,
             "synthetic": "SYNTHETIC" if i.synthetic else ""} for i in batch.indicators]
    columns = ["indicator_id", "title", "breakdown", "family", "measure", "source", "licence", "synthetic"]
    return csv_response(pd.DataFrame(rows, columns=columns), f"batch-{batch.id}-indicators.csv")


@router.post("/organisations/{code}/batches", include_in_schema=False)
def upload_page(*, code: str, request: Request, viewer: SignedIn, db: DB, kind: str = Form("tidy"),
                values: ValuesFile, catalogue: CatalogueFile = None):
    try:
        batch = _upload(db, viewer, code, kind, values, catalogue)
    except batches.BatchError as exc:
        organisation = member_organisation(db, viewer, code)
        return page(request, viewer, "batches.html", status_code=400, organisation=organisation,
                    batches=_batch_list(db, organisation), can_upload=True, message=str(exc))
    return RedirectResponse(f"/batches/{batch.id}", status_code=303)


@router.get("/batches/{batch_id}", include_in_schema=False)
def batch_page(*, batch_id: RowId, request: Request, viewer: SignedIn, db: DB):
    batch = batch_or_404(db, viewer, batch_id)
    rejections = db.scalars(select(BatchRejection).where(BatchRejection.batch_id == batch.id)
                            .order_by(BatchRejection.id).limit(REPORT_ROWS)).all()
    return page(request, viewer, "batch.html", batch=batch, rejections=rejections, report_rows=REPORT_ROWS,
                can_decide=viewer.can(batch.organisation_id, Role.ANALYST) and batch.status == "draft", message=None)


@router.post("/batches/{batch_id}/publish", include_in_schema=False)
def publish_page(*, batch_id: RowId, request: Request, viewer: SignedIn, db: DB):
    _publish(request, db, viewer, batch_id)
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)


@router.post("/batches/{batch_id}/discard", include_in_schema=False)
def discard_page(*, batch_id: RowId, viewer: SignedIn, db: DB):
    _discard(db, viewer, batch_id)
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)


def _publish(request: Request, db: Session, viewer: Viewer, batch_id: int) -> tuple[Batch, int]:
    """Publish the batch with the new special-cause signals it makes in followed areas (one transaction), then
    tell the app's publication listeners (the activity feed's webhooks)."""
    batch = batch_or_404(db, viewer, batch_id, Role.ANALYST)
    try:
        superseded, signals = follows.publish_watching_signals(db, batch, viewer.user)
    except batches.BatchError as exc:
        raise HTTPException(409, str(exc)) from None
    db.commit()
    for listener in request.app.state.publication_listeners:
        try:
            listener(request, db, batch, signals)
        except GainsError as exc:  # the publication stands; what could not be announced is logged
            _log.warning("batch %s published; announcing it failed: %s", batch.id, exc)
    return batch, superseded


def _discard(db: Session, viewer: Viewer, batch_id: int) -> Batch:
    batch = batch_or_404(db, viewer, batch_id, Role.ANALYST)
    try:
        batches.discard(db, batch, viewer.user)
    except batches.BatchError as exc:
        raise HTTPException(409, str(exc)) from None
    db.commit()
    return batch


@router.get("/batches/{batch_id}/rejections.csv", include_in_schema=False)
def rejections_csv(*, batch_id: RowId, viewer: SignedIn, db: DB):
    """Every rejection of a batch, formula-safe (a reason quoting a cell such as `=1+1` stays text)."""
    batch = batch_or_404(db, viewer, batch_id)
    text = formula_safe(batches.rejections_frame(db, batch)).to_csv(index=False)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="batch-{batch.id}-rejections.csv"'})


# --- JSON API -------------------------------------------------------------------------------------------------

@router.get("/api/organisations/{code}/batches", response_model=list[BatchOut])
def list_batches(*, code: str, viewer: SignedIn, db: DB) -> list[BatchOut]:
    """An organisation's batches, newest first (its members only)."""
    return [batch_out(b) for b in _batch_list(db, member_organisation(db, viewer, code))]


@router.post("/api/organisations/{code}/batches", response_model=BatchReportOut, status_code=201)
def upload_batch(*, code: str, viewer: SignedIn, db: DB, kind: str = Form("tidy"), values: ValuesFile,
                 catalogue: CatalogueFile = None) -> BatchReportOut:
    """Upload values (tidy CSV/Parquet with a catalogue, or a Fingertips export) as a draft batch (analysts)."""
    try:
        batch = _upload(db, viewer, code, kind, values, catalogue)
    except batches.BatchError as exc:
        raise HTTPException(400, str(exc)) from None
    return _report(db, batch)


def _report(db: Session, batch: Batch) -> BatchReportOut:
    rejections = [RejectionOut(**r) for r in batches.rejections_frame(db, batch).astype(object)
                  .where(lambda f: f.notna(), None).to_dict("records")]
    return BatchReportOut(**batch_out(batch).model_dump(), rejections=rejections)


@router.get("/api/batches/{batch_id}", response_model=BatchReportOut)
def get_batch(*, batch_id: RowId, viewer: SignedIn, db: DB) -> BatchReportOut:
    """A batch and its row-level report (its organisation's members only)."""
    return _report(db, batch_or_404(db, viewer, batch_id))


@router.post("/api/batches/{batch_id}/publish", response_model=PublishedOut)
def publish_batch(*, batch_id: RowId, request: Request, viewer: SignedIn, db: DB) -> PublishedOut:
    """Publish a draft whole, superseding the organisation's earlier values of its indicators and periods."""
    batch, superseded = _publish(request, db, viewer, batch_id)
    return PublishedOut(batch=batch_out(batch), values_superseded=superseded)


@router.post("/api/batches/{batch_id}/discard", response_model=BatchOut)
def discard_batch(*, batch_id: RowId, viewer: SignedIn, db: DB) -> BatchOut:
    """Discard a draft (its report stays)."""
    return batch_out(_discard(db, viewer, batch_id))
