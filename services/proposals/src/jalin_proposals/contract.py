"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import ProposalApproved, ProposalRejected, ProposalSubmitted


def asyncapi_app() -> FastStream:
    return _build(
        "proposals",
        "Proposal lifecycle events: submitted, approved, rejected.",
        consumers=None,
        publishes=[ProposalSubmitted, ProposalApproved, ProposalRejected],
    )
