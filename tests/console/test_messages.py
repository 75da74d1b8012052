"""The proposals service's import messages (English, its own) reach an official in Indonesian:
each has a pattern in the console's table, checked on the service's own wording."""

from __future__ import annotations

import pytest
from jalin_console.i18n import Translator

IMPORT_MESSAGES = {
    "duplicate nomor 'A/1': already on row 3 of this file": "Nomor 'A/1' ganda: sudah ada di baris 3 berkas ini.",
    "a ksdd cooperation is recorded with kb, pks, not nk": "Kerja sama ksdd dicatat dengan kb, pks, bukan nk.",
    "start 2024-01-01 lies more than a year after the signing date":
        "Mulai 2024-01-01 lebih dari setahun setelah tanggal penandatanganan.",
    "'X Y' is not a tenant id (lowercase letters, digits and -)": "'X Y' bukan kode daerah (huruf kecil, angka dan -).",
    "judul is 300 characters long; at most 255 fit": "judul sepanjang 300 karakter; paling banyak 255.",
    "ends on 2024-01-01, not after its start 2024-02-01": "Berakhir 2024-01-01, tidak setelah mulainya 2024-02-01.",
    "24 months disagrees with tanggal_berakhir": "24 bulan tidak sesuai dengan tanggal_berakhir.",
    "signing date 1900-01-01 is implausibly early": "Tanggal 1900-01-01 terlalu awal untuk masuk akal.",
    "only a PKS may be signed by a delegate under a power of attorney":
        "Hanya PKS yang boleh ditandatangani kuasa dengan surat kuasa.",
    "a kb states its term: give tanggal_berakhir or jangka_waktu_bulan":
        "Jangka waktunya wajib: isi tanggal_berakhir atau jangka_waktu_bulan.",
}


@pytest.mark.parametrize(("english", "indonesian"), IMPORT_MESSAGES.items())
def test_an_import_message_is_shown_in_indonesian(english: str, indonesian: str) -> None:
    assert Translator("id").message(english) == indonesian
    assert Translator("en").message(english) != indonesian  # English stays English


def test_a_message_without_a_pattern_is_shown_as_it_is() -> None:
    assert Translator("id").message("something nobody wrote a pattern for") == "something nobody wrote a pattern for"


def test_the_service_still_words_them_so() -> None:
    """The patterns follow the service's wording: if it changes, this fails, not the page."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "services/proposals/src/jalin_proposals/imports/rows.py").read_text()
    for fragment in ("duplicate nomor", "cooperation is recorded with", "lies more than a year after the signing date",
                     "is not a tenant id", "characters long; at most", "not after its start", "disagrees with tanggal_berakhir",
                     "is implausibly early", "only a PKS may be signed by a delegate", "states its term: give tanggal_berakhir"):
        assert fragment in source, fragment
