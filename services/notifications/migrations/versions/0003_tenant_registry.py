"""tenants: this service's copy of the registry of onboarded regions

The change is the kit's (``jalin_kit.migrations.tenant_registry_upgrade``), the same in every
service's schema.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from jalin_kit.migrations import tenant_registry_downgrade, tenant_registry_upgrade

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tenant_registry_upgrade()


def downgrade() -> None:
    tenant_registry_downgrade()
