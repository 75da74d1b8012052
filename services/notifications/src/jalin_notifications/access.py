"""Who may do what in the notifications service: the roles of docs/domain.md per operation, for
``docs/access.md`` (``jalin docs access``) and the routes (``require``, before any lookup).
Which messages a caller sees (its unit's and its roles') is decided by the routes."""

from __future__ import annotations

from jalin_kit import access as kit
from jalin_kit.auth import TENANT_ROLES, Principal

READERS = TENANT_ROLES
"""Every role of the tenant reads the messages addressed to its unit or its roles."""

MARKERS = TENANT_ROLES - {"auditor"}
"""The read state is shared by the unit or role a message is addressed to: marking it read
changes what the others see, and the auditor changes nothing."""

OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "inbox.read": (READERS, "GET /v1/inbox, /v1/inbox/{id} (the messages to the caller's unit or roles)"),
    "inbox.mark_read": (MARKERS, "POST /v1/inbox/{id}/read"),
    **kit.DEAD_LETTER_OPERATIONS,
    **kit.OUTBOX_OPERATIONS,
    **kit.CAPABILITY_OPERATIONS,
    **kit.TENANT_COPY_OPERATIONS,
}


def require(operation: str, principal: Principal) -> None:
    """403 unless one of the caller's roles may do ``operation`` (checked before any lookup)."""
    kit.require(OPERATIONS, operation, principal)
