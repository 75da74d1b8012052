"""Integration events this service publishes, built from a proposal (no I/O)."""

from __future__ import annotations

from jalin_kit.db import utcnow
from jalin_kit.events import Party, ProposalApproved, ProposalRejected, ProposalSubmitted
from jalin_kit.tenants import TenantInfo

from jalin_proposals.models import Proposal

SOURCE = "/jalin/proposals"


def _common(p: Proposal, tenant: TenantInfo, actor: str) -> dict[str, object]:
    return {
        "proposal_id": p.id,
        "tenant": p.tenant_id,
        "title": p.title,
        "kind": p.kind,
        "proposer": Party(name=tenant.name, tenant=p.tenant_id),
        "proposer_unit": p.unit,
        "partner": Party(name=p.partner_name, tenant=p.partner_tenant),
        "objective": p.objective,
        "scope": p.scope,
        "term_months": p.term_months,
        "financing": p.financing,
        "actor": actor,
        "occurred_at": utcnow(),
    }


def submitted(p: Proposal, tenant: TenantInfo, actor: str) -> ProposalSubmitted:
    return ProposalSubmitted(**_common(p, tenant, actor))  # type: ignore[arg-type]


def approved(p: Proposal, tenant: TenantInfo, actor: str) -> ProposalApproved:
    assert p.term_start is not None and p.term_end is not None
    return ProposalApproved(  # type: ignore[arg-type]
        **_common(p, tenant, actor), term_start=p.term_start, term_end=p.term_end
    )


def rejected(p: Proposal, tenant: TenantInfo, actor: str) -> ProposalRejected:
    return ProposalRejected(**_common(p, tenant, actor), reason=p.decision_reason or "")  # type: ignore[arg-type]
