"""What the console says, in Indonesian (the default) and English.

Every text a page shows is a key here; a template calls ``t("key")``. Stages, commands and
fields are named by the services' own identifiers, so a new one shows its identifier until
it is given words here (never an error).
"""

from __future__ import annotations

import re
from collections.abc import Callable

LANGUAGES = ("id", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # Layout and navigation
    "app.name": ("Jalin", "Jalin"),
    "app.tagline": ("Kerja sama daerah, dari usulan sampai monev", "Regional cooperation, from proposal to monitoring"),
    "nav.home": ("Beranda", "Home"),
    "nav.proposals": ("Usulan", "Proposals"),
    "nav.offers": ("Penawaran masuk", "Incoming offers"),
    "nav.inbox": ("Kotak masuk", "Inbox"),
    "nav.signout": ("Keluar", "Sign out"),
    "nav.language": ("English", "Bahasa Indonesia"),
    "nav.skip": ("Langsung ke isi", "Skip to content"),
    "nav.menu": ("Menu utama", "Main menu"),
    "common.back": ("Kembali", "Back"),
    "common.save": ("Simpan", "Save"),
    "common.cancel": ("Batal", "Cancel"),
    "common.none": ("Tidak ada", "None"),
    "common.required": ("wajib", "required"),
    "common.optional": ("opsional", "optional"),
    "common.unread": ("belum dibaca", "unread"),
    "common.filter": ("Saring", "Filter"),
    "common.all": ("Semua", "All"),
    "common.next": ("Berikutnya", "Next"),
    "common.previous": ("Sebelumnya", "Previous"),
    "common.page": ("Halaman", "Page"),
    "common.download": ("Unduh", "Download"),
    # Sign-in
    "signin.title": ("Masuk ke Jalin", "Sign in to Jalin"),
    "signin.oidc": ("Masuk dengan akun pemerintah daerah", "Sign in with your government account"),
    "signin.dev.title": ("Pengguna demo (hanya lingkungan pengembangan)", "Demo users (development only)"),
    "signin.dev.help": ("Pilih pengguna untuk masuk tanpa kata sandi. Halaman ini tidak pernah tersedia di produksi.",
                        "Choose a user to sign in without a password. This page never exists in production."),
    "signin.as": ("Masuk sebagai", "Sign in as"),
    "signin.expired": ("Sesi Anda telah berakhir. Silakan masuk kembali.", "Your session has ended. Please sign in again."),
    "signin.failed": ("Gagal masuk: penyedia identitas tidak mengonfirmasi akun Anda.",
                      "Sign-in failed: the identity provider did not confirm your account."),
    "signin.none": ("Tidak ada cara masuk yang dikonfigurasi.", "No sign-in is configured."),
    # Home
    "home.title": ("Beranda", "Home"),
    "home.tasks": ("Tugas saya", "My tasks"),
    "home.tasks.none": ("Tidak ada yang menunggu keputusan Anda.", "Nothing waits for your decision."),
    "home.tasks.due": ("tenggat", "due"),
    "home.stages": ("Jumlah per tahap", "Count by stage"),
    "home.ending": ("Berakhir dalam 90 hari", "Ending within 90 days"),
    "home.ending.none": ("Tidak ada kerja sama yang berakhir dalam 90 hari.", "No cooperation ends within 90 days."),
    "home.offers": ("Penawaran menunggu jawaban", "Offers waiting for an answer"),
    "home.unread": ("Pesan belum dibaca", "Unread messages"),
    "home.monev": ("Monev terlambat", "Overdue monitoring"),
    "home.monev.none": ("Tidak ada monev yang terlambat.", "No monitoring is overdue."),
    # Proposals
    "proposals.title": ("Usulan dan kerja sama", "Proposals and cooperations"),
    "proposals.new": ("Usulan baru", "New proposal"),
    "proposals.none": ("Belum ada usulan.", "No proposals yet."),
    "proposals.search": ("Cari judul atau mitra", "Search title or partner"),
    "proposals.stage": ("Tahap", "Stage"),
    "proposals.kind": ("Jenis", "Kind"),
    "proposals.partner": ("Mitra", "Partner"),
    "proposals.unit": ("Perangkat daerah", "Unit"),
    "proposals.year": ("Tahun", "Year"),
    "proposals.side": ("Pihak", "Side"),
    "proposals.side.own": ("Usulan kami", "Ours"),
    "proposals.side.partner": ("Dari mitra", "From partners"),
    "proposal.parties": ("Para pihak", "Parties"),
    "proposal.owner": ("Pengusul", "Proposer"),
    "proposal.term": ("Jangka waktu", "Term"),
    "proposal.months": ("bulan", "months"),
    "proposal.financing": ("Pembiayaan", "Financing"),
    "proposal.objective": ("Maksud dan tujuan", "Objective"),
    "proposal.scope": ("Ruang lingkup", "Scope"),
    "proposal.timeline": ("Riwayat", "History"),
    "proposal.timeline.csv": ("Unduh riwayat (CSV)", "Download history (CSV)"),
    "proposal.documents": ("Dokumen", "Documents"),
    "proposal.documents.none": ("Belum ada dokumen.", "No documents yet."),
    "proposal.agreements": ("Naskah yang ditandatangani", "Signed agreements"),
    "proposal.agreements.none": ("Belum ada naskah yang ditandatangani.", "Nothing signed yet."),
    "proposal.dprd": ("Persetujuan DPRD", "DPRD approval"),
    "proposal.dprd.required": ("Diperlukan (PP 28/2018 Pasal 6 ayat (2))", "Required (PP 28/2018 art. 6(2))"),
    "proposal.dprd.not_required": ("Tidak diperlukan", "Not required"),
    "proposal.plan": ("Rencana monev", "Monitoring plan"),
    "proposal.plan.none": ("Rencana monev dibuat setelah usulan disetujui.",
                           "The monitoring plan is made once the proposal is approved."),
    "proposal.plan.rounds": ("Putaran monev", "Monitoring rounds"),
    "proposal.plan.reminders": ("Pengingat akhir masa berlaku", "End-of-term reminders"),
    "proposal.next": ("Langkah berikutnya", "Next step"),
    "proposal.actions": ("Tindakan Anda", "Your actions"),
    "proposal.actions.none": ("Tidak ada tindakan yang dapat Anda lakukan pada tahap ini.",
                              "There is nothing you can do at this stage."),
    "proposal.created": ("Usulan tersimpan sebagai draf.", "The proposal is saved as a draft."),
    "proposal.done": ("Tindakan tercatat.", "The action is recorded."),
    "proposal.form.title": ("Usulan kerja sama baru", "New cooperation proposal"),
    "proposal.form.partner_tenant": ("Mitra di Jalin", "Partner on Jalin"),
    "proposal.form.partner_outside": ("Pihak di luar Jalin", "A party outside Jalin"),
    "proposal.form.errors": ("Periksa kembali isian yang ditandai.", "Check the fields marked below."),
    # Offers, inbox
    "offers.title": ("Penawaran masuk", "Incoming offers"),
    "offers.none": ("Tidak ada penawaran yang menunggu jawaban.", "No offer waits for an answer."),
    "offers.from": ("Dari", "From"),
    "inbox.title": ("Kotak masuk", "Inbox"),
    "inbox.none": ("Kotak masuk kosong.", "The inbox is empty."),
    "inbox.mark_read": ("Tandai sudah dibaca", "Mark as read"),
    "inbox.open": ("Buka usulan", "Open the proposal"),
    # Errors
    "error.403": ("Anda tidak berwenang membuka halaman ini.", "You may not open this page."),
    "error.404": ("Halaman atau data tidak ditemukan.", "Page or record not found."),
    "error.405": ("Cara membuka halaman ini tidak didukung.", "This page cannot be opened this way."),
    "error.csrf": ("Formulir sudah kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
                   "The form has expired or is not valid. Reload the page and try again."),
    "error.503": ("Layanan sedang tidak dapat dihubungi. Coba lagi beberapa saat lagi.",
                  "A service cannot be reached. Try again in a moment."),
    "error.500": ("Terjadi kesalahan pada Jalin. Kejadian ini sudah dicatat.", "Something went wrong in Jalin. It has been logged."),
    "error.home": ("Kembali ke Beranda", "Back to Home"),
    "error.title": ("Terjadi masalah", "Something went wrong"),
}

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
}

FIELDS: dict[str, tuple[str, str]] = {
    "title": ("Judul", "Title"),
    "kind": ("Jenis kerja sama", "Kind of cooperation"),
    "partner_name": ("Nama mitra", "Partner's name"),
    "partner_tenant": ("Mitra di Jalin", "Partner on Jalin"),
    "objective": ("Maksud dan tujuan", "Objective"),
    "scope": ("Ruang lingkup", "Scope"),
    "term_months": ("Jangka waktu (bulan)", "Term (months)"),
    "financing": ("Pembiayaan", "Financing"),
    "burdens_public": ("Membebani masyarakat dan daerah", "Burdens the public and the region"),
    "unbudgeted": ("Belum dianggarkan dalam APBD tahun berjalan", "Not yet in the current APBD"),
    "liaison_officer": ("Pejabat penghubung (PPKSD)", "Liaison officer (PPKSD)"),
    "note": ("Catatan", "Note"),
    "reference": ("Nomor surat atau keputusan", "Letter or decision number"),
    "reason": ("Alasan", "Reason"),
    "term_start": ("Mulai berlaku", "Term starts"),
    "number_first": ("Nomor pihak pertama (kami)", "First party's number (ours)"),
    "number_second": ("Nomor pihak kedua (mitra)", "Second party's number (partner)"),
    "signed_on": ("Tanggal penandatanganan", "Signed on"),
    "signed_place": ("Tempat penandatanganan", "Place of signing"),
    "signatory_name": ("Nama penanda tangan", "Signatory's name"),
    "signatory_title": ("Jabatan penanda tangan", "Signatory's title"),
    "signed_as": ("Ditandatangani oleh", "Signed as"),
    "power_of_attorney": ("Nomor surat kuasa", "Power of attorney number"),
    "decision_number": ("Nomor keputusan DPRD", "DPRD decision number"),
    "decision_date": ("Tanggal keputusan DPRD", "DPRD decision date"),
    "document_id": ("Dokumen keputusan (ID lampiran)", "Decision document (attachment id)"),
    "text": ("Komentar", "Comment"),
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
    (re.compile(r"(?i)field required|missing"), ("Wajib diisi.", "Required.")),
    (re.compile(r"(?i)at least (\d+) characters?"), ("Minimal {0} karakter.", "At least {0} characters.")),
    (re.compile(r"(?i)at most (\d+) characters?"), ("Maksimal {0} karakter.", "At most {0} characters.")),
    (re.compile(r"(?i)greater than or equal to (\d+)"), ("Minimal {0}.", "At least {0}.")),
    (re.compile(r"(?i)less than or equal to (\d+)"), ("Maksimal {0}.", "At most {0}.")),
    (re.compile(r"(?i)valid integer"), ("Harus berupa bilangan bulat.", "Must be a whole number.")),
    (re.compile(r"(?i)valid date|date"), ("Tanggal tidak sah (hh/bb/tttt).", "Not a valid date.")),
    (re.compile(r"(?i)must not be blank"), ("Tidak boleh kosong.", "Must not be blank.")),
    (re.compile(r"(?i)whitespace"), ("Tidak boleh diawali atau diakhiri spasi.", "Must not begin or end with spaces.")),
    (re.compile(r"(?i)control characters"), ("Mengandung karakter yang tidak diizinkan.",
                                             "Contains characters that are not allowed.")),
    (re.compile(r"(?i)not a region onboarded|not a tenant|partner"), ("Mitra ini tidak terdaftar di Jalin.",
                                                                     "This partner is not a region on Jalin.")),
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

    def kind(self, key: str | None) -> str:
        return self._of(KINDS, key)

    def message(self, text: str) -> str:
        """A service's validation message in the reader's language (the original when unknown)."""
        for pattern, pair in _MESSAGES:
            m = pattern.search(text)
            if m:
                return pair[self._i].format(*m.groups())
        return text


def translator(lang: str | None) -> Callable[[str], str]:
    return Translator(lang or "id")
