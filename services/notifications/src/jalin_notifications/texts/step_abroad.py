"""Words of the foreign lifecycle (KSDPL, KSDLL: PP 28/2018 art. 28-43) and of cooperation
with the central government (Nota Kesepakatan and Rencana Kerja). No I/O."""

from __future__ import annotations

from jalin_kit.events import CooperationStep

from jalin_notifications.texts.step_base import StepText, coop, final, recorded, signed, text, under_way


@text("proposal", "consultation-requested")
def _consultation_requested(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    return StepText(
        f"Konsultasi kerja sama luar negeri diajukan: {e.title}",
        f"Consultation requested: {e.title}",
        f"Konsultasi kepada Menteri Dalam Negeri dan Menteri Luar Negeri atas rencana {coop_id} telah diajukan.",
        f"Consultation with the Ministers of Home Affairs and Foreign Affairs on {coop_en} was requested.",
    )


@text("proposal", "consulted")
def _consulted(e: CooperationStep) -> StepText:
    return recorded(
        e,
        "Hasil konsultasi dengan Kementerian Dalam Negeri dan Kementerian Luar Negeri",
        "outcome of the consultation with the Ministries of Home Affairs and Foreign Affairs",
        "Hasil konsultasi tercatat",
        "Consultation recorded",
    )


@text("proposal", "letter-of-intent-signed")
def _letter_of_intent(e: CooperationStep) -> StepText:
    return signed(e, "Surat minat (letter of intent)", "letter of intent", "Surat minat ditandatangani", "Letter of intent signed")


@text("proposal", "work-plan-submitted")
def _work_plan_submitted(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    return StepText(
        f"Rencana kerja sama diajukan: {e.title}",
        f"Cooperation plan submitted: {e.title}",
        f"Rencana kerja sama untuk {coop_id} telah diajukan untuk memperoleh persetujuan DPRD.",
        f"The cooperation plan for {coop_en} was submitted for the DPRD's approval.",
    )


@text("agreement", "ministry-verified")
def _ministry_verified(e: CooperationStep) -> StepText:
    return recorded(
        e,
        "Hasil verifikasi Menteri Dalam Negeri",
        "Minister of Home Affairs' verification",
        "Verifikasi Kementerian Dalam Negeri tercatat",
        "Ministry of Home Affairs verification recorded",
    )


@text("agreement", "text-approved")
def _text_approved(e: CooperationStep) -> StepText:
    return recorded(
        e,
        "Persetujuan Menteri Dalam Negeri atas rancangan naskah",
        "Minister of Home Affairs' approval of the draft text",
        "Naskah disetujui Kementerian Dalam Negeri",
        "Text approved by the Ministry of Home Affairs",
    )


@text("agreement", "confirmed")
def _confirmed(e: CooperationStep) -> StepText:
    return recorded(
        e,
        "Konfirmasi Menteri Luar Negeri",
        "Minister of Foreign Affairs' confirmation",
        "Konfirmasi Kementerian Luar Negeri tercatat",
        "Foreign ministry confirmation recorded",
    )


@text("agreement", "signed")
def _foreign_signed(e: CooperationStep) -> StepText:
    return under_way(e, signed(e, "Naskah perjanjian", "agreement", "Naskah kerja sama ditandatangani", "Agreement signed"))


@text("agreement", "nk-finalized")
def _nk_finalized(e: CooperationStep) -> StepText:
    return final(e, "Nota Kesepakatan", "Nota Kesepakatan")


@text("agreement", "nk-signed")
def _nk_signed(e: CooperationStep) -> StepText:
    return signed(e, "Nota Kesepakatan", "Nota Kesepakatan", "Nota Kesepakatan ditandatangani", "Nota Kesepakatan signed")


@text("agreement", "work-plan-adopted")
def _work_plan_adopted(e: CooperationStep) -> StepText:
    coop_id, coop_en = coop(e)
    return under_way(
        e,
        StepText(
            f"Rencana Kerja ditetapkan: {e.title}",
            f"Work plan adopted: {e.title}",
            f"Rencana Kerja {coop_id} telah ditetapkan.",
            f"The work plan (Rencana Kerja) of {coop_en} was adopted.",
        ),
    )
