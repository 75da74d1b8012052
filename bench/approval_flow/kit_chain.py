"""The event-plumbing 2-hop chain: its events, and the handler process built from jalin-kit exactly
as a service is (``_kit-hop 1`` and ``_kit-hop 2``), with handlers that do nothing else."""

from __future__ import annotations

import argparse
import asyncio
import signal
import uuid
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

from jalin_kit.events.catalogue import IntegrationEvent
from jalin_kit.events.envelope import CloudEvent, subject_for

from . import raw_jetstream as raw
from .settings import KIT_TENANT


class BenchPing(IntegrationEvent):
    """Hop 1 of the kit chain (published by the bench, consumed by the kit hop-1 process)."""

    aggregate: ClassVar[str] = "bench"
    event: ClassVar[str] = "ping"

    key: str
    tenant: str
    pad: str = ""


class BenchPong(BenchPing):
    """Hop 2: emitted through hop 1's outbox, consumed by the kit hop-2 process."""

    aggregate: ClassVar[str] = "bench-pong"
    event: ClassVar[str] = "pong"


BENCH_PUBLISHERS = MappingProxyType({"bench": "/bench/producer", "bench-pong": "/bench/benchkit1"})
"""Who publishes the bench's aggregates: consumers refuse an event from another source."""


def kit_payload(key: str) -> bytes:
    base = BenchPing(key=key, tenant=KIT_TENANT).model_dump_json()
    pad = "x" * max(0, raw.PAYLOAD_BYTES - len(base))
    return BenchPing(key=key, tenant=KIT_TENANT, pad=pad).model_dump_json().encode()


def kit_message(key: str) -> tuple[bytes, dict[str, str]]:
    envelope = CloudEvent(
        id=str(uuid.uuid4()),
        source="/bench/producer",
        type=BenchPing.ce_type(),
        subject=subject_for(KIT_TENANT, BenchPing.aggregate, BenchPing.event),
        tenant_id=KIT_TENANT,
        correlation_id=key,
    )
    return kit_payload(key), envelope.headers()


def kit_hop_main(argv: list[str]) -> None:
    """A process built from jalin-kit exactly as a service is (ServiceRuntime: FastStream
    pull consumer, inbox, SQLite, outbox relay), with a handler that does nothing else."""
    parser = argparse.ArgumentParser(prog="approval_flow _kit-hop")
    parser.add_argument("--hop", type=int, choices=[1, 2], required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)

    from jalin_kit.consumers import EventConsumers, EventContext
    from jalin_kit.events.catalogue import PUBLISHERS
    from jalin_kit.inbox import DeadLetter, ProcessedEvent
    from jalin_kit.outbox import OutboxMessage
    from jalin_kit.runtime import ServiceRuntime
    from jalin_kit.settings import ServiceSettings
    from jalin_kit.tenants import TenantRecord

    PUBLISHERS.update(BENCH_PUBLISHERS)  # this process only: the bench's own events

    name = f"benchkit{args.hop}"
    consumers = EventConsumers(service=name, source=f"/bench/{name}")
    if args.hop == 1:

        @consumers.on(BenchPing)
        async def forward(ctx: EventContext, event: BenchPing) -> None:
            ctx.emit(BenchPong(key=event.key, tenant=event.tenant, pad=event.pad))

    else:

        @consumers.on(BenchPong)
        async def arrive(ctx: EventContext, event: BenchPong) -> None:
            return None

    settings_cls = type(f"BenchKit{args.hop}Settings", (ServiceSettings,), {"service_name": name})
    args.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_cls(
        environment="development",
        nats_url=args.nats_url,
        data_dir=args.data_dir,
        database_url=f"sqlite+aiosqlite:///{(args.data_dir / f'{name}.db').resolve()}",
    )
    runtime = ServiceRuntime(settings, args.data_dir, consumers=consumers, migrate_on_start=False)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.call_later(args.max_seconds, stop.set)
        await runtime.db.create_all(
            tables=[OutboxMessage.__table__, ProcessedEvent.__table__, DeadLetter.__table__,  # type: ignore[attr-defined]
                    TenantRecord.__table__]  # type: ignore[attr-defined]
        )
        await runtime.start()
        await stop.wait()
        await runtime.stop()

    asyncio.run(run())
