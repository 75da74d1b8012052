"""outbox: the trace context of what recorded each event (the CloudEvents traceparent)

The change is the kit's (``jalin_kit.migrations.outbox_traceparent_upgrade``), the same in
every service's schema.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from collections.abc import Sequence

from jalin_kit.migrations import outbox_traceparent_downgrade, outbox_traceparent_upgrade

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    outbox_traceparent_upgrade()


def downgrade() -> None:
    outbox_traceparent_downgrade()
