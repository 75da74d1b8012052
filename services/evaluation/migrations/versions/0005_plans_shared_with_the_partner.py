"""plans, evaluation_rounds, reminders: shared_with, the partner region that reads them

A cooperation between two regions on Jalin has one plan, the owner's; the partner region
reads it (and its rounds and reminders) as it reads the cooperation's documents. Plans made
before this revision learn their partner from the cooperation's next event.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("plans", "evaluation_rounds", "reminders")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("shared_with", sa.String(length=64), nullable=True))
            batch.create_index(f"ix_{table}_shared_with", ["shared_with"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_shared_with")
            batch.drop_column("shared_with")
