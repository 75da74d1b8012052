"""Terms: calendar months, clamped to the month's end, and the per-tenant maximum."""

from __future__ import annotations

from datetime import date

import pytest
from jalin_proposals.terms import add_months, term_end, validate_term

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
