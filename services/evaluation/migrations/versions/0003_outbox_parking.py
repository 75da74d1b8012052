"""outbox: rows retried on their own schedule (due_at) and parked after too many failures

The change is the kit's (``jalin_kit.migrations.outbox_parking_upgrade``), the same in every
service's schema.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from jalin_kit.migrations import outbox_parking_downgrade, outbox_parking_upgrade

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_parking_upgrade()


def downgrade() -> None:
    outbox_parking_downgrade()
