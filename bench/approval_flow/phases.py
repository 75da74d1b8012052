"""The run, phase by phase, in the order bench/README.md describes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nats
from jalin_kit.events.envelope import subject_for

from jalin_cli.platform import SERVICES, Platform

from . import raw_jetstream as raw
from .chains import Chain, raw_message
from .common import say
from .flow import Flow
from .kit_chain import BenchPing, kit_message
from .procs import Helpers, Sampler, cpu_percent, helper_argv, settle, wait_consumers
from .profile import Profiler
from .settings import C_DOCUMENT, C_NOTIFY_APPROVED, C_NOTIFY_DOC, C_NOTIFY_SUBMITTED, C_PLAN, JALIN, KIT_END, KIT_START, KIT_TENANT
from .watcher import Acks, SeqKeys, Watcher


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
    profiler = Profiler(data_dir / "profiles", s.get("profile", False))
    try:
        await raw.ensure_raw_stream(js)
        # Handler processes for the two chains start while the proposals are created.
        for raw_hop in ("a", "b"):
            helpers.start(f"raw-hop-{raw_hop}", helper_argv("_raw-hop", "--hop", raw_hop, "--nats-url", url))
        for kit_hop in ("1", "2"):
            helpers.start(f"kit-hop-{kit_hop}", helper_argv("_kit-hop", "--hop", kit_hop, "--nats-url", url,
                                                            "--data-dir", str(data_dir / "benchkit")))

        say(f"creating and submitting {s['warm_up'] + s['light_n'] + s['paced_n'] + s['n']} proposals ...")
        baseline = acks.snapshot()
        t = time.monotonic()
        total = s["warm_up"] + s["light_n"] + s["paced_n"] + s["n"]
        ids = await flow.create_and_submit(total, 8)
        created_s = time.monotonic() - t
        say(f"{len(ids)} created and submitted in {created_s:.1f} s; waiting for their notifications and the chains' "
            "handler processes ...")
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
        profiler.start("plumbing burst", {h: helpers.procs[h].pid for h in ("kit-hop-1", "kit-hop-2")}, 5)
        out["kit_chain"]["burst"] = await kit_chain.burst(s["chain_n"])
        out["kit_chain"]["burst"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)
        sampler.sample()
        out["kit_chain"]["rss_mb"] = {k: round(v / 1e6, 1) for k, v in sampler.rss_last.items() if k.startswith("kit")}
        # The chains' handler processes stop while the platform's warm-up (not measured) runs.
        hops = ("raw-hop-a", "raw-hop-b", "kit-hop-1", "kit-hop-2")
        helpers.terminate(*hops)
        for name in hops:
            sampler.pids.pop(name, None)

        # -- the platform --
        sampler.phase = "paced"
        say(f"warm-up ({len(warm_ids)} approvals) ...")
        out["warm_up_ok"] = await flow.warm_up(warm_ids)
        helpers.stop(*hops, grace=5.0)
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
        profiler.start("approval burst", {n: pid for n, pid in sampler.pids.items() if n in SERVICES}, 8)
        out["burst"] = await flow.burst(burst_ids, s["workers"])
        out["burst"]["cpu_percent"] = cpu_percent(cpu0, sampler.cpu(), time.monotonic() - t0)

        # The approvals' emails are still going out: reads are measured once that is done.
        out["settle_seconds"]["before_reads"] = await settle(sampler, platform_procs, s["settle_max"])
        sampler.phase = "reads"
        say(f"reads: {s['read_clients']} clients for {s['read_seconds']} s ...")
        out["reads"] = await flow.reads(ids, s["read_clients"], s["read_seconds"], 1.0, sampler)
        if profiler.enabled:  # the same reads again, sampled (the figures above are not disturbed)
            profiler.start("reads", {n: pid for n, pid in sampler.pids.items() if n.startswith("proposals")},
                           s["read_seconds"])
            await flow.reads(ids, s["read_clients"], s["read_seconds"], 1.0, sampler)
            out["profiles"] = profiler.summary()

        sampler.phase = "verify"
        say("checking every approved proposal over HTTP ...")
        out["verify"] = await flow.verify(warm_ids + light_ids + paced_ids + burst_ids)
        out["http_errors"] = dict(flow.errors)
        return out
    finally:
        await nc.close()
        watcher.stop()
