"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import EvaluationDue

from jalin_evaluation.handlers import build_consumers


def asyncapi_app() -> FastStream:
    return _build(
        "evaluation",
        (
            "Consumes the cooperation lifecycle: an approval plans provisionally; a signed "
            "(or imported) agreement, or an addendum, sets the plan on its term; an end, a "
            "rejection or a declined offer closes it. Publishes reminders that fall due."
        ),
        consumers=build_consumers(),
        publishes=[EvaluationDue],
    )
