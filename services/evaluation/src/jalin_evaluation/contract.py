"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import EvaluationDue

from jalin_evaluation.handlers import consumers


def asyncapi_app() -> FastStream:
    return _build(
        "evaluation",
        "Consumes proposal approvals; publishes reminders that fall due.",
        consumers=consumers,
        publishes=[EvaluationDue],
    )
