"""CloudEvents 1.0 in NATS binary mode.

Attributes travel in ``ce-`` headers, the JSON data is the payload, and ``ce-id`` is
also the ``Nats-Msg-Id`` so that JetStream drops a re-published duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from jalin_kit.errors import OperatorSafe
from jalin_kit.identifiers import SUBJECT_TOKEN

SPEC_VERSION = "1.0"
TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")
"""W3C trace context, version 00, as it may travel on the bus (anything else is dropped)."""


class EnvelopeError(OperatorSafe, ValueError):
    """A message whose CloudEvents headers are missing or malformed (the message names
    headers and their values, never the payload)."""


def check_token(value: str, what: str) -> str:
    if not SUBJECT_TOKEN.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a valid subject token (lowercase, digits, '-')")
    return value


def subject_for(tenant: str, aggregate: str, event: str) -> str:
    """``jalin.<tenant>.<aggregate>.<event>``: the tenant first, so permissions go per tenant."""
    for token, what in ((tenant, "tenant"), (aggregate, "aggregate"), (event, "event")):
        check_token(token, what)
    return f"jalin.{tenant}.{aggregate}.{event}"


SHARED = "shared"
"""The token after the partner's in a shared copy's subject (no aggregate is called so)."""


def shared_subject(partner: str, owner: str, aggregate: str, event: str) -> str:
    """``jalin.<partner>.shared.<owner>.<aggregate>.<event>``: the copy of an owner's event
    for the partner region of a shared cooperation. Under the partner's own prefix, so its
    external systems get it with the rest of ``jalin.<partner>.>``; six tokens, so no
    service's consumer (``jalin.*.<aggregate>.<event>``) takes it for an event to act on."""
    for token, what in ((partner, "partner"), (owner, "owner"), (aggregate, "aggregate"), (event, "event")):
        check_token(token, what)
    return f"jalin.{partner}.{SHARED}.{owner}.{aggregate}.{event}"


@dataclass(frozen=True, slots=True)
class CloudEvent:
    id: str
    source: str
    type: str
    subject: str
    tenant_id: str
    correlation_id: str
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    traceparent: str | None = None
    """The CloudEvents distributed-tracing extension: the W3C trace context of the span that
    recorded the event (``ce-traceparent``); absent when nothing was traced."""

    def headers(self) -> dict[str, str]:
        headers = {
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.id,
            "ce-source": self.source,
            "ce-type": self.type,
            "ce-subject": self.subject,
            "ce-time": self.time.isoformat(),
            "ce-tenantid": self.tenant_id,
            "ce-correlationid": self.correlation_id,
            "content-type": self.datacontenttype,
            "Nats-Msg-Id": self.id,
        }
        if self.traceparent:
            headers["ce-traceparent"] = self.traceparent
        return headers

    @classmethod
    def from_headers(cls, headers: dict[str, str] | None) -> CloudEvent:
        headers = headers or {}
        missing = [
            name
            for name in ("ce-id", "ce-source", "ce-type", "ce-specversion", "ce-tenantid")
            if not headers.get(name)
        ]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if headers["ce-specversion"] != SPEC_VERSION:
            raise EnvelopeError(f"unsupported ce-specversion {headers['ce-specversion']!r}")
        raw_time = headers.get("ce-time")
        try:
            when = datetime.fromisoformat(raw_time) if raw_time else datetime.now(UTC)
        except ValueError as exc:
            raise EnvelopeError(f"bad ce-time {raw_time!r}") from exc
        return cls(
            id=headers["ce-id"],
            source=headers["ce-source"],
            type=headers["ce-type"],
            subject=headers.get("ce-subject", ""),
            tenant_id=headers["ce-tenantid"],
            correlation_id=headers.get("ce-correlationid") or headers["ce-id"],
            time=when,
            datacontenttype=headers.get("content-type", "application/json"),
            # A malformed trace context is dropped, never a reason to refuse the event.
            traceparent=headers.get("ce-traceparent") if TRACEPARENT.fullmatch(headers.get("ce-traceparent") or "") else None,
        )
