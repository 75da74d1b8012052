from datetime import UTC, datetime

import pytest
from jalin_kit.events import CATALOGUE, CloudEvent, ProposalApproved, event_class_for_type, subject_for
from jalin_kit.events.envelope import EnvelopeError


def test_headers_round_trip_and_msg_id_is_ce_id() -> None:
    event = CloudEvent(
        id="e-1",
        source="/jalin/proposals",
        type=ProposalApproved.ce_type(),
        subject="jalin.sumbar.proposal.approved",
        tenant_id="sumbar",
        correlation_id="p-1",
        time=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
    )
    headers = event.headers()
    assert headers["Nats-Msg-Id"] == headers["ce-id"] == "e-1"
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "id.jalin.proposal.approved.v1"
    assert CloudEvent.from_headers(headers) == event


@pytest.mark.parametrize("missing", ["ce-id", "ce-type", "ce-tenantid", "ce-specversion", "ce-source"])
def test_missing_header_is_an_envelope_error(missing: str) -> None:
    headers = CloudEvent("e", "/s", "t", "x", "sumbar", "c").headers()
    del headers[missing]
    with pytest.raises(EnvelopeError, match=missing):
        CloudEvent.from_headers(headers)


def test_subject_has_tenant_first_and_rejects_bad_tokens() -> None:
    assert subject_for("sumbar", "proposal", "approved") == "jalin.sumbar.proposal.approved"
    for bad in ("Sumbar", "a.b", "*", ">", ""):
        with pytest.raises(ValueError):
            subject_for(bad, "proposal", "approved")


def test_catalogue_types_are_versioned_and_unique() -> None:
    types = [cls.ce_type() for cls in CATALOGUE]
    assert len(set(types)) == len(types)
    assert all(t.startswith("id.jalin.") and t.endswith(".v1") for t in types)
    assert event_class_for_type("id.jalin.proposal.approved.v1") is ProposalApproved
    assert event_class_for_type("id.jalin.unknown.v1") is None
