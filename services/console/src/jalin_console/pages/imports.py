"""Impor: a legacy register (CSV/XLSX) checked (dry run, the report by row and column) and imported."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
