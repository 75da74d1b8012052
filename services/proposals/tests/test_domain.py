"""The proposal lifecycle's rules, without I/O: every (status, action) pair, roles, term dates."""

from __future__ import annotations

from datetime import date

import pytest
from jalin_kit.auth import ROLES
from jalin_proposals.domain import (
    ALLOWED_ROLES,
    DECIDERS,
    PROPOSERS,
    Action,
    NotAllowed,
    ProposalStatus,
    TransitionError,
    add_months,
    check_role,
    decide,
    next_status,
    term_end,
    validate_term,
)

S = ProposalStatus
A = Action

LEGAL: dict[tuple[ProposalStatus, Action], ProposalStatus] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.REJECTED, A.EDIT): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
}
# CREATE has no "from" status: a proposal is born a draft by the API, never by a transition.
TRANSITION_ACTIONS = [A.EDIT, A.SUBMIT, A.APPROVE, A.REJECT]
ILLEGAL = [(s, a) for s in S for a in TRANSITION_ACTIONS if (s, a) not in LEGAL]


def actor_for(action: Action) -> frozenset[str]:
    """A role set that may perform ``action``, so only the status decides."""
    return frozenset({"opd_staff"}) if action in (A.CREATE, A.EDIT, A.SUBMIT) else frozenset({"kerja_sama"})


@pytest.mark.parametrize(("status", "action"), list(LEGAL), ids=lambda v: str(v))
def test_legal_transition_gives_expected_status(status: ProposalStatus, action: Action) -> None:
    assert next_status(status, action) is LEGAL[(status, action)]
    assert decide(status, action, actor_for(action)) is LEGAL[(status, action)]


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_transition_raises_transition_error_naming_action_and_status(
    status: ProposalStatus, action: Action
) -> None:
    with pytest.raises(TransitionError) as info:
        decide(status, action, actor_for(action))
    assert str(info.value) == f"cannot {action.value} a proposal that is {status.value}"


@pytest.mark.parametrize("status", list(S), ids=str)
def test_create_is_never_a_transition_from_any_status(status: ProposalStatus) -> None:
    with pytest.raises(TransitionError):
        next_status(status, A.CREATE)


def test_illegal_pairs_cover_every_other_status_action_combination() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(S) * len(TRANSITION_ACTIONS)
    assert {(s, a) for s in S for a in TRANSITION_ACTIONS if (s, a) in LEGAL} == set(LEGAL)
    assert ILLEGAL  # e.g. approving a draft, editing an approved proposal
    assert (S.DRAFT, A.APPROVE) in ILLEGAL and (S.APPROVED, A.EDIT) in ILLEGAL


def test_approved_is_terminal() -> None:
    for action in Action:
        with pytest.raises(TransitionError):
            next_status(S.APPROVED, action)


ROLE_CASES = [(action, role, role in ALLOWED_ROLES[action]) for action in Action for role in sorted(ROLES)]


@pytest.mark.parametrize(("action", "role", "allowed"), ROLE_CASES, ids=lambda v: str(v))
def test_each_role_is_allowed_exactly_the_actions_of_its_group(
    action: Action, role: str, allowed: bool
) -> None:
    expected = PROPOSERS if action in (A.CREATE, A.EDIT, A.SUBMIT) else DECIDERS
    assert (role in expected) is allowed
    if allowed:
        check_role(action, {role})
    else:
        with pytest.raises(NotAllowed) as info:
            check_role(action, {role})
        assert action.value in str(info.value)
        for needed in expected:
            assert needed in str(info.value)


def test_proposers_and_deciders_are_disjoint_and_cover_expected_roles() -> None:
    assert PROPOSERS == {"opd_staff", "opd_head"}
    assert DECIDERS == {"kerja_sama", "tkksd", "sekda"}
    assert not PROPOSERS & DECIDERS
    assert set(ALLOWED_ROLES) == set(Action)


def test_no_roles_at_all_is_not_allowed_anything() -> None:
    for action in Action:
        with pytest.raises(NotAllowed):
            check_role(action, frozenset())


def test_one_matching_role_among_others_is_enough() -> None:
    check_role(A.APPROVE, {"auditor", "opd_staff", "sekda"})
    check_role(A.SUBMIT, frozenset({"dprd", "opd_head"}))


@pytest.mark.parametrize("status", list(S), ids=str)
def test_decide_checks_role_before_status(status: ProposalStatus) -> None:
    # An opd_staff approving gets NotAllowed even where approval is impossible anyway (403 before 409).
    with pytest.raises(NotAllowed):
        decide(status, A.APPROVE, {"opd_staff"})
    with pytest.raises(NotAllowed):
        decide(status, A.SUBMIT, {"kerja_sama"})


def test_platform_admin_may_not_act_on_proposals() -> None:
    for action in Action:
        with pytest.raises(NotAllowed):
            check_role(action, {"platform_admin"})


# -- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped to February's last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day + a year: no 29 Feb 2025
        (date(2024, 2, 29), 48, date(2028, 2, 29)),  # leap day + four years: leap again
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 11, 23), 24, date(2028, 11, 23)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # year rollover
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 1, 1), 60, date(2031, 1, 1)),
        (date(2026, 10, 31), 120, date(2036, 10, 31)),
    ],
    ids=str,
)
def test_add_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_jan_31_plus_one_month_is_last_day_of_february() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2100, 1, 31), 1) == date(2100, 2, 28)  # 2100 is not a leap year
    assert add_months(date(2000, 1, 31), 1) == date(2000, 2, 29)  # 2000 is


def test_add_months_over_every_month_of_a_year_keeps_day_when_possible() -> None:
    for m in range(0, 36):
        result = add_months(date(2026, 1, 28), m)
        assert result.day == 28
        assert (result.year - 2026) * 12 + result.month - 1 == m


def test_term_end_is_start_plus_term_months() -> None:
    assert term_end(date(2026, 11, 23), 24) == date(2028, 11, 23)
    assert term_end(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert term_end(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.parametrize("months", [1, 2, 24, 59, 60])
def test_validate_term_accepts_1_to_max(months: int) -> None:
    assert validate_term(months, 60) is None


@pytest.mark.parametrize("months", [0, -1, -60])
def test_validate_term_rejects_less_than_one_month(months: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        validate_term(months, 60)


@pytest.mark.parametrize(("months", "maximum"), [(61, 60), (600, 60), (13, 12)])
def test_validate_term_rejects_over_tenant_maximum_with_the_maximum_in_message(
    months: int, maximum: int
) -> None:
    with pytest.raises(ValueError) as info:
        validate_term(months, maximum)
    assert f"{months}" in str(info.value)
    assert f"maximum of {maximum} months" in str(info.value)
