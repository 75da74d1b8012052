"""The 2-hop chains' load (raw nats-py and jalin-kit plumbing): paced, and a burst, timed by the
last hop's acks."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from . import raw_jetstream as raw
from .common import dist_ms
from .watcher import Acks, SeqKeys


class Chain:
    def __init__(self, name: str, js: Any, acks: Acks, keys: SeqKeys, stream: str, end_consumer: str,
                 subject: str, message: Callable[[str], tuple[bytes, dict[str, str]]]) -> None:
        self.name = name
        self.js = js
        self.acks = acks
        self.keys = keys
        self.stream = stream
        self.end_consumer = end_consumer
        self.subject = subject
        self.message = message

    async def _finish(self, baseline: Counter[tuple[str, str]], sent: dict[str, float], t_phase: float,
                      within: float) -> tuple[bool, dict[str, float]]:
        ok = await self.acks.wait(baseline, {(self.stream, self.end_consumer): len(sent)}, within)
        ends = await self.keys.times(self.acks, self.stream, self.end_consumer, t_phase)
        return ok, {k: ends[k] for k in sent if k in ends}

    async def paced(self, rate: float, count: int) -> dict[str, Any]:
        run = uuid.uuid4().hex[:8]  # keys (and raw Nats-Msg-Ids) never repeat across phases
        baseline = self.acks.snapshot()
        sent: dict[str, float] = {}
        t_phase = time.monotonic()
        start = t_phase + 0.02
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"{self.name}-paced-{run}-{i}"
            data, headers = self.message(key)
            sent[key] = time.monotonic()
            await self.js.publish(self.subject, data, headers=headers)
        achieved = count / (time.monotonic() - start)
        ok, ends = await self._finish(baseline, sent, t_phase, 60 + count / 20)
        return {
            "requested_rate": rate,
            "achieved_rate": round(achieved, 1),
            "messages": count,
            "completed": len(ends),
            "all_done": ok,
            "latency": dist_ms(ends[k] - sent[k] for k in ends),
        }

    async def burst(self, count: int) -> dict[str, Any]:
        run = uuid.uuid4().hex[:8]
        baseline = self.acks.snapshot()
        sent: dict[str, float] = {}
        t_start = time.monotonic()
        for i in range(0, count, 100):
            batch = []
            for j in range(i, min(count, i + 100)):
                key = f"{self.name}-burst-{run}-{j}"
                data, headers = self.message(key)
                sent[key] = time.monotonic()
                batch.append(self.js.publish(self.subject, data, headers=headers))
            await asyncio.gather(*batch)
        t_published = time.monotonic()
        ok, ends = await self._finish(baseline, sent, t_start, 120 + count / 10)
        last = max(ends.values()) if ends else None
        return {
            "messages": count,
            "completed": len(ends),
            "all_done": ok,
            "publish_rate": round(count / (t_published - t_start), 1),
            "seconds": round(last - t_start, 3) if last else None,
            "sustained_rate": round(len(ends) / (last - t_start), 1) if last else None,
            "latency": dist_ms(ends[k] - sent[k] for k in ends),
        }


def raw_message(key: str) -> tuple[bytes, dict[str, str]]:
    return raw.chain_payload(key), {"Nats-Msg-Id": key}
