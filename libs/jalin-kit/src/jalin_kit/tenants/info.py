"""A tenant as every service sees it: the region, its government, its people and units, and
its per-tenant configuration (regional rules differ, so reminder offsets, monev frequency
and the lifecycle's options are settings with the defaults of PP 28/2018 and practice)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from jalin_kit.identifiers import REGION_CODE, TENANT_ID, UNIT_ID
from jalin_kit.regions import RegionKind, TimeZone

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Offsets = Annotated[list[Annotated[int, Field(ge=0, le=366)]], Field(min_length=1, max_length=10)]


class TenantStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class TenantSettings(BaseModel):
    """What a region may configure for itself (the defaults of docs/domain.md)."""

    model_config = ConfigDict(extra="forbid")

    monev_rounds_per_year: Literal[1, 2, 3, 4, 6, 12] = Field(
        2, description="Monev rounds per budget year: the year cut into equal whole months (2 = semesters).")
    reminder_offsets_days: Offsets = Field(
        default_factory=lambda: [90, 60, 30, 7, 0], description="Days before a cooperation's end at which it is recalled."
    )
    max_term_months: int = Field(60, ge=1, le=60, description="Longest term of a cooperation (at most 5 years).")
    mapping_reminder_offsets_days: Offsets = Field(
        default_factory=lambda: [14, 7, 3, 1],
        description="Days before a potential-mapping deadline at which units that have not submitted are reminded.",
    )
    offer_stage: bool = Field(True, description="A surat penawaran precedes the KB (the default of docs/domain.md).")
    kb_before_pks: bool = Field(True, description="A KSDPK has a KB before its PKS; False goes straight to the PKS.")


class TenantInfo(TenantSettings):
    """One onboarded region: the registry's record, carried whole by ``tenant.changed``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=TENANT_ID.schema, description="The tenant id: the token of its event subjects.")
    region_code: str | None = Field(None, pattern=REGION_CODE.schema, description="Kemendagri code, e.g. 13 or 64.02.")
    kind: RegionKind | None = None
    province_code: str | None = Field(None, pattern=REGION_CODE.schema, description="For a regency/city: its province.")
    timezone: TimeZone = TimeZone.WIB
    name: Name = Field(description="Official name, e.g. 'Pemerintah Provinsi Sumatera Barat'.")
    head_name: Name | None = Field(None, description="The kepala daerah's name.")
    head_title: Name = Field(description="Gubernur / Bupati / Wali Kota, e.g. 'Gubernur Sumatera Barat'.")
    seat: Name = Field(description="Where documents are signed, e.g. 'Padang'.")
    email_domain: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", max_length=200)
    cooperation_section: Name = "Bagian Kerja Sama"
    units: dict[str, str] = Field(default_factory=dict, description="OPD id -> name", max_length=200)
    status: TenantStatus = TenantStatus.ACTIVE
    version: int = Field(0, ge=0, description="Grows with every change; a copy keeps the newest.")

    @field_validator("units")
    @classmethod
    def _units(cls, value: dict[str, str]) -> dict[str, str]:
        for unit, name in value.items():
            if not UNIT_ID.fullmatch(unit):
                raise ValueError(f"unit id {unit!r}: 1-64 of a-z, 0-9, '-', '_'")
            if not 2 <= len(name.strip()) <= 200:
                raise ValueError(f"unit {unit}: its name must have 2-200 characters")
        return {unit: name.strip() for unit, name in value.items()}

    @property
    def active(self) -> bool:
        return self.status is TenantStatus.ACTIVE

    def unit_name(self, unit: str | None) -> str:
        if not unit:
            return self.cooperation_section
        return self.units.get(unit, unit)

    def mailbox(self, local: str) -> str:
        return f"{local}@{self.email_domain}"


DEMO_TENANTS: dict[str, TenantInfo] = {
    "sumbar": TenantInfo(
        id="sumbar",
        region_code="13",
        kind=RegionKind.PROVINSI,
        name="Pemerintah Provinsi Sumatera Barat",
        head_name="Mahyeldi",
        head_title="Gubernur Sumatera Barat",
        seat="Padang",
        email_domain="sumbarprov.example.id",
        cooperation_section="Biro Kerja Sama Setda Provinsi Sumatera Barat",
        units={
            "dinkes": "Dinas Kesehatan",
            "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang",
            "dispar": "Dinas Pariwisata",
        },
    ),
    "kukar": TenantInfo(
        id="kukar",
        region_code="64.02",
        kind=RegionKind.KABUPATEN,
        province_code="64",
        timezone=TimeZone.WITA,
        name="Pemerintah Kabupaten Kutai Kartanegara",
        head_name="Edi Damansyah",
        head_title="Bupati Kutai Kartanegara",
        seat="Tenggarong",
        email_domain="kukarkab.example.id",
        cooperation_section="Bagian Kerja Sama Setda Kabupaten Kutai Kartanegara",
        units={
            "dinkes": "Dinas Kesehatan",
            "dishub": "Dinas Perhubungan",
            "dpmptsp": "Dinas Penanaman Modal dan PTSP",
            "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang",
        },
    ),
    "kaltim": TenantInfo(
        id="kaltim",
        region_code="64",
        kind=RegionKind.PROVINSI,
        timezone=TimeZone.WITA,
        name="Pemerintah Provinsi Kalimantan Timur",
        head_title="Gubernur Kalimantan Timur",
        seat="Samarinda",
        email_domain="kaltimprov.example.id",
        cooperation_section="Biro Kerja Sama Setda Provinsi Kalimantan Timur",
        units={"dinkes": "Dinas Kesehatan", "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang"},
    ),
}
"""The embedded default's regions (onboarded on its first start): two that cooperate and a
third that must see nothing of theirs."""


@dataclass(frozen=True)
class DemoUser:
    """A person of the embedded default's demo regions (``jalin up`` prints their tokens; the
    console's development sign-in lists them). Never used in production."""

    tenant: str
    user: str
    roles: tuple[str, ...]
    unit: str | None
    name: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("sumbar", "ani.opd", ("opd_staff",), "dinkes", "Ani (Dinas Kesehatan)"),
    DemoUser("sumbar", "budi.ks", ("kerja_sama",), None, "Budi (Biro Kerja Sama)"),
    DemoUser("sumbar", "gubernur", ("kepala_daerah",), None, "Gubernur Sumatera Barat"),
    DemoUser("sumbar", "sekda", ("sekda",), None, "Sekretaris Daerah"),
    DemoUser("sumbar", "dprd", ("dprd",), None, "Sekretariat DPRD Sumatera Barat"),
    DemoUser("kukar", "citra.opd", ("opd_staff",), "dishub", "Citra (Dinas Perhubungan)"),
    DemoUser("kukar", "dedi.ks", ("kerja_sama",), None, "Dedi (Bagian Kerja Sama)"),
    DemoUser("kaltim", "eka.ks", ("kerja_sama",), None, "Eka (Biro Kerja Sama Kalimantan Timur)"),
    DemoUser("platform", "operator", ("platform_admin",), None, "Platform operator"),
)
