"""Jalin's console pages benchmark: the console's answer time per page on the embedded default (bench/README.md).

    .venv/bin/python bench/console_pages.py [--quick] [--cooperations 1000] [--requests 50] [--concurrency 4]

Starts nats-server, the four services (SQLite) and the console; imports --cooperations agreements into sumbar
(one CSV) and creates a few dozen proposals through the API; waits until every event is consumed (plans made);
signs Budi and Ani in through the development sign-in and times each page, sequentially then from concurrent
clients; makes each page's service calls directly (same claims, gathered the same way) to split the console's
own time from the back end's; writes results/console_pages-<date>T<time>[-quick].md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent / "tests")]

from approval_flow.common import percentile, say  # noqa: E402 - the approval-flow bench's helpers
from approval_flow.machine import machine, platform_code  # noqa: E402
from approval_flow.procs import Helpers, Sampler, cpu_percent, mailsink_argv, settle, wait_port  # noqa: E402
from approval_flow.report import write_report  # noqa: E402
from console_pages_report import TARGET_MS, USERS, compare_previous, render  # noqa: E402
from jalin_e2e import Api  # noqa: E402
from jalin_kit.auth import issue_dev_token  # noqa: E402
from jalin_kit.tenants import DEMO_USERS  # noqa: E402

from jalin_cli.platform import SERVICES, Platform, PlatformConfig, free_port  # noqa: E402

TENANT = "sumbar"
SHAPES = [("ksdd", "pks"), ("ksdd", "kb"), ("ksdpk", "pks"), ("ksdpl", "pks"), ("pusat", "nk"), ("pusat", "rencana_kerja"),
          ("ksdll", "kb")]
TOPICS = ["pelayanan kesehatan", "pembangunan jalan", "promosi pariwisata", "pengelolaan sampah", "pendidikan vokasi"]
Q = "kesehatan"
ID = "{id}"
COUNTS: tuple[str, str, dict[str, Any]] = ("proposals", "/v1/proposal-counts", {})
ENDS_BEFORE = (date.today() + timedelta(days=90)).isoformat()
TODAY, SOON = date.today().isoformat(), (date.today() + timedelta(days=30)).isoformat()
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
# Each page and the service calls its handler makes (jalin_console/pages/*.py), in phases gathered at once;
# "tasks": Beranda's GET /v1/proposal-actions for the newest 50 proposals under way (one call) and, beside them for an OPD
# (mapping.potential.submit), the open mapping rounds then one potentials call per accepting round. The capabilities and the
# proposals service's OpenAPI document are cached by the console process: not made again here.
PAGES: list[tuple[str, str, list[Any]]] = [
    ("Beranda", "/", [[("proposals", "/v1/proposals", {"status": ["draft", "submitted", "approved", "rejected"],
                                                        "limit": 50}),
                       ("proposals", "/v1/proposals", {"stage": "pelaksanaan", "ends_before": ENDS_BEFORE, "limit": 500}),
                       COUNTS, ("proposals", "/v1/offers", {}),
                       ("notifications", "/v1/inbox", {"unread": "true", "limit": 100}),
                       ("evaluation", "/v1/plans", {"status": "active", "round_due_from": TODAY, "round_due_to": SOON,
                                                    "limit": 50}),
                       ("evaluation", "/v1/plans", {"status": "active", "round_due_to": YESTERDAY, "limit": 20})], "tasks"]),
    ("Usulan", "/usulan", [[("proposals", "/v1/proposals", {"limit": 25, "offset": 0}), COUNTS]]),
    ("Usulan filtered", f"/usulan?stage=pelaksanaan&q={Q}",
     [[("proposals", "/v1/proposals", {"stage": "pelaksanaan", "q": Q, "limit": 25, "offset": 0}),
       ("proposals", "/v1/proposal-counts", {"stage": "pelaksanaan", "q": Q})]]),
    ("Usulan page 20", "/usulan?page=20", [[("proposals", "/v1/proposals", {"limit": 25, "offset": 475}), COUNTS]]),
    ("Cooperation", f"/usulan/{ID}", [[("proposals", f"/v1/proposals/{ID}", {})], [
        ("proposals", f"/v1/proposals/{ID}/actions", {}), ("proposals", f"/v1/proposals/{ID}/history", {}),
        ("proposals", "/v1/agreements", {"proposal_id": ID}), ("documents", "/v1/documents", {"proposal_id": ID}),
        ("evaluation", "/v1/plans", {"proposal_id": ID})]]),
    ("Dokumen", "/dokumen", [[("documents", "/v1/documents", {"limit": 100}), ("documents", "/v1/attachments", {"limit": 100})]]),
    ("Monev", "/monev", [[("evaluation", "/v1/plans", {"limit": 50, "offset": 0})]]),
    ("Pemetaan", "/pemetaan", [[("proposals", "/v1/mapping-rounds", {"limit": 500})]]),
    ("Kotak masuk", "/kotak-masuk", [[("notifications", "/v1/inbox", {"lang": "id", "limit": 200})]]),
]
def stats(values_ms: list[float]) -> dict[str, Any]:
    v = sorted(values_ms) or [float("nan")]
    return {"n": len(values_ms), "min": round(v[0], 1), "p50": round(percentile(v, 50) or 0, 1),
            "p95": round(percentile(v, 95) or 0, 1), "max": round(v[-1], 1)}


# -- the data ---------------------------------------------------------------------------------------------------

def register(n: int, today: date) -> bytes:
    """A legacy register of n valid rows: ~95 % in force (each gets a monev plan), 2 % ending within 90 days."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Nomor", "Judul", "Jenis", "Jenis Dokumen", "Mitra", "mitra_tenant", "OPD", "Tanggal Tanda Tangan",
                "Tempat", "Penandatangan", "Jangka Waktu (bulan)", "Maksud dan Tujuan", "Pembiayaan"])
    for i in range(n):
        kind, doc = SHAPES[i % len(SHAPES)]
        months, signed = (60 if i % 10 else 24), today - timedelta(days=30 + (i * 37) % 1700)
        if i % 50 == 7:
            months, signed = 60, today - timedelta(days=1826 - 5 - i % 80)
        w.writerow([f"180/{i + 1:05d}/KS-BENCH/{signed.year}", f"Kerja sama {TOPICS[i % len(TOPICS)]} nomor {i + 1}", kind,
                    doc, f"Pemerintah Kota Mitra {i % 17}", "kukar" if kind == "ksdd" and i % 3 == 0 else "",
                    ["dinkes", "dpupr", "dispar", ""][i % 4], signed.isoformat(), "Padang", "Mahyeldi",
                    str(months),  # every row has a term: a KB or NK imported without one gets no monev plan
                    "Meningkatkan pelayanan publik kedua daerah.", "APBD masing-masing pihak."])
    return out.getvalue().encode()


def seed(platform: Platform, n: int, proposals: int) -> dict[str, Any]:
    ks, kukar = Api(platform), Api(platform, tenant="kukar", unit="dishub")
    try:
        t = time.monotonic()
        r = ks.client.post(ks.url("proposals", "/v1/imports/agreements"), headers=ks.section, timeout=600,
                           files={"file": ("register-bench.csv", register(n, datetime.now(UTC).date()), "text/csv")})
        if r.status_code != 200 or r.json().get("imported") != n:
            raise RuntimeError(f"import: {r.status_code} {r.text[:500]}")
        out: dict[str, Any] = {"imported": n, "import_seconds": round(time.monotonic() - t, 1)}
        t, stages = time.monotonic(), dict[str, int]()
        for i in range(proposals):  # Ani's unit: a third drafts, a third submitted, a third approved
            p = ks.create(title=f"Usulan {TOPICS[i % len(TOPICS)]} bench {i + 1}")
            p = ks.submit(p["id"]) if i % 3 else p
            p = ks.approve(p["id"]) if i % 3 == 2 else p
            stages[p["stage"]] = stages.get(p["stage"], 0) + 1
        today = datetime.now(UTC).date()
        r = ks.client.post(ks.url("proposals", "/v1/mapping-rounds"), headers=ks.section, json={
            "title": f"Pemetaan Potensi Kerja Sama {today.year + 1}", "year": today.year + 1,
            "deadline": (today + timedelta(days=60)).isoformat()})
        if r.status_code != 201:
            raise RuntimeError(f"mapping round: {r.status_code} {r.text[:300]}")
        for i in range(max(1, proposals // 9)):  # offers from kukar, waiting for sumbar's answer
            p = kukar.create(title=f"Tawaran kerja sama perhubungan {i + 1}",
                             partner={"name": "Pemerintah Provinsi Sumatera Barat", "tenant": TENANT})
            kukar.submit(p["id"])
            kukar.approve(p["id"])
            stages["kukar offers"] = stages.get("kukar offers", 0) + 1
        return {**out, "api_seconds": round(time.monotonic() - t, 1), "api_proposals": stages}
    finally:
        ks.client.close()
        kukar.client.close()


async def wait_for_platform(platform: Platform, token: str, deadline_s: float) -> dict[str, Any]:
    """Until no consumer of JALIN has anything pending and the newest in-force cooperation has its plan;
    then checks that a sample of 30 in-force cooperations have theirs."""
    t, nc = time.monotonic(), await nats.connect(platform.unrestricted_url)
    proposals, plans = platform.url("proposals") + "/v1/proposals", platform.url("evaluation") + "/v1/plans"
    try:
        js = nc.jetstream()
        async with httpx.AsyncClient(timeout=30, trust_env=False, headers={"Authorization": f"Bearer {token}"}) as c:
            newest = (await c.get(proposals, params={"stage": "pelaksanaan", "limit": 1})).json()[0]["id"]
            pending, done = -1, False
            while not done and time.monotonic() - t < deadline_s:
                pending = sum((i.num_pending or 0) + (i.num_ack_pending or 0) for i in await js.consumers_info("JALIN"))
                done = pending == 0 and bool((await c.get(plans, params={"proposal_id": newest})).json())
                await asyncio.sleep(0 if done else 1.0)
            if not done:
                raise RuntimeError(f"the platform did not catch up in {deadline_s:g}s (pending {pending})")
            in_force: list[str] = []
            for offset in range(0, 20_000, 500):
                page = (await c.get(proposals, params={"stage": "pelaksanaan", "limit": 500, "offset": offset})).json()
                in_force += [p["id"] for p in page]
                if len(page) < 500:
                    break
            sample = random.Random(7).sample(in_force, min(30, len(in_force)))
            missing = [i for i in sample if not (await c.get(plans, params={"proposal_id": i})).json()]
            if missing:
                raise RuntimeError(f"{len(missing)} of {len(sample)} sampled in-force cooperations have no plan")
            return {"seconds": round(time.monotonic() - t, 1), "in_force": len(in_force), "sample_with_plan": len(sample)}
    finally:
        await nc.close()


# -- the console, and the services behind it --------------------------------------------------------------

async def sign_in(base: str, user: str) -> httpx.AsyncClient:
    """A console session of a demo user, as a browser gets one (tests/console/conftest.py ``signed_in``)."""
    c = httpx.AsyncClient(base_url=base, timeout=60, trust_env=False, follow_redirects=False)
    csrf = (await c.get("/masuk")).text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = await c.post("/masuk/dev", data={"csrf": csrf, "user": user, "tenant": TENANT, "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"sign-in of {user}: {r.status_code}")
    return c


async def timed_get(c: httpx.AsyncClient, path: str, errors: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    r = await c.get(path)
    dt = (time.perf_counter() - t) * 1000
    if r.status_code != 200:
        errors.append(f"{path}: {r.status_code}")
    return dt, len(r.content)


async def sequential(c: httpx.AsyncClient, path: str, n: int, warmup: int, sampler: Sampler) -> dict[str, Any]:
    errors: list[str] = []
    for _ in range(warmup):
        await timed_get(c, path, errors)
    cpu0, t, times, size = sampler.cpu(), time.monotonic(), [], 0
    for _ in range(n):
        dt, size = await timed_get(c, path, errors)
        times.append(dt)
    seconds = time.monotonic() - t
    cpu = cpu_percent(cpu0, sampler.cpu(), seconds)
    per_request = {k: round(v * seconds * 10 / n, 1) for k, v in cpu.items() if k not in ("machine", "others", "steal")}
    return {**stats(times), "bytes": size, "errors": errors[:5], "cpu_ms_per_request": per_request,
            "others_cpu_percent": cpu.get("others")}


async def concurrent(clients: list[httpx.AsyncClient], path: str, each: int, sampler: Sampler) -> dict[str, Any]:
    errors: list[str] = []
    times: list[float] = []
    await asyncio.gather(*(timed_get(c, path, errors) for c in clients))  # warm-up

    async def worker(c: httpx.AsyncClient) -> None:
        for _ in range(each):
            times.append((await timed_get(c, path, errors))[0])

    cpu0, t = sampler.cpu(), time.monotonic()
    await asyncio.gather(*(worker(c) for c in clients))
    seconds = time.monotonic() - t
    return {**stats(times), "clients": len(clients), "pages_per_s": round(len(times) / seconds, 1), "errors": errors[:5],
            "cpu_percent": cpu_percent(cpu0, sampler.cpu(), seconds)}


async def backend_split(urls: dict[str, str], token: str, phases: list[Any], pid: str, n: int) -> dict[str, Any]:
    """The page's service calls made directly, gathered as the console gathers them (wall time per page view
    and per phase), then each call alone."""
    def fill(v: Any) -> Any:
        return v.replace(ID, pid) if isinstance(v, str) else v

    async with httpx.AsyncClient(timeout=60, trust_env=False, headers={"Authorization": f"Bearer {token}"}) as c:
        gate = asyncio.Semaphore(8)
        opd = "mapping.potential.submit" in (await c.get(urls["proposals"] + "/v1/capabilities")).json()["operations"]

        async def call(service: str, path: str, params: dict[str, Any], gated: bool = False) -> tuple[Any, float]:
            async with gate if gated else contextlib.nullcontext():
                t = time.perf_counter()
                r = await c.get(urls[service] + fill(path), params={k: fill(v) for k, v in params.items()})
                return (r.json() if r.status_code == 200 else []), (time.perf_counter() - t) * 1000  # 403/404: as the page

        walls: list[float] = []
        per_phase: list[list[float]] = [[] for _ in phases]
        alone: dict[str, list[float]] = {}
        names = [" + ".join(f"{x[0]} {x[1]}" for x in ph) if ph != "tasks" else "" for ph in phases]

        async def mapping() -> None:
            rounds = [r for r in (await call("proposals", "/v1/mapping-rounds", {"status": "open"}))[0] if r.get("accepting")]
            await asyncio.gather(*(call("proposals", "/v1/potentials", {"round_id": r["id"], "limit": 1}) for r in rounds[:10]))

        for _ in range(n):
            t, answers = time.perf_counter(), list[Any]()
            for k, phase in enumerate(phases):
                tp = time.perf_counter()
                if phase == "tasks":
                    rows = answers[0][0]  # the proposals under way (by status, as Beranda asks)
                    names[k] = (f"proposals /v1/proposal-actions for {len(rows)} proposals"
                                + (" + mapping rounds open, potentials of each" if opd else ""))
                    ids = {"id": [p["id"] for p in rows]}
                    await asyncio.gather(*([call("proposals", "/v1/proposal-actions", ids, True)] if rows else []),
                                         *([mapping()] if opd else []))
                else:
                    answers = await asyncio.gather(*(call(*x) for x in phase))
                per_phase[k].append((time.perf_counter() - tp) * 1000)
            walls.append((time.perf_counter() - t) * 1000)
            for x in (x for ph in phases if ph != "tasks" for x in ph):  # each call alone
                label = f"{x[0]} {x[1]}" + ("?" + "&".join(f"{k}={v}" for k, v in x[2].items()) if x[2] else "")
                alone.setdefault(label, []).append((await call(*x))[1])
        return {"gathered": stats(walls), "phases": {k: stats(v) for k, v in zip(names, per_phase, strict=True)},
                "calls_alone": {k: stats(v) for k, v in alone.items()}}


async def measure(platform: Platform, secret: str, s: dict[str, Any], sampler: Sampler) -> dict[str, Any]:
    base, urls = platform.url("console"), {name: platform.url(name) for name in SERVICES}
    demo = {d.user: d for d in DEMO_USERS}
    tokens = {k: issue_dev_token(secret, tenant=d.tenant, roles=list(d.roles), user=d.user, unit=d.unit, name=d.name)
              for k, d in ((k, demo[login]) for k, login in USERS.items())}  # the claims the console's sign-in gives
    async with httpx.AsyncClient(timeout=30, trust_env=False, headers={"Authorization": f"Bearer {tokens['budi']}"}) as c:
        r = await c.get(urls["proposals"] + "/v1/proposals", params={"stage": "pelaksanaan", "unit": "dinkes", "limit": 1})
        pid = r.json()[0]["id"]  # an imported cooperation in force, of Ani's unit: both may open it
    out: dict[str, Any] = {"cooperation_id": pid, "sequential": {}, "concurrent": {}, "backend": {}}
    for key, login in USERS.items():
        client = await sign_in(base, login)
        try:
            for name, path, phases in PAGES:
                res = out["sequential"].setdefault(key, {})[name] = await sequential(
                    client, path.replace(ID, pid), s["requests"], s["warmup"], sampler)
                say(f"{key:4} {name:16} p50 {res['p50']:7.1f} ms  p95 {res['p95']:7.1f} ms  {res['bytes'] / 1000:6.1f} kB")
                out["backend"].setdefault(key, {})[name] = await backend_split(urls, tokens[key], phases, pid, s["split_requests"])
        finally:
            await client.aclose()
    clients: list[httpx.AsyncClient] = []
    try:
        for _ in range(s["concurrency"]):
            clients.append(await sign_in(base, USERS["budi"]))
        for name, path, _ in PAGES:
            res = out["concurrent"][name] = await concurrent(clients, path.replace(ID, pid),
                                                             max(3, s["requests"] // s["concurrency"]), sampler)
            say(f"budi ×{s['concurrency']} {name:16} p50 {res['p50']:7.1f} ms  p95 {res['p95']:7.1f} ms  {res['pages_per_s']}/s")
    finally:
        for c in clients:
            await c.aclose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Jalin console pages benchmark (see bench/README.md).")
    ap.add_argument("--cooperations", type=int, default=None, help="imported into sumbar (default 1000; quick 200)")
    ap.add_argument("--proposals", type=int, default=None, help="proposals created through the API (default 36; quick 9)")
    ap.add_argument("--requests", type=int, default=None, help="timed requests per page and user (default 50; quick 10)")
    ap.add_argument("--concurrency", type=int, default=4, help="concurrent clients of Budi's (default 4)")
    ap.add_argument("--wait", type=float, default=600.0, help="longest wait for the platform to consume the import, s")
    ap.add_argument("--quick", action="store_true", help="a small run for smoke-testing")
    ap.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    ap.add_argument("--previous", type=Path, default=None,
                    help="the report (.json) to compare with (default: the newest committed one in bench/results)")
    ap.add_argument("--no-write", action="store_true", help="print the report only")
    ap.add_argument("--keep-data", action="store_true", help="keep the temporary data folder (logs, databases)")
    args = ap.parse_args()
    q = args.quick
    s = {"quick": q, "cooperations": args.cooperations or (200 if q else 1000), "proposals": args.proposals or (9 if q else 36),
         "requests": args.requests or (10 if q else 50), "concurrency": args.concurrency, "warmup": 3}
    s["split_requests"] = max(5, s["requests"] // 5)
    started, t_run, info = datetime.now().astimezone(), time.monotonic(), machine()
    data_dir = Path(tempfile.mkdtemp(prefix="jalin-console-bench-"))
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    helpers, secret = Helpers(data_dir / "logs"), secrets.token_urlsafe(48)
    platform: Platform | None = None
    results, seed_info, error, startup = {}, {}, None, None
    print(f"Jalin console pages benchmark{' (quick)' if q else ''}; data in {data_dir}")
    try:
        smtp_port = free_port()
        sink = helpers.start("mailsink", mailsink_argv(smtp_port, data_dir / "mail"))  # the approval-flow bench's SMTP sink
        wait_port(smtp_port, sink)
        platform = Platform(PlatformConfig(data_dir=data_dir, nats_port=free_port(), ports={n: free_port() for n in SERVICES},
                                           smtp_port=smtp_port, jwt_secret=secret, console_port=free_port(),
                                           unrestricted_user=True, reassign_busy_ports=True))  # unrestricted: consumers' state
        say("starting nats-server, the four services and the console ...")
        t = time.monotonic()
        platform.start(timeout=120)
        startup = round(time.monotonic() - t, 1)
        pids = {n: p.proc.pid for n, p in platform.services.items() if p.proc}
        pids.update({"console": platform.console.proc.pid, "nats-server": platform.nats.proc.pid,  # type: ignore[union-attr]
                     "bench": os.getpid(), "mailsink": sink.pid})
        sampler = Sampler(pids)
        say(f"importing {s['cooperations']} cooperations and creating proposals ...")
        seed_info = seed(platform, s["cooperations"], s["proposals"])
        budi = issue_dev_token(secret, tenant=TENANT, roles=["kerja_sama"], user="budi.ks")
        say(f"imported in {seed_info['import_seconds']} s; waiting for the platform to consume the events ...")

        async def run(started: Platform) -> dict[str, Any]:
            seed_info["wait"] = await wait_for_platform(started, budi, 120.0 if q else args.wait)
            seed_info["settle_seconds"] = await settle(sampler, [*SERVICES, "console", "mailsink"], 60.0)
            say(f"platform caught up ({seed_info['wait']}); measuring ...")
            return await measure(started, secret, s, sampler)

        results = asyncio.run(run(platform))
    except Exception as exc:  # noqa: BLE001 - reported, and everything still stops
        error = f"{type(exc).__name__}: {exc}"
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
    finally:
        if platform is not None:
            for p in platform.processes():  # SIGTERM to all at once (each by its pid); stop() waits and cleans up
                if p.proc and p.proc.poll() is None:
                    p.proc.send_signal(signal.SIGTERM)
            platform.stop()
        helpers.stop()
        if args.keep_data or error:
            print(f"data and logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    report = {"benchmark": "console_pages", "started_at": started.isoformat(timespec="seconds"),
              "run_seconds": round(time.monotonic() - t_run, 1), "startup_seconds": startup, "machine": info,
              "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3], "platform_code": platform_code(),
              "settings": s, "target_ms": TARGET_MS, "seed": seed_info, "results": results, "error": error}
    report["previous"] = compare_previous(report, args.previous)
    md = render(report)
    print("\n" + md)
    if not args.no_write:
        write_report(args.results_dir, f"console_pages-{started.strftime('%Y-%m-%dT%H%M%S')}{'-quick' if q else ''}",
                        report, md)
    if error:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
