"""Who may do what: the mechanism every service's ``access.py`` shares (no business rules).

A service describes its operations as ``OPERATIONS: {operation: (roles, routes)}`` — the
roles of docs/domain.md that may do it, and the routes it covers ("GET /v1/x, /v1/x/{id}"; a
note in parentheses). Its routes call ``require(OPERATIONS, operation, principal)`` before
any lookup (403 before 404), and ``jalin docs access`` renders the tables of
``docs/access.md`` from them with ``table``.

A role counts only where it belongs: ``platform_admin`` in the operators' tenant
(``platform``), every other role in a region's tenant. So ``platform_admin`` sees no
tenant's content, and a tenant role in the operators' tenant reaches nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException, status

from jalin_kit.auth import PLATFORM_TENANT, TENANT_ROLES, Principal
from jalin_kit.db import WHOLE_TENANT

Operations = Mapping[str, tuple[frozenset[str], str]]
"""operation → (the roles that may do it, the routes it covers)."""

OPERATORS = frozenset({"platform_admin"})
"""The roles of the operators' tenant."""

SHOWN_ROLES: list[str] = sorted(TENANT_ROLES) + sorted(OPERATORS)
"""The columns of the tables: the tenant roles, then the operators'."""

DEAD_LETTER_OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "deadletter.list": (OPERATORS, "GET /v1/admin/dead-letters (platform_admin of the tenant `platform`)"),
    "deadletter.replay": (OPERATORS, "POST /v1/admin/dead-letters/{id}/replay (platform_admin of the tenant `platform`)"),
}
"""The operators' routes of every service with consumers (``jalin_kit.http.dead_letter_router``,
guarded by ``auth.platform_operator``, which is this rule); each such service lists them."""

OUTBOX_OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "outbox.list": (OPERATORS, "GET /v1/admin/outbox (platform_admin of the tenant `platform`)"),
    "outbox.replay": (OPERATORS, "POST /v1/admin/outbox/{id}/replay (platform_admin of the tenant `platform`)"),
}
"""The operators' routes over every service's outbox (``jalin_kit.http.outbox_router``); every
service lists them."""


TENANT_COPY_OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "tenant.copy": (OPERATORS, "GET /v1/admin/tenants/{id} (this service's copy of the registry; "
                    "platform_admin of the tenant `platform`)"),
}
"""The operators' route of every service that keeps a copy of the registry
(``jalin_kit.http.tenant_copy_router``)."""


CAPABILITY_OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "capabilities.read": (TENANT_ROLES | OPERATORS, "GET /v1/capabilities (which of this table's operations the caller may do)"),
}
"""Every service's ``GET /v1/capabilities`` (``jalin_kit.http.capabilities_router``): what a
client such as the console may offer the caller, from the same table that decides."""


UNIT_BOUND = frozenset({"opd_staff", "opd_head"})
"""The roles of an OPD: their holder acts for one unit and sees that unit's drafts,
proposals, potentials, documents, attachments and plans only (an OPD's drafts belong to
that OPD; the cooperation section sees all)."""


def unit_scope(principal: Principal) -> Any:
    """The unit a principal's sessions are limited to (``Database.tenant_session(unit=)``):
    its unit when all its roles are an OPD's — ``None``, which sees nothing of any unit, when
    its token names none — else the whole tenant."""
    roles = roles_in_effect(principal)
    if roles and roles <= UNIT_BOUND:
        return principal.unit
    return WHOLE_TENANT


def roles_in_effect(principal: Principal) -> frozenset[str]:
    """The caller's roles that count in its tenant."""
    return principal.roles & (OPERATORS if principal.tenant_id == PLATFORM_TENANT else TENANT_ROLES)


def allowed(operations: Operations, operation: str, principal: Principal) -> bool:
    return bool(operations[operation][0] & roles_in_effect(principal))


def capabilities(operations: Operations, principal: Principal) -> list[str]:
    """The operations of ``operations`` the principal may do."""
    return sorted(op for op in operations if allowed(operations, op, principal))


def require(operations: Operations, operation: str, principal: Principal) -> None:
    """403 unless one of the caller's roles may do ``operation`` (call it before any lookup)."""
    if not allowed(operations, operation, principal):
        roles = ", ".join(sorted(operations[operation][0]))
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{operation} needs one of the roles: {roles}")


# -- docs/access.md ----------------------------------------------------------------------

def table_head() -> list[str]:
    """The header and separator lines of a role table."""
    head = "| operation | " + " | ".join(f"`{r}`" for r in SHOWN_ROLES) + " | |"
    return [head, "|---" * (len(SHOWN_ROLES) + 2) + "|"]


def row(name: str, roles: frozenset[str], extra: str = "") -> str:
    """One line of a role table: ✓ for the roles that may, · for the others."""
    cells = ["✓" if r in roles else "·" for r in SHOWN_ROLES]
    return f"| {name} | " + " | ".join(cells) + f" | {extra} |"


def table(operations: Operations) -> list[str]:
    """The role table of ``operations``, one row per operation with its routes."""
    return table_head() + [row(f"`{op}`", roles, routes) for op, (roles, routes) in operations.items()]
