"""``/metrics`` (Prometheus text format) of a service: its HTTP requests by route template and
status with their latency; per consumer the events processed, failed, dead-lettered, the
handler's time and what waits at the server; the outbox backlog and the age of its oldest
unsent event, parked events, and dead letters waiting for an operator; and what a service adds
of its own (:meth:`Metrics.on_scrape`). Each runtime keeps its own registry, so two apps in one
process share nothing. Counts only: no tenant's content, no path beyond its template."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jalin_kit.db import utcnow
from jalin_kit.events.stream import STREAM_NAME
from jalin_kit.inbox import DeadLetter
from jalin_kit.outbox import OutboxMessage

if TYPE_CHECKING:
    from jalin_kit.runtime import ServiceRuntime

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """One app's metrics and its registry."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # this process's memory, CPU and start (one per HTTP worker)
        registry = self.registry
        self.requests = Counter("jalin_http_requests", "HTTP requests answered, by route template and status.",
                                ["service", "method", "route", "status"], registry=registry)
        self.latency = Histogram("jalin_http_request_seconds", "Time to answer an HTTP request.",
                                 ["service", "method", "route"], buckets=BUCKETS, registry=registry)
        self.outbox_unsent = Gauge("jalin_outbox_unsent", "Events committed and not yet published.", ["service"], registry=registry)
        self.outbox_oldest = Gauge("jalin_outbox_oldest_unsent_seconds",
                                   "Age of the oldest event waiting to be published (0: none).", ["service"], registry=registry)
        self.outbox_parked = Gauge("jalin_outbox_parked", "Events parked for an operator (jalin outbox).",
                                   ["service"], registry=registry)
        self.dead_letters = Gauge("jalin_dead_letters", "Dead letters not replayed (jalin dead-letters).",
                                  ["service"], registry=registry)
        self.consumer_processed = Counter("jalin_consumer_processed", "Events a consumer processed (committed).",
                                          ["service", "consumer"], registry=registry)
        self.consumer_failed = Counter("jalin_consumer_failed", "Deliveries whose handling failed (retried or dead-lettered).",
                                       ["service", "consumer"], registry=registry)
        self.consumer_dead_lettered = Counter("jalin_consumer_dead_lettered", "Events a consumer stored as dead letters.",
                                              ["service", "consumer"], registry=registry)
        self.consumer_seconds = Histogram("jalin_consumer_handler_seconds",
                                          "Time from a message's arrival to its commit (inbox and handler).",
                                          ["service", "consumer"], buckets=BUCKETS, registry=registry)
        self.consumer_pending = Gauge("jalin_consumer_pending",
                                      "Messages waiting at the server for this consumer (not yet delivered).",
                                      ["service", "consumer"], registry=registry)
        self.consumer_ack_pending = Gauge("jalin_consumer_ack_pending",
                                          "Messages delivered to this consumer and not yet acknowledged.",
                                          ["service", "consumer"], registry=registry)
        self.ready = Gauge("jalin_ready", "1 when the service's last readiness check (/readyz) passed, else 0.",
                           ["service"], registry=registry)
        self.service = service
        self._scrapes: list[Callable[[], Awaitable[None]]] = []

    def on_scrape(self, refresh: Callable[[], Awaitable[None]]) -> None:
        """Run ``refresh`` at each scrape, before the figures are written: a service's own
        gauges read at the time (the notifications' mail queue), on this registry."""
        self._scrapes.append(refresh)

    def exposition(self) -> Response:
        """The figures as they are (an app without a store: the console)."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def render(self, runtime: ServiceRuntime) -> Response:
        """The figures, the store's read at the time of the scrape."""
        async with runtime.db.system_session(readonly=True) as session:
            waiting = col(OutboxMessage.sent_at).is_(None) & col(OutboxMessage.parked_at).is_(None)
            unsent, oldest = (await session.exec(
                select(func.count(col(OutboxMessage.id)), func.min(OutboxMessage.created_at)).where(waiting))).one()
            parked = await session.scalar(select(func.count(col(OutboxMessage.id))).where(
                col(OutboxMessage.parked_at).is_not(None), col(OutboxMessage.sent_at).is_(None)))
            dead = (await session.scalar(select(func.count(col(DeadLetter.id))).where(col(DeadLetter.replayed_at).is_(None)))
                    if runtime.consumers is not None else 0)
        self.outbox_unsent.labels(self.service).set(unsent or 0)
        self.outbox_oldest.labels(self.service).set(_age(oldest))
        self.outbox_parked.labels(self.service).set(parked or 0)
        self.dead_letters.labels(self.service).set(dead or 0)
        await self._consumers_at_server(runtime)
        for refresh in self._scrapes:
            await refresh()
        return self.exposition()

    async def _consumers_at_server(self, runtime: ServiceRuntime) -> None:
        """Pending and unacknowledged messages of each consumer, as the server counts them."""
        # (an api worker reads them too: the figures are the server's, alike from every process)
        if runtime.consumers is None or runtime.js is None or not runtime.consuming:
            return
        for name in runtime.consumers.registrations:
            try:
                info = await asyncio.wait_for(runtime.js.consumer_info(STREAM_NAME, name), timeout=2)
            except Exception:  # noqa: BLE001 - a scrape reports what it can
                continue
            self.consumer_pending.labels(self.service, name).set(info.num_pending or 0)
            self.consumer_ack_pending.labels(self.service, name).set(info.num_ack_pending or 0)


def _age(oldest: datetime | str | None) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite hands back text for an aggregate
        oldest = datetime.fromisoformat(oldest)
    now = utcnow()
    if oldest.tzinfo is None:
        now = now.replace(tzinfo=None)
    return max(0.0, (now - oldest).total_seconds())


class HttpMetrics:
    """Pure ASGI middleware: each answer counted by method, route template (never the path
    itself: ids and hostile paths would make a label per request) and status, and timed."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            m = self.metrics
            m.requests.labels(m.service, method, route, str(status)).inc()
            m.latency.labels(m.service, method, route).observe(time.perf_counter() - started)
