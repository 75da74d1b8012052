"""Document throughput with 1, 2 and 3 documents replicas, in one run on one machine.

For each replica count: the platform as processes on PostgreSQL (fresh databases), N
proposals created and submitted, the documents processes stopped, all N approved (their
``proposal.approved`` events wait in JALIN for the durable consumer), then the replicas started
together. Throughput is taken from the documents' own ``created_at`` stamps (first to last),
so process start-up does not count; CPU seconds of each process and of the whole machine over
the drain say what bounds it.

    .venv/bin/python bench/documents_replicas.py [--proposals 200] [--replicas 1,2,3]
        [--database postgresql://postgres@127.0.0.1:5432/postgres]

Writes bench/results/documents_replicas-<time>.md (and .json). Not a test: nothing here fails
on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from jalin_kit.auth import issue_dev_token

from jalin_cli.mailsink import MailSink
from jalin_cli.platform import SERVICES, Platform, PlatformConfig, free_port

sys.path.insert(0, str(Path(__file__).parent))
from approval_flow.machine import machine, platform_code  # noqa: E402
from approval_flow.procs import machine_cpu, read_proc  # noqa: E402
from approval_flow.settings import proposal_body  # noqa: E402

RESULTS = Path(__file__).parent / "results"


async def create_databases(server: str) -> dict[str, str]:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server).set(drivername="postgresql+asyncpg")
    suffix = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                 database=url.database or "postgres")
    try:
        names = {s: f"jb_{s}_{suffix}" for s in SERVICES}
        for name in names.values():
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return {s: url.set(database=n).render_as_string(hide_password=False) for s, n in names.items()}


async def drop_databases(server: str, urls: dict[str, str]) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                 database=url.database or "postgres")
    try:
        for u in urls.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(u).database}" WITH (FORCE)')
    finally:
        await conn.close()


def headers(secret: str, roles: list[str], unit: str | None = None) -> dict[str, str]:
    token = issue_dev_token(secret, tenant="sumbar", roles=roles, user=f"bench-{roles[0]}", unit=unit)
    return {"Authorization": f"Bearer {token}"}


async def prepare(platform: Platform, secret: str, n: int) -> list[str]:
    staff, section = headers(secret, ["opd_staff"], "dinkes"), headers(secret, ["kerja_sama"])
    base = platform.url("proposals")
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            async with sem:
                r = await client.post("/v1/proposals", json=proposal_body(f"Bench replicas {i}"),
                                      headers=staff)
                r.raise_for_status()
                pid = r.json()["id"]
                (await client.post(f"/v1/proposals/{pid}/actions/submit", json={}, headers=staff)).raise_for_status()
                ids.append(pid)

        await asyncio.gather(*(one(i) for i in range(n)))
        # Approved while no documents process runs: the events wait for the durable consumer.
        for svc in platform.replicas["documents"]:
            svc.stop()

        async def approve(pid: str) -> None:
            async with sem:
                (await client.post(f"/v1/proposals/{pid}/actions/approve", json={}, headers=section)).raise_for_status()

        await asyncio.gather(*(approve(pid) for pid in ids))
    return ids


async def documents_of(platform: Platform, secret: str, n: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=platform.url("documents"), timeout=30) as client:
        r = await client.get("/v1/documents", params={"limit": max(n, 1)}, headers=headers(secret, ["kerja_sama"]))
        r.raise_for_status()
        return list(r.json())


def run_one(replicas: int, n: int, server: str, folder: Path) -> dict[str, Any]:
    urls = asyncio.run(create_databases(server))
    secret = secrets.token_urlsafe(48)
    smtp_port = free_port()
    sink = MailSink(folder / "mail", port=smtp_port)
    sink.start()
    config = PlatformConfig(data_dir=folder / "platform", nats_port=free_port(),
                            ports={s: free_port() for s in SERVICES}, smtp_port=smtp_port, jwt_secret=secret,
                            database_urls=urls, replicas={"documents": replicas})
    platform = Platform(config)
    try:
        platform.start(timeout=120)
        ids = asyncio.run(prepare(platform, secret, n))
        before = machine_cpu()
        t0 = time.monotonic()
        for svc in platform.replicas["documents"]:
            svc.start()
        cpu_of: dict[str, float] = {}
        deadline = time.monotonic() + 600
        while True:
            for i, svc in enumerate(platform.replicas["documents"]):
                if svc.proc is not None:
                    _, cpu = read_proc(svc.proc.pid)
                    if cpu is not None:
                        cpu_of[f"documents-{i + 1}"] = cpu
            if svc_ready := all(_ready(s.url) for s in platform.replicas["documents"]):
                docs = asyncio.run(documents_of(platform, secret, n))
                if len(docs) >= n:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the documents were not all rendered within 10 minutes")
            time.sleep(0.25)
        wall = time.monotonic() - t0
        after = machine_cpu()
        stamps = sorted(datetime.fromisoformat(d["created_at"]) for d in docs)
        span = (stamps[-1] - stamps[0]).total_seconds()
        per_replica: dict[str, int] = {}
        for i, svc in enumerate(platform.replicas["documents"]):
            per_replica[f"documents-{i + 1}"] = sum(
                1 for line in svc.log_path.read_text().splitlines()
                if '"event.processed"' in line and "id.jalin.proposal.approved" in line)
        busy = after.get("_busy", 0.0) - before.get("_busy", 0.0)
        return {
            "replicas": replicas,
            "documents": len(docs),
            "proposals": len(ids),
            "unique": len({d["proposal_id"] for d in docs}),
            "first_to_last_s": round(span, 2),
            "documents_per_s": round((len(docs) - 1) / span, 1) if span > 0 else None,
            "wall_from_start_s": round(wall, 2),
            "handled_per_replica": per_replica,
            "cpu_s_per_replica": {k: round(v, 1) for k, v in cpu_of.items()},
            "machine_busy_cores": round(busy / wall, 2) if wall else None,
            "svc_ready": svc_ready,
        }
    finally:
        platform.stop()
        sink.stop()
        asyncio.run(drop_databases(server, urls))


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# Document throughput by documents replicas — {report['started']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, {m['python']}, "
        f"{m['nats_server']}; load average at start {' '.join(m['loadavg_at_start'])}.",
        f"Platform commit {report['code']['commit']} ({report['code']['uncommitted_platform_files']} uncommitted "
        f"platform files). PostgreSQL on the same machine. {report['proposals']} approvals waiting in JALIN, then the "
        "replicas started together.",
        "",
        "| replicas | documents | documents/s (first → last) | wall from start, s | handled per replica | "
        "CPU s per replica | machine busy, cores |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        lines.append(
            f"| {r['replicas']} | {r['documents']} ({r['unique']} proposals) | {r['documents_per_s']} | "
            f"{r['wall_from_start_s']} | {', '.join(map(str, r['handled_per_replica'].values()))} | "
            f"{', '.join(map(str, r['cpu_s_per_replica'].values()))} | {r['machine_busy_cores']} |")
    lines += ["", report.get("reading", "")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proposals", type=int, default=200)
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    report: dict[str, Any] = {"started": datetime.now().strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(),
                              "code": platform_code(), "proposals": args.proposals, "runs": []}
    for count in [int(x) for x in args.replicas.split(",")]:
        with tempfile.TemporaryDirectory(prefix="jalin-bench-") as folder:
            print(f"[bench] {count} documents replica(s) ...", file=sys.stderr, flush=True)
            result = run_one(count, args.proposals, args.database, Path(folder))
            print(f"[bench]   {result}", file=sys.stderr, flush=True)
            report["runs"].append(result)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"documents_replicas-{report['started'].replace(':', '')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    stem.with_suffix(".md").write_text(render(report))
    print(render(report))
    print(f"written: {stem}.md", file=sys.stderr)


if __name__ == "__main__":
    main()
