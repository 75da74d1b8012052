"""What every notice shares: the notice itself, its recipients and the words for stages,
kinds, agreements and end reasons, in Indonesian and English. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jalin_kit.events import AgreementRecord
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


def to_unit(unit: str | None, **texts: str) -> list[Notice]:
    if not unit:
        return []
    return [Notice(RecipientType.UNIT, unit, **texts)]


def to_section(**texts: str) -> list[Notice]:
    return [Notice(RecipientType.ROLE, COOPERATION_ROLE, **texts)]


def period(start: date, end: date) -> tuple[str, str]:
    """A term as (Indonesian, English) text."""
    return f"{tanggal(start)} s.d. {tanggal(end)}", f"{start.isoformat()} to {end.isoformat()}"


# Stages of PP 28/2018 (the proposals service's ``Stage`` values).
STAGES: dict[str, tuple[str, str]] = {
    "persiapan": ("persiapan", "preparation"),
    "penilaian": ("penilaian oleh TKKSD", "assessment by the TKKSD"),
    "studi_kelayakan": ("penilaian studi kelayakan", "assessment of the feasibility study"),
    "penawaran": ("penawaran kepada mitra", "offer to the partner"),
    "penyusunan_kb": ("penyusunan Kesepakatan Bersama", "drafting of the Kesepakatan Bersama (KB)"),
    "penandatanganan_kb": ("penandatanganan Kesepakatan Bersama", "signing of the Kesepakatan Bersama (KB)"),
    "persetujuan_dprd": ("persetujuan DPRD", "approval by the DPRD"),
    "penyusunan_pks": ("penyusunan Perjanjian Kerja Sama", "drafting of the Perjanjian Kerja Sama (PKS)"),
    "penandatanganan_pks": ("penandatanganan Perjanjian Kerja Sama", "signing of the Perjanjian Kerja Sama (PKS)"),
    "prakarsa": ("prakarsa", "initiative"),
    "penjajakan": ("penjajakan", "exploration"),
    "konsultasi": (
        "konsultasi dengan Kementerian Dalam Negeri dan Kementerian Luar Negeri",
        "consultation with the Ministries of Home Affairs and Foreign Affairs",
    ),
    "surat_minat": ("penyusunan surat minat (letter of intent)", "the letter of intent"),
    "rencana_kerja_sama": ("penyusunan rencana kerja sama", "drafting of the cooperation plan"),
    "verifikasi_kemendagri": ("verifikasi Kementerian Dalam Negeri", "verification by the Ministry of Home Affairs"),
    "persetujuan_naskah": (
        "persetujuan naskah oleh Kementerian Dalam Negeri",
        "approval of the text by the Ministry of Home Affairs",
    ),
    "konfirmasi_kemenlu": ("konfirmasi Kementerian Luar Negeri", "confirmation by the Ministry of Foreign Affairs"),
    "penandatanganan": ("penandatanganan", "signing"),
    "penyusunan_nk": ("penyusunan Nota Kesepakatan", "drafting of the Nota Kesepakatan"),
    "penandatanganan_nk": ("penandatanganan Nota Kesepakatan", "signing of the Nota Kesepakatan"),
    "penyusunan_rencana_kerja": ("penyusunan Rencana Kerja", "drafting of the work plan (Rencana Kerja)"),
    "pelaksanaan": ("pelaksanaan", "implementation"),
    "selesai": ("selesai", "completed"),
    "diakhiri": ("diakhiri", "terminated"),
    "ditolak": ("ditolak", "rejected"),
}
SETTLED_STAGES = frozenset({"pelaksanaan", "selesai", "diakhiri", "ditolak"})


def stage_label(stage: str | None) -> tuple[str, str]:
    if not stage:
        return "-", "-"
    return STAGES.get(stage, (stage, stage))


KINDS: dict[str, tuple[str, str]] = {
    "ksdd": ("Kerja Sama Daerah dengan Daerah Lain (KSDD)", "cooperation with another region (KSDD)"),
    "ksdpk": ("Kerja Sama Daerah dengan Pihak Ketiga (KSDPK)", "cooperation with a third party (KSDPK)"),
    "ksdpl": (
        "Kerja Sama Daerah dengan Pemerintah Daerah di Luar Negeri (KSDPL)",
        "cooperation with a foreign regional government (KSDPL)",
    ),
    "ksdll": (
        "Kerja Sama Daerah dengan Lembaga di Luar Negeri (KSDLL)",
        "cooperation with a foreign institution (KSDLL)",
    ),
    "pusat": ("Kerja sama dengan Pemerintah Pusat", "cooperation with the central government"),
}


def kind_label(kind: str) -> tuple[str, str]:
    return KINDS.get(kind, (kind, kind))


AGREEMENTS: dict[str, tuple[str, str]] = {
    "kb": ("Kesepakatan Bersama", "Kesepakatan Bersama (KB)"),
    "pks": ("Perjanjian Kerja Sama", "Perjanjian Kerja Sama (PKS)"),
    "nk": ("Nota Kesepakatan", "Nota Kesepakatan (memorandum of understanding)"),
    "rencana_kerja": ("Rencana Kerja", "work plan (Rencana Kerja)"),
    "addendum": ("Addendum", "addendum"),
}

# Why a cooperation ends: PP 28/2018 art. 9, and art. 22 for a third party (last two).
END_REASONS: dict[str, tuple[str, str]] = {
    "term_expired": ("jangka waktu kerja sama telah berakhir", "the term has expired"),
    "objective_achieved": ("tujuan kerja sama telah tercapai", "the objective has been achieved"),
    "mutual_agreement": ("kesepakatan para pihak", "the parties agreed to end it"),
    "policy_change": (
        "terdapat perubahan kebijakan yang mengakibatkan kerja sama tidak dapat dilaksanakan",
        "a change of policy made it impossible to carry out",
    ),
    "object_lost": ("objek kerja sama hilang", "the object of the cooperation was lost"),
    "court_ruling": ("adanya putusan pengadilan", "a court ruling"),
    "partner_bankrupt": ("pihak ketiga dinyatakan pailit", "the third party was declared bankrupt"),
}


def end_reason(code: str | None, default: str) -> tuple[str, str]:
    code = code or default
    return END_REASONS.get(code, (code, code))


def signing(a: AgreementRecord | None) -> tuple[str, str]:
    """", nomor ..., di <tempat> pada tanggal ..., oleh ..." for a signed agreement, or ""."""
    if a is None:
        return "", ""
    if a.number_second:
        numbers_id = f"nomor {a.number_first} dan nomor {a.number_second}"
        numbers_en = f"numbers {a.number_first} and {a.number_second}"
    else:
        numbers_id, numbers_en = f"nomor {a.number_first}", f"number {a.number_first}"
    delegate = a.signed_as == "delegate"
    by_id = f"{a.signatory_name} ({a.signatory_title})" + (" berdasarkan kuasa kepala daerah" if delegate else "")
    by_en = f"{a.signatory_name} ({a.signatory_title})" + (" under a power of attorney" if delegate else "")
    return (
        f" dengan {numbers_id}, di {a.signed_place} pada tanggal {tanggal(a.signed_on)} oleh {by_id}",
        f", {numbers_en}, in {a.signed_place} on {a.signed_on.isoformat()} by {by_en}",
    )


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters (a column's length), marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
