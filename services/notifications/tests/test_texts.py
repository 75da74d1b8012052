"""Notices: who gets told what, in Indonesian and in English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from jalin_kit.events import (
    DocumentGenerated,
    EvaluationDue,
    Party,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.tenants import DEMO_TENANTS
from jalin_notifications import texts
from jalin_notifications.models import RecipientType

SUMBAR = DEMO_TENANTS["sumbar"]
UNIT = (RecipientType.UNIT, "dpupr")
SECTION = (RecipientType.ROLE, "kerja_sama")
UNIT_NAME = "Dinas Pekerjaan Umum dan Penataan Ruang"
TITLE = "Jalan & Jembatan <Tahap 1>"


def snapshot(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "proposal_id": "p-1",
        "tenant": "sumbar",
        "title": TITLE,
        "kind": "ksdd",
        "proposer": Party(name=SUMBAR.name, tenant="sumbar"),
        "proposer_unit": "dpupr",
        "partner": Party(name="Pemerintah Kabupaten Kutai Kartanegara", tenant="kukar"),
        "objective": "Konektivitas.",
        "scope": "Jalan penghubung.",
        "term_months": 24,
        "financing": "APBD.",
        "actor": "u-1",
        "occurred_at": datetime(2026, 11, 23, tzinfo=UTC),
    }
    fields.update(changes)
    return fields


def submitted(**changes: Any) -> ProposalSubmitted:
    return ProposalSubmitted(**snapshot(**changes))


def approved(**changes: Any) -> ProposalApproved:
    return ProposalApproved(**snapshot(**changes), term_start=date(2026, 11, 23), term_end=date(2028, 11, 23))


def rejected(**changes: Any) -> ProposalRejected:
    return ProposalRejected(**snapshot(**changes), reason="Ruang lingkup belum jelas.")


def generated(unit: str | None = "dpupr") -> DocumentGenerated:
    return DocumentGenerated(
        document_id="d-1",
        tenant="sumbar",
        proposal_id="p-1",
        proposal_title=TITLE,
        proposer_unit=unit,
        kind="kb",
        version=2,
        sha256="0" * 64,
        size=10,
        media_type="x",
        generated_at=datetime.now(UTC),
    )


def due(days: int, unit: str | None = "dpupr") -> EvaluationDue:
    return EvaluationDue(
        plan_id="pl-1",
        reminder_id="r-1",
        tenant="sumbar",
        proposal_id="p-1",
        proposal_title=TITLE,
        proposer_unit=unit,
        term_end=date(2028, 11, 23),
        days_before_end=days,
        due_on=date(2028, 11, 23),
    )


def recipients(notices: list[texts.Notice]) -> list[tuple[RecipientType, str]]:
    return [(n.recipient_type, n.recipient) for n in notices]


# -- recipients -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "notices", "expected"),
    [
        ("submitted", lambda: texts.proposal_submitted(submitted(), SUMBAR), [SECTION, UNIT]),
        ("approved", lambda: texts.proposal_approved(approved(), SUMBAR), [UNIT, SECTION]),
        ("rejected", lambda: texts.proposal_rejected(rejected(), SUMBAR), [UNIT]),
        ("generated", lambda: texts.document_generated(generated(), SUMBAR), [UNIT, SECTION]),
        ("due", lambda: texts.evaluation_due(due(30), SUMBAR), [UNIT, SECTION]),
    ],
)
def test_each_event_notifies_the_proposing_unit_and_or_the_cooperation_section(
    name: str, notices: Any, expected: list[tuple[RecipientType, str]]
) -> None:
    got = notices()
    assert recipients(got) == expected
    assert all(
        n.kind == {"generated": "document.generated", "due": "evaluation.due"}.get(name, f"proposal.{name}")
        for n in got
    )


@pytest.mark.parametrize(
    ("notices", "expected"),
    [
        (lambda: texts.proposal_submitted(submitted(proposer_unit=None), SUMBAR), [SECTION]),
        (lambda: texts.proposal_approved(approved(proposer_unit=None), SUMBAR), [SECTION]),
        (lambda: texts.document_generated(generated(unit=None), SUMBAR), [SECTION]),
        (lambda: texts.evaluation_due(due(7, unit=None), SUMBAR), [SECTION]),
    ],
)
def test_without_a_proposing_unit_only_the_cooperation_section_is_told(
    notices: Any, expected: list[tuple[RecipientType, str]]
) -> None:
    assert recipients(notices()) == expected


def test_mailboxes_are_the_unit_and_the_cooperation_mailbox_of_the_tenant() -> None:
    unit_notice, section_notice = texts.proposal_approved(approved(), SUMBAR)
    assert unit_notice.mailbox(SUMBAR) == "dpupr@sumbarprov.example.id"
    assert section_notice.mailbox(SUMBAR) == "kerjasama@sumbarprov.example.id"
    assert section_notice.mailbox(DEMO_TENANTS["kukar"]) == "kerjasama@kukarkab.example.id"


# -- wording ----------------------------------------------------------------------------------


def test_submitted_notice_asks_the_section_to_decide_in_both_languages() -> None:
    section, unit = texts.proposal_submitted(submitted(), SUMBAR)
    assert section.title_id == f"Usulan baru menunggu penilaian: {TITLE}"
    assert section.body_id.startswith(f"Yth. {SUMBAR.cooperation_section},")
    assert f'{UNIT_NAME} telah mengajukan usulan kerja sama "{TITLE}"' in section.body_id
    assert "jangka waktu 24 bulan" in section.body_id
    assert section.title_en == f"New proposal awaiting review: {TITLE}"
    assert "term 24 months" in section.body_en and "Please review and decide" in section.body_en
    assert unit.title_id == f"Usulan diajukan: {TITLE}"
    assert unit.body_id.startswith(f"Yth. Pimpinan {UNIT_NAME},")
    assert unit.title_en == f"Proposal submitted: {TITLE}"


def test_approved_notice_gives_the_term_as_indonesian_dates_and_iso_dates_in_english() -> None:
    unit, section = texts.proposal_approved(approved(), SUMBAR)
    for n in (unit, section):
        assert n.title_id == f"Usulan disetujui: {TITLE}"
        assert "23 November 2026 s.d. 23 November 2028" in n.body_id
        assert n.title_en == f"Proposal approved: {TITLE}"
        assert "term 2026-11-23 to 2028-11-23" in n.body_en
        assert "Pemerintah Kabupaten Kutai Kartanegara" in n.body_id
    assert unit.body_id.startswith(f"Yth. Pimpinan {UNIT_NAME},")
    assert "Draf Kesepakatan Bersama sedang disiapkan" in unit.body_id
    assert f"dari {UNIT_NAME}" in section.body_id


def test_rejected_notice_carries_the_reason_in_both_languages() -> None:
    [n] = texts.proposal_rejected(rejected(), SUMBAR)
    assert n.title_id == f"Usulan ditolak: {TITLE}"
    assert "dengan alasan: Ruang lingkup belum jelas." in n.body_id
    assert "dapat diperbaiki dan diajukan kembali" in n.body_id
    assert n.title_en == f"Proposal rejected: {TITLE}"
    assert "Reason: Ruang lingkup belum jelas." in n.body_en


def test_document_generated_notice_names_the_version() -> None:
    unit, section = texts.document_generated(generated(), SUMBAR)
    for n in (unit, section):
        assert n.title_id == f"Draf Kesepakatan Bersama tersedia: {TITLE}"
        assert "versi 2" in n.body_id
        assert "Version 2" in n.body_en
    assert unit.body_id.startswith(f"Yth. Pimpinan {UNIT_NAME},")
    assert not section.body_id.startswith("Yth.")


def test_evaluation_due_notice_counts_days_before_the_end() -> None:
    unit, section = texts.evaluation_due(due(30), SUMBAR)
    for n in (unit, section):
        assert n.title_id == f"Pengingat masa berlaku kerja sama: {TITLE}"
        assert "akan berakhir dalam 30 hari, pada 23 November 2028" in n.body_id
        assert n.title_en == f"Cooperation term reminder: {TITLE}"
        assert "ends in 30 days, on 2028-11-23" in n.body_en


def test_evaluation_due_on_the_last_day_says_it_ends_today() -> None:
    unit, section = texts.evaluation_due(due(0), SUMBAR)
    for n in (unit, section):
        assert "berakhir hari ini, 23 November 2028" in n.body_id
        assert "dalam 0 hari" not in n.body_id
        assert "ends today, 2028-11-23" in n.body_en


def test_unknown_unit_is_named_by_its_id_and_no_unit_by_the_cooperation_section() -> None:
    [n] = texts.proposal_rejected(rejected(proposer_unit="bappeda"), SUMBAR)
    assert n.recipient == "bappeda"
    assert n.body_id.startswith("Yth. Pimpinan bappeda,")
    [section] = texts.proposal_submitted(submitted(proposer_unit=None), SUMBAR)
    assert f"{SUMBAR.cooperation_section} telah mengajukan" in section.body_id
