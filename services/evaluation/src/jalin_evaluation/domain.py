"""Evaluation planning rules: monev rounds and expiry reminders. No I/O.

Defaults from practice (DOMAIN.md): monev at least twice per budget year (Kota
Yogyakarta), reminders 90/60/30/7/0 days before the term ends (Kota Samarinda);
both are per-tenant configuration.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


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
