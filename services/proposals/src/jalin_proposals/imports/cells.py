"""A register's cells as values: text, dates as officials write them, terms in months.

A cell comes from a CSV (always text) or an XLSX sheet (text, numbers, booleans, dates).
What cannot be read raises ``ValueError`` with words that say what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

from jalin_proposals import terms

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), ("y", "m", "d")),
)
MONTHS: Mapping[str, int] = MappingProxyType({
    name: i + 1
    for i, names in enumerate((
        ("januari", "january", "jan"), ("februari", "pebruari", "february", "feb", "peb"), ("maret", "march", "mar"),
        ("april", "apr"), ("mei", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
        ("agustus", "august", "agu", "agt", "aug"), ("september", "sept", "sep"),
        ("oktober", "october", "okt", "oct"), ("november", "nopember", "nov", "nop"),
        ("desember", "december", "des", "dec"),
    ))
    for name in names
})
"""Month names and abbreviations, Indonesian (old spellings too) and English."""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str | None:
    """A cell as the text it shows, stripped; ``None`` when blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "ya" if value else "tidak"
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    elif isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def parse_date(value: Any) -> date:
    """A date from a cell: ISO yyyy-mm-dd, dd/mm/yyyy (also with - or .), '15 Maret 2023',
    an Excel date cell, or an Excel serial number. ``ValueError`` names what is accepted."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = float(value)
        if 20000 <= serial <= 80000 and serial.is_integer():
            return EXCEL_EPOCH + timedelta(days=int(serial))
        raise ValueError(f"'{cell_text(value)}' is not a date: write yyyy-mm-dd or dd/mm/yyyy")
    text = (cell_text(value) or "").lower()
    text = re.sub(r"\s+00:00(:00)?$", "", text)  # a date exported with a zero time
    for pattern, order in DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            return _date(parts["y"], parts["m"], parts["d"], text)
    m = re.fullmatch(r"(\d{1,2})[\s\-]+([a-z]+)\.?[\s\-]+(\d{4})", text)
    if m and m.group(2) in MONTHS:
        return _date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)), text)
    if re.fullmatch(r"\d{5}", text):
        return parse_date(int(text))
    raise ValueError(f"'{cell_text(value)}' is not a date: write yyyy-mm-dd or dd/mm/yyyy")


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date (day {day}, month {month}, year {year})") from None


def parse_months(value: Any) -> int:
    """A term in whole months, 1 to 600 ('36', '36 bulan', an Excel number 36.0)."""
    text = cell_text(value) or ""
    m = re.fullmatch(r"(\d+)(?:[.,]0+)?\s*(bulan|bln|months?)?", text.lower())
    if not m or not 1 <= int(m.group(1)) <= 600:
        raise ValueError(f"'{text}' is not a whole number of months between 1 and 600")
    return int(m.group(1))


def months_between(start: date, end: date) -> int:
    """The term in whole months that ``end`` closes: the smallest m with start + m months ≥ end
    (a term 'of five years' ends on the same day or the day before, five years later)."""
    months = max(1, (end.year - start.year) * 12 + end.month - start.month - 1)
    while terms.add_months(start, months) < end:
        months += 1
    while months > 1 and terms.add_months(start, months - 1) >= end:
        months -= 1
    return months
