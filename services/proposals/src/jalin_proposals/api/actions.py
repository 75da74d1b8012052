"""Lifecycle commands: ``POST /v1/proposals/{id}/actions/{command}``, the first-slice
shortcuts (submit, approve, reject), and comments. The rules are ``lifecycle.py``'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.exceptions import RequestValidationError
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.http import Runtime
from pydantic import ValidationError

from jalin_proposals import access
from jalin_proposals.api.common import actor_of, http_error, owner_session
from jalin_proposals.commands import CommandError, body_model, carry_out, emit, lifecycle_of, log, step_event
from jalin_proposals.lifecycle import RoleNotAllowed, Stage, TransitionNotAllowed
from jalin_proposals.schemas import ApproveRequest, CommentRequest, ProposalPublic, RejectRequest

router = APIRouter(prefix="/v1/proposals", tags=["lifecycle"])


def _body(command: str, raw: dict[str, Any] | None) -> Any:
    try:
        return body_model(command).model_validate(raw or {})
    except ValidationError as exc:
        # Same shape as any other 422 of the API.
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


async def act(runtime: Runtime, principal: CurrentPrincipal, proposal_id: str, command: str,
              raw: dict[str, Any] | None) -> ProposalPublic:
    if principal.tenant_id == "platform" or not principal.roles & access.ACTORS:
        raise HTTPException(403, "lifecycle commands need a role of the tenant (the auditor only reads)")
    async with owner_session(runtime, principal, proposal_id) as (session, p):
        partner_side = p.tenant_id != principal.tenant_id
        try:
            t = lifecycle_of(p, runtime.tenants.get(p.tenant_id)).apply(Stage(p.stage), command, principal.roles)
        except RoleNotAllowed as exc:
            raise HTTPException(403, str(exc)) from exc
        except TransitionNotAllowed as exc:
            raise HTTPException(409, str(exc)) from exc
        if partner_side and not t.by_partner:
            raise HTTPException(
                403, f"only the proposing region may {command}; the partner may accept or decline the offer and comment"
            )
        if t.by_partner and p.shared_with and not partner_side:
            raise HTTPException(403, f"the partner region ({p.shared_with}) answers the offer in Jalin")
        body = _body(command, raw)  # after the checks: a stranger learns nothing from a 422
        try:
            await carry_out(session, p, t, body, actor_of(principal), runtime.tenants)
        except CommandError as exc:
            raise http_error(exc) from exc
        await session.commit()
        return ProposalPublic.of(p)


@router.post("/{proposal_id}/actions/{command}", response_model=ProposalPublic)
async def run_command(
    proposal_id: str,
    command: str,
    principal: CurrentPrincipal,
    runtime: Runtime,
    body: Annotated[dict[str, Any] | None, Body(description="Depends on the command: see GET .../actions")] = None,
) -> ProposalPublic:
    """Make a lifecycle step: submit, approve, reject, accept_offer, decline_offer, finalize_kb,
    sign_kb, record_dprd_approval, finalize_pks, sign_pks, terminate, complete, revise, ...
    (docs/lifecycle.md). 409 when the stage does not allow it, 403 when the roles do not."""
    if len(command) > 40 or not command.replace("_", "").isalpha():
        raise HTTPException(404, "no such command")
    return await act(runtime, principal, proposal_id, command, body)


@router.post("/{proposal_id}/submit", response_model=ProposalPublic)
async def submit_proposal(proposal_id: str, principal: CurrentPrincipal, runtime: Runtime) -> ProposalPublic:
    """Shortcut for ``actions/submit``."""
    return await act(runtime, principal, proposal_id, "submit", None)


@router.post("/{proposal_id}/approve", response_model=ProposalPublic)
async def approve_proposal(
    proposal_id: str, principal: CurrentPrincipal, runtime: Runtime, body: ApproveRequest | None = None
) -> ProposalPublic:
    """Shortcut for ``actions/approve``: the KB draft, notices, the offer and the evaluation plan follow."""
    return await act(runtime, principal, proposal_id, "approve", body.model_dump(exclude_unset=True) if body else None)


@router.post("/{proposal_id}/reject", response_model=ProposalPublic)
async def reject_proposal(
    proposal_id: str, body: RejectRequest, principal: CurrentPrincipal, runtime: Runtime
) -> ProposalPublic:
    """Shortcut for ``actions/reject``."""
    return await act(runtime, principal, proposal_id, "reject", body.model_dump())


@router.post("/{proposal_id}/comments", status_code=201, response_model=ProposalPublic)
async def comment(
    proposal_id: str, body: CommentRequest, principal: CurrentPrincipal, runtime: Runtime
) -> ProposalPublic:
    """A comment of either party, in the history both sides see (and an event)."""
    access.require("proposal.comment", principal)
    async with owner_session(runtime, principal, proposal_id) as (session, p):
        actor = actor_of(principal)
        log(session, p, actor, "comment", stage_from=p.stage, note=body.text)
        emit(session, p, step_event(p, ("proposal", "commented", "comment"), runtime.tenants.get(p.tenant_id), actor,
                                    stage_from=p.stage, note=body.text))
        await session.commit()
        return ProposalPublic.of(p)
