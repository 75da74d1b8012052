"""Durable JetStream consumers with inbox, backoff and dead-lettering.

A service declares handlers with :meth:`EventConsumers.on`; :meth:`build_router`
turns them into FastStream pull subscribers on the shared ``JALIN`` stream (never
declaring it), with explicit ack, ``AckPolicy.NACK_ON_ERROR``, ``max_deliver`` and a
nak delay that grows per delivery (a bare nak would redeliver at once). The last
failed delivery is stored as a dead letter and acked so the messages behind it flow.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.exceptions import NackMessage
from faststream.nats import ConsumerConfig, NatsRouter, PullSub
from faststream.nats.annotations import NatsMessage
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.bus import fetch_at, inbox_of
from jalin_kit.db import Database, utcnow
from jalin_kit.errors import OperatorSafe, describe_error
from jalin_kit.events.catalogue import PUBLISHERS, IntegrationEvent
from jalin_kit.events.envelope import CloudEvent, EnvelopeError
from jalin_kit.events.stream import JALIN_STREAM, STREAM_NAME
from jalin_kit.inbox import DeadLetter, ProcessedEvent
from jalin_kit.logging import bind, unbind
from jalin_kit.metrics import Metrics
from jalin_kit.outbox import record_event
from jalin_kit.settings import ServiceSettings

log = structlog.get_logger(__name__)

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


@dataclass
class EventConsumers:
    """The event handlers of one service, built per app (a service's ``build_consumers``),
    never a module-level object: two apps in one process share nothing."""

    service: str
    source: str
    deps: Any = None
    """What the handlers need at run time (a blob store, the tenant directory...): given by
    the service when it builds its consumers, handed to each handler as ``ctx.deps`` and to a
    ``prepare`` step as ``consumers.deps``."""
    registrations: dict[str, Registration] = field(default_factory=dict)
    db: Database | None = None
    settings: ServiceSettings | None = None
    metrics: Metrics | None = None

    def on(
        self, event_cls: type[IntegrationEvent], name: str | None = None, *, prepare: Prepare | None = None
    ) -> Callable[[Handler], Handler]:
        """Register ``handler(ctx, payload)`` for ``event_cls``; durable name ``<service>-<name>``.

        ``prepare(consumers, envelope, payload)``, if given, runs before the transaction opens
        (slow work such as rendering, which must not hold the database); its result is
        ``ctx.prepared``.
        """

        def decorate(handler: Handler) -> Handler:
            consumer = f"{self.service}-{name or f'{event_cls.aggregate}-{event_cls.event}'}"
            if consumer in self.registrations:
                raise ValueError(f"consumer {consumer} registered twice")
            self.registrations[consumer] = Registration(
                consumer, event_cls, handler, (handler.__doc__ or "").strip(), prepare
            )
            return handler

        return decorate

    def bind(self, db: Database, settings: ServiceSettings, metrics: Metrics | None = None) -> None:
        self.db = db
        self.settings = settings
        self.metrics = metrics

    def database(self) -> Database:
        """The store the consumers were bound to (by the runtime)."""
        return self._db()

    def _db(self) -> Database:
        if self.db is None:
            raise RuntimeError("consumers not bound to a database")
        return self.db

    # -- the pipeline ---------------------------------------------------------------

    async def process(self, reg: Registration, envelope: CloudEvent, payload: Any) -> bool:
        """Run one event through the inbox and the handler. False if already processed."""
        tenant = getattr(payload, "tenant", envelope.tenant_id)
        if tenant != envelope.tenant_id:
            raise ValueError(f"payload tenant {tenant!r} differs from ce-tenantid {envelope.tenant_id!r}")
        prepared = None
        if reg.prepare is not None:
            async with self._db().tenant_session(envelope.tenant_id, readonly=True) as session:
                if await self._seen(session, reg, envelope):
                    return False
            prepared = await reg.prepare(self, envelope, payload)
        async with self._db().tenant_session(envelope.tenant_id) as session:
            if await self._seen(session, reg, envelope):
                return False
            session.add(ProcessedEvent(consumer=reg.consumer, event_id=envelope.id))
            await reg.handler(EventContext(envelope, session, reg.consumer, self.source, prepared, self.deps), payload)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
            else:
                log.info("event.processed", consumer=reg.consumer)
                return True
        # Only a replica that processed the same event concurrently is a duplicate; any
        # other constraint violation is a failure to retry and, in the end, dead-letter.
        async with self._db().tenant_session(envelope.tenant_id, readonly=True) as session:
            if await self._seen(session, reg, envelope):
                log.info("event.duplicate_raced", consumer=reg.consumer)
                return False
        raise RuntimeError(f"{reg.consumer}: the handler's transaction violated a constraint")

    @staticmethod
    async def _seen(session: AsyncSession, reg: Registration, envelope: CloudEvent) -> bool:
        seen = await session.exec(
            select(ProcessedEvent.event_id).where(
                ProcessedEvent.consumer == reg.consumer, ProcessedEvent.event_id == envelope.id
            )
        )
        if seen.first() is None:
            return False
        log.info("event.duplicate_skipped", consumer=reg.consumer)
        return True

    async def store_dead_letter(
        self,
        consumer: str,
        subject: str,
        headers: dict[str, str],
        data: bytes,
        error: BaseException,
        *,
        stream_seq: int | None,
        deliveries: int,
    ) -> DeadLetter:
        async with self._db().system_session() as session:
            row = DeadLetter(
                consumer=consumer,
                subject=subject,
                event_id=headers.get("ce-id"),
                tenant_id=headers.get("ce-tenantid"),
                stream_seq=stream_seq,
                deliveries=deliveries,
                headers=json.dumps(headers),
                data=data,
                error=describe_error(error),
            )
            session.add(row)
            await session.commit()
            log.error(
                "event.dead_lettered",
                consumer=consumer,
                subject=subject,
                stream_seq=stream_seq,
                deliveries=deliveries,
                error=row.error,
            )
            return row

    async def on_max_deliveries(self, js: JetStreamContext, advisory: dict[str, Any]) -> DeadLetter | None:
        """The server gave up on a message (MAX_DELIVERIES advisory) that the middleware
        never saw fail for the last time, e.g. because the handler killed the process:
        fetch it from the stream by sequence and store it, unless it is stored already."""
        consumer = advisory.get("consumer")
        seq = advisory.get("stream_seq")
        if consumer not in self.registrations or not isinstance(seq, int):
            return None
        async with self._db().system_session() as session:
            known = await session.exec(
                select(DeadLetter.id).where(DeadLetter.consumer == consumer, DeadLetter.stream_seq == seq)
            )
            if known.first() is not None:
                return None
        reg = self.registrations[consumer]
        raw = await fetch_at(js, consumer, reg.event_cls.subject_pattern(), seq, inbox_of(self.service))
        if raw is None:
            log.warning("dead_letter.message_gone", consumer=consumer, stream_seq=seq)
            return None
        return await self.store_dead_letter(
            consumer,
            raw.subject,
            dict(raw.headers or {}),
            raw.data or b"",
            RuntimeError("no acknowledgement after the last delivery (MAX_DELIVERIES advisory)"),
            stream_seq=seq,
            deliveries=int(advisory.get("deliveries", 0)),
        )

    async def list_dead_letters(self, include_replayed: bool = False) -> list[DeadLetter]:
        async with self._db().system_session() as session:
            query = select(DeadLetter).order_by(col(DeadLetter.id))
            if not include_replayed:
                query = query.where(col(DeadLetter.replayed_at).is_(None))
            return list((await session.exec(query)).all())

    async def replay(self, dead_letter_id: int) -> DeadLetter | None:
        """Run a dead letter through its consumer again; records the outcome on the row.

        No session is held while the event is processed: on SQLite the service has one
        writer connection, which the handler's own transaction needs.
        """
        async with self._db().system_session() as session:
            row = await session.get(DeadLetter, dead_letter_id)
        if row is None:
            return None
        error: str | None = None
        try:
            reg = self.registrations.get(row.consumer)
            if reg is None:
                raise LookupError(f"no consumer {row.consumer} in this service")
            try:
                envelope = CloudEvent.from_headers(row.header_dict())
            except EnvelopeError as exc:
                raise Refused(str(exc)) from exc
            # The same checks as a delivery: a refused event stays refused, replayed or not.
            if envelope.type != reg.event_cls.ce_type():
                raise Refused(f"ce-type {envelope.type!r} is not this consumer's {reg.event_cls.ce_type()!r}")
            check_publisher(row.subject, envelope)
            payload = reg.event_cls.model_validate_json(row.data)
            await self.process(reg, envelope, payload)
        except Exception as exc:  # noqa: BLE001 - reported to the operator
            error = describe_error(exc)
        async with self._db().system_session() as session:
            values: dict[str, Any] = {"replay_count": DeadLetter.replay_count + 1, "replay_error": error}
            if error is None:
                values["replayed_at"] = utcnow()
            await session.exec(update(DeadLetter).where(col(DeadLetter.id) == dead_letter_id).values(**values))
            await session.commit()
            return await session.get(DeadLetter, dead_letter_id, populate_existing=True)

    # -- FastStream wiring ------------------------------------------------------------

    def build_router(self, settings: ServiceSettings | None = None) -> NatsRouter:
        # Without settings (the AsyncAPI document): the defaults, unvalidated (no secret is needed).
        settings = settings or self.settings or ServiceSettings.model_construct()
        consumers = self
        backoff = list(settings.backoff_seconds) or [1.0]
        max_deliver = settings.max_deliver

        class DeliveryPolicy(BaseMiddleware):  # type: ignore[type-arg]
            """Nak with growing delay; after the last delivery, dead-letter and ack."""

            async def consume_scope(self, call_next: Any, msg: Any) -> Any:
                raw = msg.raw_message
                meta = raw.metadata
                try:
                    return await call_next(msg)
                except NackMessage:
                    raise
                except Exception as exc:
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
            bind(
                tenant=envelope.tenant_id,
                correlation_id=envelope.correlation_id,
                event_id=envelope.id,
                event_type=envelope.type,
            )
            try:
                await consumers.process(reg, envelope, body)
            finally:
                unbind("tenant", "correlation_id", "event_id", "event_type")

        # Real objects, not the strings `from __future__ import annotations` leaves.
        handle.__annotations__ = {"body": model, "msg": NatsMessage, "return": None}
        handle.__name__ = reg.consumer.replace("-", "_")
        handle.__doc__ = reg.description or None
        return handle
