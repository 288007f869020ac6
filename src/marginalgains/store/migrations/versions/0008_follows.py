"""follows (a person follows an indicator's areas) and the special-cause signals found in them at publication

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.String(length=200), nullable=False),
    sa.Column('area_code', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'indicator_id', 'area_code')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index('ix_follows_indicator_area', ['indicator_id', 'area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_user_id'), ['user_id'], unique=False)

    op.create_table('spc_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.String(length=200), nullable=False),
    sa.Column('area_code', sa.String(length=50), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=False),
    sa.Column('point_type', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('mean', sa.Float(), nullable=True),
    sa.Column('lpl', sa.Float(), nullable=True),
    sa.Column('upl', sa.Float(), nullable=True),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('spc_signals', schema=None) as batch_op:
        batch_op.create_index('ix_spc_signals_indicator_area', ['indicator_id', 'area_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_spc_signals_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    op.drop_table('spc_signals')
    op.drop_table('follows')
