"""Evaluation planning rules: monev rounds, expiry reminders, and how a plan follows the
cooperation's lifecycle. No I/O.

Defaults from practice (docs/domain.md): monev at least twice per budget year (Kota
Yogyakarta), reminders 90/60/30/7/0 days before the term ends (Kota Samarinda);
both are per-tenant configuration.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class PlannedRound:
    number: int
    budget_year: int
    period: int
    period_start: date
    due_on: date


@dataclass(frozen=True)
class PlannedReminder:
    days_before_end: int
    due_on: date


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def plan_rounds(term_start: date, term_end: date, rounds_per_year: int) -> list[PlannedRound]:
    """One round per period of each budget year (Jan–Dec) the term overlaps.

    The year is cut into ``rounds_per_year`` equal periods (2 → semesters); a round is
    due at its period's end, or at the term's end if that comes first.
    """
    if rounds_per_year not in (1, 2, 3, 4, 6, 12):
        raise ValueError("rounds_per_year must divide the year into whole months (1, 2, 3, 4, 6, 12)")
    if term_end < term_start:
        raise ValueError("term ends before it starts")
    months = 12 // rounds_per_year
    rounds: list[PlannedRound] = []
    for year in range(term_start.year, term_end.year + 1):
        for period in range(1, rounds_per_year + 1):
            first_month = (period - 1) * months + 1
            start = date(year, first_month, 1)
            end = _month_end(year, first_month + months - 1)
            if end < term_start or start > term_end:
                continue
            rounds.append(
                PlannedRound(
                    number=len(rounds) + 1,
                    budget_year=year,
                    period=period,
                    period_start=max(start, term_start),
                    due_on=min(end, term_end),
                )
            )
    return rounds


def plan_reminders(term_start: date, term_end: date, offsets_days: list[int]) -> list[PlannedReminder]:
    """Reminders ``offsets_days`` before the end; none before the term has begun."""
    reminders = {
        offset: term_end - timedelta(days=offset)
        for offset in sorted(set(offsets_days), reverse=True)
        if offset >= 0
    }
    return [
        PlannedReminder(days_before_end=offset, due_on=due)
        for offset, due in reminders.items()
        if due >= term_start
    ]


# -- The plan follows the cooperation's lifecycle ---------------------------------------


class PlanStatus(StrEnum):
    PROVISIONAL = "provisional"
    """Approved, agreement not signed yet: planned on the proposal's term; reminders held."""
    ACTIVE = "active"
    """The agreement is signed (or imported) and under way: the plan follows its term."""
    CLOSED = "closed"
    """The cooperation ended (terminated, completed, expired): final."""
    CANCELLED = "cancelled"
    """It will not go ahead (rejected, offer declined); a revised and re-approved proposal revives it."""


SCHEDULED = frozenset({PlanStatus.PROVISIONAL, PlanStatus.ACTIVE})
"""Statuses whose reminders are planned; only ACTIVE plans' reminders fire."""


class Effect(StrEnum):
    """What a lifecycle event means for the plan."""

    APPROVE = "approve"  # a provisional plan on the planned term
    START = "start"  # the agreement is signed or imported: under way on its term
    AMEND = "amend"  # an addendum with a new term
    CLOSE = "close"  # the cooperation ended
    CANCEL = "cancel"  # it will not go ahead


# Among facts of the same instant, the later step of the lifecycle wins.
_RANK = {Effect.CANCEL: 0, Effect.APPROVE: 1, Effect.START: 2, Effect.AMEND: 3, Effect.CLOSE: 4}


@dataclass(frozen=True)
class Fact:
    """One lifecycle event of a cooperation, as far as its plan is concerned."""

    effect: Effect
    occurred_at: datetime
    term_start: date | None = None
    term_end: date | None = None
    signed_on: date | None = None
    under_way: bool = False
    """AMEND only: the cooperation is in pelaksanaan (an addendum of a running PKS)."""
    reason: str | None = None
    note: str | None = None
    agreement_id: str | None = None
    seq: int = 0
    """Arrival order, the last tie-breaker."""


@dataclass(frozen=True)
class PlanState:
    """What the plan should be, given every fact known so far."""

    status: PlanStatus
    term_start: date
    term_end: date
    reason: str | None = None
    note: str | None = None
    agreement_id: str | None = None


def fold(facts: list[Fact]) -> PlanState | None:
    """The plan the facts call for, whatever order they arrived in; None: no plan.

    Facts are applied in the order they happened (``occurred_at``), so a late delivery
    lands where it belongs: a signing that arrives after the addendum does not undo the
    addendum's term, and an end is final — a stale signing delivered after it does not
    reopen the plan. An end or a rejection with nothing planned before it leaves no plan.
    """
    status: PlanStatus | None = None
    start: date | None = None
    end: date | None = None
    reason: str | None = None
    note: str | None = None
    agreement: str | None = None
    exists = False
    for f in sorted(facts, key=lambda f: (f.occurred_at, _RANK[f.effect], f.seq)):
        if status is PlanStatus.CLOSED:
            break  # final: nothing after an end changes the plan
        if f.effect is Effect.APPROVE:
            if status is PlanStatus.ACTIVE or f.term_start is None or f.term_end is None:
                continue  # an approval never follows the signing
            status, start, end, exists = PlanStatus.PROVISIONAL, f.term_start, f.term_end, True
            reason = note = None
        elif f.effect is Effect.START:
            if f.term_end is not None:
                start, end = f.term_start or f.signed_on or start, f.term_end
            if start is None or end is None:
                continue  # signed, but no term known at all: nothing to plan yet
            status, exists, reason, note = PlanStatus.ACTIVE, True, None, None
            agreement = f.agreement_id or agreement
        elif f.effect is Effect.AMEND:
            if f.term_end is None:
                continue
            new_start = f.term_start or start or f.signed_on
            if not exists and not f.under_way:
                continue  # an addendum of an agreement that is not under way plans nothing
            start, end, exists = new_start, f.term_end, True
            agreement = f.agreement_id or agreement
            if f.under_way:
                status, reason, note = PlanStatus.ACTIVE, None, None
        elif f.effect is Effect.CLOSE:
            status, reason, note = PlanStatus.CLOSED, f.reason, f.note
        elif f.effect is Effect.CANCEL:
            status, reason, note = PlanStatus.CANCELLED, f.reason, f.note
    if not exists or status is None or start is None or end is None:
        return None
    return PlanState(status, start, end, reason, note, agreement)


def due_reminders(
    term_start: date, term_end: date, offsets_days: list[int], today: date
) -> list[PlannedReminder]:
    """The reminders a (re)planned term still needs: none already past on ``today`` (an
    agreement imported 20 days before its end gets no "90 days left" notice)."""
    return [r for r in plan_reminders(term_start, term_end, offsets_days) if r.due_on >= today]
