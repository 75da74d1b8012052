"""One approval is one trace: the request's span is the parent of the consumers' spans in
the three other services (through ``traceparent`` on the outbox row and the CloudEvents
``ce-traceparent`` header), and the event a consumer emits carries its own span on. The four
services run in this process, each with its own tracer provider, all writing to one
in-memory exporter; NATS is a real server of this test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jalin_documents.app import build as build_documents
from jalin_documents.settings import DocumentsSettings
from jalin_e2e import PROPOSAL
from jalin_evaluation.app import build as build_evaluation
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.auth import issue_dev_token
from jalin_kit.events.envelope import CloudEvent
from jalin_kit.testing import NatsServer, eventually
from jalin_notifications.app import build as build_notifications
from jalin_notifications.settings import NotificationsSettings
from jalin_proposals.app import build as build_proposals
from jalin_proposals.settings import ProposalsSettings
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

SECRET = "traces-test-secret-" + "x" * 40
BUILDS: dict[str, tuple[Callable[[Any], FastAPI], type[Any]]] = {
    "proposals": (build_proposals, ProposalsSettings),
    "documents": (build_documents, DocumentsSettings),
    "evaluation": (build_evaluation, EvaluationSettings),
    "notifications": (build_notifications, NotificationsSettings),
}
CONSUMERS = ("documents-proposal-approved", "evaluation-proposal-approved", "notifications-proposal-approved")


@pytest.fixture
async def traced(tmp_path: Path, own_nats: NatsServer) -> AsyncIterator[tuple[dict[str, FastAPI], InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    apps: dict[str, FastAPI] = {}
    async with AsyncExitStack() as stack:
        for name, (build, settings_cls) in BUILDS.items():
            settings = settings_cls(
                environment="test", jwt_secret=SECRET, nats_url=own_nats.url, data_dir=tmp_path / name,
                database_url=f"sqlite+aiosqlite:///{tmp_path / name}.db", log_json=False, log_level="WARNING",
            )
            app = build(settings)
            app.state.runtime.tracing.use(SimpleSpanProcessor(exporter))
            await stack.enter_async_context(app.router.lifespan_context(app))
            apps[name] = app
        yield apps, exporter


def spans_of(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.context is not None and s.context.trace_id == trace_id]


async def test_one_approval_is_one_trace_across_the_services(traced: tuple[dict[str, FastAPI], InMemorySpanExporter]) -> None:
    apps, exporter = traced
    staff = {"Authorization": "Bearer " + issue_dev_token(SECRET, tenant="sumbar", roles=["opd_staff"], user="u1",
                                                          unit="dpupr")}
    section = {"Authorization": "Bearer " + issue_dev_token(SECRET, tenant="sumbar", roles=["kerja_sama"], user="u2")}
    transport = httpx.ASGITransport(app=apps["proposals"])
    async with httpx.AsyncClient(transport=transport, base_url="http://proposals", timeout=60) as client:
        r = await client.post("/v1/proposals", json=PROPOSAL, headers=staff)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        assert (await client.post(f"/v1/proposals/{pid}/submit", headers=staff)).status_code == 200
        # The caller's own trace context is continued (a gateway or the console started it).
        incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        r = await client.post(f"/v1/proposals/{pid}/approve", headers={**section, "traceparent": incoming})
        assert r.status_code == 200, r.text
    trace_id = int("0af7651916cd43dd8448eb211c80319c", 16)

    def consumer_spans() -> dict[str, ReadableSpan]:
        return {s.name.removesuffix(" process"): s for s in spans_of(exporter, trace_id) if s.kind == SpanKind.CONSUMER}

    wanted = {*CONSUMERS, "notifications-document-generated"}
    await eventually(lambda: wanted <= set(consumer_spans()), within=60, what="the four consumers' spans of the trace")

    spans = spans_of(exporter, trace_id)
    [request] = [s for s in spans if s.kind == SpanKind.SERVER]
    assert request.name == "POST /v1/proposals/{proposal_id}/approve"
    assert request.parent is not None and request.parent.span_id == int("b7ad6b7169203331", 16)
    assert request.resource.attributes["service.name"] == "jalin-proposals"
    found = consumer_spans()
    for consumer in CONSUMERS:  # each service's consumer: a child of the request's span
        span = found[consumer]
        assert span.parent is not None and span.parent.span_id == request.context.span_id, consumer
        assert span.resource.attributes["service.name"] == f"jalin-{consumer.split('-')[0]}"
        assert span.attributes is not None and span.attributes["messaging.destination.name"] == "jalin.sumbar.proposal.approved"
    # The document's event, emitted by the documents consumer, continues from that consumer's span.
    assert found["notifications-document-generated"].parent.span_id == found["documents-proposal-approved"].context.span_id  # type: ignore[union-attr]
    # The other requests of the test were traces of their own.
    assert len({s.context.trace_id for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER}) >= 3  # type: ignore[union-attr]


def test_a_malformed_trace_context_on_the_bus_is_dropped_not_refused() -> None:
    base = CloudEvent("e1", "/jalin/proposals", "t", "jalin.sumbar.proposal.approved", "sumbar", "c").headers()
    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert CloudEvent.from_headers({**base, "ce-traceparent": good}).traceparent == good
    for bad in ("junk", good + "x", "00-" + "0" * 32 + "-b7ad6b7169203331-01", good.upper(), "01" + good[2:], ""):
        assert CloudEvent.from_headers({**base, "ce-traceparent": bad}).traceparent is None, bad
    # and what a consumer publishes again carries only a valid one
    assert "ce-traceparent" not in CloudEvent.from_headers({**base, "ce-traceparent": "junk"}).headers()
