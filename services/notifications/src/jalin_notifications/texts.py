"""What people read: notices in Indonesian (the default) and English. No I/O.

Each function returns the notices an event produces, one per recipient.
"""

from __future__ import annotations

from dataclasses import dataclass

from jalin_kit.events import (
    DocumentGenerated,
    EvaluationDue,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.i18n import tanggal
from jalin_kit.tenants import TenantInfo

from jalin_notifications.models import RecipientType

COOPERATION_ROLE = "kerja_sama"
COOPERATION_MAILBOX = "kerjasama"



@dataclass(frozen=True)
class Notice:
    recipient_type: RecipientType
    recipient: str
    kind: str
    title_id: str
    body_id: str
    title_en: str
    body_en: str

    def mailbox(self, tenant: TenantInfo) -> str:
        local = COOPERATION_MAILBOX if self.recipient_type is RecipientType.ROLE else self.recipient
        return tenant.mailbox(local)


def _to_unit(unit: str | None, **texts: str) -> list[Notice]:
    if not unit:
        return []
    return [Notice(RecipientType.UNIT, unit, **texts)]  # type: ignore[arg-type]


def _to_section(**texts: str) -> list[Notice]:
    return [Notice(RecipientType.ROLE, COOPERATION_ROLE, **texts)]  # type: ignore[arg-type]


def proposal_submitted(e: ProposalSubmitted, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    return _to_section(
        kind="proposal.submitted",
        title_id=f"Usulan baru menunggu penilaian: {e.title}",
        body_id=(
            f"Yth. {tenant.cooperation_section},\n\n{unit} telah mengajukan usulan kerja sama "
            f"\"{e.title}\" dengan {e.partner.name} (jangka waktu {e.term_months} bulan). "
            "Mohon dinilai dan diputuskan melalui Jalin."
        ),
        title_en=f"New proposal awaiting review: {e.title}",
        body_en=(
            f"{unit} submitted the cooperation proposal \"{e.title}\" with {e.partner.name} "
            f"(term {e.term_months} months). Please review and decide in Jalin."
        ),
    ) + _to_unit(
        e.proposer_unit,
        kind="proposal.submitted",
        title_id=f"Usulan diajukan: {e.title}",
        body_id=(
            f"Yth. Pimpinan {unit},\n\nUsulan kerja sama \"{e.title}\" telah diajukan dan "
            f"menunggu penilaian {tenant.cooperation_section}."
        ),
        title_en=f"Proposal submitted: {e.title}",
        body_en=f"The proposal \"{e.title}\" was submitted and awaits review by the cooperation section.",
    )


def proposal_approved(e: ProposalApproved, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    period_id = f"{tanggal(e.term_start)} s.d. {tanggal(e.term_end)}"
    period_en = f"{e.term_start.isoformat()} to {e.term_end.isoformat()}"
    texts = {
        "kind": "proposal.approved",
        "title_en": f"Proposal approved: {e.title}",
        "body_en": (
            f"The proposal \"{e.title}\" with {e.partner.name} was approved (term {period_en}). "
            "The Kesepakatan Bersama draft is being prepared and the monitoring plan scheduled."
        ),
    }
    return _to_unit(
        e.proposer_unit,
        title_id=f"Usulan disetujui: {e.title}",
        body_id=(
            f"Yth. Pimpinan {unit},\n\nUsulan kerja sama \"{e.title}\" dengan {e.partner.name} "
            f"telah disetujui (jangka waktu {period_id}). Draf Kesepakatan Bersama sedang disiapkan "
            "dan jadwal monitoring dan evaluasi telah dibuat."
        ),
        **texts,
    ) + _to_section(
        title_id=f"Usulan disetujui: {e.title}",
        body_id=(
            f"Usulan \"{e.title}\" dari {unit} dengan {e.partner.name} telah disetujui "
            f"(jangka waktu {period_id})."
        ),
        **texts,
    )


def proposal_rejected(e: ProposalRejected, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    return _to_unit(
        e.proposer_unit,
        kind="proposal.rejected",
        title_id=f"Usulan ditolak: {e.title}",
        body_id=(
            f"Yth. Pimpinan {unit},\n\nUsulan kerja sama \"{e.title}\" belum dapat disetujui "
            f"dengan alasan: {e.reason}\n\nUsulan dapat diperbaiki dan diajukan kembali."
        ),
        title_en=f"Proposal rejected: {e.title}",
        body_en=(
            f"The proposal \"{e.title}\" was not approved. Reason: {e.reason}\n\n"
            "It can be revised and submitted again."
        ),
    )


def document_generated(e: DocumentGenerated, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    texts = {
        "kind": "document.generated",
        "title_id": f"Draf Kesepakatan Bersama tersedia: {e.proposal_title}",
        "title_en": f"Kesepakatan Bersama draft ready: {e.proposal_title}",
        "body_en": (
            f"Version {e.version} of the Kesepakatan Bersama draft for \"{e.proposal_title}\" is ready "
            "to download and edit in Word."
        ),
    }
    body_id = (
        f"Draf Kesepakatan Bersama versi {e.version} untuk \"{e.proposal_title}\" telah tersedia "
        "dan dapat diunduh serta disunting dengan Word."
    )
    return _to_unit(e.proposer_unit, body_id=f"Yth. Pimpinan {unit},\n\n{body_id}", **texts) + _to_section(
        body_id=body_id, **texts
    )


def evaluation_due(e: EvaluationDue, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    if e.days_before_end > 0:
        when_id = f"akan berakhir dalam {e.days_before_end} hari, pada {tanggal(e.term_end)}"
        when_en = f"ends in {e.days_before_end} days, on {e.term_end.isoformat()}"
    else:
        when_id = f"berakhir hari ini, {tanggal(e.term_end)}"
        when_en = f"ends today, {e.term_end.isoformat()}"
    texts = {
        "kind": "evaluation.due",
        "title_id": f"Pengingat masa berlaku kerja sama: {e.proposal_title}",
        "title_en": f"Cooperation term reminder: {e.proposal_title}",
        "body_en": (
            f"The cooperation \"{e.proposal_title}\" {when_en}. Please complete its evaluation "
            "and decide whether to extend it (by running the procedure again) or let it end."
        ),
    }
    body_id = (
        f"Kerja sama \"{e.proposal_title}\" {when_id}. Mohon lengkapi evaluasinya dan tentukan "
        "apakah akan diperpanjang (melalui prosedur kerja sama kembali) atau diakhiri."
    )
    return _to_unit(e.proposer_unit, body_id=f"Yth. Pimpinan {unit},\n\n{body_id}", **texts) + _to_section(
        body_id=body_id, **texts
    )
