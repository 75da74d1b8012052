"""The dead-letter store of a service's consumers: what failed for the last time, or was
refused, kept for an operator to list and replay (``jalin dead-letters``)."""

from __future__ import annotations

import json
from typing import Any

import structlog
from nats.js import JetStreamContext
from sqlmodel import col, select, update

from jalin_kit.bus import fetch_at, inbox_of
from jalin_kit.consumers.base import Refused, Registration, check_publisher
from jalin_kit.db import Database, utcnow
from jalin_kit.errors import describe_error
from jalin_kit.events.envelope import CloudEvent, EnvelopeError
from jalin_kit.inbox import DeadLetter
from jalin_kit.metrics import Metrics

log = structlog.get_logger(__name__)


class DeadLetters:
    """Mixed into :class:`~jalin_kit.consumers.EventConsumers`."""

    service: str
    registrations: dict[str, Registration]
    metrics: Metrics | None

    def database(self) -> Database:
        raise NotImplementedError

    async def process(self, reg: Registration, envelope: CloudEvent, payload: Any) -> bool:
        raise NotImplementedError

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
        async with self.database().system_session() as session:
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
        if self.metrics is not None and consumer in self.registrations:
            self.metrics.consumer_dead_lettered.labels(self.service, consumer).inc()
        return row

    async def on_max_deliveries(self, js: JetStreamContext, advisory: dict[str, Any]) -> DeadLetter | None:
        """The server gave up on a message (MAX_DELIVERIES advisory) that the middleware
        never saw fail for the last time, e.g. because the handler killed the process:
        fetch it from the stream by sequence and store it, unless it is stored already."""
        consumer = advisory.get("consumer")
        seq = advisory.get("stream_seq")
        if not isinstance(consumer, str) or consumer not in self.registrations or not isinstance(seq, int):
            return None
        async with self.database().system_session() as session:
            known = await session.exec(
                select(DeadLetter.id).where(col(DeadLetter.consumer) == consumer, col(DeadLetter.stream_seq) == seq)
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
        async with self.database().system_session() as session:
            query = select(DeadLetter).order_by(col(DeadLetter.id))
            if not include_replayed:
                query = query.where(col(DeadLetter.replayed_at).is_(None))
            return list((await session.exec(query)).all())

    async def replay(self, dead_letter_id: int) -> DeadLetter | None:
        """Run a dead letter through its consumer again; records the outcome on the row.

        No session is held while the event is processed: on SQLite the service has one
        writer connection, which the handler's own transaction needs.
        """
        async with self.database().system_session() as session:
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
        async with self.database().system_session() as session:
            values: dict[str, Any] = {"replay_count": DeadLetter.replay_count + 1, "replay_error": error}
            if error is None:
                values["replayed_at"] = utcnow()
            await session.exec(update(DeadLetter).where(col(DeadLetter.id) == dead_letter_id).values(**values))
            await session.commit()
            return await session.get(DeadLetter, dead_letter_id, populate_existing=True)
