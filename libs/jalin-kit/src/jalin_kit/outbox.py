"""Transactional outbox and its relay.

A state change and its outbox row commit in one transaction (:func:`record_event`);
the relay publishes pending rows to JetStream with ``Nats-Msg-Id`` = ``ce-id``, checks
each PubAck, marks the rows sent and retries with backoff while NATS is away. The API
therefore never fails a write because NATS is down.

A row that fails while the bus works (a subject no server accepts, a payload over the
server's limit, the server's refusal) is retried on its own schedule, so it never delays
the rows behind it, and parked after ``max_attempts``: left for an operator to look at
(``jalin outbox list``) and replay (``jalin outbox replay``); readiness reports how many.
A failure of the bus itself (NATS away, the stream missing) counts against no row.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import nats.errors
import nats.js.errors
import structlog
from nats.js import JetStreamContext
from sqlalchemy import Column, LargeBinary, event, func
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.db import DATABASE_KEY, Database, utcnow
from jalin_kit.events.catalogue import PUBLISHERS, IntegrationEvent
from jalin_kit.events.envelope import SHARED, CloudEvent, shared_subject, subject_for
from jalin_kit.events.stream import STREAM_NAME
from jalin_kit.identifiers import SUBJECT_TOKEN
from jalin_kit.tracing import current_traceparent

log = structlog.get_logger(__name__)

_OUTBOX_DIRTY = "jalin_outbox_dirty"


class Unpublishable(ValueError):
    """A row no server will ever take as it is."""


ROW_ERRORS: tuple[type[BaseException], ...] = (
    Unpublishable,
    nats.errors.BadSubjectError,
    nats.errors.MaxPayloadError,
    nats.errors.BadHeaderError,
)
"""Failures found before sending: always the row's."""


def row_fault(exc: BaseException) -> bool:
    """A failure that is the row's, not the bus's: found before sending, or the server
    refusing this message (a 4xx answer). A 5xx answer (storage full, JetStream away) is the
    bus's and counts against no row."""
    if isinstance(exc, ROW_ERRORS):
        return True
    code = getattr(exc, "code", None)
    return isinstance(exc, nats.js.errors.APIError) and isinstance(code, int) and 400 <= code < 500


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
    due_at: datetime = Field(default_factory=utcnow, index=True)
    """When the row is to be published: its commit, or after a failure of its own the time of
    the next try. Rows go out in this order, so a failing row never stands before a new one."""
    parked_at: datetime | None = Field(default=None, index=True)
    """Set after ``max_attempts`` failures: no longer tried until an operator replays it."""
    traceparent: str | None = Field(default=None, max_length=55)
    """The trace of the request or handler that recorded the event (``jalin_kit.tracing``)."""

    def envelope(self) -> CloudEvent:
        return envelope_of(self)


def envelope_of(row: Any) -> CloudEvent:
    """The envelope of an outbox row (a model, or a Core row of the outbox table)."""
    return CloudEvent(
        id=row.id,
        source=row.source,
        type=row.type,
        subject=row.subject,
        tenant_id=row.tenant_id,
        correlation_id=row.correlation_id,
        time=row.occurred_at,
        traceparent=row.traceparent,
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
    """Add an integration event to the caller's transaction. Nothing is sent until commit.

    An event of a cooperation shared with a partner region also gets a copy on the partner's
    subjects (``jalin.<partner>.shared.<owner>.…``), in the same transaction: the partner's
    external systems, which see only ``jalin.<partner>.>``, learn of it too."""
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
        traceparent=current_traceparent(),
    )
    session.add(row)
    partner = payload.shared_with_tenant()
    if partner and partner != tenant_id:
        session.add(
            OutboxMessage(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"jalin-shared:{event_id}:{partner}")),
                tenant_id=tenant_id,
                subject=shared_subject(partner, tenant_id, payload.aggregate, payload.event),
                type=row.type,
                source=source,
                correlation_id=row.correlation_id,
                occurred_at=row.occurred_at,
                data=row.data,
                traceparent=row.traceparent,
            )
        )
    session.sync_session.info[_OUTBOX_DIRTY] = True
    return row


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop(_OUTBOX_DIRTY, False):
        db = session.info.get(DATABASE_KEY)
        for wake in db.after_event_commit if db is not None else ():
            wake()


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
        max_attempts: int = 10,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 300.0,
    ) -> None:
        self._db = db
        self._js = js
        self._batch = batch_size
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._timeout = publish_timeout
        self._max_attempts = max_attempts
        self._retry = retry_seconds
        self._max_retry = max_retry_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.published = 0
        self.healthy = True
        db.after_event_commit.append(self.wake)

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
                taken = await self.publish_pending()
                self.healthy = True
                backoff = 0.1
                if taken >= self._batch:
                    continue  # more waiting: no sleep
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any failure
                self.healthy = False
                log.warning("outbox.publish_failed", error=f"{type(exc).__name__}: {exc}", retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of the rows due; returns how many rows it took (sent or failed).

        No database connection is held while publishing: on SQLite the service has one
        connection, and the API must keep writing while NATS is slow or away. Relays of
        several replicas may publish the same row twice; JetStream drops the copy
        (Nats-Msg-Id within the duplicate window) and consumers' inboxes skip it.
        Raises when the bus itself failed (nothing got through and not for the rows' own
        faults), so the caller backs off.
        """
        js = self._js()
        nc = getattr(js, "_nc", None)
        if nc is not None and not nc.is_connected:
            raise ConnectionError("NATS is not connected")
        max_payload = int(getattr(nc, "_max_payload", 0) or 0)
        now = utcnow()
        # Core rows from a reader connection: no ORM objects to build, and on SQLite the one
        # writer connection stays free for the requests and consumers.
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        async with self._db.system_session(readonly=True) as session:
            query = (
                select(*table.c)
                .where(table.c.sent_at.is_(None), table.c.parked_at.is_(None), table.c.due_at <= now)
                .order_by(table.c.due_at)
                .limit(self._batch)
            )
            rows: list[Any] = list((await session.exec(query)).all())
        if not rows:
            return 0
        results = await asyncio.gather(*(self._publish(js, row, max_payload) for row in rows), return_exceptions=True)
        ok = [row.id for row, res in zip(rows, results, strict=True) if res is None]
        failed = [(row, res) for row, res in zip(rows, results, strict=True) if res is not None]
        # A failure counts against its row when it is the row's own, or when others got
        # through (the bus works); else the bus failed and no row is to blame.
        # A failure counts against its row when it is the row's own, or when the bus is shown
        # to work (other rows got through, or the stream answers): e.g. a publish the service
        # may not make gets no answer at all, only a timeout. Else the bus failed.
        bus_works = bool(ok) or (bool(failed) and not all(row_fault(exc) for _, exc in failed)
                                 and await self._stream_answers(js))
        counted = [(row, exc) for row, exc in failed if bus_works or row_fault(exc)]
        the_bus = [exc for _, exc in failed if not (bus_works or row_fault(exc))]
        async with self._db.system_session() as session:
            if ok:
                await session.exec(
                    update(OutboxMessage).where(col(OutboxMessage.id).in_(ok)).values(sent_at=utcnow())
                )
            for row, exc in counted:
                await session.exec(
                    update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(**self._failure(row, exc))
                )
            await session.commit()
        self.published += len(ok)
        if the_bus:
            raise RuntimeError(f"{len(the_bus)} of {len(rows)} outbox events not acknowledged: {the_bus[0]!r}")
        return len(rows)

    async def _stream_answers(self, js: JetStreamContext) -> bool:
        try:
            await asyncio.wait_for(js.stream_info(STREAM_NAME), timeout=self._timeout)
        except Exception:  # noqa: BLE001 - no answer, or no stream: the bus is away
            return False
        return True

    def _failure(self, row: Any, exc: BaseException) -> dict[str, object]:
        attempts = row.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:500]
        now = utcnow()
        if attempts >= self._max_attempts:
            log.error("outbox.parked", outbox_id=row.id, subject=row.subject, attempts=attempts, error=error)
            return {"attempts": attempts, "last_error": error, "parked_at": now}
        delay = min(self._retry * 2 ** (attempts - 1), self._max_retry)
        log.warning("outbox.row_failed", outbox_id=row.id, subject=row.subject, attempts=attempts, error=error,
                    retry_in=delay)
        return {"attempts": attempts, "last_error": error, "due_at": now + timedelta(seconds=delay)}

    async def _publish(self, js: JetStreamContext, row: Any, max_payload: int) -> None:
        headers = envelope_of(row).headers()
        check_publishable(row.subject, row.data, headers, max_payload, row.source)
        # Not ``stream=``: its Nats-Msg-Expected-Stream header would travel with the copy a
        # region's account imports, and that region's stream would refuse it.
        ack = await js.publish(row.subject, row.data, timeout=self._timeout, headers=headers)
        if ack.stream != STREAM_NAME:
            raise RuntimeError(f"PubAck from stream {ack.stream!r}")

    # -- the operator's view -----------------------------------------------------------

    async def parked_count(self) -> int:
        async with self._db.system_session() as session:
            result = await session.exec(
                select(func.count()).select_from(OutboxMessage)
                .where(col(OutboxMessage.parked_at).is_not(None), col(OutboxMessage.sent_at).is_(None))
            )
            return int(result.one())

    async def rows(self, *, parked: bool, limit: int = 100) -> list[OutboxMessage]:
        """Parked rows, or the rows still waiting to be sent (oldest first)."""
        async with self._db.system_session() as session:
            query = select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None))
            query = query.where(col(OutboxMessage.parked_at).is_not(None) if parked else col(OutboxMessage.parked_at).is_(None))
            return list((await session.exec(query.order_by(col(OutboxMessage.created_at)).limit(limit))).all())

    async def replay(self, outbox_id: str) -> OutboxMessage | None:
        """Un-park a row: it is tried again at once, with a fresh count of attempts."""
        async with self._db.system_session() as session:
            row = await session.get(OutboxMessage, outbox_id)
            if row is None or row.sent_at is not None:
                return row
            row.parked_at, row.due_at, row.attempts = None, utcnow(), 0
            session.add(row)
            await session.commit()
        self.wake()
        return row


HEADER_ALLOWANCE = 64
"""Bytes of framing around the headers the server counts beside them (NATS/1.0, CRLFs)."""


def check_publishable(subject: str, data: bytes, headers: dict[str, str], max_payload: int, source: str) -> None:
    """Refuse, before sending, what the server would refuse by closing the connection (an
    invalid subject, headers and payload over its ``max_payload``) — one bad row must not
    disconnect the relay and every row behind it — and what the bus would not let this
    service publish (another service's aggregate: no answer would ever come)."""
    tokens = subject.split(".")
    well_formed = tokens[0] == "jalin" and (len(tokens) == 4 or (len(tokens) == 6 and tokens[2] == SHARED))
    if not well_formed or not all(SUBJECT_TOKEN.fullmatch(t) for t in tokens[1:]):
        raise Unpublishable(f"subject {subject!r} is not jalin.<tenant>.<aggregate>.<event> (or a shared copy's)")
    aggregate = tokens[-2]
    if PUBLISHERS.get(aggregate) != source:
        raise Unpublishable(f"{source} does not publish {aggregate} events (the bus would refuse it)")
    size = len(data) + sum(len(k) + len(v) + 4 for k, v in headers.items()) + HEADER_ALLOWANCE
    if max_payload and size > max_payload:
        raise Unpublishable(f"{size} bytes with headers, over the server's max_payload of {max_payload}")
