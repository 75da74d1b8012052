import pytest
from jalin_kit.errors import describe_error
from jalin_kit.events.envelope import CloudEvent, EnvelopeError
from pydantic import BaseModel, ValidationError


class Payload(BaseModel):
    term_months: int
    title: str


def test_a_validation_error_names_fields_and_kinds_never_values() -> None:
    with pytest.raises(ValidationError) as caught:
        Payload.model_validate({"term_months": "rahasia-daerah", "title": 7})
    text = describe_error(caught.value)
    assert text == "ValidationError of Payload: term_months (int_parsing), title (string_type)"


def test_another_error_names_its_class_and_place() -> None:
    def handler(payload: dict[str, str]) -> str:
        return payload["anggaran Rp 1.500.000.000"]

    with pytest.raises(KeyError) as caught:
        handler({})
    text = describe_error(caught.value)
    assert text.startswith("KeyError at ") and text.endswith("in handler")
    assert "1.500" not in text


def test_the_kits_envelope_errors_keep_their_message() -> None:
    with pytest.raises(EnvelopeError) as caught:
        CloudEvent.from_headers({"ce-id": "1"})
    assert describe_error(caught.value).startswith("EnvelopeError: missing CloudEvents headers: ce-source")
