"""What each lifecycle event means for the plan: a :class:`Fact` (or None: nothing to do)."""

from __future__ import annotations

from datetime import UTC, datetime

from jalin_kit.events import CooperationStep, ProposalApproved, ProposalRejected
from jalin_kit.events.catalogue import ProposalSnapshot

from jalin_evaluation.domain import Effect, Fact

PELAKSANAAN = "pelaksanaan"


def aware(moment: datetime) -> datetime:
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _fact(event: ProposalSnapshot, effect: Effect, **fields: object) -> Fact:
    return Fact(effect=effect, occurred_at=aware(event.occurred_at), **fields)  # type: ignore[arg-type]


def approval_fact(event: ProposalApproved) -> Fact:
    return _fact(event, Effect.APPROVE, term_start=event.term_start, term_end=event.term_end)


def start_fact(event: CooperationStep) -> Fact | None:
    """The agreement is signed, or an existing one imported, and the cooperation is under way."""
    if event.event == "imported":
        if event.stage != PELAKSANAAN:
            return None  # imported already ended: nothing to watch
    elif event.stage not in (None, PELAKSANAAN):
        return None
    a = event.agreement
    if a is None:
        # Under way, term unknown: a provisional plan becomes active on its planned term.
        return None if event.event == "imported" else _fact(event, Effect.START)
    if a.term_end is None and event.event == "imported":
        return None
    return _fact(
        event,
        Effect.START,
        term_start=a.term_start if a.term_end is not None else None,
        term_end=a.term_end,
        signed_on=a.signed_on,
        agreement_id=a.agreement_id,
    )


def amendment_fact(event: CooperationStep) -> Fact | None:
    a = event.agreement
    if a is None or a.term_end is None:
        return None  # an addendum that leaves the term alone
    return _fact(
        event,
        Effect.AMEND,
        term_start=a.term_start,
        term_end=a.term_end,
        signed_on=a.signed_on,
        under_way=event.stage == PELAKSANAAN,
        agreement_id=a.agreement_id,
    )


_DEFAULT_END_REASON = {"completed": "objective_achieved", "expired": "term_expired", "terminated": "terminated"}


def end_fact(event: CooperationStep) -> Fact:
    reason = event.end_reason or _DEFAULT_END_REASON[event.event]
    return _fact(event, Effect.CLOSE, reason=reason, note=event.note)


def rejection_fact(event: ProposalRejected) -> Fact:
    return _fact(event, Effect.CANCEL, reason="rejected", note=event.reason or None)


def declined_fact(event: CooperationStep) -> Fact:
    return _fact(event, Effect.CANCEL, reason="offer_declined", note=event.note)

