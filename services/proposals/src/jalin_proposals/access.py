"""Who may do what: the roles of docs/domain.md per operation. The lifecycle's transitions
carry their own roles (``lifecycle.py``); ``docs/access.md`` is generated from both (and
from the other services' ``access.py``) by ``jalin docs access``, and a test checks every
cell over HTTP. The mechanism (``require``, the table rows) is ``jalin_kit.access``."""

from __future__ import annotations

from collections.abc import Iterable

from jalin_kit import access as kit
from jalin_kit.access import SHOWN_ROLES, row, table_head
from jalin_kit.auth import TENANT_ROLES, Principal

from jalin_proposals.lifecycle import CooperationFlags, Initiator, Kind, LifecycleConfig, lifecycle_for

__all__ = ["ACTORS", "OPD", "OPERATIONS", "READERS", "SHOWN_ROLES", "allowed", "markdown_section", "require"]

OPD = frozenset({"opd_staff", "opd_head"})
READERS = TENANT_ROLES  # every role of the tenant reads its cooperation (auditor included)
ACTORS = TENANT_ROLES - {"auditor"}  # the auditor reads everything and changes nothing

OPERATIONS: dict[str, tuple[frozenset[str], str]] = {
    "proposal.create": (OPD, "POST /v1/proposals"),
    "proposal.edit": (OPD, "PATCH /v1/proposals/{id} (draft stages only)"),
    "proposal.read": (READERS, "GET /v1/proposals, /v1/proposals/{id}, /v1/offers, /v1/proposal-counts, "
                      "/v1/proposals/{id}/actions, /v1/proposal-actions"),
    "proposal.history": (READERS, "GET /v1/proposals/{id}/history (CSV with ?format=csv)"),
    "proposal.comment": (ACTORS, "POST /v1/proposals/{id}/comments"),
    "proposal.extend": (OPD | {"kerja_sama"}, "POST /v1/proposals/{id}/extend"),
    "agreement.read": (READERS, "GET /v1/agreements, /v1/agreements/{id}"),
    "agreement.addendum": (frozenset({"kepala_daerah", "kerja_sama"}), "POST /v1/agreements/{id}/addenda"),
    "agreement.import": (frozenset({"kerja_sama"}), "POST /v1/imports/agreements"),
    "mapping.read": (READERS, "GET /v1/mapping-rounds, /v1/mapping-rounds/{id}, /v1/potentials, /v1/potentials/{id}, "
                     "/v1/government-affairs"),
    "mapping.round.create": (frozenset({"kerja_sama"}), "POST /v1/mapping-rounds"),
    "mapping.round.close": (frozenset({"kerja_sama"}), "POST /v1/mapping-rounds/{id}/close"),
    "mapping.missing": (frozenset({"kerja_sama", "tkksd", "sekda", "auditor"}), "GET /v1/mapping-rounds/{id}/missing"),
    "mapping.potential.submit": (OPD, "POST /v1/mapping-rounds/{id}/potentials (needs the token's unit claim)"),
    "mapping.potential.propose": (OPD | {"kerja_sama"}, "POST /v1/potentials/{id}/propose (an OPD: of the potential's unit)"),
    "tenant.directory": (READERS, "GET /v1/tenants (the regions enabled on Jalin, to name as partners)"),
    "region.read": (READERS | kit.OPERATORS, "GET /v1/regions (the 552 regions, with their tenant ids)"),
    "tenant.admin": (kit.OPERATORS, "GET /v1/admin/tenants, /v1/admin/tenants/{id} POST /v1/admin/tenants, "
                     "/v1/admin/tenants/{id}/disable, /v1/admin/tenants/{id}/enable PATCH /v1/admin/tenants/{id} "
                     "(platform_admin of the tenant `platform`)"),
    **kit.OUTBOX_OPERATIONS,
    **kit.CAPABILITY_OPERATIONS,
}


def allowed(operation: str, roles: Iterable[str]) -> bool:
    return bool(OPERATIONS[operation][0] & frozenset(roles))


def require(operation: str, principal: Principal) -> None:
    """403 unless one of the caller's roles may do ``operation`` (checked before any lookup)."""
    kit.require(OPERATIONS, operation, principal)


def markdown_section() -> list[str]:
    """The proposals part of docs/access.md: the operations, then the lifecycle commands per kind."""
    out = ["### Operations", "", *kit.table(OPERATIONS)]
    variants = [
        (Kind.KSDD, CooperationFlags(unbudgeted=True), "KSDD (with DPRD approval)"),
        (Kind.KSDPK, CooperationFlags(), "KSDPK initiated by the region"),
        (Kind.KSDPK, CooperationFlags(initiator=Initiator.THIRD_PARTY), "KSDPK initiated by a third party"),
        (Kind.KSDPL, CooperationFlags(), "Foreign (KSDPL / KSDLL)"),
        (Kind.PUSAT, CooperationFlags(), "With the central government"),
    ]
    for kind, flags, title in variants:
        lc = lifecycle_for(kind, LifecycleConfig(), flags)
        out += ["", f"### Lifecycle commands: {title}", "",
                "`POST /v1/proposals/{id}/actions/{command}`; the stage it applies in → the stage it leads to.", "",
                *table_head()]
        for t in lc.transitions:
            extra = f"{t.source.value} → {t.target.value}" + (" (*partner*)" if t.by_partner else "")
            extra += " (the platform, at the end date)" if t.roles == {"system"} else ""
            out.append(row(f"`{t.command}`", t.roles, extra))
    return out
