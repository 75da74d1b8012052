"""The proposal lifecycle's rules: no I/O, tested in microseconds.

First slice of the KSD lifecycle (DOMAIN.md): an OPD drafts a proposal (usulan),
submits it, and the cooperation section, the TKKSD or the Sekda approves or rejects
it. A rejected proposal can be revised, which brings it back to draft.
"""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProposalKind(StrEnum):
    KSDD = "ksdd"  # with another region
    KSDPK = "ksdpk"  # with a third party
    KSDPL = "ksdpl"  # with a foreign government
    KSDLL = "ksdll"  # with a foreign institution
    PUSAT = "pusat"  # with the central government


class Action(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"


PROPOSERS = frozenset({"opd_staff", "opd_head"})
DECIDERS = frozenset({"kerja_sama", "tkksd", "sekda"})

ALLOWED_ROLES: dict[Action, frozenset[str]] = {
    Action.CREATE: PROPOSERS,
    Action.EDIT: PROPOSERS,
    Action.SUBMIT: PROPOSERS,
    Action.APPROVE: DECIDERS,
    Action.REJECT: DECIDERS,
}

TRANSITIONS: dict[tuple[ProposalStatus, Action], ProposalStatus] = {
    (ProposalStatus.DRAFT, Action.EDIT): ProposalStatus.DRAFT,
    (ProposalStatus.REJECTED, Action.EDIT): ProposalStatus.DRAFT,
    (ProposalStatus.DRAFT, Action.SUBMIT): ProposalStatus.SUBMITTED,
    (ProposalStatus.SUBMITTED, Action.APPROVE): ProposalStatus.APPROVED,
    (ProposalStatus.SUBMITTED, Action.REJECT): ProposalStatus.REJECTED,
}


class TransitionError(Exception):
    """The action is not possible in the proposal's current status."""


class NotAllowed(Exception):
    """The caller's roles do not permit the action."""


def check_role(action: Action, roles: frozenset[str] | set[str]) -> None:
    allowed = ALLOWED_ROLES[action]
    if not allowed.intersection(roles):
        raise NotAllowed(f"{action.value} needs one of the roles: {', '.join(sorted(allowed))}")


def next_status(status: ProposalStatus, action: Action) -> ProposalStatus:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(
            f"cannot {action.value} a proposal that is {status.value}"
        ) from None


def decide(status: ProposalStatus, action: Action, roles: frozenset[str] | set[str]) -> ProposalStatus:
    """The status after ``action`` by a holder of ``roles``, or an error saying why not."""
    check_role(action, roles)
    return next_status(status, action)


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the month's last day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def term_end(start: date, months: int) -> date:
    return add_months(start, months)


def validate_term(months: int, max_months: int) -> None:
    if months < 1:
        raise ValueError("term_months must be at least 1")
    if months > max_months:
        raise ValueError(
            f"term_months {months} exceeds this region's maximum of {max_months} months "
            "(extend by running the procedure again)"
        )
