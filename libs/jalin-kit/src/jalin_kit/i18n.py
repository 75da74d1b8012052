"""Indonesian formatting shared by everything a regional official reads."""

from __future__ import annotations

from datetime import date

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


def tanggal(d: date) -> str:
    """A date the Indonesian way: ``23 November 2026``."""
    return f"{d.day} {MONTHS_ID[d.month - 1]} {d.year}"
