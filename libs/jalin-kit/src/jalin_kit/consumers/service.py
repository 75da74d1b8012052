"""A service's event handlers and the pipeline that runs them: inbox, handler and commit,
in batches.

The messages of one pull arrive together; they are run through the inbox and their handlers
in one transaction (one ``processed_events`` row each) and acknowledged after its commit: one
commit (and one fsync) for the batch instead of one per message. When the batch's transaction
fails, its messages are run again one at a time, each in its own transaction, so a poison
message cannot hold the others back and still fails alone (to be retried, then dead-lettered).
A message that arrives alone is a batch of one: a quiet platform waits for nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from faststream.exceptions import NackMessage
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.consumers.base import EventContext, Handler, Prepare, Registration
from jalin_kit.consumers.deadletters import DeadLetters
from jalin_kit.consumers.wiring import Wiring
from jalin_kit.db import ALSO_KEY, TENANT_KEY, Database
from jalin_kit.errors import describe_error
from jalin_kit.events.catalogue import IntegrationEvent
from jalin_kit.events.envelope import CloudEvent
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.logging import bind, unbind
from jalin_kit.metrics import Metrics
from jalin_kit.settings import ServiceSettings
from jalin_kit.tracing import Tracing

log = structlog.get_logger(__name__)

LOG_KEYS = ("tenant", "correlation_id", "event_id", "event_type")


@dataclass(eq=False)
class Delivery:
    """One message waiting for its batch: what it carries and the answer it waits for."""

    reg: Registration
    envelope: CloudEvent
    payload: Any
    arrived: float = field(default_factory=time.perf_counter)
    prepared: Any = None
    outcome: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, result: bool | BaseException) -> None:
        """Answer the waiting task, once (it may have been cancelled meanwhile)."""
        if self.outcome.done():
            return
        if isinstance(result, BaseException):
            self.outcome.set_exception(result)
        else:
            self.outcome.set_result(result)


@dataclass
class _Queue:
    waiting: list[Delivery] = field(default_factory=list)
    draining: bool = False


@dataclass
class EventConsumers(DeadLetters, Wiring):
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
    tracing: Tracing = field(default_factory=Tracing.off)
    batch_size: int = 20
    _queues: dict[str, _Queue] = field(default_factory=dict, repr=False)

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

    def bind(self, db: Database, settings: ServiceSettings, metrics: Metrics | None = None,
             tracing: Tracing | None = None) -> None:
        self.db = db
        self.settings = settings
        self.metrics = metrics
        self.tracing = tracing or self.tracing
        self.batch_size = max(1, settings.pull_batch_size)

    def database(self) -> Database:
        """The store the consumers were bound to (by the runtime)."""
        if self.db is None:
            raise RuntimeError("consumers not bound to a database")
        return self.db

    # -- one message ------------------------------------------------------------------

    async def process(self, reg: Registration, envelope: CloudEvent, payload: Any) -> bool:
        """Run one event through the inbox and the handler in its own transaction. False if
        it was processed already. (Deliveries come through :meth:`submit`, in batches; this
        is the one-at-a-time path: a replayed dead letter, a batch that failed.)"""
        delivery = Delivery(reg, envelope, payload)
        self._check_tenant(delivery)
        if not await self._prepare([delivery]):
            return delivery.outcome.result()  # a duplicate (False), or what its prepare step raised
        return await self._process_one(delivery)

    async def _process_one(self, d: Delivery) -> bool:
        db = self.database()
        span = self.tracing.consumer_span(d.reg.consumer, d.envelope)
        try:
            async with db.tenant_session(d.envelope.tenant_id) as session:
                if await self._seen(session, d.reg.consumer, [d.envelope.id]):
                    log.info("event.duplicate_skipped", consumer=d.reg.consumer)
                    return False
                await self._run_handler(session, d, span)
                try:
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                else:
                    self._processed(d)
                    return True
            # Only a replica that processed the same event concurrently is a duplicate; any
            # other constraint violation is a failure to retry and, in the end, dead-letter.
            async with db.tenant_session(d.envelope.tenant_id, readonly=True) as session:
                if await self._seen(session, d.reg.consumer, [d.envelope.id]):
                    log.info("event.duplicate_raced", consumer=d.reg.consumer)
                    return False
            raise RuntimeError(f"{d.reg.consumer}: the handler's transaction violated a constraint")
        except Exception as exc:
            self.tracing.failed(span, exc)
            raise
        finally:
            span.end()

    # -- batches ----------------------------------------------------------------------

    async def submit(self, reg: Registration, envelope: CloudEvent, payload: Any) -> bool:
        """Hand one delivered message to its consumer's next batch and wait for the outcome:
        True once committed, False for a duplicate; raises what its handling raised (the
        caller naks it, or dead-letters it). The first message of a pull drains the queue;
        the others of the same pull join its batch."""
        delivery = Delivery(reg, envelope, payload)
        self._check_tenant(delivery)
        queue = self._queues.setdefault(reg.consumer, _Queue())
        queue.waiting.append(delivery)
        if not queue.draining:
            queue.draining = True
            try:
                await self._drain(queue)
            finally:
                queue.draining = False
                for left in queue.waiting:  # only when cancelled (the service stopping): nak'd, not failed
                    left.settle(NackMessage())
                queue.waiting.clear()
        return await delivery.outcome

    async def _drain(self, queue: _Queue) -> None:
        # Let the other messages of the same pull arrive: their tasks are already scheduled.
        seen = -1
        while seen != len(queue.waiting):
            seen = len(queue.waiting)
            await asyncio.sleep(0)
        while queue.waiting:
            batch = queue.waiting[: self.batch_size]
            del queue.waiting[: self.batch_size]
            try:
                await self._run_batch(batch)
            except BaseException as exc:
                for d in batch:  # cancelled (the service stopping), or a bug: nak'd, never lost
                    d.settle(exc if isinstance(exc, Exception) and not isinstance(exc, asyncio.CancelledError)
                             else NackMessage())
                raise

    async def _run_batch(self, batch: list[Delivery]) -> None:
        ready = await self._prepare(batch)
        if len(ready) == 1:
            await self._settle(ready[0], self._process_one(ready[0]))
            return
        if ready and await self._commit_together(ready):
            return
        # The batch's transaction failed: one at a time, so only the culprit fails.
        for d in ready:
            if not d.outcome.done():
                await self._settle(d, self._process_one(d))

    @staticmethod
    async def _settle(d: Delivery, work: Any) -> None:
        try:
            result = await work
        except Exception as exc:  # noqa: BLE001 - handed to the message's own task
            d.settle(exc)
        else:
            d.settle(result)

    async def _prepare(self, batch: list[Delivery]) -> list[Delivery]:
        """Run the ``prepare`` steps (outside any write transaction); the deliveries that still
        need their handler. A duplicate is answered at once; a failed step fails its message."""
        needing = [d for d in batch if d.reg.prepare is not None]
        if not needing:
            return batch
        # Together: their slow parts (a blob store's writes) overlap; what must be serial (the
        # documents' one render thread) queues in its own executor.
        await asyncio.gather(*(self._prepare_one(d) for d in needing))
        return [d for d in batch if not d.outcome.done()]

    async def _prepare_one(self, d: Delivery) -> None:
        assert d.reg.prepare is not None
        try:
            async with self.database().tenant_session(d.envelope.tenant_id, readonly=True) as session:
                if await self._seen(session, d.reg.consumer, [d.envelope.id]):
                    log.info("event.duplicate_skipped", consumer=d.reg.consumer)
                    d.settle(False)
                    return
            d.prepared = await d.reg.prepare(self, d.envelope, d.payload)
        except Exception as exc:  # noqa: BLE001 - this message's failure, not the batch's
            d.settle(exc)

    async def _commit_together(self, batch: list[Delivery]) -> bool:
        """One transaction for the batch; False (and nothing committed) when it failed."""
        spans: list[Any] = []
        todo: list[Delivery] = []
        try:
            async with self.database().tenant_session(batch[0].envelope.tenant_id) as session:
                info = session.sync_session.info
                seen = await self._seen_any(session, batch)
                for d in batch:
                    key = (d.reg.consumer, d.envelope.id)
                    if key in seen:
                        continue
                    seen.add(key)
                    # Each message in its own tenant's scope: what the one before added is
                    # flushed (stamped, checked) under its tenant before the scope changes, and
                    # a partner's rows allowed for one message are not allowed for the next.
                    if todo and (info.get(TENANT_KEY) != d.envelope.tenant_id or info.get(ALSO_KEY)):
                        await session.flush()
                    info[TENANT_KEY] = d.envelope.tenant_id
                    info.pop(ALSO_KEY, None)
                    span = self.tracing.consumer_span(d.reg.consumer, d.envelope)
                    spans.append(span)
                    await self._run_handler(session, d, span)
                    todo.append(d)
                await session.flush()  # the last message's rows, under its tenant
                info.pop(ALSO_KEY, None)
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - each message is tried again on its own
            log.warning("event.batch_failed", size=len(batch), error=describe_error(exc))
            for span in spans:
                self.tracing.abandoned(span, exc)
            return False
        finally:
            for span in spans:
                span.end()
        done = set(map(id, todo))
        for d in batch:
            if id(d) in done:
                self._processed(d)
                d.settle(True)
            else:
                log.info("event.duplicate_skipped", consumer=d.reg.consumer)
                d.settle(False)
        return True

    async def _run_handler(self, session: AsyncSession, d: Delivery, span: Any) -> None:
        session.add(ProcessedEvent(consumer=d.reg.consumer, event_id=d.envelope.id))
        e = d.envelope
        bind(tenant=e.tenant_id, correlation_id=e.correlation_id, event_id=e.id, event_type=e.type)
        try:
            with self.tracing.within(span):
                await d.reg.handler(EventContext(e, session, d.reg.consumer, self.source, d.prepared, self.deps), d.payload)
        finally:
            unbind(*LOG_KEYS)

    def _processed(self, d: Delivery) -> None:
        e = d.envelope  # (after the commit: the handler's log context is gone, so named here)
        log.info("event.processed", consumer=d.reg.consumer, event_id=e.id, event_type=e.type, tenant=e.tenant_id,
                 correlation_id=e.correlation_id)
        if self.metrics is not None:
            self.metrics.consumer_processed.labels(self.service, d.reg.consumer).inc()
            self.metrics.consumer_seconds.labels(self.service, d.reg.consumer).observe(time.perf_counter() - d.arrived)

    @staticmethod
    def _check_tenant(d: Delivery) -> None:
        tenant = getattr(d.payload, "tenant", d.envelope.tenant_id)
        if tenant != d.envelope.tenant_id:
            raise ValueError(f"payload tenant {tenant!r} differs from ce-tenantid {d.envelope.tenant_id!r}")

    @staticmethod
    async def _seen(session: AsyncSession, consumer: str, event_ids: list[str]) -> bool:
        query = select(ProcessedEvent.event_id).where(
            col(ProcessedEvent.consumer) == consumer, col(ProcessedEvent.event_id).in_(event_ids))
        return (await session.exec(query)).first() is not None

    @staticmethod
    async def _seen_any(session: AsyncSession, batch: list[Delivery]) -> set[tuple[str, str]]:
        query = select(ProcessedEvent.consumer, ProcessedEvent.event_id).where(
            col(ProcessedEvent.consumer).in_({d.reg.consumer for d in batch}),
            col(ProcessedEvent.event_id).in_({d.envelope.id for d in batch}))
        return {(c, e) for c, e in (await session.exec(query)).all()}
