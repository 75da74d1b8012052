"""Small helpers every part of the bench uses: statistics in ms, progress lines, HTTP clients."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpx

from .raw_jetstream import percentile

__all__ = ("dist_ms", "http_client", "ms", "percentile", "say")

T_START = time.monotonic()
"""When the bench was imported: progress lines say the seconds since."""


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def dist_ms(values: Iterable[float]) -> dict[str, Any]:
    vals = list(values)
    if not vals:
        return {"n": 0}
    return {
        "n": len(vals),
        "p50_ms": ms(percentile(vals, 50)),
        "p90_ms": ms(percentile(vals, 90)),
        "p99_ms": ms(percentile(vals, 99)),
        "max_ms": ms(max(vals)),
        "mean_ms": ms(sum(vals) / len(vals)),
    }


def say(text: str) -> None:
    print(f"[{time.monotonic() - T_START:6.1f}s] {text}", flush=True)


def http_client(connections: int = 1) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=30.0,
        trust_env=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
