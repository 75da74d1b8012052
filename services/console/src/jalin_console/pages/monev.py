"""Monev: each cooperation's evaluation plan, its rounds and reminders."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
