import pytest
from jalin_kit.events import subject_for
from jalin_kit.identifiers import REGION_CODE, TENANT_ID, UNIT_ID


@pytest.mark.parametrize("value", ["sumbar", "kab-kutai-kartanegara", "a", "x" * 64])
def test_tenant_ids(value: str) -> None:
    assert TENANT_ID.fullmatch(value)


@pytest.mark.parametrize("value", ["sumbar\n", "\nsumbar", "Sumbar", "-sumbar", "sum_bar", "", "x" * 65, None, 7])
def test_tenant_ids_are_matched_whole(value: object) -> None:
    assert not TENANT_ID.fullmatch(value)


def test_unit_ids() -> None:
    assert UNIT_ID.fullmatch("dinkes") and UNIT_ID.fullmatch("dinas_pu-1")
    assert not UNIT_ID.fullmatch("dinkes\n") and not UNIT_ID.fullmatch("Dinkes")


def test_region_codes() -> None:
    assert REGION_CODE.fullmatch("13") and REGION_CODE.fullmatch("64.02")
    assert not REGION_CODE.fullmatch("64.02\n") and not REGION_CODE.fullmatch("64.2") and not REGION_CODE.fullmatch("640")


def test_schema_form_is_anchored() -> None:
    assert TENANT_ID.schema == "^[a-z0-9][a-z0-9-]{0,63}$"


def test_subjects_refuse_a_token_with_a_newline() -> None:
    assert subject_for("sumbar", "proposal", "approved") == "jalin.sumbar.proposal.approved"
    with pytest.raises(ValueError, match="tenant"):
        subject_for("sumbar\n", "proposal", "approved")
