"""tenants: the registry of onboarded regions (this service owns it)

The change is the kit's (``jalin_kit.migrations.tenant_registry_upgrade``), the same in every
service's schema.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from jalin_kit.migrations import tenant_registry_downgrade, tenant_registry_upgrade

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tenant_registry_upgrade()


def downgrade() -> None:
    tenant_registry_downgrade()
