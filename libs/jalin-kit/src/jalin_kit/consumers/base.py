"""What a consumer's pieces share: the context a handler gets, a registration, the refusal
of an event its publisher could not have sent, and the health of a durable consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nats.js import JetStreamContext
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.errors import OperatorSafe
from jalin_kit.events.catalogue import PUBLISHERS, IntegrationEvent
from jalin_kit.events.envelope import CloudEvent
from jalin_kit.events.stream import STREAM_NAME
from jalin_kit.outbox import record_event

if TYPE_CHECKING:
    from jalin_kit.consumers.service import EventConsumers


class Refused(OperatorSafe):
    """An event this consumer must not act on, whatever the retries: its publisher could
    not have published it (``ce-source`` against the subject's aggregate), or its envelope
    contradicts its subject. Dead-lettered at once, never retried."""


# The server's word that it stopped delivering a message (one per consumer of JALIN).
MAX_DELIVERIES_ADVISORIES = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{STREAM_NAME}.*"


async def consumer_health(js: JetStreamContext, consumer: str, settle_seconds: float = 1.0) -> str:
    """"ok", or "stalled" when messages wait and nobody pulls them: no pull request at the
    server, nothing in flight, no delivery progress across ``settle_seconds`` — the
    consumer that goes quiet after a broker restart (a known nats-py/FastStream failure)."""

    def suspicious(info: Any) -> bool:
        return bool(info.num_pending) and not info.num_waiting and not info.num_ack_pending

    first = await js.consumer_info(STREAM_NAME, consumer)
    if not suspicious(first):
        return "ok"
    await asyncio.sleep(settle_seconds)  # a pull loop between two fetches is not stalled
    again = await js.consumer_info(STREAM_NAME, consumer)
    if suspicious(again) and again.delivered.consumer_seq == first.delivered.consumer_seq:
        return "stalled"
    return "ok"


def check_publisher(subject: str, envelope: CloudEvent) -> None:
    """Beyond the bus's permissions: the event's publisher could have published it. Its
    ``ce-source`` is the one service that owns the subject's aggregate, and its subject names
    the tenant its envelope names."""
    tokens = subject.split(".")
    if len(tokens) != 4:
        raise Refused(f"subject {subject!r} is not jalin.<tenant>.<aggregate>.<event>")
    _, tenant, aggregate, _ = tokens
    if tenant != envelope.tenant_id:
        raise Refused(f"subject tenant {tenant!r} differs from ce-tenantid {envelope.tenant_id!r}")
    publisher = PUBLISHERS.get(aggregate)
    if envelope.source != publisher:
        raise Refused(f"ce-source {envelope.source!r} cannot publish {aggregate} events (only {publisher!r} does)")


@dataclass
class EventContext:
    """What a handler gets beside the payload: the envelope and its transaction."""

    envelope: CloudEvent
    session: AsyncSession
    consumer: str
    source: str
    prepared: Any = None
    """What the registration's ``prepare`` step returned, if it has one."""
    deps: Any = None
    """The service's run-time dependencies (its ``EventConsumers.deps``)."""

    def emit(self, payload: IntegrationEvent) -> None:
        """Record a follow-up event in the same transaction as the side effect."""
        record_event(
            self.session,
            payload,
            tenant_id=self.envelope.tenant_id,
            source=self.source,
            correlation_id=self.envelope.correlation_id,
        )


Handler = Callable[[EventContext, Any], Awaitable[None]]
Prepare = Callable[["EventConsumers", CloudEvent, Any], Awaitable[Any]]


@dataclass
class Registration:
    consumer: str
    event_cls: type[IntegrationEvent]
    handler: Handler
    description: str = ""
    prepare: Prepare | None = None
