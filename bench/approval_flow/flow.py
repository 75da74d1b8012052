"""The approval phases over HTTP: create and submit, paced approvals with an HTTP-polled sample,
the burst, the reads, and the final check that every approved proposal has its three effects."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from jalin_kit.auth import issue_dev_token

from jalin_cli.platform import Platform

from .common import dist_ms, http_client
from .procs import Sampler, children_of, cpu_percent
from .settings import C_DOCUMENT, C_NOTIFY_APPROVED, C_NOTIFY_DOC, C_PLAN, JALIN, TENANT, proposal_body
from .watcher import Acks, SeqKeys, Watcher, event_times
from .wrk import wrk_reads


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
                    body = proposal_body(f"Kerja sama rujukan kesehatan bench {i}")
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
        for n, child in enumerate(children_of(proposals_pid), start=1):  # its extra HTTP workers
            sampler.add(f"proposals-api-{n}", child)
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
        by_wrk = await wrk_reads(self.proposals.removesuffix("/v1/proposals"), "/v1/proposals", ids,
                                 self.h_staff["Authorization"], connections=2 * clients, seconds=seconds,
                                 sampler=sampler)
        return {
            "wrk": by_wrk,
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
