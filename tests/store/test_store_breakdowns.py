"""Migration 0010 (breakdowns) on each database: a workspace with data from before it keeps every value, with no
breakdown; a figure is then unique per batch x indicator x breakdown x area x period; the models are what the
migrations make; and it downgrades."""

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from marginalgains.store.database import _alembic_config, create_store_engine
from marginalgains.store.models import Base

NOW = datetime(2026, 12, 1, tzinfo=UTC)
VALUE = ("INSERT INTO indicator_values (batch_id, organisation_id, indicator_id, area_code, period, numerator, "
         "denominator{extra}) VALUES (1, 1, 'screened', 'E06000001', '2022/23', 30, 100{values})")


def seeded_at_0008(url: str):
    """A store migrated to 0008 holding one published batch of one value, as a workspace before breakdowns."""
    engine = create_store_engine(url)
    command.upgrade(_alembic_config(engine), "0008")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO organisations (id, code, name, type, created_at) "
                                "VALUES (1, 'QWE', 'An ICB', 'icb', :now)"), {"now": NOW})
        connection.execute(text("INSERT INTO batches (id, organisation_id, status, kind, filename, rows_read, "
                                "rows_accepted, rows_rejected, created_at) "
                                "VALUES (1, 1, 'published', 'tidy', 'v.csv', 1, 1, 0, :now)"), {"now": NOW})
        connection.execute(text("INSERT INTO batch_indicators (batch_id, indicator_id, title, polarity, measure, "
                                "multiplier, unit, source, licence, synthetic, min_denominator) VALUES "
                                "(1, 'screened', 'Screening', 'high_is_good', 'proportion', 100, '%', 's', 'l', "
                                ":no, 0)"), {"no": False})
        connection.execute(text(VALUE.format(extra="", values="")))
    return engine


def test_values_from_before_breakdowns_are_kept_with_none_and_a_cell_is_unique_per_breakdown(database_url):
    engine = seeded_at_0008(database_url)
    config = _alembic_config(engine)
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sex, age, numerator FROM indicator_values")).one() == ("", "", 30)
        assert connection.execute(text("SELECT sex, age, family, modelled FROM batch_indicators")).one() == (
            "", "", "", "")
    with engine.begin() as connection:  # the same cell in another breakdown is another figure
        connection.execute(text(VALUE.format(extra=", sex, age", values=", 'Male', 'All ages'")))
    with pytest.raises(IntegrityError), engine.begin() as connection:  # the same cell twice in one batch is not
        connection.execute(text(VALUE.format(extra=", sex, age", values=", 'Male', 'All ages'")))
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    command.downgrade(config, "0008")
    assert {"sex", "age"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("indicator_values"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM indicator_values")).scalar() == 2
    engine.dispose()
