"""data sharing agreements

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:30:56.260503
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sharing_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['organisations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sharing_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_agreements_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_agreements_partner_id'), ['partner_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sharing_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharing_agreements_partner_id'))
        batch_op.drop_index(batch_op.f('ix_sharing_agreements_owner_id'))

    op.drop_table('sharing_agreements')
