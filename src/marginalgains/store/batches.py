"""Data batches: an upload read by the library's own readers, kept as a draft, then published whole or discarded.

A draft holds its accepted values and every rejection (rows read = accepted + rejected). Each indicator
keeps its breakdown (sex, age and the family its breakdowns share), and so does each value. Publishing
is one transaction: the batch becomes published and, for each indicator, breakdown and period it
carries, the organisation's earlier published values are marked superseded by it (they stay, as
history). An indicator id names one breakdown in the whole workspace: a batch giving an id that is
published with another breakdown is refused, so no two populations are ever read as one; and a Fingertips
breakdown keeps the id it was first published as, whatever id a later export's reader gives it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session, aliased

from marginalgains.errors import GainsError, Rejection
from marginalgains.io.catalogue import Catalogue, catalogue_from_dict
from marginalgains.io.fingertips import read_fingertips
from marginalgains.io.values import ReadResult, read_values
from marginalgains.model import breakdown_label
from marginalgains.store.models import (
    Batch, BatchIndicator, BatchRejection, BatchStatus, Organisation, User, Value, utcnow,
)

KINDS = ("tidy", "fingertips")
VALUE_FIELDS = ["indicator_id", "area_code", "area_name", "period", "numerator", "denominator",
                "value", "lower95", "upper95", "lower998", "upper998"]
_INSERT_CHUNK = 5000
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class BatchError(GainsError):
    """An upload cannot be read at all, or a batch cannot change state (the message says why)."""


def read_upload(kind: str, values: BinaryIO, values_name: str, catalogue: BinaryIO | None = None,
                catalogue_name: str = "catalogue.yaml") -> tuple[Catalogue, ReadResult]:
    """Read an uploaded file with the library's readers; messages name the uploaded file, not a temporary copy."""
    if kind not in KINDS:
        raise BatchError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    name = _SAFE_NAME.sub("_", Path(values_name).name) or "values.csv"
    with tempfile.TemporaryDirectory(prefix="marginalgains-upload-") as folder:
        path = Path(folder) / name
        with path.open("wb") as copy:
            shutil.copyfileobj(values, copy, length=1024 * 1024)
        try:
            if kind == "fingertips":
                export = read_fingertips(path)
                return _named((export.catalogue, export.read), path, values_name)
            if catalogue is None:
                raise BatchError("catalogue: a tidy values file needs its catalogue (YAML)")
            parsed = _catalogue(catalogue, catalogue_name)
            return parsed, _named((parsed, read_values(path, parsed)), path, values_name)[1]
        except GainsError as exc:
            raise BatchError(str(exc).replace(str(path), values_name)) from None


def _catalogue(upload: BinaryIO, name: str) -> Catalogue:
    return catalogue_from_yaml(upload.read(), name)


def catalogue_from_yaml(content: bytes, name: str) -> Catalogue:
    """An uploaded catalogue; BatchError (or the catalogue's own error) naming `name` when it cannot be read."""
    try:
        document = yaml.safe_load(content.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BatchError(f"{name}: not a readable YAML catalogue ({exc.__class__.__name__})") from None
    return catalogue_from_dict(document, name)


def _named(result: tuple[Catalogue, ReadResult], path: Path, name: str) -> tuple[Catalogue, ReadResult]:
    catalogue, read = result
    read.rejections = [Rejection(name if r.file == str(path) else r.file, r.row, r.column, r.reason)
                       for r in read.rejections]
    read.files = [name if f == str(path) else f for f in read.files]
    return catalogue, read


def create_draft(db: Session, organisation: Organisation, user: User | None, kind: str, filename: str,
                 catalogue: Catalogue, read: ReadResult) -> Batch:
    """Store a read upload as a draft batch of `organisation` (the caller commits: all of it or none)."""
    batch = Batch(organisation=organisation, uploaded_by=user, kind=kind, filename=filename[:300],
                  status=BatchStatus.DRAFT, rows_read=read.rows_read, rows_accepted=read.rows_accepted,
                  rows_rejected=read.rows_rejected)
    used = set(read.values["indicator_id"].astype(str)) if len(read.values) else set()
    named = _workspace_ids(db, catalogue) if kind == "fingertips" else {}
    batch.indicators = [_batch_indicator(i, named.get(i.id, i.id)) for i in catalogue if i.id in used]  # as menus
    db.add(batch)
    db.flush()
    db.add_all(BatchRejection(batch_id=batch.id, file=r.file, row=r.row, column=r.column, reason=r.reason)
               for r in read.rejections)
    records = _value_records(read.values.assign(indicator_id=read.values["indicator_id"].replace(named)) if named
                             else read.values, batch)
    for start in range(0, len(records), _INSERT_CHUNK):
        db.execute(insert(Value), records[start:start + _INSERT_CHUNK])
    return batch


def _workspace_ids(db: Session, catalogue: Catalogue) -> dict[str, str]:
    """An export's ids that the workspace already publishes under another id for the same Fingertips Indicator ID
    and breakdown (an export of Persons alone calls it `93088`, one of several breakdowns `93088 (Persons, All
    ages)`): the id it is published as, so one breakdown keeps one id and a newer export supersedes it."""
    wanted = {(i.family, i.sex, i.age): i.id for i in catalogue if i.family}
    if not wanted:
        return {}
    published = db.execute(
        select(BatchIndicator.family, BatchIndicator.sex, BatchIndicator.age, BatchIndicator.indicator_id)
        .join(Batch, Batch.id == BatchIndicator.batch_id)
        .where(Batch.status == BatchStatus.PUBLISHED, Batch.kind == "fingertips",
               BatchIndicator.family.in_(sorted({family for family, _, _ in wanted})))).all()
    given = {(family, sex, age): held for family, sex, age, held in published}
    return {wanted[key]: held for key, held in given.items() if key in wanted and wanted[key] != held}


def _batch_indicator(indicator, indicator_id: str) -> BatchIndicator:
    """The batch's record of an indicator, under the id the workspace publishes it as (`given_id`: the upload's
    own, when that differs)."""
    return BatchIndicator(indicator_id=indicator_id, given_id="" if indicator_id == indicator.id else indicator.id,
                          title=indicator.title, polarity=str(indicator.polarity),
                          measure=str(indicator.measure), multiplier=float(indicator.multiplier), unit=indicator.unit,
                          source=indicator.source, licence=indicator.licence, synthetic=bool(indicator.synthetic),
                          min_denominator=float(indicator.min_denominator), sex=indicator.sex, age=indicator.age,
                          family=indicator.family, modelled=indicator.modelled)


def _value_records(values: pd.DataFrame, batch: Batch) -> list[dict]:
    frame = pd.DataFrame({c: values[c] if c in values.columns else None for c in VALUE_FIELDS})
    for column in ("indicator_id", "area_code", "period"):
        frame[column] = frame[column].astype(str)
    numbers = ["numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="raise").astype(float)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["sex"] = frame["indicator_id"].map({i.indicator_id: i.sex for i in batch.indicators})
    frame["age"] = frame["indicator_id"].map({i.indicator_id: i.age for i in batch.indicators})
    frame["batch_id"] = batch.id
    frame["organisation_id"] = batch.organisation_id
    return frame.to_dict("records")


def _decide(db: Session, batch: Batch, user: User | None, status: BatchStatus) -> None:
    """Move a draft to `status`, once: a second publish or discard (or a racing one) is refused."""
    moved = db.execute(update(Batch).where(Batch.id == batch.id, Batch.status == BatchStatus.DRAFT)
                       .values(status=status, decided_at=utcnow(), decided_by_id=user.id if user else None))
    if moved.rowcount != 1:
        raise BatchError(f"batch {batch.id}: it is {batch.status}, not a draft, so it cannot be {status}")
    db.refresh(batch)


def publish(db: Session, batch: Batch, user: User | None) -> int:
    """Publish a draft and supersede the organisation's earlier values for the same indicators, breakdowns and
    periods; returns how many values were superseded. The caller commits (one transaction)."""
    _refuse_other_breakdowns(db, batch)
    _decide(db, batch, user, BatchStatus.PUBLISHED)
    newer = aliased(Value)
    published = select(Batch.id).where(Batch.status == BatchStatus.PUBLISHED, Batch.id != batch.id)
    superseded = db.execute(
        update(Value)
        .where(Value.organisation_id == batch.organisation_id, Value.superseded_by_id.is_(None),
               Value.batch_id.in_(published),
               exists().where(newer.batch_id == batch.id, newer.indicator_id == Value.indicator_id,
                              newer.sex == Value.sex, newer.age == Value.age, newer.period == Value.period))
        .values(superseded_by_id=batch.id), execution_options={"synchronize_session": False})
    return superseded.rowcount


def _refuse_other_breakdowns(db: Session, batch: Batch) -> None:
    """BatchError when an indicator id of `batch` is published in the workspace with another breakdown."""
    mine = {i.indicator_id: (i.sex, i.age) for i in batch.indicators}
    published = db.execute(
        select(BatchIndicator.indicator_id, BatchIndicator.sex, BatchIndicator.age, Batch.id, Organisation.code)
        .join(Batch, Batch.id == BatchIndicator.batch_id).join(Organisation, Organisation.id == Batch.organisation_id)
        .where(Batch.status == BatchStatus.PUBLISHED, BatchIndicator.indicator_id.in_(sorted(mine)))
        .order_by(Batch.id)).all()
    for indicator_id, sex, age, other, code in published:
        if (sex, age) != mine[indicator_id]:
            raise BatchError(
                f"batch {batch.id}: indicator {indicator_id!r} is published in this workspace as "
                f"{_breakdown(sex, age)} (batch {other} of {code}), but this batch gives it as "
                f"{_breakdown(*mine[indicator_id])}; one id names one breakdown, so give this one its own id")


def _breakdown(sex: str, age: str) -> str:
    label = breakdown_label(sex, age)
    return repr(label) if label else "no breakdown (no sex or age given)"


def discard(db: Session, batch: Batch, user: User | None) -> None:
    """Discard a draft: its values go, its report (counts and rejections) stays."""
    _decide(db, batch, user, BatchStatus.DISCARDED)
    db.query(Value).filter(Value.batch_id == batch.id).delete(synchronize_session=False)


def current_values(db: Session, indicator_id: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Every published, not superseded value (optionally of one indicator and period), with its owner."""
    query = (select(Value.organisation_id, Value.batch_id, *[getattr(Value, c) for c in VALUE_FIELDS])
             .join(Batch, Batch.id == Value.batch_id)
             .where(Batch.status == BatchStatus.PUBLISHED, Value.superseded_by_id.is_(None)))
    if indicator_id is not None:
        query = query.where(Value.indicator_id == indicator_id)
    if period is not None:
        query = query.where(Value.period == period)
    rows = db.execute(query).all()
    frame = pd.DataFrame(rows, columns=["organisation_id", "batch_id", *VALUE_FIELDS])
    numbers = ["numerator", "denominator", "value", "lower95", "upper95", "lower998", "upper998"]
    frame[numbers] = frame[numbers].astype(float).fillna(np.nan)
    return frame


def rejections_frame(db: Session, batch: Batch) -> pd.DataFrame:
    rows = db.execute(select(BatchRejection.file, BatchRejection.row, BatchRejection.column, BatchRejection.reason)
                      .where(BatchRejection.batch_id == batch.id).order_by(BatchRejection.id)).all()
    return pd.DataFrame(rows, columns=["file", "row", "column", "reason"])
