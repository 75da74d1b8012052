"""Each service's AsyncAPI document: the event contract for external systems.

``faststream docs gen --factory jalin_<service>.contract:asyncapi_app`` renders it;
``docs/events/<service>.json`` holds the committed copy, checked in CI.
"""

from __future__ import annotations

from collections.abc import Sequence

from faststream import FastStream
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from jalin_kit.consumers import EventConsumers
from jalin_kit.events.catalogue import IntegrationEvent
from jalin_kit.events.stream import JALIN_STREAM
from jalin_kit.settings import ServiceSettings

HEADERS_NOTE = (
    "CloudEvents 1.0, NATS binary mode: attributes in headers ce-id (= Nats-Msg-Id), "
    "ce-source, ce-type, ce-specversion, ce-time, ce-subject, ce-tenantid, "
    "ce-correlationid; the payload is the JSON data. The subject's second token is the tenant."
)


def asyncapi_app(
    service: str,
    description: str,
    *,
    consumers: EventConsumers | None,
    publishes: Sequence[type[IntegrationEvent]],
) -> FastStream:
    broker = NatsBroker(description=HEADERS_NOTE)
    if consumers is not None:
        broker.include_router(consumers.build_router(ServiceSettings.model_construct()))
    for event_cls in publishes:
        broker.publisher(
            event_cls.subject_pattern().replace(".*.", ".{tenant}.", 1),
            stream=JALIN_STREAM,
            title=f"{event_cls.ce_type()}",
            description=(event_cls.__doc__ or "").strip() or None,
            schema=event_cls,
        )
    spec = AsyncAPI(
        broker,
        title=f"Jalin {service} events",
        version="1.0.0",
        description=description,
    )
    return FastStream(broker, specification=spec)
