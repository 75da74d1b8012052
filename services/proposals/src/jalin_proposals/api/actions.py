"""Lifecycle commands: ``POST /v1/proposals/{id}/actions/{command}``, one route per command
(each with the exact body its command takes, ``commands.BODIES``), the first-slice
shortcuts (submit, approve, reject), and comments. The rules are ``lifecycle.py``'s.

What a step checks, in order: the token (401); a role of the tenant (403); the proposal,
which the caller must see (404); the stage and the caller's roles (409, 403); which side
may make it (403); then the body (422), so a stranger learns nothing from a 422; then what
the step records (422/409 from ``commands``). A command no lifecycle has, or one only the
platform makes, is no route (404).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.http import ObjectId, Runtime
from jalin_kit.openapi import CONFLICT, NOT_FOUND
from jalin_kit.runtime import ServiceRuntime
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_proposals import access
from jalin_proposals.api.common import actor_of, http_error, owner_session
from jalin_proposals.commands import CommandError, body_model, carry_out, emit, lifecycle_of, log, step_event
from jalin_proposals.lifecycle import (
    SYSTEM,
    CooperationFlags,
    Initiator,
    Kind,
    LifecycleConfig,
    RoleNotAllowed,
    Stage,
    Transition,
    TransitionNotAllowed,
    lifecycle_for,
)
from jalin_proposals.models import Proposal
from jalin_proposals.schemas import ApproveRequest, CommentRequest, ProposalPublic, RejectRequest

router = APIRouter(prefix="/v1/proposals", tags=["lifecycle"])


def lifecycle_commands() -> list[str]:
    """Every command of every lifecycle (each kind, each regional option, each flag) that a
    role of a tenant may make, in the order they first appear. ``expire`` is the platform's
    own step at the end of the term: it has no route."""
    seen: dict[str, None] = {}
    for kind in Kind:
        for offer_stage in (True, False):
            for kb_before_pks in (True, False):
                for dprd in (True, False):
                    for initiator in Initiator:
                        config = LifecycleConfig(offer_stage=offer_stage, kb_before_pks=kb_before_pks)
                        flags = CooperationFlags(unbudgeted=dprd, initiator=initiator)
                        for t in lifecycle_for(kind, config, flags).transitions:
                            if t.roles - SYSTEM:
                                seen.setdefault(t.command, None)
    return list(seen)


@dataclass
class Step:
    """A transition the caller may make now, with the proposal locked in its owner's transaction."""

    session: AsyncSession
    proposal: Proposal
    transition: Transition


def step_to(command: str) -> Callable[..., AsyncIterator[Step]]:
    """The dependency that finds ``command``'s transition for the caller, or answers why not."""

    async def step(proposal_id: ObjectId, principal: CurrentPrincipal, runtime: Runtime) -> AsyncIterator[Step]:
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
            yield Step(session, p, t)

    return step


async def _carry(step: Step, principal: Principal, runtime: ServiceRuntime, body: BaseModel) -> ProposalPublic:
    try:
        await carry_out(step.session, step.proposal, step.transition, body, actor_of(principal), runtime.tenants)
    except CommandError as exc:
        raise http_error(exc) from exc
    await step.session.commit()
    return ProposalPublic.of(step.proposal)


STEP_RESPONSES = NOT_FOUND | {409: CONFLICT[409] | {
    "description": "The proposal's stage does not allow this command, or what it needs is missing "
                   "(the DPRD's decision before a PKS, a partner region enabled on Jalin)."}}


def add_command_route(path: str, name: str, command: str, model: type[BaseModel] | None, description: str,
                      summary: str) -> None:
    """``POST {path}`` makes ``command``. Its body is ``model`` (required when the model has
    required fields, else optional), or none when ``model`` is None."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("step", kw, annotation=Annotated[Step, Depends(step_to(command))]),
        inspect.Parameter("principal", kw, annotation=CurrentPrincipal),
        inspect.Parameter("runtime", kw, annotation=Runtime),
    ]
    if model is not None:
        required = any(f.is_required() for f in model.model_fields.values())
        annotation = Annotated[model, Body()] if required else Annotated[model | None, Body()]
        params.append(inspect.Parameter("body", kw, annotation=annotation, default=inspect.Parameter.empty if required else None))

    async def endpoint(*, step: Step, principal: Principal, runtime: ServiceRuntime, body: BaseModel | None = None) -> Any:
        return await _carry(step, principal, runtime, body if body is not None else body_model(command)())

    endpoint.__signature__ = inspect.Signature(params, return_annotation=ProposalPublic)  # type: ignore[attr-defined]
    endpoint.__doc__ = description
    router.add_api_route(
        path, endpoint, methods=["POST"], response_model=ProposalPublic, responses=STEP_RESPONSES,
        name=name, summary=summary,
    )


for _command in lifecycle_commands():
    add_command_route(
        f"/{{proposal_id}}/actions/{_command}", f"command_{_command}", _command, body_model(_command),
        f"Make the lifecycle step ``{_command}`` (docs/lifecycle.md; GET .../actions lists what the caller may do "
        f"now). Body: {body_model(_command).__name__}. 409 when the stage does not allow it, 403 when the roles "
        "or the side (owner, partner) do not.",
        f"Lifecycle command {_command}",
    )


@router.post("/{proposal_id}/actions/{command}", include_in_schema=False)
async def no_such_command(proposal_id: str, command: str) -> None:
    """After every command's own route: any other command is none (404, in words)."""
    raise HTTPException(404, f"no lifecycle command {command[:40]!r}: GET /v1/proposals/{{id}}/actions lists "
                             "what you may do now")


add_command_route("/{proposal_id}/submit", "submit_proposal", "submit", None, "Shortcut for ``actions/submit`` (no body).",
                  "Submit (shortcut)")
add_command_route("/{proposal_id}/approve", "approve_proposal", "approve", ApproveRequest,
                  "Shortcut for ``actions/approve``: the KB draft, notices, the offer and the evaluation plan follow.",
                  "Approve (shortcut)")
add_command_route("/{proposal_id}/reject", "reject_proposal", "reject", RejectRequest, "Shortcut for ``actions/reject``.",
                  "Reject (shortcut)")


@router.post("/{proposal_id}/comments", status_code=201, response_model=ProposalPublic, responses=NOT_FOUND)
async def comment(
    proposal_id: ObjectId, body: CommentRequest, principal: CurrentPrincipal, runtime: Runtime
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
