"""What an operator may read of a failure: its class and where it happened, not its message.

Messages carry values — pydantic's echo the payload's fields, a ``KeyError`` its key — and
the platform operator, who reads dead letters and logs, must see no tenant's content. An
exception of the kit that only ever names headers, subjects or ids says so with
``OPERATOR_SAFE`` and keeps its message.
"""

from __future__ import annotations

import traceback
from pathlib import PurePath

from pydantic import ValidationError

MAX_FIELDS = 10


class OperatorSafe(Exception):
    """An exception whose message names no tenant content (headers, subjects, ids only)."""


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    parts = PurePath(frame.filename).parts
    # From the package down: ".../site-packages/jalin_documents/handlers.py" -> "jalin_documents/handlers.py"
    for anchor in ("site-packages", "src"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor):]
            break
    return f" at {'/'.join(parts[-3:])}:{frame.lineno} in {frame.name}"


def describe_error(exc: BaseException) -> str:
    """``ValidationError of ProposalApproved: term_months (int_parsing)``, or
    ``KeyError at jalin_documents/handlers.py:120 in draft``: never a value."""
    name = type(exc).__qualname__
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        fields = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'} ({e['type']})" for e in errors[:MAX_FIELDS]]
        more = f" and {len(errors) - MAX_FIELDS} more" if len(errors) > MAX_FIELDS else ""
        return f"ValidationError of {exc.title}: {', '.join(fields)}{more}"
    if isinstance(exc, OperatorSafe):
        return f"{name}: {exc}"[:1000]
    return f"{name}{_where(exc)}"
