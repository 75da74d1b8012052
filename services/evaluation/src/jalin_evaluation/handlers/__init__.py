"""Event handlers: the evaluation plan follows the cooperation's lifecycle.

- ``proposal.approved``: a provisional plan on the proposal's planned term (reminders held).
- ``agreement.pks-signed`` / ``signed`` (foreign) / ``work-plan-adopted`` (central
  government) / ``imported`` (a legacy agreement in pelaksanaan): the plan follows the
  agreement's term and is active — created, or re-planned.
- ``agreement.amended`` with a new term end: re-planned.
- ``agreement.terminated`` / ``completed`` / ``expired``: closed; ``proposal.rejected`` /
  ``proposal.offer-declined``: cancelled. Pending reminders are cancelled either way.

Every event is recorded as a :class:`LifecycleEvent` and the plan is recomputed from all
of them in the order they happened (:func:`fold`): the consumers of the different events
run independently, so their order of arrival means nothing.

``facts``: what each event means; ``plan``: recording it and bringing the plan in line;
here: the registrations (:func:`build_consumers`, one set per app).
"""

from __future__ import annotations

from collections.abc import Callable

from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.events import STEP_EVENTS, CooperationStep, ProposalApproved, ProposalRejected
from jalin_kit.events.catalogue import IntegrationEvent
from jalin_kit.tenants import follow_registry

from jalin_evaluation.deps import Deps
from jalin_evaluation.domain import Fact
from jalin_evaluation.handlers.facts import (
    amendment_fact,
    approval_fact,
    declined_fact,
    end_fact,
    rejection_fact,
    start_fact,
)
from jalin_evaluation.handlers.plan import apply_fact

SERVICE, SOURCE = "evaluation", "/jalin/evaluation"

__all__ = ["SERVICE", "SOURCE", "apply_fact", "build_consumers"]


async def create_plan(ctx: EventContext, event: ProposalApproved) -> None:
    """A provisional plan on the approved proposal's planned term (reminders held until the agreement is signed)."""
    await apply_fact(ctx, event, approval_fact(event))


async def cancel_on_rejection(ctx: EventContext, event: ProposalRejected) -> None:
    """The proposal will not go ahead: its plan, if any, is cancelled with the reason."""
    await apply_fact(ctx, event, rejection_fact(event))


def _register(
    consumers: EventConsumers, aggregate: str, name: str, make: Callable[[CooperationStep], Fact | None], doc: str
) -> None:
    event_cls: type[IntegrationEvent] = STEP_EVENTS[(aggregate, name)]

    async def handle(ctx: EventContext, event: CooperationStep) -> None:
        await apply_fact(ctx, event, make(event))

    handle.__doc__ = doc
    handle.__name__ = f"on_{aggregate}_{name}".replace("-", "_")
    consumers.on(event_cls)(handle)


STARTS = (
    ("pks-signed", "The PKS is signed: the plan follows its term and becomes active."),
    ("signed", "Foreign: the agreement is signed: the plan follows its term and becomes active."),
    ("work-plan-adopted", "Central government: the Rencana Kerja is adopted: the plan follows its term and becomes active."),
    ("imported", "A legacy agreement in pelaksanaan is watched like a signed one."),
)
ENDS = ("terminated", "completed", "expired")


def build_consumers(deps: Deps | None = None) -> EventConsumers:
    """This service's event handlers, fresh for one app. ``deps`` reach them as ``ctx.deps``;
    without (None), the registrations alone: the AsyncAPI document, the list of durables."""
    consumers = EventConsumers(service=SERVICE, source=SOURCE, deps=deps)
    consumers.on(ProposalApproved)(create_plan)
    consumers.on(ProposalRejected)(cancel_on_rejection)
    _register(consumers, "proposal", "offer-declined", declined_fact,
              "The partner declined the offer: the plan, if any, is cancelled.")
    for name, doc in STARTS:
        _register(consumers, "agreement", name, start_fact, doc)
    _register(consumers, "agreement", "amended", amendment_fact,
              "An addendum with a new term end: the plan is re-planned to it.")
    for name in ENDS:
        _register(consumers, "agreement", name, end_fact,
                  f"The cooperation {name}: the plan is closed, pending reminders cancelled.")
    follow_registry(consumers)  # this service's copy of the tenant registry
    return consumers
