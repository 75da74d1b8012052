"""Notices: who gets told what, in Indonesian and in English."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from jalin_kit.events import (
    STEP_EVENTS,
    MappingReminderDue,
)
from jalin_kit.tenants import DEMO_TENANTS
from jalin_notifications import texts
from jalin_notifications.models import RecipientType

from services.notifications.tests.conftest import (
    KB,
    KUKAR,
    SUMBAR,
    TITLE,
    approved,
    due,
    generated,
    rejected,
    step,
    submitted,
)

UNIT = (RecipientType.UNIT, "dpupr")
SECTION = (RecipientType.ROLE, "kerja_sama")
UNIT_NAME = "Dinas Pekerjaan Umum dan Penataan Ruang"


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


# -- the partner region's offer ------------------------------------------------------------------

KUKAR_SECTION = "Bagian Kerja Sama Setda Kabupaten Kutai Kartanegara"


def test_offer_goes_to_the_partners_cooperation_section_with_the_essentials_in_both_languages() -> None:
    [n] = texts.offer_to_partner(approved(stage="penawaran"), SUMBAR, KUKAR)
    assert (n.recipient_type, n.recipient, n.kind) == (RecipientType.ROLE, "kerja_sama", "proposal.offer")
    assert n.mailbox(KUKAR) == "kerjasama@kukarkab.example.id"
    assert n.title_id == f"Penawaran kerja sama dari {SUMBAR.name}: {TITLE}"
    assert n.body_id.startswith(f"Yth. {KUKAR_SECTION},")
    for fragment in (
        f"{SUMBAR.name} menyampaikan penawaran kerja sama kepada Pemerintah Kabupaten Kutai Kartanegara",
        "- Jenis kerja sama: Kerja Sama Daerah dengan Daerah Lain (KSDD)",
        "- Maksud dan tujuan: Konektivitas.",
        "- Jangka waktu: 24 bulan (23 November 2026 s.d. 23 November 2028)",
        f"- Perangkat daerah pengusul: {UNIT_NAME}, {SUMBAR.name}",
        "menerima atau menolaknya melalui Jalin",
    ):
        assert fragment in n.body_id
    assert n.title_en == f"Cooperation offer from {SUMBAR.name}: {TITLE}"
    assert "- Term: 24 months (2026-11-23 to 2028-11-23)" in n.body_en
    assert "Please accept or decline the offer in Jalin" in n.body_en


def test_offer_stage_follows_the_event_stage_and_else_the_owners_rules() -> None:
    assert texts.is_offer(approved(stage="penawaran"), SUMBAR)
    assert not texts.is_offer(approved(stage="penyusunan_kb"), SUMBAR)
    assert texts.is_offer(approved(), SUMBAR)  # no stage in the event: docs/domain.md's default
    assert not texts.is_offer(approved(), SUMBAR.model_copy(update={"offer_stage": False}))


def test_without_an_offer_stage_the_partner_is_told_it_is_a_party_and_what_comes_next() -> None:
    [n] = texts.offer_to_partner(approved(stage="penyusunan_kb"), SUMBAR, KUKAR)
    assert n.kind == "proposal.approved"
    assert n.title_id == f"Kerja sama baru dengan {SUMBAR.name}: {TITLE}"
    assert "Tahap berikutnya: penyusunan Kesepakatan Bersama" in n.body_id
    assert "menolak" not in n.body_id
    assert "Next step: drafting of the Kesepakatan Bersama (KB)" in n.body_en


# -- lifecycle steps -----------------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(STEP_EVENTS))
def test_every_step_has_its_own_words_for_the_unit_the_section_and_the_partner(key: tuple[str, str]) -> None:
    assert key in texts.STEP_TEXTS
    mine, theirs = texts.step_notices(step(*key, note="Catatan rapat."), SUMBAR, KUKAR)
    assert recipients(mine) == [UNIT, SECTION]
    internal = key in texts.INTERNAL_STEPS
    assert recipients(theirs) == ([] if internal else [SECTION])
    kind = f"{key[0]}.{key[1]}"
    for n in mine + theirs:
        assert n.kind == kind
        assert n.title_id.endswith(f": {TITLE}") and n.title_en.endswith(f": {TITLE}")
        assert n.title_id != n.title_en
        assert "Perkembangan kerja sama" not in n.title_id  # not the fallback
        assert "Catatan rapat." in n.body_id and "Catatan rapat." in n.body_en
        assert n.body_id.endswith("Rincian selengkapnya dapat dilihat di Jalin.")
        assert n.body_en.endswith("The details are in Jalin.")
    unit, section = mine
    assert unit.body_id.startswith(f"Yth. Pimpinan {UNIT_NAME},")
    assert section.body_id.startswith(f"Yth. {SUMBAR.cooperation_section},")
    if theirs:
        assert theirs[0].body_id.startswith(f"Yth. {KUKAR_SECTION},")


def test_without_a_partner_tenant_or_a_proposing_unit_only_the_owners_section_hears() -> None:
    mine, theirs = texts.step_notices(step("agreement", "kb-signed", proposer_unit=None), SUMBAR, None)
    assert recipients(mine) == [SECTION] and theirs == []


def test_kb_signed_names_both_numbers_the_place_the_date_the_signatory_and_the_next_stage() -> None:
    e = step("agreement", "kb-signed", agreement=KB, stage="persetujuan_dprd", stage_from="penandatanganan_kb")
    [unit, _section], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    for n in (unit, partner):
        assert n.title_id == f"Kesepakatan Bersama ditandatangani: {TITLE}"
        assert (
            "telah ditandatangani dengan nomor 120/45/KB/2026 dan nomor 415.4/12/KSD/2026, di Padang "
            "pada tanggal 10 Januari 2027 oleh Mahyeldi (Gubernur Sumatera Barat)"
        ) in n.body_id
        assert "Tahap berikutnya: persetujuan DPRD." in n.body_id
        assert n.title_en == f"KB signed: {TITLE}"
        assert "numbers 120/45/KB/2026 and 415.4/12/KSD/2026, in Padang on 2027-01-10" in n.body_en
        assert "Next step: approval by the DPRD." in n.body_en


def test_pks_signed_under_a_power_of_attorney_starts_the_cooperation_with_its_term() -> None:
    pks = KB.model_copy(
        update={
            "type": "pks",
            "number_second": None,
            "signatory_name": "dr. Lila",
            "signatory_title": "Kepala Dinas Pekerjaan Umum",
            "signed_as": "delegate",
            "term_start": date(2027, 2, 1),
            "term_end": date(2029, 1, 31),
        }
    )
    e = step("agreement", "pks-signed", agreement=pks, stage="pelaksanaan", stage_from="penandatanganan_pks")
    [_unit, section], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    for n in (section, partner):
        assert n.title_id == f"Perjanjian Kerja Sama ditandatangani: {TITLE}"
        assert "dengan nomor 120/45/KB/2026, di Padang" in n.body_id
        assert "oleh dr. Lila (Kepala Dinas Pekerjaan Umum) berdasarkan kuasa kepala daerah" in n.body_id
        assert "Kerja sama kini memasuki tahap pelaksanaan." in n.body_id
        assert "Jangka waktu kerja sama: 1 Februari 2027 s.d. 31 Januari 2029." in n.body_id
        assert "Tahap berikutnya" not in n.body_id
        assert "under a power of attorney" in n.body_en and "Term: 2027-02-01 to 2029-01-31." in n.body_en


def test_dprd_approval_is_recorded_with_the_note_and_the_next_stage() -> None:
    e = step(
        "agreement", "dprd-approved", stage="penyusunan_pks", stage_from="persetujuan_dprd",
        note="Keputusan DPRD Nomor 12 Tahun 2027 tanggal 3 Maret 2027.",
    )
    [unit, _], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    for n in (unit, partner):
        assert n.title_id == f"Persetujuan DPRD tercatat: {TITLE}"
        assert "Persetujuan DPRD atas kerja sama" in n.body_id and "telah dicatat." in n.body_id
        assert "Catatan: Keputusan DPRD Nomor 12 Tahun 2027 tanggal 3 Maret 2027." in n.body_id
        assert "Tahap berikutnya: penyusunan Perjanjian Kerja Sama." in n.body_id
        assert n.title_en == f"DPRD approval recorded: {TITLE}"


def test_offer_accepted_by_the_partner_in_jalin_or_recorded_on_its_behalf() -> None:
    e = step("proposal", "offer-accepted", actor_tenant="kukar", stage="penyusunan_kb", stage_from="penawaran")
    [unit, _], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    assert unit.title_id == f"Penawaran kerja sama diterima: {TITLE}"
    assert (
        f'Pemerintah Kabupaten Kutai Kartanegara telah menerima penawaran kerja sama "{TITLE}" dari {SUMBAR.name} '
        "(dicatat di Jalin oleh Pemerintah Kabupaten Kutai Kartanegara)."
    ) in unit.body_id
    assert "Tahap berikutnya: penyusunan Kesepakatan Bersama." in partner.body_id
    assert unit.title_en == f"Offer accepted: {TITLE}"
    on_behalf = step("proposal", "offer-accepted", stage="penyusunan_kb", stage_from="penawaran")
    [unit, _], _ = texts.step_notices(on_behalf, SUMBAR, None)
    assert f"(dicatat oleh {SUMBAR.name} atas nama mitra)" in unit.body_id
    assert "on the partner's behalf" in unit.body_en


def test_offer_declined_gives_the_reason_and_says_the_proposal_may_be_revised() -> None:
    e = step(
        "proposal", "offer-declined", actor_tenant="kukar", stage="ditolak", stage_from="penawaran",
        note="Belum tersedia anggaran.",
    )
    [unit, _], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    for n in (unit, partner):
        assert n.title_id == f"Penawaran kerja sama ditolak: {TITLE}"
        assert "Alasan: Belum tersedia anggaran." in n.body_id
        assert "Catatan:" not in n.body_id  # the note is the reason, not repeated
        assert "dapat diperbaiki" in n.body_id
        assert "Reason: Belum tersedia anggaran." in n.body_en
        assert "Tahap berikutnya" not in n.body_id


@pytest.mark.parametrize(
    ("code", "indonesian", "english"),
    [
        ("term_expired", "jangka waktu kerja sama telah berakhir", "the term has expired"),
        ("objective_achieved", "tujuan kerja sama telah tercapai", "the objective has been achieved"),
        ("mutual_agreement", "kesepakatan para pihak", "the parties agreed to end it"),
        ("policy_change", "terdapat perubahan kebijakan", "a change of policy"),
        ("object_lost", "objek kerja sama hilang", "the object of the cooperation was lost"),
        ("court_ruling", "adanya putusan pengadilan", "a court ruling"),
        ("partner_bankrupt", "pihak ketiga dinyatakan pailit", "the third party was declared bankrupt"),
    ],
)
def test_termination_translates_every_end_reason(code: str, indonesian: str, english: str) -> None:
    e = step("agreement", "terminated", stage="diakhiri", end_reason=code)
    [unit, _], [partner] = texts.step_notices(e, SUMBAR, KUKAR)
    for n in (unit, partner):
        assert n.title_id == f"Kerja sama diakhiri: {TITLE}"
        assert f"dengan alasan: {indonesian}" in n.body_id
        assert code not in n.body_id and code not in n.body_en
        assert english in n.body_en
    assert set(texts.END_REASONS) == {
        "term_expired", "objective_achieved", "mutual_agreement", "policy_change", "object_lost",
        "court_ruling", "partner_bankrupt",
    }


def test_expiry_and_completion_say_why_the_cooperation_ended() -> None:
    [unit, _], _ = texts.step_notices(step("agreement", "expired", stage="selesai", end_reason="term_expired"), SUMBAR, None)
    assert unit.title_id == f"Masa berlaku kerja sama berakhir: {TITLE}"
    assert "dengan alasan: jangka waktu kerja sama telah berakhir (per 23 November 2026)" in unit.body_id
    assert "prosedur kerja sama kembali" in unit.body_id
    [unit, _], _ = texts.step_notices(step("agreement", "completed", stage="selesai"), SUMBAR, None)
    assert "dengan alasan: tujuan kerja sama telah tercapai" in unit.body_id


def test_a_comment_is_shown_to_the_other_side_and_not_echoed_to_the_partner_that_wrote_it() -> None:
    by_owner = step("proposal", "commented", stage="penyusunan_kb", stage_from="penyusunan_kb", note="Mohon cek Pasal 5.")
    mine, theirs = texts.step_notices(by_owner, SUMBAR, KUKAR)
    assert recipients(mine) == [UNIT, SECTION] and recipients(theirs) == [SECTION]
    assert f'{SUMBAR.name} memberikan komentar pada kerja sama "{TITLE}"' in theirs[0].body_id
    assert '"Mohon cek Pasal 5."' in theirs[0].body_id and "Tahap berikutnya" not in theirs[0].body_id
    by_partner = step(
        "proposal", "commented", stage="penyusunan_kb", stage_from="penyusunan_kb", note="Setuju.", actor_tenant="kukar"
    )
    mine, theirs = texts.step_notices(by_partner, SUMBAR, KUKAR)
    assert recipients(mine) == [UNIT, SECTION] and theirs == []
    assert "Pemerintah Kabupaten Kutai Kartanegara memberikan komentar" in mine[0].body_id
    assert mine[0].title_en == f"New comment: {TITLE}"


def test_revision_and_import_stay_with_the_owner() -> None:
    assert texts.INTERNAL_STEPS == {("proposal", "revised"), ("agreement", "imported")}
    for key in texts.INTERNAL_STEPS:
        _, theirs = texts.step_notices(step(*key, stage="persiapan", stage_from="ditolak"), SUMBAR, KUKAR)
        assert theirs == []


# -- mapping reminders ---------------------------------------------------------------------------


def reminder(days: int = 7, missing: list[str] | None = None) -> MappingReminderDue:
    return MappingReminderDue(
        round_id="r-1",
        tenant="sumbar",
        round_title="Pemetaan Potensi 2027",
        deadline=date(2027, 3, 31),
        days_before_deadline=days,
        missing_units=["dinkes", "dispar"] if missing is None else missing,
    )


def test_mapping_reminder_goes_to_each_missing_unit_and_a_summary_to_the_section() -> None:
    notices = texts.mapping_reminder(reminder(), SUMBAR)
    assert recipients(notices) == [(RecipientType.UNIT, "dinkes"), (RecipientType.UNIT, "dispar"), SECTION]
    assert {n.kind for n in notices} == {"mapping.reminder-due"}
    dinkes, dispar, section = notices
    assert dinkes.title_id == "Pengingat pemetaan potensi kerja sama: Pemetaan Potensi 2027"
    assert dinkes.body_id.startswith("Yth. Pimpinan Dinas Kesehatan,")
    assert (
        'Batas waktu pemetaan potensi kerja sama "Pemetaan Potensi 2027" tinggal 7 hari lagi, '
        "yaitu pada 31 Maret 2027"
    ) in dinkes.body_id
    assert "Dinas Pariwisata belum menyampaikan" in dispar.body_id
    assert "is in 7 days, on 2027-03-31" in dinkes.body_en
    assert dinkes.mailbox(SUMBAR) == "dinkes@sumbarprov.example.id"
    assert section.title_id == 'Rekap pemetaan potensi "Pemetaan Potensi 2027": 2 perangkat daerah belum menyampaikan'
    assert "1. Dinas Kesehatan\n2. Dinas Pariwisata" in section.body_id
    assert "1. Dinas Kesehatan\n2. Dinas Pariwisata" in section.body_en
    assert section.title_en == 'Mapping "Pemetaan Potensi 2027": 2 unit(s) have not submitted'


def test_mapping_reminder_on_the_deadline_with_unknown_repeated_and_unaddressable_units() -> None:
    notices = texts.mapping_reminder(reminder(0, ["bappeda", "bappeda", "Bad Unit!", "dinkes"]), SUMBAR)
    assert recipients(notices) == [(RecipientType.UNIT, "bappeda"), (RecipientType.UNIT, "dinkes"), SECTION]
    assert "jatuh pada hari ini, 31 Maret 2027" in notices[0].body_id
    assert "is today, 2027-03-31" in notices[0].body_en
    assert "1. bappeda\n2. Bad Unit!\n3. Dinas Kesehatan" in notices[-1].body_id
    assert texts.mapping_reminder(reminder(missing=[]), SUMBAR) == []
