"""Batches in the store: drafts hold accepted rows and every rejection; publishing supersedes, history stays."""

import io

import pytest
from sqlalchemy import func, select

from marginalgains.store import accounts, batches
from marginalgains.store.database import open_store
from marginalgains.store.models import Value
from pathlib import Path

CATALOGUE = (Path(__file__).parents[1] / "web" / "fixtures" / "catalogue.yaml").read_bytes()
GOOD = b"indicator_id,area_code,period,numerator,denominator\nscreening,A1,2023/24,50,100\nscreening,A2,2023/24,30,60\n"


@pytest.fixture
def db(database_url):
    store = open_store(database_url)
    with store.sessions() as session:
        organisation = accounts.add_organisation(session, "QWE", "An ICB", "icb")
        session.commit()
        session.info["organisation"] = organisation
        yield session
    store.dispose()


def draft(db, text: bytes, name="values.csv"):
    catalogue, read = batches.read_upload("tidy", io.BytesIO(text), name, io.BytesIO(CATALOGUE))
    batch = batches.create_draft(db, db.info["organisation"], None, "tidy", name, catalogue, read)
    db.commit()
    return batch


def test_rows_read_are_accepted_plus_rejected_with_each_rejection_named(db):
    text = GOOD + b"screening,A3,2023/24,70,60\nnot-known,A4,2023/24,1,2\nscreening,A5,2023/24,x,10\n"
    batch = draft(db, text)
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (5, 2, 3)
    report = batches.rejections_frame(db, batch)
    assert report["file"].unique().tolist() == ["values.csv"]  # the uploaded name, never the temporary copy
    assert report["row"].tolist() == [3, 4, 5]  # data rows, numbered as the library reports them
    assert report["column"].tolist() == ["numerator", "indicator_id", "numerator"]
    assert db.scalar(select(func.count()).select_from(Value).where(Value.batch_id == batch.id)) == 2


def test_publishing_supersedes_the_same_indicator_and_period_and_keeps_history(db):
    first = draft(db, GOOD)
    assert batches.publish(db, first, None) == 0
    db.commit()
    other_year = draft(db, GOOD.replace(b"2023/24", b"2022/23"))
    batches.publish(db, other_year, None)
    db.commit()
    second = draft(db, b"indicator_id,area_code,period,numerator,denominator\nscreening,A1,2023/24,55,100\n")
    assert batches.publish(db, second, None) == 2  # both 2023/24 rows of the first batch; 2022/23 untouched
    db.commit()
    current = batches.current_values(db, "screening")
    assert sorted(zip(current["period"], current["area_code"], current["numerator"])) == [
        ("2022/23", "A1", 50.0), ("2022/23", "A2", 30.0), ("2023/24", "A1", 55.0)]
    history = db.scalars(select(Value).where(Value.batch_id == first.id)).all()
    assert len(history) == 2 and {v.superseded_by_id for v in history} == {second.id}


def test_a_draft_is_in_no_view_until_published(db):
    batch = draft(db, GOOD)
    assert batches.current_values(db).empty
    batches.publish(db, batch, None)
    db.commit()
    assert len(batches.current_values(db)) == 2


def test_a_batch_is_decided_once(db):
    batch = draft(db, GOOD)
    batches.publish(db, batch, None)
    db.commit()
    with pytest.raises(batches.BatchError, match="it is published, not a draft, so it cannot be discarded"):
        batches.discard(db, batch, None)


def test_discarding_removes_the_values_and_keeps_the_report(db):
    batch = draft(db, GOOD + b"screening,A3,2023/24,-1,10\n")
    batches.discard(db, batch, None)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Value).where(Value.batch_id == batch.id)) == 0
    assert batch.status == "discarded" and len(batches.rejections_frame(db, batch)) == 1


@pytest.mark.parametrize("kind, text, catalogue, message", [
    ("tidy", b"area_code,period\nA1,2023\n", CATALOGUE, "values.csv: missing column"),
    ("tidy", GOOD, None, "catalogue: a tidy values file needs its catalogue"),
    ("tidy", GOOD, b"indicators: [{id: x}]", "uploaded.yaml"),
    ("tidy", GOOD, b"\xff\xfe not yaml", "uploaded.yaml: not a readable YAML catalogue"),
    ("spreadsheet", GOOD, CATALOGUE, "kind: 'spreadsheet' is not one of tidy, fingertips"),
])
def test_unreadable_uploads_are_refused_naming_the_file(kind, text, catalogue, message):
    with pytest.raises(batches.BatchError, match=message) as caught:
        batches.read_upload(kind, io.BytesIO(text), "values.csv",
                            None if catalogue is None else io.BytesIO(catalogue), "uploaded.yaml")
    assert "marginalgains-upload-" not in str(caught.value)
