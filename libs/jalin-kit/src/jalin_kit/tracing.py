"""OpenTelemetry traces across HTTP and events, off unless the standard ``OTEL_*`` settings say
where to send them (``OTEL_TRACES_EXPORTER=otlp`` or ``console``, or an
``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``; ``OTEL_SERVICE_NAME`` and the exporter's own
``OTEL_EXPORTER_OTLP_*`` settings apply as the SDK defines them).

A request's span is the parent of what it writes: :func:`current_traceparent` is stored on each
outbox row, travels as the CloudEvents ``traceparent`` extension (``ce-traceparent``), and each
consumer's span continues that trace; the events its handler emits carry the consumer's span,
so one approval is one trace across the services. Each runtime has its own provider: two apps
in one process share nothing, and nothing is set globally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jalin_kit.errors import describe_error
from jalin_kit.events.envelope import TRACEPARENT, CloudEvent

_PROPAGATOR = TraceContextTextMapPropagator()


def valid_traceparent(value: str | None) -> str | None:
    """The value when it is a well-formed W3C ``traceparent``, else None: a hostile or broken
    header never fails an event or a request, it only starts a new trace."""
    return value if value is not None and TRACEPARENT.fullmatch(value) else None


def current_traceparent() -> str | None:
    """The ``traceparent`` of the span in progress (None when nothing is traced)."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def exporter_from_environment(environ: Mapping[str, str] | None = None) -> SpanExporter | None:
    """The exporter the ``OTEL_*`` settings ask for; None (tracing off) by default."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    name = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp" or (not name and endpoint):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


class Tracing:
    """One runtime's tracer; a no-op one until :meth:`use` gives it a provider."""

    def __init__(self, service: str = "jalin") -> None:
        self.service = service
        self.provider: TracerProvider | None = None
        self._tracer: trace.Tracer | None = None

    @classmethod
    def off(cls) -> Tracing:
        return cls()

    @classmethod
    def from_environment(cls, service: str) -> Tracing:
        tracing = cls(service)
        exporter = exporter_from_environment()
        if exporter is not None:
            tracing.use(BatchSpanProcessor(exporter))
        return tracing

    @property
    def enabled(self) -> bool:
        return self._tracer is not None

    @property
    def tracer(self) -> trace.Tracer | None:
        """The tracer, None while tracing is off."""
        return self._tracer

    def use(self, processor: SpanProcessor) -> None:
        """Send spans through ``processor`` (an exporter's; a test's in-memory one)."""
        if self.provider is None:
            name = os.environ.get("OTEL_SERVICE_NAME") or f"jalin-{self.service}"
            self.provider = TracerProvider(resource=Resource.create({"service.name": name}))
            self._tracer = self.provider.get_tracer("jalin_kit")
        self.provider.add_span_processor(processor)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()

    # -- spans --------------------------------------------------------------------------

    def consumer_span(self, consumer: str, envelope: CloudEvent) -> Span:
        """A consumer's span for one message, continuing the trace its event carries."""
        if self._tracer is None:
            return INVALID_SPAN
        parent = _PROPAGATOR.extract({"traceparent": envelope.traceparent}) if envelope.traceparent else None
        return self._tracer.start_span(
            f"{consumer} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.operation.type": "process",
                "messaging.destination.name": envelope.subject or "",
                "messaging.message.id": envelope.id,
                "messaging.consumer.group.name": consumer,
                "cloudevents.event_type": envelope.type,
                "jalin.tenant": envelope.tenant_id,
            },
        )

    def within(self, span: Span) -> AbstractContextManager[Any]:
        """Make ``span`` the current one (what the handler emits carries it)."""
        if self._tracer is None:
            return nullcontext()
        return trace.use_span(span, end_on_exit=False)

    @staticmethod
    def failed(span: Span, exc: BaseException) -> None:
        """Marked failed with what an operator may read (``describe_error``: the class and the
        place, never the message, which may carry a tenant's values)."""
        if span.is_recording():
            span.add_event("exception", {"exception.type": type(exc).__name__, "jalin.error": describe_error(exc)})
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))

    @staticmethod
    def abandoned(span: Span, exc: BaseException) -> None:
        """The batch this message was in rolled back; it is tried again on its own."""
        if span.is_recording():
            span.add_event("batch rolled back", {"exception.type": type(exc).__name__})


class TraceRequests:
    """Pure ASGI middleware: a server span per HTTP request, continuing an incoming
    ``traceparent``, named by the route template once routing found it."""

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.tracing = tracing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = self.tracing.tracer
        if scope["type"] != "http" or tracer is None:
            await self.app(scope, receive, send)
            return
        incoming = None
        for key, value in scope.get("headers", ()):
            if key == b"traceparent":
                incoming = valid_traceparent(value.decode("latin-1"))
                break
        parent = _PROPAGATOR.extract({"traceparent": incoming}) if incoming else None
        method = scope.get("method", "")
        status = 500

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        # No exception recorded with its message (a tenant's values may be in it): the status says it failed.
        with tracer.start_as_current_span(method, context=parent, kind=SpanKind.SERVER, record_exception=False,
                                          attributes={"http.request.method": method}) as span:
            try:
                await self.app(scope, receive, recording)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
