"""Evaluation planning rules, without I/O: monev rounds, expiry reminders, and the plan a
cooperation's lifecycle calls for."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from jalin_evaluation.domain import (
    Effect,
    Fact,
    PlannedReminder,
    PlannedRound,
    PlanState,
    PlanStatus,
    due_reminders,
    fold,
    plan_reminders,
    plan_rounds,
)

START = date(2026, 11, 23)
END = date(2028, 11, 23)  # 24 months
OFFSETS = [90, 60, 30, 7, 0]


def test_two_rounds_a_year_over_24_months_are_due_at_each_semester_end_and_the_term_end() -> None:
    rounds = plan_rounds(START, END, 2)
    assert [r.due_on for r in rounds] == [
        date(2026, 12, 31),
        date(2027, 6, 30),
        date(2027, 12, 31),
        date(2028, 6, 30),
        date(2028, 11, 23),
    ]
    assert [r.number for r in rounds] == [1, 2, 3, 4, 5]
    assert [(r.budget_year, r.period) for r in rounds] == [
        (2026, 2),
        (2027, 1),
        (2027, 2),
        (2028, 1),
        (2028, 2),
    ]
    assert rounds[0].period_start == START  # the first period starts with the term, not on 1 July
    assert [r.period_start for r in rounds[1:]] == [
        date(2027, 1, 1),
        date(2027, 7, 1),
        date(2028, 1, 1),
        date(2028, 7, 1),
    ]


@pytest.mark.parametrize("rounds_per_year", [0, -2, 5, 7, 8, 24])
def test_rounds_per_year_that_does_not_divide_the_year_raises(rounds_per_year: int) -> None:
    with pytest.raises(ValueError, match="rounds_per_year"):
        plan_rounds(START, END, rounds_per_year)


def test_term_ending_before_it_starts_raises() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        plan_rounds(END, START, 2)


@pytest.mark.parametrize(
    ("per_year", "expected_dues"),
    [
        (1, [date(2026, 12, 31), date(2027, 12, 31), date(2028, 11, 23)]),
        (
            4,
            [
                date(2026, 12, 31),
                date(2027, 3, 31),
                date(2027, 6, 30),
                date(2027, 9, 30),
                date(2027, 12, 31),
                date(2028, 3, 31),
                date(2028, 6, 30),
                date(2028, 9, 30),
                date(2028, 11, 23),
            ],
        ),
        (
            3,
            [
                date(2026, 12, 31),
                date(2027, 4, 30),
                date(2027, 8, 31),
                date(2027, 12, 31),
                date(2028, 4, 30),
                date(2028, 8, 31),
                date(2028, 11, 23),
            ],
        ),
    ],
)
def test_rounds_follow_the_budget_year_periods(per_year: int, expected_dues: list[date]) -> None:
    assert [r.due_on for r in plan_rounds(START, END, per_year)] == expected_dues


def test_monthly_rounds_end_on_each_month_end_including_leap_february() -> None:
    rounds = plan_rounds(date(2028, 1, 15), date(2028, 4, 15), 12)
    assert [r.due_on for r in rounds] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 15),
    ]
    assert rounds[0].period_start == date(2028, 1, 15)


def test_every_round_lies_within_the_term_and_numbers_are_consecutive() -> None:
    for per_year in (1, 2, 3, 4, 6, 12):
        rounds = plan_rounds(date(2025, 2, 28), date(2030, 2, 28), per_year)
        assert [r.number for r in rounds] == list(range(1, len(rounds) + 1))
        for r in rounds:
            assert date(2025, 2, 28) <= r.period_start <= r.due_on <= date(2030, 2, 28)


def test_one_day_term_still_gets_one_round() -> None:
    assert plan_rounds(START, START, 2) == [
        PlannedRound(number=1, budget_year=2026, period=2, period_start=START, due_on=START)
    ]


def test_reminders_fall_90_60_30_7_and_0_days_before_the_end() -> None:
    assert plan_reminders(START, END, OFFSETS) == [
        PlannedReminder(90, date(2028, 8, 25)),
        PlannedReminder(60, date(2028, 9, 24)),
        PlannedReminder(30, date(2028, 10, 24)),
        PlannedReminder(7, date(2028, 11, 16)),
        PlannedReminder(0, END),
    ]


def test_reminders_are_ordered_by_offset_and_deduplicated_whatever_the_configuration_order() -> None:
    got = plan_reminders(START, END, [0, 7, 30, 90, 60, 30, 0])
    assert [r.days_before_end for r in got] == [90, 60, 30, 7, 0]


def test_no_reminder_falls_before_the_term_starts() -> None:
    start, end = date(2026, 11, 23), date(2026, 12, 23)  # a one-month term
    got = plan_reminders(start, end, OFFSETS)
    assert got == [
        PlannedReminder(30, date(2026, 11, 23)),  # on the first day: kept
        PlannedReminder(7, date(2026, 12, 16)),
        PlannedReminder(0, end),
    ]
    assert all(r.due_on >= start for r in got)


def test_reminder_a_day_before_the_start_is_dropped() -> None:
    start = END - timedelta(days=29)
    assert [r.days_before_end for r in plan_reminders(start, END, [30, 29])] == [29]


def test_negative_offsets_are_ignored() -> None:
    assert plan_reminders(START, END, [-7, 0]) == [PlannedReminder(0, END)]


def test_empty_offsets_plan_no_reminders() -> None:
    assert plan_reminders(START, END, []) == []


# -- fold: the plan a cooperation's lifecycle calls for ---------------------------------------

T = datetime(2026, 11, 23, tzinfo=UTC)
APPROVE = Fact(Effect.APPROVE, T, term_start=date(2026, 12, 1), term_end=date(2028, 12, 1))
SIGN = Fact(Effect.START, T + timedelta(days=80), term_start=date(2027, 3, 1), term_end=date(2029, 3, 1),
            signed_on=date(2027, 2, 10), agreement_id="pks-1")
AMEND = Fact(Effect.AMEND, T + timedelta(days=500), term_end=date(2029, 9, 1), signed_on=date(2028, 4, 1),
             under_way=True, agreement_id="add-1")
ENDING = Fact(Effect.CLOSE, T + timedelta(days=700), reason="mutual_agreement", note="surat 12")
REJECT = Fact(Effect.CANCEL, T + timedelta(days=10), reason="rejected", note="belum jelas")


def test_nothing_known_plans_nothing() -> None:
    assert fold([]) is None


def test_approval_is_provisional_on_the_planned_term() -> None:
    assert fold([APPROVE]) == PlanState(PlanStatus.PROVISIONAL, date(2026, 12, 1), date(2028, 12, 1))


def test_signing_makes_it_active_on_the_agreements_term() -> None:
    assert fold([APPROVE, SIGN]) == PlanState(
        PlanStatus.ACTIVE, date(2027, 3, 1), date(2029, 3, 1), agreement_id="pks-1"
    )


def test_an_agreement_without_term_start_runs_from_its_signing_date() -> None:
    sign = replace(SIGN, term_start=None)
    assert fold([sign]) == PlanState(PlanStatus.ACTIVE, date(2027, 2, 10), date(2029, 3, 1), agreement_id="pks-1")


def test_signing_without_a_term_keeps_the_planned_one() -> None:
    bare = Fact(Effect.START, SIGN.occurred_at)
    assert fold([APPROVE, bare]) == PlanState(PlanStatus.ACTIVE, date(2026, 12, 1), date(2028, 12, 1))
    assert fold([bare]) is None


def test_an_addendum_moves_the_end_and_keeps_the_start() -> None:
    assert fold([APPROVE, SIGN, AMEND]) == PlanState(
        PlanStatus.ACTIVE, date(2027, 3, 1), date(2029, 9, 1), agreement_id="add-1"
    )


def test_an_addendum_of_an_agreement_not_under_way_plans_nothing_new() -> None:
    kb_addendum = replace(AMEND, under_way=False, occurred_at=T + timedelta(days=5))
    assert fold([kb_addendum]) is None
    assert fold([APPROVE, kb_addendum]) == PlanState(PlanStatus.PROVISIONAL, date(2026, 12, 1), date(2029, 9, 1), agreement_id="add-1")


def test_an_end_closes_with_its_reason_and_is_final() -> None:
    closed = PlanState(PlanStatus.CLOSED, date(2027, 3, 1), date(2029, 9, 1), "mutual_agreement", "surat 12", "add-1")
    assert fold([APPROVE, SIGN, AMEND, ENDING]) == closed
    later = Fact(Effect.START, T + timedelta(days=900), term_start=date(2029, 9, 1), term_end=date(2031, 9, 1))
    assert fold([APPROVE, SIGN, AMEND, ENDING, later, replace(APPROVE, occurred_at=T + timedelta(days=901))]) == closed


def test_the_order_of_arrival_does_not_matter() -> None:
    facts = [APPROVE, SIGN, AMEND, ENDING]
    assert {fold(list(p)) for p in itertools.permutations(facts)} == {fold(facts)}


def test_an_end_or_rejection_with_nothing_planned_before_it_plans_nothing() -> None:
    assert fold([ENDING]) is None
    assert fold([REJECT]) is None
    assert fold([ENDING, replace(SIGN, occurred_at=ENDING.occurred_at + timedelta(days=1))]) is None


def test_a_rejection_cancels_and_a_later_approval_revives() -> None:
    assert fold([APPROVE, replace(REJECT, occurred_at=T + timedelta(days=20))]) == PlanState(
        PlanStatus.CANCELLED, date(2026, 12, 1), date(2028, 12, 1), "rejected", "belum jelas"
    )
    again = replace(APPROVE, occurred_at=T + timedelta(days=40), term_start=date(2027, 2, 1), term_end=date(2029, 2, 1))
    assert fold([APPROVE, replace(REJECT, occurred_at=T + timedelta(days=20)), again]) == PlanState(
        PlanStatus.PROVISIONAL, date(2027, 2, 1), date(2029, 2, 1)
    )
    assert fold([REJECT, again]) == PlanState(PlanStatus.PROVISIONAL, date(2027, 2, 1), date(2029, 2, 1))


def test_an_approval_never_undoes_a_signing() -> None:
    late_approval = replace(APPROVE, occurred_at=SIGN.occurred_at + timedelta(days=1))
    assert fold([SIGN, late_approval]) == fold([SIGN])


def test_reminders_already_past_are_not_planned() -> None:
    got = due_reminders(START, END, OFFSETS, today=date(2028, 10, 24))
    assert got == [PlannedReminder(30, date(2028, 10, 24)), PlannedReminder(7, date(2028, 11, 16)), PlannedReminder(0, END)]
    assert due_reminders(START, END, OFFSETS, today=date(2028, 11, 24)) == []
