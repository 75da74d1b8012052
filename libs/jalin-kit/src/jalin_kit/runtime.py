"""A service process: its store, broker, consumers, outbox relay and background jobs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import text

from jalin_kit.auth import TokenVerifier
from jalin_kit.bus import BusKeeper, inbox_of
from jalin_kit.bus import security as bus_security
from jalin_kit.consumers import MAX_DELIVERIES_ADVISORIES, EventConsumers, consumer_health
from jalin_kit.db import Database
from jalin_kit.logging import configure_logging
from jalin_kit.metrics import Metrics
from jalin_kit.migrations import upgrade_async
from jalin_kit.outbox import OutboxRelay
from jalin_kit.settings import ServiceSettings
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory, TenantInfo
from jalin_kit.tenants.registry import seed_copy
from jalin_kit.tracing import Tracing

log = structlog.get_logger(__name__)

BackgroundJob = Callable[["ServiceRuntime"], Awaitable[None]]
TenantSeeder = Callable[["ServiceRuntime", list[TenantInfo]], Awaitable[None]]


async def seed_tenant_copy(runtime: ServiceRuntime, seed: list[TenantInfo]) -> None:
    """A service that follows the registry starts its copy with the deployment's seed."""
    await seed_copy(runtime.db, seed)


def tenant_seed(settings: ServiceSettings) -> list[TenantInfo]:
    """The deployment's first regions: its seed file, else (outside production) the demo ones."""
    if settings.tenants_seed is not None:
        raw = json.loads(Path(settings.tenants_seed).read_text(encoding="utf-8"))
        items = raw if isinstance(raw, list) else raw.get("tenants", [])
        return [TenantInfo.model_validate(item) for item in items]
    return [] if settings.environment == "production" else list(DEMO_TENANTS.values())
STOP_TIMEOUT = 10.0


async def _within(step: Awaitable[None], what: str) -> None:
    """Run one stop step for at most STOP_TIMEOUT; unlike ``wait_for``, never wait for a
    step that ignores its cancellation."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT)
    if not done:
        log.warning("service.stop_step_timed_out", step=what)
    elif not task.cancelled() and task.exception() is not None:
        log.warning("service.stop_step_failed", step=what, error=repr(task.exception()))


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    migrations_dir: Path
    consumers: EventConsumers | None = None
    background: Sequence[BackgroundJob] = ()
    migrate_on_start: bool = True
    registry_owner: TenantSeeder | None = None
    """Set in the registry's owner only: how it onboards the tenant seed (with events). Every
    other service keeps a copy of the registry, started from the same seed."""

    db: Database = field(init=False)
    broker: NatsBroker = field(init=False)
    relay: OutboxRelay = field(init=False)
    tenants: TenantDirectory = field(init=False)
    verifier: TokenVerifier = field(init=False)
    js: JetStreamContext | None = field(init=False, default=None)
    keeper: BusKeeper = field(init=False)
    consuming: bool = field(init=False, default=False)
    stopping: bool = field(init=False, default=False)
    _tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    extras: dict[str, Any] = field(init=False, default_factory=dict)
    metrics: Metrics = field(init=False)
    tracing: Tracing = field(init=False)
    on_started: list[Callable[[], None]] = field(init=False, default_factory=list)
    """Called once the runtime has started (migrated, seeded): jalin_kit.serve starts its
    extra HTTP workers here."""
    on_stopping: list[Callable[[], None]] = field(init=False, default_factory=list)
    """Called (in a thread) when the runtime begins to stop: jalin_kit.serve stops its workers here."""
    on_stopped: list[Callable[[], None]] = field(init=False, default_factory=list)
    """Called (in a thread) once the consumers, the relay and the store are stopped: resources
    the handlers use are closed here (the documents' render thread)."""

    def __post_init__(self) -> None:
        s = self.settings
        if s.role == "api":
            # HTTP and an outbox relay only: another process of the service migrates, consumes
            # and runs the scheduled jobs (jalin_kit.serve's workers). Its consumers stay bound,
            # unsubscribed: the operators' dead-letter routes and figures answer alike here.
            self.background, self.migrate_on_start = (), False
        self.db = Database(s.database_url, pool_size=s.database_pool_size)
        self.metrics = Metrics(s.service_name)
        self.tracing = Tracing.from_environment(s.service_name)
        self.tenants = TenantDirectory(db=self.db)
        self.verifier = TokenVerifier(s)
        self.broker = NatsBroker(
            s.nats_servers(),
            name=f"jalin-{s.service_name}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            graceful_timeout=10.0,
            # Through our JSON logging; per-message access lines only at DEBUG (they cost 1.5x).
            logger=logging.getLogger("jalin.broker"),
            log_level=logging.DEBUG,
            security=bus_security(s),
            # Its own reply subjects: the bus lets each service read only its own replies.
            inbox_prefix=inbox_of(s.service_name),
        )
        if self.consumers is not None:
            self.consumers.bind(self.db, s, self.metrics, self.tracing)
            if self.consumes:
                self.broker.include_router(self.consumers.build_router(s))
        self.keeper = BusKeeper(self.broker, list(self.consumers.registrations) if self.consumers and self.consumes else [])
        self.relay = OutboxRelay(
            self.db,
            self._jetstream,
            batch_size=s.relay_batch_size,
            poll_seconds=s.relay_poll_seconds,
            max_backoff_seconds=s.relay_max_backoff_seconds,
            max_attempts=s.relay_max_attempts,
            retry_seconds=s.relay_retry_seconds,
            max_retry_seconds=s.relay_max_retry_seconds,
        )

    @property
    def consumes(self) -> bool:
        """Whether this process subscribes its consumers (not in role api)."""
        return self.consumers is not None and self.settings.role == "all"

    def _jetstream(self) -> JetStreamContext:
        if self.js is None:
            raise RuntimeError("not connected to NATS yet")
        return self.js

    async def start(self) -> None:
        s = self.settings
        configure_logging(s.service_name, s.log_level, s.log_json)
        log.info("service.starting", settings=s.public())
        if self.migrate_on_start:
            await upgrade_async(self.migrations_dir, s.database_url)
        if s.role == "all":
            await (self.registry_owner or seed_tenant_copy)(self, tenant_seed(s))
        await self.tenants.reload()
        self._tasks.append(asyncio.create_task(self.tenants.keep_fresh(s.tenant_refresh_seconds), name="tenants"))
        # HTTP and the relay do not wait for NATS: writes are accepted and wait in the
        # outbox; consumers start once NATS answers (readiness says "connecting" till then).
        self.relay.start()
        self._tasks.append(asyncio.create_task(self._connect_and_consume(), name="nats"))
        for job in self.background:
            self._tasks.append(asyncio.create_task(self._supervise(job), name=job.__name__))
        log.info("service.started", port=s.port, role=s.role)
        for hook in self.on_started:
            hook()

    async def _connect_and_consume(self) -> None:
        await self._connect()
        await self.broker.start()
        await self._watch_max_deliveries()
        self.consuming = True
        log.info("nats.consuming")
        if self.stopping:
            return
        self._tasks.append(asyncio.create_task(self.keeper.keep(self._jetstream(), self.settings.bus_check_seconds),
                                               name="bus"))

    async def _connect(self) -> None:
        delay = 0.2
        while True:
            try:
                await self.broker.connect()
                break
            except Exception as exc:  # noqa: BLE001 - NATS may come later
                log.warning("nats.unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.js = self.broker.connection.jetstream()
        # Created from the one definition when absent; `jalin stream apply` updates it.
        await self.keeper.ensure_stream(self.js)
        self.keeper.problems.clear()

    async def _watch_max_deliveries(self) -> None:
        """Dead-letter what the server stops delivering without our last attempt failing."""
        if self.consumers is None or not self.consumers.registrations or not self.consumes:
            return
        consumers, js = self.consumers, self._jetstream()

        async def on_advisory(msg: Msg) -> None:
            try:
                await consumers.on_max_deliveries(js, json.loads(msg.data))
            except Exception:  # noqa: BLE001 - an advisory must never take the service down
                log.exception("dead_letter.advisory_failed")

        nc = self.broker.connection
        # A queue group: one replica of the service records each advisory.
        await nc.subscribe(
            MAX_DELIVERIES_ADVISORIES,
            queue=f"jalin-{self.settings.service_name}-dead-letters",
            cb=on_advisory,
        )

    async def _supervise(self, job: BackgroundJob) -> None:
        while True:
            try:
                await job(self)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a job's crash is logged and the job restarted
                log.exception("background.crashed", job=job.__name__)
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        """Stop within bounded time. A task cancelled in the middle of a database call, or a
        broker stopped while it was still starting, can fail to finish; a stop must end
        anyway (it logs what it left behind), or a test's teardown or a deploy hangs."""
        self.stopping = True
        for hook in self.on_stopping:
            await _within(asyncio.to_thread(hook), "stopping hook")
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT)
            for task in pending:
                log.warning("service.task_did_not_stop", task=task.get_name())
        for task in self._tasks:  # one a step started while being cancelled (a broker start ignores it)
            if not task.done():
                task.cancel()
        await _within(self.relay.stop(), "outbox relay")
        await _within(self.broker.stop(), "broker")
        await _within(self.db.dispose(), "database")
        await _within(asyncio.to_thread(self.tracing.shutdown), "traces")
        for hook in self.on_stopped:
            await _within(asyncio.to_thread(hook), "stopped hook")

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            # The reader pool: a probe must not queue behind a long write.
            async with asyncio.timeout(5):
                async with self.db.read_engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            parked = await self.relay.parked_count()
            # Reported, not failing readiness: no restart brings a parked event through.
            checks["outbox"] = f"{parked} parked (jalin outbox list)" if parked else "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"error: {type(exc).__name__} {exc}"
        if not self.consuming:
            checks["nats"] = "connecting"
            checks["outbox_relay"] = "ok" if self.relay.healthy else "retrying"
            return checks
        nc = self.broker.config.broker_config.connection_state
        connected = bool(nc) and nc.connection.is_connected
        checks["nats"] = "ok" if connected else "disconnected"
        for what, problem in list(self.keeper.problems.items()):
            checks[f"bus:{what}"] = problem
        if self.keeper.drift:
            checks["bus_config"] = (f"JALIN differs from the kit's definition ({', '.join(self.keeper.drift)}): "
                                    "apply it again (jalin stream apply) and find who changed it")
        if connected and self.consumers is not None and self.consumes and self.js is not None:
            js = self.js
            names = list(self.consumers.registrations)

            async def check(name: str) -> str:
                try:
                    return await asyncio.wait_for(consumer_health(js, name), timeout=5)
                except Exception as exc:  # noqa: BLE001
                    return f"error: {type(exc).__name__}"

            for name, state in zip(names, await asyncio.gather(*(check(n) for n in names)), strict=True):
                checks[f"consumer:{name}"] = state
        checks["outbox_relay"] = "ok" if self.relay.healthy else "retrying"
        return checks
