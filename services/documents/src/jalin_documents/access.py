"""Who may do what in the documents service: the roles of docs/domain.md per operation, for
``docs/access.md`` (``jalin docs access``) and the routes (``require``, before any lookup).
Which region may touch an object (the owner, the partner it is shared with) is decided by
the tenant-scoped sessions, after this check."""

from __future__ import annotations

from jalin_kit import access as kit
from jalin_kit.auth import TENANT_ROLES, Principal

READERS = TENANT_ROLES
"""Every role of the tenant reads its documents and attachments (auditor included)."""

UPLOADERS = TENANT_ROLES - {"auditor"}
"""Roles that may upload and delete attachments: every role of the tenant except the
auditor (reads everything, changes nothing); platform_admin is no tenant role."""

OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "document.read": (READERS, "GET /v1/documents, /v1/documents/{id}, /v1/documents/{id}/content"),
    "attachment.read": (READERS, "GET /v1/attachments, /v1/attachments/{id}, /v1/attachments/{id}/content, "
                        "/v1/attachment-limits "
                        "(the region's own and those its partner shares)"),
    "attachment.upload": (UPLOADERS, "POST /v1/attachments (a signed scan, by the document's owner region, locks it)"),
    "attachment.delete": (UPLOADERS, "DELETE /v1/attachments/{id} (the uploading region only; never a signed scan "
                          "or a file uploaded before the signing)"),
    **kit.DEAD_LETTER_OPERATIONS,
    **kit.OUTBOX_OPERATIONS,
    **kit.CAPABILITY_OPERATIONS,
    **kit.TENANT_COPY_OPERATIONS,
}


def require(operation: str, principal: Principal) -> None:
    """403 unless one of the caller's roles may do ``operation`` (checked before any lookup)."""
    kit.require(OPERATIONS, operation, principal)


def allowed(operation: str, principal: Principal) -> bool:
    return kit.allowed(OPERATIONS, operation, principal)
