"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build

from jalin_notifications.handlers import build_consumers


def asyncapi_app() -> FastStream:
    return _build(
        "notifications",
        "Consumes proposal, agreement (every lifecycle step), document, evaluation and mapping events; "
        "publishes nothing yet.",
        consumers=build_consumers(),
        publishes=[],
    )
