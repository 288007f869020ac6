"""row-level security on the tenant tables (PostgreSQL only; a no-op on SQLite)

A role that does not own the tables (the application's, when it connects as one) sees a batch, and
its values, indicators and rejections, only when the batch is published or belongs to one of the
organisations named, comma-separated, in the transaction's `app.organisation_ids` setting
(`SET LOCAL app.organisation_ids = '3,7'`); it may write only those organisations' batches. The
tables' owner (who runs the migrations) is not subject to the policies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:50:00
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# the organisations the current request acts for: an empty or unset setting names none
OWN = ("organisation_id = ANY (string_to_array(NULLIF(current_setting('app.organisation_ids', true), ''), ',')"
       "::integer[])")
VISIBLE_BATCH = f"(status = 'published' OR {OWN})"
THROUGH_BATCH = f"EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_id AND (b.status = 'published' OR b.{OWN}))"
POLICIES = {"batches": (VISIBLE_BATCH, OWN), "indicator_values": (THROUGH_BATCH, OWN),
            "batch_indicators": (THROUGH_BATCH, THROUGH_BATCH), "batch_rejections": (THROUGH_BATCH, THROUGH_BATCH)}


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, (read, write) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({write})")
        op.execute(f"CREATE POLICY tenant_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})")
        op.execute(f"CREATE POLICY tenant_delete ON {table} FOR DELETE USING ({write})")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in POLICIES:
        for policy in ("tenant_read", "tenant_insert", "tenant_update", "tenant_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
