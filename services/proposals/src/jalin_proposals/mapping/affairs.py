"""The concurrent government affairs (urusan pemerintahan konkuren) of UU 23/2014, art. 12.

A potential of cooperation names the affair it concerns. Only concurrent affairs are
listed: they are the ones shared between the centre, provinces and regencies/cities
(art. 9(3), 11), and so the ones a region can cooperate on. Absolute affairs (art. 10:
foreign policy, defence, security, justice, monetary and fiscal policy, religion) and
general affairs (art. 25) are not the regions' to map.

Ids are stable snake_case: stored in potentials and sent to clients, never renamed.
Names follow the law's wording (it writes *pelindungan* and *olah raga*).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AffairGroup(StrEnum):
    MANDATORY_BASIC = "mandatory_basic"
    """Urusan wajib yang berkaitan dengan pelayanan dasar (art. 12(1))."""
    MANDATORY_NON_BASIC = "mandatory_non_basic"
    """Urusan wajib yang tidak berkaitan dengan pelayanan dasar (art. 12(2))."""
    OPTIONAL = "optional"
    """Urusan pilihan (art. 12(3))."""


GROUP_NAMES: dict[AffairGroup, tuple[str, str]] = {
    AffairGroup.MANDATORY_BASIC: ("Urusan Wajib Pelayanan Dasar", "Mandatory affairs: basic services"),
    AffairGroup.MANDATORY_NON_BASIC: ("Urusan Wajib Non-Pelayanan Dasar", "Mandatory affairs: not basic services"),
    AffairGroup.OPTIONAL: ("Urusan Pilihan", "Optional affairs"),
}


@dataclass(frozen=True)
class Affair:
    id: str
    name_id: str
    name_en: str
    group: AffairGroup
    article: str
    """Where the law lists it, e.g. ``12(1)(a)``."""


def _group(group: AffairGroup, paragraph: int, rows: list[tuple[str, str, str]]) -> list[Affair]:
    return [
        Affair(id=i, name_id=name_id, name_en=name_en, group=group, article=f"12({paragraph})({chr(ord('a') + n)})")
        for n, (i, name_id, name_en) in enumerate(rows)
    ]


AFFAIRS: tuple[Affair, ...] = tuple(
    _group(AffairGroup.MANDATORY_BASIC, 1, [
        ("pendidikan", "Pendidikan", "Education"),
        ("kesehatan", "Kesehatan", "Health"),
        ("pekerjaan_umum_penataan_ruang", "Pekerjaan Umum dan Penataan Ruang", "Public works and spatial planning"),
        ("perumahan_kawasan_permukiman", "Perumahan Rakyat dan Kawasan Permukiman", "Public housing and settlement areas"),
        ("trantibum_linmas", "Ketenteraman, Ketertiban Umum, dan Pelindungan Masyarakat",
         "Peace, public order and community protection"),
        ("sosial", "Sosial", "Social affairs"),
    ])
    + _group(AffairGroup.MANDATORY_NON_BASIC, 2, [
        ("tenaga_kerja", "Tenaga Kerja", "Labour"),
        ("pemberdayaan_perempuan_pelindungan_anak", "Pemberdayaan Perempuan dan Pelindungan Anak",
         "Women's empowerment and child protection"),
        ("pangan", "Pangan", "Food"),
        ("pertanahan", "Pertanahan", "Land"),
        ("lingkungan_hidup", "Lingkungan Hidup", "Environment"),
        ("administrasi_kependudukan_pencatatan_sipil", "Administrasi Kependudukan dan Pencatatan Sipil",
         "Population administration and civil registration"),
        ("pemberdayaan_masyarakat_desa", "Pemberdayaan Masyarakat dan Desa", "Community and village empowerment"),
        ("pengendalian_penduduk_keluarga_berencana", "Pengendalian Penduduk dan Keluarga Berencana",
         "Population control and family planning"),
        ("perhubungan", "Perhubungan", "Transport"),
        ("komunikasi_informatika", "Komunikasi dan Informatika", "Communication and informatics"),
        ("koperasi_ukm", "Koperasi, Usaha Kecil, dan Menengah", "Cooperatives and small and medium enterprises"),
        ("penanaman_modal", "Penanaman Modal", "Investment"),
        ("kepemudaan_olahraga", "Kepemudaan dan Olah Raga", "Youth and sports"),
        ("statistik", "Statistik", "Statistics"),
        ("persandian", "Persandian", "Cryptography"),
        ("kebudayaan", "Kebudayaan", "Culture"),
        ("perpustakaan", "Perpustakaan", "Libraries"),
        ("kearsipan", "Kearsipan", "Archives"),
    ])
    + _group(AffairGroup.OPTIONAL, 3, [
        ("kelautan_perikanan", "Kelautan dan Perikanan", "Marine affairs and fisheries"),
        ("pariwisata", "Pariwisata", "Tourism"),
        ("pertanian", "Pertanian", "Agriculture"),
        ("kehutanan", "Kehutanan", "Forestry"),
        ("energi_sumber_daya_mineral", "Energi dan Sumber Daya Mineral", "Energy and mineral resources"),
        ("perdagangan", "Perdagangan", "Trade"),
        ("perindustrian", "Perindustrian", "Industry"),
        ("transmigrasi", "Transmigrasi", "Transmigration"),
    ])
)

BY_ID: dict[str, Affair] = {a.id: a for a in AFFAIRS}
assert len(BY_ID) == len(AFFAIRS), "affair ids must be unique"


def get(affair_id: str) -> Affair | None:
    return BY_ID.get(affair_id)


def check(affair_id: str) -> str:
    """``affair_id`` if it names an affair of art. 12, else ValueError."""
    if affair_id not in BY_ID:
        raise ValueError("unknown government affair; GET /v1/government-affairs lists the ids of UU 23/2014 art. 12")
    return affair_id
