"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import DocumentGenerated, DocumentLocked

from jalin_documents.handlers import build_consumers


def asyncapi_app() -> FastStream:
    return _build(
        "documents",
        "Consumes proposal approvals; publishes generated documents and documents locked by a signed scan.",
        consumers=build_consumers(),
        publishes=[DocumentGenerated, DocumentLocked],
    )
