"""Two apps of the same service in one process share nothing: each ``build()`` makes its own
consumers, dependencies, store, tenant directory and metrics, and an event handled by one
app's consumers writes to that app's store (and blob folder) only.

Each app runs its lifespan (migrations, the tenant seed, its consumers) on its own SQLite file
and data folder; both are on a NATS of this test's own, so no other test's events reach them.
The event goes through the first app's consumer pipeline (inbox, handler, one transaction),
exactly as a message from NATS would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from jalin_documents.app import build as build_documents
from jalin_documents.models import CooperationParty, Document
from jalin_documents.settings import DocumentsSettings
from jalin_evaluation.app import build as build_evaluation
from jalin_evaluation.models import Plan, Reminder
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.consumers import EventConsumers
from jalin_kit.events import CloudEvent, Party, ProposalApproved
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.outbox import OutboxMessage
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.settings import ServiceSettings
from jalin_notifications.app import build as build_notifications
from jalin_notifications.models import Email, Message
from jalin_notifications.settings import NotificationsSettings
from sqlmodel import SQLModel, func, select

from jalin_cli.platform import NatsServer, free_port


@dataclass(frozen=True)
class Service:
    build: Callable[[Any], FastAPI]
    settings: type[ServiceSettings]
    written: tuple[type[SQLModel], ...]
    """What an approval writes in this service's store."""
    extra: dict[str, Any]


SERVICES = {
    "documents": Service(build_documents, DocumentsSettings, (Document, CooperationParty, OutboxMessage), {}),
    "evaluation": Service(build_evaluation, EvaluationSettings, (Plan, Reminder), {"today": date(2026, 11, 23)}),
    "notifications": Service(build_notifications, NotificationsSettings, (Message, Email),
                             {"smtp_port": free_port(), "mailer_poll_seconds": 60.0}),
}


def approval(proposal_id: str) -> tuple[CloudEvent, ProposalApproved]:
    event = ProposalApproved(
        proposal_id=proposal_id,
        tenant="sumbar",
        title="Jalan Penghubung Antarwilayah",
        kind="ksdd",
        proposer=Party(name="Pemerintah Provinsi Sumatera Barat", tenant="sumbar"),
        proposer_unit="dpupr",
        partner=Party(name="Pemerintah Kabupaten Kutai Kartanegara", tenant="kukar"),
        shared_with="kukar",
        objective="Meningkatkan konektivitas antarwilayah.",
        scope="Pembangunan jalan penghubung.",
        term_months=24,
        financing="APBD masing-masing pihak.",
        actor="sumbar-kerja-sama",
        occurred_at=datetime(2026, 11, 23, tzinfo=UTC),
        stage="penawaran",
        term_start=date(2026, 12, 1),
        term_end=date(2028, 11, 30),
    )
    envelope = CloudEvent(
        id=str(uuid.uuid4()),
        source="/jalin/proposals",
        type=ProposalApproved.ce_type(),
        subject="jalin.sumbar.proposal.approved",
        tenant_id="sumbar",
        correlation_id=proposal_id,
    )
    return envelope, event


def consumers_of(app: FastAPI) -> EventConsumers:
    runtime: ServiceRuntime = app.state.runtime
    assert runtime.consumers is not None
    return runtime.consumers


async def count(app: FastAPI, model: type[SQLModel]) -> int:
    async with app.state.runtime.db.system_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_two_apps_of_a_service_in_one_process_share_nothing(
    name: str, tmp_path: Path, own_nats: NatsServer
) -> None:
    service = SERVICES[name]
    folders = {key: tmp_path / key for key in ("a", "b")}
    apps = {
        key: service.build(service.settings(
            database_url=f"sqlite+aiosqlite:///{folder / 'store.db'}", data_dir=folder, nats_url=own_nats.url,
            jwt_secret=f"independent-apps-{key}-0123456789abcdef0123", environment="test", log_json=False,
            log_level="WARNING", **service.extra,
        ))
        for key, folder in folders.items()
    }
    a, b = apps["a"], apps["b"]

    # Built apart: nothing of one is the other's.
    ca, cb = consumers_of(a), consumers_of(b)
    assert ca is not cb and ca.registrations is not cb.registrations
    assert ca.registrations.keys() == cb.registrations.keys()
    assert ca.deps is a.state.deps and cb.deps is b.state.deps and a.state.deps is not b.state.deps
    for app, consumers in ((a, ca), (b, cb)):
        runtime: ServiceRuntime = app.state.runtime
        assert consumers.database() is runtime.db
        assert app.state.deps.tenants is runtime.tenants  # the runtime's copy of the registry
    assert a.state.runtime.db is not b.state.runtime.db
    assert a.state.runtime.tenants is not b.state.runtime.tenants
    assert a.state.runtime.metrics.registry is not b.state.runtime.metrics.registry
    if name == "documents":
        assert a.state.deps.blobs is not b.state.deps.blobs

    async with AsyncExitStack() as running:
        for app in (a, b):
            await running.enter_async_context(app.router.lifespan_context(app))
        envelope, event = approval(str(uuid.uuid4()))
        reg = ca.registrations[f"{name}-proposal-approved"]
        assert await ca.process(reg, envelope, event) is True

        for model in service.written:
            assert await count(a, model) >= 1, f"app a wrote no {model.__name__}"
            assert await count(b, model) == 0, f"app b's store got a {model.__name__}"
        assert await count(a, ProcessedEvent) == 1 and await count(b, ProcessedEvent) == 0
        if name == "documents":  # the KB draft's file is in a's blob folder only
            assert [p.suffix for p in files_under(folders["a"] / "blobs")] == [".docx"]
            assert files_under(folders["b"] / "blobs") == []

        # The same event is new to b's own inbox: it is b's to handle, into b's store.
        assert await cb.process(cb.registrations[reg.consumer], envelope, event) is True
        assert await ca.process(reg, envelope, event) is False  # a's inbox has it already
        for model in service.written:
            assert await count(b, model) == await count(a, model)
