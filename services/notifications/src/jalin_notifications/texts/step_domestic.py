"""Words of the domestic lifecycle (KSDD, KSDPK): the offer, KB, DPRD, PKS, addenda, the
end of a cooperation, comments, revision and import. No I/O."""

from __future__ import annotations

from jalin_kit.events import CooperationStep
from jalin_kit.i18n import tanggal

from jalin_notifications.texts.common import AGREEMENTS, end_reason, signing, stage_label
from jalin_notifications.texts.step_base import (
    StepText,
    by_partner,
    cap,
    coop,
    final,
    offer,
    recorded,
    recorded_by,
    signed,
    term,
    text,
    under_way,
)


@text("proposal", "revised")
def _revised(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    return StepText(
        f"Usulan dibuka kembali untuk diperbaiki: {e.title}",
        f"Proposal reopened for revision: {e.title}",
        f"Usulan {coop_id} telah dibuka kembali untuk diperbaiki dan dapat diajukan kembali.",
        f"The proposal for {coop_en} was reopened to be revised and submitted again.",
    )


@text("proposal", "offer-accepted")
def _offer_accepted(e: CooperationStep) -> StepText:
    offer_id, offer_en = offer(e)
    by_id, by_en = recorded_by(e)
    return StepText(
        f"Penawaran kerja sama diterima: {e.title}",
        f"Offer accepted: {e.title}",
        f"{e.partner.name} telah menerima {offer_id}{by_id}.",
        f"{e.partner.name} accepted {offer_en}{by_en}.",
    )


@text("proposal", "offer-declined")
def _offer_declined(e: CooperationStep) -> StepText:
    offer_id, offer_en = offer(e)
    by_id, by_en = recorded_by(e)
    reason_id = f"\n\nAlasan: {e.note}" if e.note else ""
    reason_en = f"\n\nReason: {e.note}" if e.note else ""
    return StepText(
        f"Penawaran kerja sama ditolak: {e.title}",
        f"Offer declined: {e.title}",
        f"{e.partner.name} telah menolak {offer_id}{by_id}.{reason_id}\n\n"
        f"Usulan dapat diperbaiki oleh {e.proposer.name} dan diajukan kembali.",
        f"{e.partner.name} declined {offer_en}{by_en}.{reason_en}\n\n"
        f"{e.proposer.name} may revise the proposal and submit it again.",
        note_used=True,
    )


@text("proposal", "commented")
def _commented(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    who = e.partner.name if by_partner(e) else e.proposer.name
    return StepText(
        f"Komentar baru: {e.title}",
        f"New comment: {e.title}",
        f"{who} memberikan komentar pada {coop_id}:\n\n\"{e.note or ''}\"",
        f"{who} commented on {coop_en}:\n\n\"{e.note or ''}\"",
        note_used=True,
    )


@text("agreement", "kb-finalized")
def _kb_finalized(e: CooperationStep) -> StepText:
    return final(e, "Kesepakatan Bersama", "Kesepakatan Bersama (KB)")


@text("agreement", "kb-signed")
def _kb_signed(e: CooperationStep) -> StepText:
    return signed(e, "Kesepakatan Bersama", "Kesepakatan Bersama (KB)", "Kesepakatan Bersama ditandatangani", "KB signed")


@text("agreement", "dprd-approved")
def _dprd_approved(e: CooperationStep) -> StepText:
    return recorded(e, "Persetujuan DPRD", "DPRD's approval", "Persetujuan DPRD tercatat", "DPRD approval recorded")


@text("agreement", "pks-finalized")
def _pks_finalized(e: CooperationStep) -> StepText:
    return final(e, "Perjanjian Kerja Sama", "Perjanjian Kerja Sama (PKS)")


@text("agreement", "pks-signed")
def _pks_signed(e: CooperationStep) -> StepText:
    return under_way(
        e,
        signed(
            e, "Perjanjian Kerja Sama", "Perjanjian Kerja Sama (PKS)", "Perjanjian Kerja Sama ditandatangani", "PKS signed"
        ),
    )


@text("agreement", "amended")
def _amended(e: CooperationStep) -> StepText:
    text = signed(e, "Addendum", "addendum", "Addendum ditandatangani", "Addendum signed")
    term_id, term_en = term(e)
    return StepText(text.title_id, text.title_en, text.body_id + term_id, text.body_en + term_en)


@text("agreement", "terminated")
def _terminated(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    why_id, why_en = end_reason(e.end_reason, "mutual_agreement")
    return StepText(
        f"Kerja sama diakhiri: {e.title}",
        f"Cooperation terminated: {e.title}",
        f"{cap(coop_id)} telah diakhiri sebelum jangka waktunya berakhir dengan alasan: {why_id}.",
        f"{cap(coop_en)} was ended before its term. Reason: {why_en}.",
    )


@text("agreement", "completed")
def _completed(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    why_id, why_en = end_reason(e.end_reason, "objective_achieved")
    return StepText(
        f"Kerja sama selesai: {e.title}",
        f"Cooperation completed: {e.title}",
        f"{cap(coop_id)} telah selesai dengan alasan: {why_id}.",
        f"{cap(coop_en)} has ended. Reason: {why_en}.",
    )


@text("agreement", "expired")
def _expired(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    why_id, why_en = end_reason(e.end_reason, "term_expired")
    ended = e.agreement.term_end if e.agreement and e.agreement.term_end else e.occurred_at.date()
    return StepText(
        f"Masa berlaku kerja sama berakhir: {e.title}",
        f"Cooperation term ended: {e.title}",
        f"{cap(coop_id)} telah berakhir dengan alasan: {why_id} (per {tanggal(ended)}). "
        "Kerja sama yang akan dilanjutkan harus melalui prosedur kerja sama kembali.",
        f"{cap(coop_en)} has ended. Reason: {why_en} (as of {ended.isoformat()}). "
        "To continue it, the cooperation procedure must be run again.",
    )


@text("agreement", "imported")
def _imported(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    sign_id, sign_en = signing(e.agreement)
    kind_id, kind_en = AGREEMENTS.get(e.agreement.type, ("naskah", "agreement")) if e.agreement else ("", "")
    stage_id, stage_en = stage_label(e.stage)
    signed_id = f" {kind_id} ditandatangani{sign_id}." if e.agreement else ""
    signed_en = f" The {kind_en} was signed{sign_en}." if e.agreement else ""
    return StepText(
        f"Kerja sama dicatat dari register lama: {e.title}",
        f"Cooperation imported from the legacy register: {e.title}",
        f"{cap(coop_id)} telah dicatat di Jalin dari register kerja sama sebelumnya, pada tahap {stage_id}."
        + signed_id,
        f"{cap(coop_en)} was imported into Jalin from the earlier register, at the {stage_en} stage." + signed_en,
    )
