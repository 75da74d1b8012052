"""The consumers as FastStream pull subscribers on the shared ``JALIN`` stream (never
declaring it), with explicit ack, ``AckPolicy.NACK_ON_ERROR``, ``max_deliver`` and a nak
delay that grows per delivery (a bare nak would redeliver at once). The last failed delivery
is stored as a dead letter and acked so the messages behind it flow."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.exceptions import NackMessage
from faststream.nats import ConsumerConfig, NatsRouter, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js.api import DeliverPolicy

from jalin_kit.bus import inbox_of
from jalin_kit.consumers.base import Refused, Registration, check_publisher
from jalin_kit.errors import describe_error
from jalin_kit.events.envelope import CloudEvent, EnvelopeError
from jalin_kit.events.stream import JALIN_STREAM
from jalin_kit.inbox import DeadLetter
from jalin_kit.metrics import Metrics
from jalin_kit.settings import ServiceSettings

log = structlog.get_logger(__name__)


class Wiring:
    """Mixed into :class:`~jalin_kit.consumers.EventConsumers`."""

    service: str
    registrations: dict[str, Registration]
    settings: ServiceSettings | None
    metrics: Metrics | None

    async def submit(self, reg: Registration, envelope: CloudEvent, payload: Any) -> bool:
        raise NotImplementedError

    async def store_dead_letter(self, consumer: str, subject: str, headers: dict[str, str], data: bytes,
                                error: BaseException, *, stream_seq: int | None, deliveries: int) -> DeadLetter:
        raise NotImplementedError

    def build_router(self, settings: ServiceSettings | None = None) -> NatsRouter:
        # Without settings (the AsyncAPI document): the defaults, unvalidated (no secret is needed).
        settings = settings or self.settings or ServiceSettings.model_construct()
        consumers = self
        backoff = list(settings.backoff_seconds) or [1.0]
        max_deliver = settings.max_deliver

        class DeliveryPolicy(BaseMiddleware):
            """Nak with growing delay; after the last delivery, dead-letter and ack."""

            async def consume_scope(self, call_next: Any, msg: Any) -> Any:
                raw = msg.raw_message
                meta = raw.metadata
                try:
                    return await call_next(msg)
                except NackMessage:
                    raise
                except Exception as exc:
                    if consumers.metrics is not None:
                        consumers.metrics.consumer_failed.labels(consumers.service, meta.consumer).inc()
                    delivered = meta.num_delivered
                    if delivered >= max_deliver or isinstance(exc, Refused):
                        await consumers.store_dead_letter(
                            meta.consumer,
                            raw.subject,
                            dict(raw.headers or {}),
                            raw.data,
                            exc,
                            stream_seq=meta.sequence.stream,
                            deliveries=delivered,
                        )
                        return None  # acked: the messages behind it go on
                    delay = backoff[min(delivered - 1, len(backoff) - 1)]
                    log.warning(
                        "event.failed_will_retry",
                        consumer=meta.consumer,
                        delivered=delivered,
                        retry_in=delay,
                        error=describe_error(exc),
                    )
                    raise NackMessage(delay=delay) from exc

        router = NatsRouter(middlewares=[DeliveryPolicy])
        for reg in self.registrations.values():
            router.subscriber(
                reg.event_cls.subject_pattern(),
                stream=JALIN_STREAM,
                durable=reg.consumer,
                # The messages of one pull are handled together: one transaction (EventConsumers.submit).
                pull_sub=PullSub(batch_size=settings.pull_batch_size, timeout=5.0),
                inbox_prefix=f"{inbox_of(self.service)}.".encode(),  # its own replies only (the bus's rule)
                ack_policy=AckPolicy.NACK_ON_ERROR,
                config=ConsumerConfig(
                    durable_name=reg.consumer,
                    max_deliver=max_deliver,
                    ack_wait=settings.ack_wait_seconds,
                    deliver_policy=DeliverPolicy.ALL,
                ),
                title=f"{reg.consumer}:{reg.event_cls.ce_type()}",
                description=reg.description or None,
            )(self._faststream_handler(reg))
        return router

    def _faststream_handler(self, reg: Registration) -> Callable[..., Awaitable[None]]:
        model = reg.event_cls
        consumers = self

        # The annotation is the catalogue model, so the AsyncAPI document shows the payload.
        async def handle(body: Any, msg: NatsMessage) -> None:
            try:
                envelope = CloudEvent.from_headers(dict(msg.headers or {}))
            except EnvelopeError as exc:  # no retry mends a malformed envelope
                raise Refused(str(exc)) from exc
            if envelope.type != reg.event_cls.ce_type():
                # Another version (or kind) on the same subject: not this consumer's contract.
                log.info("event.other_type_skipped", consumer=reg.consumer, event_type=envelope.type)
                return
            check_publisher(msg.raw_message.subject, envelope)
            await consumers.submit(reg, envelope, body)

        # Real objects, not the strings `from __future__ import annotations` leaves.
        handle.__annotations__ = {"body": model, "msg": NatsMessage, "return": None}
        handle.__name__ = reg.consumer.replace("-", "_")
        handle.__doc__ = reg.description or None
        return handle
