"""The tenant directory: each region's name and its per-tenant configuration.

Regional rules differ, so reminder offsets, monev frequency and similar settings are
per-tenant configuration with DOMAIN.md's defaults. The directory is a JSON file
(``JALIN_TENANTS_FILE``); without one, the two demo tenants are used.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field


class TenantInfo(BaseModel):
    id: str
    name: str = Field(description="Official name, e.g. 'Provinsi Sumatera Barat'.")
    head_title: str = Field(description="Gubernur / Bupati / Wali Kota.")
    seat: str = Field(description="Where documents are signed, e.g. 'Padang'.")
    email_domain: str
    cooperation_section: str = "Bagian Kerja Sama"
    monev_rounds_per_year: int = 2
    reminder_offsets_days: list[int] = Field(default_factory=lambda: [90, 60, 30, 7, 0])
    max_term_months: int = 60
    mapping_reminder_offsets_days: list[int] = Field(
        default_factory=lambda: [14, 7, 3, 1],
        description="Days before a potential-mapping deadline at which units that have not submitted are reminded.",
    )
    offer_stage: bool = Field(True, description="A surat penawaran precedes the KB (DOMAIN.md default).")
    kb_before_pks: bool = Field(True, description="A KSDPK has a KB before its PKS; False goes straight to the PKS.")
    province: str | None = Field(None, description="For a regency/city: its province's tenant id (oversight).")
    units: dict[str, str] = Field(default_factory=dict, description="OPD id -> name")

    def unit_name(self, unit: str | None) -> str:
        if not unit:
            return self.cooperation_section
        return self.units.get(unit, unit)

    def mailbox(self, local: str) -> str:
        return f"{local}@{self.email_domain}"


DEMO_TENANTS: dict[str, TenantInfo] = {
    "sumbar": TenantInfo(
        id="sumbar",
        name="Pemerintah Provinsi Sumatera Barat",
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
        name="Pemerintah Kabupaten Kutai Kartanegara",
        head_title="Bupati Kutai Kartanegara",
        seat="Tenggarong",
        email_domain="kukarkab.example.id",
        cooperation_section="Bagian Kerja Sama Setda Kabupaten Kutai Kartanegara",
        units={
            "dinkes": "Dinas Kesehatan",
            "dishub": "Dinas Perhubungan",
            "dpmptsp": "Dinas Penanaman Modal dan PTSP",
        },
    ),
}


class TenantDirectory:
    def __init__(self, tenants: dict[str, TenantInfo]) -> None:
        self._tenants = tenants

    @classmethod
    def load(cls, path: Path | None) -> TenantDirectory:
        if path is None:
            return cls(dict(DEMO_TENANTS))
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        items = raw if isinstance(raw, list) else raw.get("tenants", [])
        return cls({t.id: t for t in (TenantInfo.model_validate(item) for item in items)})

    def get(self, tenant_id: str) -> TenantInfo:
        """A tenant's info; an unknown tenant gets neutral defaults rather than an error."""
        info = self._tenants.get(tenant_id)
        if info is None:
            return TenantInfo(
                id=tenant_id,
                name=tenant_id,
                head_title="Kepala Daerah",
                seat="-",
                email_domain=f"{tenant_id}.example.id",
            )
        return info

    def __contains__(self, tenant_id: str) -> bool:
        return tenant_id in self._tenants

    def ids(self) -> list[str]:
        return sorted(self._tenants)
