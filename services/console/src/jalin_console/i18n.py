"""What the console says, in Indonesian (the default) and English.

Every text a page shows is a key of ``texts`` (one module per page, merged); a template
calls ``t("key")``. Stages, commands and fields are named by the services' own identifiers,
so a new one shows its identifier until it is given words (never an error).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jalin_console.texts import FIELDS, TEXTS

LANGUAGES = ("id", "en")

STAGES: dict[str, tuple[str, str]] = {
    "persiapan": ("Persiapan (draf)", "Preparation (draft)"),
    "penilaian": ("Penilaian TKKSD", "Assessment by the TKKSD"),
    "studi_kelayakan": ("Studi kelayakan", "Feasibility study"),
    "penawaran": ("Penawaran", "Offer"),
    "penyusunan_kb": ("Penyusunan KB", "Drafting the KB"),
    "penandatanganan_kb": ("Penandatanganan KB", "Signing the KB"),
    "persetujuan_dprd": ("Persetujuan DPRD", "DPRD approval"),
    "penyusunan_pks": ("Penyusunan PKS", "Drafting the PKS"),
    "penandatanganan_pks": ("Penandatanganan PKS", "Signing the PKS"),
    "prakarsa": ("Prakarsa", "Initiative"),
    "penjajakan": ("Penjajakan", "Exploration"),
    "konsultasi": ("Konsultasi", "Consultation"),
    "surat_minat": ("Surat minat", "Letter of intent"),
    "rencana_kerja_sama": ("Rencana kerja sama", "Cooperation plan"),
    "verifikasi_kemendagri": ("Verifikasi Kemendagri", "Verification by the Home Ministry"),
    "persetujuan_naskah": ("Persetujuan naskah", "Text approval"),
    "konfirmasi_kemenlu": ("Konfirmasi Kemenlu", "Confirmation by the Foreign Ministry"),
    "penandatanganan": ("Penandatanganan", "Signing"),
    "penyusunan_nk": ("Penyusunan Nota Kesepakatan", "Drafting the Nota Kesepakatan"),
    "penandatanganan_nk": ("Penandatanganan Nota Kesepakatan", "Signing the Nota Kesepakatan"),
    "penyusunan_rencana_kerja": ("Penyusunan rencana kerja", "Drafting the work plan"),
    "pelaksanaan": ("Pelaksanaan", "In force"),
    "selesai": ("Selesai", "Completed"),
    "diakhiri": ("Diakhiri", "Terminated"),
    "ditolak": ("Ditolak", "Rejected"),
}

# What happens next at a stage, in plain words, with its article of PP 28/2018.
NEXT_STEP: dict[str, tuple[str, str]] = {
    "persiapan": ("Perangkat daerah melengkapi usulan lalu mengajukannya untuk dinilai TKKSD (PP 28/2018 Pasal 6 ayat (1)).",
                  "The unit completes the proposal and submits it for the TKKSD's assessment (PP 28/2018 art. 6(1))."),
    "penilaian": ("TKKSD menilai usulan; bagian kerja sama menyetujui atau menolaknya (PP 28/2018 Pasal 6 ayat (1)).",
                  "The TKKSD assesses it; the cooperation section approves or rejects it (PP 28/2018 art. 6(1))."),
    "studi_kelayakan": ("Studi kelayakan dinilai sebelum penawaran kepada pihak ketiga (PP 28/2018 Pasal 17–18).",
                        "The feasibility study is assessed before the offer to the third party (PP 28/2018 art. 17–18)."),
    "penawaran": ("Daerah mitra menjawab penawaran: menerima atau menolak (PP 28/2018 Pasal 6 ayat (1)).",
                  "The partner region answers the offer: accept or decline (PP 28/2018 art. 6(1))."),
    "penyusunan_kb": ("Naskah Kesepakatan Bersama disusun bersama lalu difinalkan (PP 28/2018 Pasal 6 ayat (3)).",
                      "The Kesepakatan Bersama is drafted together and finalised (PP 28/2018 art. 6(3))."),
    "penandatanganan_kb": ("Kepala daerah kedua pihak menandatangani KB, dengan nomor masing-masing pihak (PP 28/2018 Pasal 6).",
                           "Both heads of region sign the KB, with each party's number (PP 28/2018 art. 6)."),
    "persetujuan_dprd": ("Kerja sama membebani masyarakat atau belum dianggarkan: persetujuan DPRD dicatat lebih dulu "
                         "(PP 28/2018 Pasal 6 ayat (2)).",
                         "It burdens the public or is not yet budgeted: the DPRD's approval is recorded first "
                         "(PP 28/2018 art. 6(2))."),
    "penyusunan_pks": ("Perjanjian Kerja Sama disusun: hak dan kewajiban, jangka waktu, penyelesaian perselisihan "
                       "(PP 28/2018 Pasal 6 ayat (3)).",
                       "The Perjanjian Kerja Sama is drafted: rights and obligations, term, dispute settlement "
                       "(PP 28/2018 art. 6(3))."),
    "penandatanganan_pks": ("PKS ditandatangani; setelah itu kerja sama dilaksanakan (PP 28/2018 Pasal 6 ayat (1)).",
                            "The PKS is signed; the cooperation then runs (PP 28/2018 art. 6(1))."),
    "pelaksanaan": ("Kerja sama berjalan: monev dilakukan sesuai rencana; berakhir menurut PP 28/2018 Pasal 9.",
                    "The cooperation runs: monitoring follows the plan; it ends as PP 28/2018 art. 9 says."),
    "selesai": ("Kerja sama telah selesai (PP 28/2018 Pasal 9).", "The cooperation has ended (PP 28/2018 art. 9)."),
    "diakhiri": ("Kerja sama diakhiri sebelum waktunya (PP 28/2018 Pasal 9 dan 22).",
                 "The cooperation was ended early (PP 28/2018 art. 9 and 22)."),
    "ditolak": ("Usulan ditolak; perangkat daerah dapat memperbaikinya dan mengajukan kembali.",
                "The proposal was rejected; the unit may revise and submit it again."),
}

COMMANDS: dict[str, tuple[str, str]] = {
    "submit": ("Ajukan", "Submit"),
    "approve": ("Setujui", "Approve"),
    "reject": ("Tolak", "Reject"),
    "revise": ("Perbaiki", "Revise"),
    "accept_offer": ("Terima penawaran", "Accept the offer"),
    "decline_offer": ("Tolak penawaran", "Decline the offer"),
    "finalize_kb": ("Finalkan naskah KB", "Finalise the KB"),
    "sign_kb": ("Catat penandatanganan KB", "Record the KB's signing"),
    "record_dprd_approval": ("Catat persetujuan DPRD", "Record the DPRD's approval"),
    "finalize_pks": ("Finalkan naskah PKS", "Finalise the PKS"),
    "sign_pks": ("Catat penandatanganan PKS", "Record the PKS's signing"),
    "terminate": ("Akhiri kerja sama", "Terminate"),
    "complete": ("Nyatakan selesai", "Mark completed"),
    "request_consultation": ("Ajukan konsultasi", "Request consultation"),
    "record_consultation": ("Catat hasil konsultasi", "Record the consultation"),
    "sign_letter_of_intent": ("Catat surat minat", "Record the letter of intent"),
    "submit_work_plan": ("Ajukan rencana kerja sama", "Submit the cooperation plan"),
    "record_ministry_verification": ("Catat verifikasi Kemendagri", "Record the Home Ministry's verification"),
    "record_text_approval": ("Catat persetujuan naskah", "Record the text approval"),
    "record_confirmation": ("Catat konfirmasi Kemenlu", "Record the Foreign Ministry's confirmation"),
    "sign": ("Catat penandatanganan", "Record the signing"),
    "finalize_nk": ("Finalkan Nota Kesepakatan", "Finalise the Nota Kesepakatan"),
    "sign_nk": ("Catat penandatanganan Nota Kesepakatan", "Record the Nota Kesepakatan's signing"),
    "adopt_work_plan": ("Tetapkan rencana kerja", "Adopt the work plan"),
    "create": ("Membuat usulan", "Created the proposal"),
    "edit": ("Mengubah usulan", "Edited the proposal"),
    "comment": ("Berkomentar", "Commented"),
}

KINDS: dict[str, tuple[str, str]] = {
    "ksdd": ("KSDD — dengan daerah lain", "KSDD — with another region"),
    "ksdpk": ("KSDPK — dengan pihak ketiga", "KSDPK — with a third party"),
    "ksdpl": ("KSDPL — dengan pemerintah daerah luar negeri", "KSDPL — with a foreign local government"),
    "ksdll": ("KSDLL — dengan lembaga luar negeri", "KSDLL — with a foreign institution"),
    "pusat": ("Dengan pemerintah pusat", "With the central government"),
}

# The services' validation messages (pydantic's English) as officials read them.
_MESSAGES: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    # The agreement import's own (the proposals service's imports/rows.py), before the generic ones.
    (re.compile(r"(?i)duplicate nomor '(.*)': already on row (\d+)"),
     ("Nomor '{0}' ganda: sudah ada di baris {1} berkas ini.", "Duplicate nomor '{0}': already on row {1} of this file.")),
    (re.compile(r"(?i)a (\w+) cooperation is recorded with (.*), not (\w+)"),
     ("Kerja sama {0} dicatat dengan {1}, bukan {2}.", "A {0} cooperation is recorded with {1}, not {2}.")),
    (re.compile(r"(?i)only a PKS may be signed by a delegate"),
     ("Hanya PKS yang boleh ditandatangani kuasa dengan surat kuasa.",
      "Only a PKS may be signed by a delegate under a power of attorney.")),
    (re.compile(r"(?i)start (\S+) lies more than a year after the signing date"),
     ("Mulai {0} lebih dari setahun setelah tanggal penandatanganan.",
      "Start {0} lies more than a year after the signing date.")),
    (re.compile(r"(?i)(?:date|start) (\S+) is implausibly early"),
     ("Tanggal {0} terlalu awal untuk masuk akal.", "The date {0} is implausibly early.")),
    (re.compile(r"(?i)ends on (\S+), not after its start (\S+)"),
     ("Berakhir {0}, tidak setelah mulainya {1}.", "Ends on {0}, not after its start {1}.")),
    (re.compile(r"(?i)(\d+) months disagrees with tanggal_berakhir"),
     ("{0} bulan tidak sesuai dengan tanggal_berakhir.", "{0} months disagrees with tanggal_berakhir.")),
    (re.compile(r"(?i)states its term: give tanggal_berakhir or jangka_waktu_bulan"),
     ("Jangka waktunya wajib: isi tanggal_berakhir atau jangka_waktu_bulan.",
      "Its term is required: give tanggal_berakhir or jangka_waktu_bulan.")),
    (re.compile(r"(?i)'(.*)' is not a tenant id"),
     ("'{0}' bukan kode daerah (huruf kecil, angka dan -).", "'{0}' is not a region code (lowercase letters, digits and -).")),
    (re.compile(r"(?i)(\w+) is (\d+) characters long; at most (\d+) fit"),
     ("{0} sepanjang {1} karakter; paling banyak {2}.", "{0} is {1} characters long; at most {2} fit.")),
    (re.compile(r"(?i)field required|missing"), ("Wajib diisi.", "Required.")),
    (re.compile(r"(?i)at least (\d+) characters?"), ("Minimal {0} karakter.", "At least {0} characters.")),
    (re.compile(r"(?i)at most (\d+) characters?"), ("Maksimal {0} karakter.", "At most {0} characters.")),
    (re.compile(r"(?i)greater than or equal to (\d+)"), ("Minimal {0}.", "At least {0}.")),
    (re.compile(r"(?i)less than or equal to (\d+)"), ("Maksimal {0}.", "At most {0}.")),
    (re.compile(r"(?i)valid integer"), ("Harus berupa bilangan bulat.", "Must be a whole number.")),
    (re.compile(r"(?i)valid date|date_from_datetime|date_parsing|invalid date"), ("Tanggal tidak sah (hh/bb/tttt).",
                                                                                 "Not a valid date.")),
    (re.compile(r"(?i)exceeds this region's maximum of (\d+) months"),
     ("Melebihi jangka waktu paling lama daerah ini: {0} bulan.", "Longer than this region's maximum of {0} months.")),
    (re.compile(r"(?i)only a draft can be edited"), ("Hanya draf yang dapat diubah; usulan ini sudah diajukan.",
                                                     "Only a draft can be edited; this proposal was submitted.")),
    (re.compile(r"(?i)in the future"), ("Tanggal tidak boleh di masa depan.", "The date may not be in the future.")),
    (re.compile(r"(?i)cannot be this region itself"), ("Mitra tidak boleh daerah ini sendiri.",
                                                      "The partner cannot be this region itself.")),
    (re.compile(r"(?i)^(\w+) is required"), ("Kolom {0} wajib diisi.", "{0} is required.")),
    (re.compile(r"(?i)unknown (\w+)"), ("Nilai {0} tidak dikenal.", "Unknown {0}.")),
    (re.compile(r"(?i)must not be blank"), ("Tidak boleh kosong.", "Must not be blank.")),
    (re.compile(r"(?i)whitespace"), ("Tidak boleh diawali atau diakhiri spasi.", "Must not begin or end with spaces.")),
    (re.compile(r"(?i)control characters"), ("Mengandung karakter yang tidak diizinkan.",
                                             "Contains characters that are not allowed.")),
    (re.compile(r"(?i)signed_scan needs document_id"), ("Pindaian bertanda tangan harus menyebut naskah yang "
                                                        "ditandatangani.", "A signed scan must name the text it signs.")),
    (re.compile(r"(?i)input should be (.*)"), ("Pilih salah satu: {0}.", "Choose one of: {0}.")),
    (re.compile(r"(?i)the file is empty"), ("Berkasnya kosong.", "The file is empty.")),
    (re.compile(r"(?i)not a region on Jalin|not a region onboarded|not a tenant|not onboarded"),
     ("Mitra ini tidak terdaftar di Jalin.", "This partner is not a region on Jalin.")),
]


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "id"
        self._i = LANGUAGES.index(self.lang)

    def __call__(self, key: str) -> str:
        pair = TEXTS.get(key)
        return pair[self._i] if pair else key

    def _of(self, table: dict[str, tuple[str, str]], key: str | None) -> str:
        if key is None:
            return ""
        pair = table.get(key)
        return pair[self._i] if pair else key

    def stage(self, key: str | None) -> str:
        return self._of(STAGES, key)

    def next_step(self, key: str | None) -> str:
        return self._of(NEXT_STEP, key) if key in NEXT_STEP else ""

    def command(self, key: str) -> str:
        return self._of(COMMANDS, key)

    def field(self, key: str) -> str:
        return self._of(FIELDS, key)

    def choice(self, field: str, value: str) -> str:
        """One option of a field's list: its words (``FIELDS["field=value"]``), a stage's or a
        kind's name, else the value itself."""
        key = f"{field}={value}"
        label = self.field(key)
        if label != key:
            return label
        return self.kind(value) if field == "kind" else self.stage(value)  # the value itself when unknown

    def kind(self, key: str | None) -> str:
        return self._of(KINDS, key)

    def size(self, n: int) -> str:
        """A file size as people read it: "20 MB", "1,5 MB" (Indonesian decimal comma), "300 KB"."""
        value, unit = (n / (1024 * 1024), "MB") if n >= 1024 * 1024 else (n / 1024, "KB") if n >= 1024 else (n, "B")
        text = f"{value:.1f}".removesuffix(".0") if unit != "B" else str(n)
        return f"{text.replace('.', ',') if self.lang == 'id' else text} {unit}"

    def message(self, text: str) -> str:
        """A service's validation message in the reader's language (the original when unknown)."""
        for pattern, pair in _MESSAGES:
            m = pattern.search(text)
            if m:
                return pair[self._i].format(*m.groups())
        return text


def translator(lang: str | None) -> Callable[[str], str]:
    return Translator(lang or "id")
