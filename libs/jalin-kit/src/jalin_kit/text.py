"""Text (and days) that clients send, checked exactly as the OpenAPI schema states it.

A value is taken as sent: nothing is stripped before its length is counted (a comment
padded with blanks once passed a limit it broke). The rule is one regular expression,
``TEXT_PATTERN``, written into the schema and applied here with ``fullmatch``: no control
character but tab and line breaks, no whitespace at either end, not empty. The lengths
(``min_length``/``max_length`` on the field) count the value as sent.

Pydantic's own message for a pattern quotes the expression; ``text_problem`` says in words
what is wrong ("must not begin or end with whitespace"), for the people who read it.

Usage: ``title: Text = Field(min_length=3, max_length=200)``; ``note: Text | None = Field(None, max_length=2000)``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
"""Control characters refused anywhere (tab, line feed and carriage return are allowed inside)."""

UNICODE_SPACES = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The whitespace beyond ASCII that Python's ``str.strip`` removes: refused at either end."""

_END = f"[^\\x00-\\x20\\x7f{UNICODE_SPACES}]"
_INSIDE = "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
TEXT_BODY = f"{_END}(?:{_INSIDE}*{_END})?"
TEXT_PATTERN = f"^{TEXT_BODY}$"
"""For the schema. Character classes only, so JSON Schema validators, Python's ``re`` and
pydantic's Rust engine read it alike (``\\s`` differs between them)."""

_TEXT = re.compile(TEXT_BODY)
_CONTROL = re.compile(f"[{CONTROL}]")


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable text, in words; None when it is."""
    if _TEXT.fullmatch(value):
        return None
    if _CONTROL.search(value):
        return "must not contain control characters (tab and line breaks are allowed)"
    if not value.strip():
        return "must not be blank"
    return "must not begin or end with whitespace"


Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
"""A text field: no control characters but tab and line breaks, no whitespace at the ends.
Pydantic checks the lengths, then the pattern, as the schema says; ``text_problem`` puts a
refusal of the pattern into words (the API's 422 handler uses it)."""


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day(value: object) -> object:
    """A day is sent as ``YYYY-MM-DD`` (pydantic alone would also take a number of seconds
    or a midnight timestamp, which the schema's ``format: date`` does not allow)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar day as clients send it: the text ``YYYY-MM-DD`` and nothing else."""


def search_words(q: str | None, most: int = 200) -> str:
    """A search box's text as it is looked for: blanks collapsed, bounded."""
    return " ".join((q or "").split())[:most]


def like_pattern(words: str) -> str:
    """``%words%`` for ``ilike(..., escape="\\\\")``: the words' own ``%``, ``_`` and ``\\`` are text."""
    return "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(column: Any, words: str) -> Any:
    """``column`` holds ``words`` (case aside; their own ``%`` and ``_`` are text)."""
    return column.ilike(like_pattern(words), escape="\\")
