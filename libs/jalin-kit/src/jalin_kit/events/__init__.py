"""Integration events: the CloudEvents envelope, the versioned catalogue, the JALIN stream."""

from jalin_kit.events.catalogue import (
    CATALOGUE,
    PUBLISHERS,
    REGISTRY_TENANT,
    STEP_EVENTS,
    AgreementRecord,
    CooperationStep,
    DocumentGenerated,
    DocumentLocked,
    EvaluationDue,
    IntegrationEvent,
    MappingReminderDue,
    Party,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
    TenantChanged,
    event_class_for_type,
)
from jalin_kit.events.envelope import CloudEvent, subject_for
from jalin_kit.events.stream import JALIN_STREAM, STREAM_NAME, ensure_stream, stream_config

__all__ = [
    "CATALOGUE",
    "PUBLISHERS",
    "REGISTRY_TENANT",
    "STEP_EVENTS",
    "AgreementRecord",
    "CooperationStep",
    "JALIN_STREAM",
    "STREAM_NAME",
    "CloudEvent",
    "DocumentGenerated",
    "DocumentLocked",
    "EvaluationDue",
    "IntegrationEvent",
    "MappingReminderDue",
    "Party",
    "ProposalApproved",
    "ProposalRejected",
    "ProposalSubmitted",
    "TenantChanged",
    "ensure_stream",
    "event_class_for_type",
    "stream_config",
    "subject_for",
]
