"""documents, attachments and cooperation_parties name the proposal's unit (OPD): an OPD sees
its own cooperations' files only; cooperation_parties now holds every proposal this service
knows (from proposal.drafted and agreement.imported as well as proposal.approved)

Rows written before carry no unit: only the region's tenant-wide roles see them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('documents', 'attachments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_unit'), ['unit'], unique=False)
    with op.batch_alter_table('cooperation_parties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cooperation_parties', schema=None) as batch_op:
        batch_op.drop_column('unit')
    for table in ('attachments', 'documents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_unit'))
            batch_op.drop_column('unit')
