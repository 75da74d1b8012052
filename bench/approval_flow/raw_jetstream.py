"""Raw nats-py baselines against the same nats-server as the platform.

Used by the phases; ``hop_main`` is the handler process of the raw 2-hop chain, started
twice by the bench, once per hop (``python bench/approval_flow _raw-hop --hop a --nats-url …``).

Everything here goes to a stream of its own, ``BENCHRAW`` on ``benchraw.>``, with the
same storage settings as ``JALIN`` (file storage, the server's default fsync), so the
platform's stream and consumers are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel

RAW_STREAM = "BENCHRAW"
RAW_SUBJECTS = ["benchraw.>"]
CHAIN_A = "benchraw.chain.a"
CHAIN_B = "benchraw.chain.b"
HOP_DURABLE = {"a": "raw-hop-a", "b": "raw-hop-b"}
PAYLOAD_BYTES = 256
PULL_BATCH = 20  # the platform's pull_batch_size default


class ChainEvent(BaseModel):
    """The chain's payload (about 256 bytes of JSON), parsed by each hop like a real handler."""

    key: str
    tenant: str = "benchraw"
    pad: str = ""


def chain_payload(key: str) -> bytes:
    base = ChainEvent(key=key).model_dump_json()
    return ChainEvent(key=key, pad="x" * max(0, PAYLOAD_BYTES - len(base))).model_dump_json().encode()


async def ensure_raw_stream(js: JetStreamContext) -> None:
    config = StreamConfig(
        name=RAW_STREAM,
        subjects=list(RAW_SUBJECTS),
        storage=StorageType.FILE,
        duplicate_window=120.0,
        num_replicas=1,
    )
    try:
        await js.stream_info(RAW_STREAM)
    except NotFoundError:
        await js.add_stream(config)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


# -- publish one at a time ----------------------------------------------------------------

async def publish_one_at_a_time(url: str, count: int, subject: str = "benchraw.pub") -> dict[str, float]:
    """``await js.publish`` in a loop, each waiting for its PubAck: rate and per-publish latency."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_raw_stream(js)
        payload = b"x" * PAYLOAD_BYTES
        for _ in range(min(100, count)):  # warm-up, not counted
            await js.publish(subject + ".warm", payload)
        latencies = []
        start = time.monotonic()
        for _ in range(count):
            t = time.monotonic()
            await js.publish(subject, payload)
            latencies.append(time.monotonic() - t)
        elapsed = time.monotonic() - start
        return {
            "count": count,
            "seconds": elapsed,
            "msgs_per_s": count / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000,  # type: ignore[operator]
            "p99_ms": percentile(latencies, 99) * 1000,  # type: ignore[operator]
        }
    finally:
        await nc.close()


# -- pull consume: a stored backlog, and publish + consume together -------------------------

async def _pull(js: JetStreamContext, subject: str, durable: str):  # type: ignore[no-untyped-def]
    return await js.pull_subscribe(
        subject,
        durable=durable,
        stream=RAW_STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_ack_pending=20_000
        ),
    )


async def _consume(psub, count: int, batch: int, deadline: float) -> int:  # type: ignore[no-untyped-def]
    got = 0
    while got < count and time.monotonic() < deadline:
        try:
            msgs = await psub.fetch(batch, timeout=1.0)
        except TimeoutError:
            continue
        for m in msgs:
            await m.ack()
        got += len(msgs)
    return got


async def fetch_backlog(url: str, count: int, batch: int = 100, subject: str = "benchraw.backlog") -> dict[str, float]:
    """Fill the stream with ``count`` messages first (pipelined), then fetch(batch) + ack them all."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_raw_stream(js)
        payload = b"x" * PAYLOAD_BYTES
        for i in range(0, count, 500):
            await asyncio.gather(*(js.publish(subject, payload) for _ in range(min(500, count - i))))
        psub = await _pull(js, subject, "raw-backlog")
        start = time.monotonic()
        got = await _consume(psub, count, batch, start + 60 + count / 100)
        elapsed = time.monotonic() - start
        await psub.unsubscribe()
        return {"count": got, "batch": batch, "seconds": elapsed, "msgs_per_s": got / elapsed}
    finally:
        await nc.close()


async def publish_and_consume(url: str, count: int, batch: int = 100, subject: str = "benchraw.pubsub") -> dict[str, float]:
    """A producer (one publish at a time) and a pull consumer (fetch + ack) on separate
    connections at once: the rate until the last message is consumed."""
    pub = await nats.connect(url)
    sub = await nats.connect(url)
    try:
        js_pub, js_sub = pub.jetstream(), sub.jetstream()
        await ensure_raw_stream(js_pub)
        psub = await _pull(js_sub, subject, "raw-pubsub")
        payload = b"x" * PAYLOAD_BYTES

        async def produce() -> None:
            for _ in range(count):
                await js_pub.publish(subject, payload)

        start = time.monotonic()
        _, got = await asyncio.gather(produce(), _consume(psub, count, batch, start + 60 + count / 100))
        elapsed = time.monotonic() - start
        await psub.unsubscribe()
        return {"count": got, "batch": batch, "seconds": elapsed, "msgs_per_s": got / elapsed}
    finally:
        await pub.close()
        await sub.close()


# -- the raw 2-hop chain's handler process -------------------------------------------------

async def run_hop(url: str, hop: str, max_seconds: float) -> None:
    """Hop a: consume A, publish B to JetStream (waiting for the PubAck), ack A.
    Hop b: consume B, ack. Pull consumers, fetch(20), one message at a time, like the
    platform's consumers; stops on SIGTERM or after ``max_seconds``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(max_seconds, stop.set)
    nc = await nats.connect(url, max_reconnect_attempts=-1)
    js = nc.jetstream()
    await ensure_raw_stream(js)
    psub = await js.pull_subscribe(
        CHAIN_A if hop == "a" else CHAIN_B,
        durable=HOP_DURABLE[hop],
        stream=RAW_STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_deliver=5, ack_wait=30
        ),
    )
    print("ready", flush=True)
    while not stop.is_set():
        try:
            msgs = await psub.fetch(PULL_BATCH, timeout=1.0)
        except TimeoutError:
            continue
        for m in msgs:
            event = ChainEvent.model_validate_json(m.data)
            if hop == "a":
                await js.publish(
                    CHAIN_B, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(uuid.uuid4())}
                )
            await m.ack()
    # Every fetched message was acked: close, not drain (nats-py's drain of a pull subscription
    # never returns, and the bench would kill the process after its grace period).
    await nc.close()


def hop_main(argv: list[str]) -> None:
    """One hop of the raw 2-hop chain, as a process of its own (``_raw-hop``)."""
    parser = argparse.ArgumentParser(prog="approval_flow _raw-hop", description="one hop of the raw 2-hop chain")
    parser.add_argument("--hop", choices=["a", "b"], required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)
    asyncio.run(run_hop(args.nats_url, args.hop, args.max_seconds))
