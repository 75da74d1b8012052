"""The identifiers that become subject tokens, column values and file names, matched whole.

Python's ``re.match`` with ``$`` accepts a trailing newline (``"sumbar\\n"``); a tenant id
like that passed the token check once and then made events that could never be published.
So every check here is ``fullmatch`` on an unanchored body, and the anchored form
(``.schema``) is only for JSON Schema and pydantic, whose ``$`` ends the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeGuard


@dataclass(frozen=True)
class IdPattern:
    body: str
    """The regular expression without anchors."""
    compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.body))

    @property
    def schema(self) -> str:
        """The anchored form for ``Field(pattern=...)`` and the OpenAPI document."""
        return f"^{self.body}$"

    def fullmatch(self, value: object) -> TypeGuard[str]:
        """Whether ``value`` is a string of this form (so, to the type checker, a ``str``)."""
        return isinstance(value, str) and self.compiled.fullmatch(value) is not None


TENANT_ID = IdPattern(r"[a-z0-9][a-z0-9-]{0,63}")
"""A tenant: a subject token (``jalin.<tenant>.…``), so lowercase letters, digits and ``-``."""

UNIT_ID = IdPattern(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A unit (OPD) of a tenant, e.g. ``dinkes``."""

SUBJECT_TOKEN = IdPattern(r"[a-z0-9][a-z0-9-]*")
"""One token of an event subject: a tenant, an aggregate or an event name."""

REGION_CODE = IdPattern(r"[0-9]{2}(\.[0-9]{2})?")
"""A Kemendagri region code: ``13`` (a province) or ``64.02`` (a regency or city)."""
