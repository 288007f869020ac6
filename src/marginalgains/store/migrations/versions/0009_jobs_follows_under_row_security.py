"""engine jobs, data locations, follows and SPC signals under row-level security; jobs can be cancelled;
workspace settings keep a history of every change

On PostgreSQL a role that does not own the tables (the application's) sees and writes:
- a data location, or an engine job, only of an organisation named in `app.organisation_ids`; the job
  runner (`app.job_runner` = 'on', set by `store.tenancy.run_jobs`, never by a request) also sees every
  job, to claim queued ones, beat for them and fail those of dead workers;
- a follow only of a person who is a member of a named organisation;
- an SPC signal as it sees the batch it was found at (published, or a named organisation's).
Publication needs which areas are followed and by which organisations' members, across organisations:
`followed_areas(indicators)`, a SECURITY DEFINER function of the owner, answers that and nothing else
(no person is named). On SQLite only the new columns and table are made.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

NAMED = "string_to_array(NULLIF(current_setting('app.organisation_ids', true), ''), ',')::integer[]"
OWN = f"organisation_id = ANY ({NAMED})"
RUNNER = "current_setting('app.job_runner', true) = 'on'"
MEMBER = f"EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = follows.user_id AND m.organisation_id = ANY ({NAMED}))"
THROUGH_BATCH = (f"EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_id AND (b.status = 'published' OR b.{OWN}))")
POLICIES = {"data_locations": (OWN, OWN), "engine_jobs": (f"({OWN} OR {RUNNER})", f"({OWN} OR {RUNNER})"),
            "follows": (MEMBER, MEMBER), "spc_signals": (THROUGH_BATCH, THROUGH_BATCH)}
FOLLOWED_AREAS = """
CREATE FUNCTION followed_areas(indicators text[])
RETURNS TABLE (indicator_id varchar, area_code varchar, organisation_id integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
    SELECT DISTINCT f.indicator_id, f.area_code, m.organisation_id
    FROM follows f LEFT JOIN memberships m ON m.user_id = f.user_id
    WHERE f.indicator_id = ANY (indicators)
$$"""


def upgrade() -> None:
    with op.batch_alter_table('engine_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_engine_jobs_cancelled_by_id_users', 'users', ['cancelled_by_id'], ['id'],
                                    ondelete='SET NULL')
    op.create_table('workspace_setting_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workspace_setting_changes', schema=None) as batch_op:
        batch_op.create_index('ix_workspace_setting_changes_key', ['key', 'id'], unique=False)
    if op.get_context().dialect.name != "postgresql":
        return
    for table, (read, write) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY tenant_insert ON {table} FOR INSERT WITH CHECK ({write})")
        op.execute(f"CREATE POLICY tenant_update ON {table} FOR UPDATE USING ({write}) WITH CHECK ({write})")
        op.execute(f"CREATE POLICY tenant_delete ON {table} FOR DELETE USING ({write})")
    schema = op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    op.execute(FOLLOWED_AREAS.format(schema=schema))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS followed_areas(text[])")
        for table in POLICIES:
            for policy in ("tenant_read", "tenant_insert", "tenant_update", "tenant_delete"):
                op.execute(f"DROP POLICY IF EXISTS {policy} ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.drop_table('workspace_setting_changes')
    with op.batch_alter_table('engine_jobs', schema=None) as batch_op:
        batch_op.drop_constraint('fk_engine_jobs_cancelled_by_id_users', type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancel_requested_at')
