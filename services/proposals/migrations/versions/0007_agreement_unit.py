"""agreements: the unit (OPD) of the cooperation, so an OPD sees its own agreements only

Filled for the agreements recorded before from their proposal.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_agreements_unit'), ['unit'], unique=False)
    op.execute(sa.text(
        "UPDATE agreements SET unit = (SELECT proposals.unit FROM proposals WHERE proposals.id = agreements.proposal_id)"
    ))


def downgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_unit'))
        batch_op.drop_column('unit')
