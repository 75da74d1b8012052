"""Who may do what in the evaluation service: the roles of docs/domain.md per operation, for
``docs/access.md`` (``jalin docs access``) and the routes (``require``, before any lookup)."""

from __future__ import annotations

from jalin_kit import access as kit
from jalin_kit.auth import TENANT_ROLES, Principal

READERS = TENANT_ROLES
"""Every role of the tenant reads its evaluation plans (auditor included)."""

OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "plan.read": (READERS, "GET /v1/plans, /v1/plans/{id} (the region's plans, and those of cooperations a partner shares with it)"),
    **kit.DEAD_LETTER_OPERATIONS,
    **kit.OUTBOX_OPERATIONS,
    **kit.CAPABILITY_OPERATIONS,
    **kit.TENANT_COPY_OPERATIONS,
}


def require(operation: str, principal: Principal) -> None:
    """403 unless one of the caller's roles may do ``operation`` (checked before any lookup)."""
    kit.require(OPERATIONS, operation, principal)
