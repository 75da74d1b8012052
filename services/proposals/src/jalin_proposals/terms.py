"""Terms of a cooperation: calendar months and the per-tenant maximum (5 years by default)."""

from __future__ import annotations

import calendar
from datetime import date


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
