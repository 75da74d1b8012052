"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import STEP_EVENTS, MappingReminderDue, ProposalApproved, ProposalRejected, ProposalSubmitted


def asyncapi_app() -> FastStream:
    return _build(
        "proposals",
        "The cooperation lifecycle (PP 28/2018): proposal and agreement steps, and potential-mapping reminders.",
        consumers=None,
        publishes=[ProposalSubmitted, ProposalApproved, ProposalRejected, *STEP_EVENTS.values(), MappingReminderDue],
    )
