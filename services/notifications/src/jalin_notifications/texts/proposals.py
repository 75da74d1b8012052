"""Notices of a proposal's submission and decision, of the KB draft and of a term
ending, for the proposing region; and the offer a partner region receives. No I/O."""

from __future__ import annotations

from jalin_kit.events import (
    DocumentGenerated,
    EvaluationDue,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.i18n import tanggal
from jalin_kit.tenants import TenantInfo

from jalin_notifications.texts.common import Notice, kind_label, period, stage_label, to_section, to_unit


def proposal_submitted(e: ProposalSubmitted, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    return to_section(
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
    ) + to_unit(
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
    period_id, period_en = period(e.term_start, e.term_end)
    texts = {
        "kind": "proposal.approved",
        "title_en": f"Proposal approved: {e.title}",
        "body_en": (
            f"The proposal \"{e.title}\" with {e.partner.name} was approved (term {period_en}). "
            "The Kesepakatan Bersama draft is being prepared and the monitoring plan scheduled."
        ),
    }
    return to_unit(
        e.proposer_unit,
        title_id=f"Usulan disetujui: {e.title}",
        body_id=(
            f"Yth. Pimpinan {unit},\n\nUsulan kerja sama \"{e.title}\" dengan {e.partner.name} "
            f"telah disetujui (jangka waktu {period_id}). Draf Kesepakatan Bersama sedang disiapkan "
            "dan jadwal monitoring dan evaluasi telah dibuat."
        ),
        **texts,
    ) + to_section(
        title_id=f"Usulan disetujui: {e.title}",
        body_id=(
            f"Usulan \"{e.title}\" dari {unit} dengan {e.partner.name} telah disetujui "
            f"(jangka waktu {period_id})."
        ),
        **texts,
    )


def proposal_rejected(e: ProposalRejected, tenant: TenantInfo) -> list[Notice]:
    unit = tenant.unit_name(e.proposer_unit)
    return to_unit(
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
    return to_unit(e.proposer_unit, body_id=f"Yth. Pimpinan {unit},\n\n{body_id}", **texts) + to_section(
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
    return to_unit(e.proposer_unit, body_id=f"Yth. Pimpinan {unit},\n\n{body_id}", **texts) + to_section(
        body_id=body_id, **texts
    )


def is_offer(e: ProposalApproved, owner: TenantInfo) -> bool:
    """Approval sends a surat penawaran to the partner (stage penawaran), unless the
    owner's rules skip the offer stage (then the partner is told it is a party)."""
    if e.stage is not None:
        return e.stage == "penawaran"
    return owner.offer_stage and e.kind in ("ksdd", "ksdpk")


def offer_to_partner(e: ProposalApproved, owner: TenantInfo, partner: TenantInfo) -> list[Notice]:
    """The partner region's cooperation section: the offer (or, without an offer stage,
    the news that it is a party to an approved cooperation)."""
    kind_id, kind_en = kind_label(e.kind)
    period_id, period_en = period(e.term_start, e.term_end)
    unit = owner.unit_name(e.proposer_unit)
    details_id = (
        f"- Judul: {e.title}\n"
        f"- Jenis kerja sama: {kind_id}\n"
        f"- Maksud dan tujuan: {e.objective}\n"
        f"- Ruang lingkup: {e.scope}\n"
        f"- Jangka waktu: {e.term_months} bulan ({period_id})\n"
        f"- Pembiayaan: {e.financing}\n"
        f"- Perangkat daerah pengusul: {unit}, {e.proposer.name}"
    )
    details_en = (
        f"- Title: {e.title}\n"
        f"- Kind: {kind_en}\n"
        f"- Objective: {e.objective}\n"
        f"- Scope: {e.scope}\n"
        f"- Term: {e.term_months} months ({period_en})\n"
        f"- Financing: {e.financing}\n"
        f"- Proposing unit: {unit}, {e.proposer.name}"
    )
    greeting = f"Yth. {partner.cooperation_section},\n\n"
    if is_offer(e, owner):
        return to_section(
            kind="proposal.offer",
            title_id=f"Penawaran kerja sama dari {e.proposer.name}: {e.title}",
            body_id=(
                f"{greeting}{e.proposer.name} menyampaikan penawaran kerja sama kepada {e.partner.name} "
                f"dengan pokok-pokok sebagai berikut:\n\n{details_id}\n\n"
                "Mohon penawaran ini ditindaklanjuti dengan menerima atau menolaknya melalui Jalin. "
                "Setelah penawaran diterima, para pihak bersama-sama menyusun Kesepakatan Bersama."
            ),
            title_en=f"Cooperation offer from {e.proposer.name}: {e.title}",
            body_en=(
                f"{e.proposer.name} offers {e.partner.name} a cooperation:\n\n{details_en}\n\n"
                "Please accept or decline the offer in Jalin. Once it is accepted, the parties draft "
                "the Kesepakatan Bersama (KB) together."
            ),
        )
    next_id, next_en = stage_label(e.stage or "penyusunan_kb")
    return to_section(
        kind="proposal.approved",
        title_id=f"Kerja sama baru dengan {e.proposer.name}: {e.title}",
        body_id=(
            f"{greeting}{e.proposer.name} telah menyetujui usulan kerja sama dengan {e.partner.name} "
            f"dengan pokok-pokok sebagai berikut:\n\n{details_id}\n\n"
            f"Tahap berikutnya: {next_id}, yang dapat diikuti bersama melalui Jalin."
        ),
        title_en=f"New cooperation with {e.proposer.name}: {e.title}",
        body_en=(
            f"{e.proposer.name} approved a cooperation with {e.partner.name}:\n\n{details_en}\n\n"
            f"Next step: {next_en}, which both parties follow in Jalin."
        ),
    )


def rejection_to_partner(e: ProposalRejected, owner: TenantInfo, partner: TenantInfo) -> list[Notice]:
    """The partner region, which had the offer: the proposing region will not take it further."""
    return to_section(
        kind="proposal.rejected",
        title_id=f"Kerja sama tidak dilanjutkan oleh {e.proposer.name}: {e.title}",
        body_id=(
            f"Yth. {partner.cooperation_section},\n\n{e.proposer.name} tidak melanjutkan kerja sama "
            f"\"{e.title}\" yang telah ditawarkan kepada {e.partner.name}, dengan alasan: {e.reason}"
        ),
        title_en=f"Cooperation not pursued by {e.proposer.name}: {e.title}",
        body_en=(
            f"{e.proposer.name} will not pursue the cooperation \"{e.title}\" it offered to "
            f"{e.partner.name}. Reason: {e.reason}"
        ),
    )
