"""The AsyncAPI document of this service (``faststream docs gen --factory``)."""

from faststream import FastStream
from jalin_kit.asyncapi import asyncapi_app as _build
from jalin_kit.events import (
    STEP_EVENTS,
    MappingReminderDue,
    ProposalApproved,
    ProposalDrafted,
    ProposalRejected,
    ProposalSubmitted,
    TenantChanged,
)


def asyncapi_app() -> FastStream:
    return _build(
        "proposals",
        "The cooperation lifecycle (PP 28/2018): proposal and agreement steps, potential-mapping reminders; "
        "and the tenant registry's changes (jalin.platform.tenant.changed).",
        consumers=None,
        publishes=[ProposalDrafted, ProposalSubmitted, ProposalApproved, ProposalRejected, *STEP_EVENTS.values(), MappingReminderDue,
                   TenantChanged],
    )
