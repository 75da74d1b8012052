"""Indonesia's regions that can be tenants: the 38 provinces and 514 regencies and cities,
with their Kemendagri codes, kind, province and time zone (``regions.csv``; where it comes
from and how to update it: ``SOURCE.md``). Reference data, read-only."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


class RegionKind(StrEnum):
    PROVINSI = "provinsi"
    KABUPATEN = "kabupaten"
    KOTA = "kota"


class TimeZone(StrEnum):
    """Waktu Indonesia Barat / Tengah / Timur."""

    WIB = "WIB"
    WITA = "WITA"
    WIT = "WIT"

    @property
    def iana(self) -> str:
        return {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}[self.value]


@dataclass(frozen=True)
class Region:
    code: str
    """Kemendagri code: ``13`` (a province), ``64.02`` (a regency or city)."""
    name: str
    """``Sumatera Barat``, ``Kabupaten Kutai Kartanegara``, ``Kota Padang``."""
    kind: RegionKind
    province_code: str | None
    timezone: TimeZone

    @property
    def government(self) -> str:
        """The government's official name: ``Pemerintah Provinsi Sumatera Barat``."""
        return f"Pemerintah Provinsi {self.name}" if self.kind is RegionKind.PROVINSI else f"Pemerintah {self.name}"

    @property
    def head_title(self) -> str:
        """The kepala daerah's title: Gubernur / Bupati / Wali Kota of the region."""
        if self.kind is RegionKind.PROVINSI:
            return f"Gubernur {self.name}"
        short = self.name.removeprefix("Kabupaten ").removeprefix("Kota ").removeprefix("Administrasi ")
        return f"{'Bupati' if self.kind is RegionKind.KABUPATEN else 'Wali Kota'} {short}"


@cache
def regions() -> dict[str, Region]:
    """Every region by code, in code order (read once)."""
    text = resources.files(__package__).joinpath("regions.csv").read_text(encoding="utf-8")
    return {
        row["code"]: Region(
            code=row["code"],
            name=row["name"],
            kind=RegionKind(row["kind"]),
            province_code=row["province_code"] or None,
            timezone=TimeZone(row["timezone"]),
        )
        for row in csv.DictReader(text.splitlines())
    }


def region(code: str) -> Region | None:
    return regions().get(code)
