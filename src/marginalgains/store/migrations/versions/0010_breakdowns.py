"""breakdowns: the sex, age and family of each batch's indicators and values, in their keys

A Fingertips export or a catalogue gives each indicator a breakdown (sex and age, and the family of
indicators its breakdowns share). The batch's indicators keep all three (and whether the values are
modelled estimates, and the id the upload gave when the workspace publishes it under another), so the
served atlas adds only the broadest breakdown of a family to a total;
each value keeps its sex and age, so a figure is one indicator x breakdown x area x period of its
batch (unique), and a newer batch supersedes the same indicator, breakdown and period only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BREAKDOWN = [("sex", 100), ("age", 100)]


def upgrade() -> None:
    with op.batch_alter_table('batch_indicators', schema=None) as batch_op:
        for name, length in BREAKDOWN:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('family', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('modelled', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('given_id', sa.String(length=200), nullable=False, server_default=''))
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        for name, length in BREAKDOWN:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))
        batch_op.drop_index('ix_indicator_values_current')
        batch_op.create_index('ix_indicator_values_current', ['organisation_id', 'indicator_id', 'sex', 'age',
                                                              'period', 'superseded_by_id'], unique=False)
        batch_op.create_unique_constraint('uq_indicator_values_cell', ['batch_id', 'indicator_id', 'sex', 'age',
                                                                        'area_code', 'period'])


def downgrade() -> None:
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_constraint('uq_indicator_values_cell', type_='unique')
        batch_op.drop_index('ix_indicator_values_current')
        batch_op.create_index('ix_indicator_values_current', ['organisation_id', 'indicator_id', 'period',
                                                              'superseded_by_id'], unique=False)
        for name, _ in BREAKDOWN:
            batch_op.drop_column(name)
    with op.batch_alter_table('batch_indicators', schema=None) as batch_op:
        for name in ('given_id', 'modelled', 'family', 'age', 'sex'):
            batch_op.drop_column(name)
