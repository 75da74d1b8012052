"""Transactional outbox and its relay.

A state change and its outbox row commit in one transaction (:func:`record_event`);
the relay publishes pending rows to JetStream with ``Nats-Msg-Id`` = ``ce-id``, checks
each PubAck, marks the rows sent and retries with backoff while NATS is away. The API
therefore never fails a write because NATS is down.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Callable
from datetime import datetime

import structlog
from nats.js import JetStreamContext
from sqlalchemy import Column, LargeBinary, event
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.db import Database, utcnow
from jalin_kit.events.catalogue import IntegrationEvent
from jalin_kit.events.envelope import CloudEvent, subject_for

log = structlog.get_logger(__name__)

_OUTBOX_DIRTY = "jalin_outbox_dirty"
_listeners: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"

    id: str = Field(primary_key=True, max_length=36)
    tenant_id: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    type: str = Field(max_length=255)
    source: str = Field(max_length=255)
    correlation_id: str = Field(max_length=64)
    occurred_at: datetime
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = None

    def envelope(self) -> CloudEvent:
        return CloudEvent(
            id=self.id,
            source=self.source,
            type=self.type,
            subject=self.subject,
            tenant_id=self.tenant_id,
            correlation_id=self.correlation_id,
            time=self.occurred_at,
        )


def new_event_id() -> str:
    return str(uuid.uuid4())


def record_event(
    session: AsyncSession,
    payload: IntegrationEvent,
    *,
    tenant_id: str,
    source: str,
    correlation_id: str | None = None,
    event_id: str | None = None,
) -> OutboxMessage:
    """Add an integration event to the caller's transaction. Nothing is sent until commit."""
    event_id = event_id or new_event_id()
    row = OutboxMessage(
        id=event_id,
        tenant_id=tenant_id,
        subject=subject_for(tenant_id, payload.aggregate, payload.event),
        type=payload.ce_type(),
        source=source,
        correlation_id=correlation_id or event_id,
        occurred_at=utcnow(),
        data=payload.model_dump_json().encode(),
    )
    session.add(row)
    session.sync_session.info[_OUTBOX_DIRTY] = True
    return row


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop(_OUTBOX_DIRTY, False):
        for relay in list(_listeners):
            relay.wake()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_OUTBOX_DIRTY, None)


class OutboxRelay:
    """Publishes committed outbox rows; one per service process."""

    def __init__(
        self,
        db: Database,
        js: Callable[[], JetStreamContext],
        *,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 5.0,
        publish_timeout: float = 5.0,
    ) -> None:
        self._db = db
        self._js = js
        self._batch = batch_size
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._timeout = publish_timeout
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.healthy = True
        _listeners.add(self)

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                sent = await self.publish_pending()
                self.healthy = True
                backoff = 0.1
                if sent >= self._batch:
                    continue  # more waiting: no sleep
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any failure
                self.healthy = False
                log.warning("outbox.publish_failed", error=str(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows; returns how many were confirmed.

        No database connection is held while publishing: on SQLite the service has one
        connection, and the API must keep writing while NATS is slow or away. Relays of
        several replicas may publish the same row twice; JetStream drops the copy
        (Nats-Msg-Id within the duplicate window) and consumers' inboxes skip it.
        """
        js = self._js()
        nc = getattr(js, "_nc", None)
        if nc is not None and not nc.is_connected:
            raise ConnectionError("NATS is not connected")
        async with self._db.system_session() as session:
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.sent_at).is_(None))
                .order_by(col(OutboxMessage.created_at))
                .limit(self._batch)
            )
            rows = list((await session.exec(query)).all())
        if not rows:
            return 0
        results = await asyncio.gather(*(self._publish(js, row) for row in rows), return_exceptions=True)
        ok = [row.id for row, res in zip(rows, results, strict=True) if res is None]
        failed = [(row, res) for row, res in zip(rows, results, strict=True) if res is not None]
        async with self._db.system_session() as session:
            if ok:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(ok))
                    .values(sent_at=utcnow())
                )
            for row, exc in failed:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row.id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=repr(exc)[:500])
                )
            await session.commit()
        self.published += len(ok)
        if failed:
            raise RuntimeError(
                f"{len(failed)} of {len(rows)} outbox events not acknowledged: {failed[0][1]!r}"
            )
        return len(ok)

    async def _publish(self, js: JetStreamContext, row: OutboxMessage) -> None:
        ack = await js.publish(
            row.subject, row.data, timeout=self._timeout, headers=row.envelope().headers()
        )
        if ack.stream is None:
            raise RuntimeError("PubAck without stream")
