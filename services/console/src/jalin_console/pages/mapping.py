"""Pemetaan potensi: rounds, submitting a potential, the units that have not submitted, a potential turned into a proposal."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
