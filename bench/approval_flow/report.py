"""The report: markdown for people, and both files written side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .profile import render as render_profiles
from .settings import ANCHORS


def write_report(results_dir: Path, stem: str, report: dict[str, Any], md: str) -> None:
    """A run's report as ``<stem>.json`` and ``<stem>.md`` in ``results_dir`` (every bench of bench/)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (results_dir / f"{stem}.md").write_text(md)
    print(f"written: {results_dir / stem}.md and .json")


def previous_line(prev: dict[str, Any]) -> str:
    """Which run the figures are compared with, in one line."""
    if not prev.get("file"):
        return f"none ({prev.get('chosen', 'not compared')})."
    when = f", started {prev['started_at']}, commit {prev.get('commit')}" if prev.get("started_at") else ""
    return f"`{prev['file']}`{when}: {prev.get('chosen')}."


def _v(v: Any, unit: str = "") -> str:
    return "–" if v is None else f"{v:g}{unit}" if isinstance(v, int | float) else str(v)


def _unit(figure: dict[str, Any]) -> str:
    unit = figure.get("unit", "")
    return f" {unit}" if unit in ("ms", "MB") else unit


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
    checks = report.get("checks") or {}
    if checks.get("failed"):
        add("\n**Checks failed** (the run fails): " + "; ".join(checks["failed"]) + ".")
    elif checks.get("passed"):
        add("\nChecks passed: every approve call succeeded, every approved proposal has its three effects (acks and "
            "HTTP), every chain message arrived.")
    prev = report.get("previous") or {}
    add("\n## Targets\n")
    add(f"Previous: {previous_line(prev)}\n")
    add("| target | goal | measured | met | previous | change |")
    add("|---|---|---|---|---|---|")
    figures = prev.get("figures") or {}
    for t in report["targets"]:
        unit = _unit(figures.get(t.get("figure"), {}))
        add(f"| {t['target']} | {t['goal']} | {t['measured']} | {'yes' if t['met'] else '**no**'}"
            f"{(' — ' + t['note']) if t['note'] else ''} | {_v(t.get('previous'), unit)} | {t.get('change', '–')} |")
    if figures:
        add("\n## Headline figures beside the previous run\n")
        add("| figure | this run | previous | change |")
        add("|---|---|---|---|")
        for f in figures.values():
            add(f"| {f['label']} | {_v(f['now'], _unit(f))} | {_v(f['previous'], _unit(f))} | {f['change']} |")
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
        wk = rd.get("wrk")
        if wk and wk.get("reads_per_s"):
            add(f"\nThe same reads from wrk ({wk['connections']} connections, {wk['seconds']} s): "
                f"**{wk['reads_per_s']} req/s** (p50 {_d(wk['latency'])} ms, p99 {_d(wk['latency'], 'p99_ms')} ms), "
                f"non-2xx {wk.get('non_2xx', 0)}, socket errors {wk.get('socket_errors', 'none')}. CPU % of one core: "
                + ", ".join(f"{k} {v}" for k, v in wk["cpu_percent"].items()) + ".")
        elif wk:
            add(f"\nwrk failed: {wk.get('error')}")
        else:
            add("\n(wrk is not installed: the figure above is the Python clients', which share the machine's two cores.)")
    if r.get("profiles"):
        for line in render_profiles(r["profiles"]):
            add(line)
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
