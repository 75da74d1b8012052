"""Observing the effects without polling: the acks of the consumers that mark them, and the events.

A watcher thread with its own event loop and plain nats-py subscribes on core NATS to the ack
subjects of just those consumers and to the proposals' events, and timestamps what it sees;
``Acks`` keeps the first ack of each stream message and ``SeqKeys`` maps a stream sequence to
its proposal (``get_msg``) after a phase.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import nats


def parse_ack(subject: str) -> tuple[str, str, int] | None:
    """(stream, consumer, stream sequence) of a JetStream ack subject, v1 or v2 form."""
    t = subject.split(".")
    try:
        if len(t) == 9:  # $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
            return t[2], t[3], int(t[5])
        if len(t) >= 11:  # $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>...
            return t[4], t[5], int(t[7])
    except ValueError:
        return None
    return None


# -- the watcher: acks and events, timestamped in a thread of their own ------------------------

class Watcher:
    """Plain nats-py in its own thread and event loop, so the timestamps do not wait for
    the load generator. Records (monotonic time, subject[, data]) and nothing else."""

    def __init__(self, url: str, ack_consumers: Iterable[tuple[str, str]]) -> None:
        self.url = url
        self.ack_consumers = list(ack_consumers)
        self.acks: list[tuple[float, str]] = []
        self.events: list[tuple[float, str, bytes]] = []
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError(f"watcher did not connect: {self.error!r}")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        nc = await nats.connect(self.url, max_reconnect_attempts=-1)
        acks, events = self.acks, self.events
        now = time.monotonic

        async def on_ack(msg: Any) -> None:
            if msg.data in (b"", b"+ACK"):  # not -NAK, +WPI, +TERM
                acks.append((now(), msg.subject))

        async def on_event(msg: Any) -> None:
            events.append((now(), msg.subject, msg.data))

        limit = 10_000_000
        # Only the consumers that mark an effect: a copy of every ack in the server (the raw
        # baselines ack tens of thousands) would load the server and this process for nothing.
        for stream, consumer in self.ack_consumers:
            for pattern in (f"$JS.ACK.{stream}.{consumer}.>", f"$JS.ACK.*.*.{stream}.{consumer}.>"):
                await nc.subscribe(pattern, cb=on_ack, pending_msgs_limit=limit, pending_bytes_limit=-1)
        await nc.subscribe("jalin.*.proposal.approved", cb=on_event, pending_msgs_limit=limit, pending_bytes_limit=-1)
        await nc.subscribe("jalin.*.document.generated", cb=on_event, pending_msgs_limit=limit, pending_bytes_limit=-1)
        await nc.flush()
        self._ready.set()
        await self._stop.wait()
        await nc.close()


class Acks:
    """The first ack of each (stream, consumer, sequence), read from the watcher's list."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.pos = 0
        self.first: dict[tuple[str, str, int], float] = {}
        self.count: Counter[tuple[str, str]] = Counter()

    def update(self) -> None:
        acks = self.watcher.acks
        end = len(acks)
        for t, subject in acks[self.pos:end]:
            parsed = parse_ack(subject)
            if parsed is None or parsed in self.first:
                continue
            self.first[parsed] = t
            self.count[(parsed[0], parsed[1])] += 1
        self.pos = end

    def snapshot(self) -> Counter[tuple[str, str]]:
        self.update()
        return Counter(self.count)

    def since(self, stream: str, consumer: str, t0: float) -> list[tuple[int, float]]:
        self.update()
        return [(k[2], t) for k, t in self.first.items() if k[0] == stream and k[1] == consumer and t >= t0]

    async def wait(self, baseline: Counter[tuple[str, str]], need: dict[tuple[str, str], int],
                   within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.update()
            if all(self.count[k] - baseline[k] >= n for k, n in need.items()):
                return True
            await asyncio.sleep(0.02)
        return False


class SeqKeys:
    """Which proposal (or chain key) a stream sequence belongs to, via ``get_msg``."""

    def __init__(self, js: Any) -> None:
        self.js = js
        self.cache: dict[tuple[str, int], str | None] = {}

    async def resolve(self, stream: str, seqs: Iterable[int]) -> None:
        todo = [s for s in set(seqs) if (stream, s) not in self.cache]
        for i in range(0, len(todo), 200):
            chunk = todo[i:i + 200]
            msgs = await asyncio.gather(*(self.js.get_msg(stream, seq=s) for s in chunk), return_exceptions=True)
            for seq, m in zip(chunk, msgs, strict=True):
                key = None
                if not isinstance(m, BaseException):
                    try:
                        data = json.loads(m.data)
                        key = data.get("proposal_id") or data.get("key")
                    except (ValueError, AttributeError):
                        key = None
                self.cache[(stream, seq)] = key

    async def times(self, acks: Acks, stream: str, consumer: str, t0: float) -> dict[str, float]:
        """key -> first ack time, for the consumer's acks since t0."""
        pairs = acks.since(stream, consumer, t0)
        await self.resolve(stream, (s for s, _ in pairs))
        out: dict[str, float] = {}
        for seq, t in pairs:
            key = self.cache.get((stream, seq))
            if key is not None and (key not in out or t < out[key]):
                out[key] = t
        return out


def event_times(watcher: Watcher, kind: str, t0: float) -> dict[str, float]:
    """proposal id -> time the watcher saw its ``kind`` event (core subscription)."""
    out: dict[str, float] = {}
    for t, subject, data in list(watcher.events):
        if t < t0 or not subject.endswith(kind):
            continue
        try:
            pid = json.loads(data).get("proposal_id")
        except ValueError:
            continue
        if pid and pid not in out:
            out[pid] = t
    return out
