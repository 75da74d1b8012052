"""Judging a run: the targets, the ratios within the run, how busy the machine was, and the
checks whose failure fails the run (CI runs the quick bench for them)."""

from __future__ import annotations

from typing import Any

from jalin_cli.platform import SERVICES

from .settings import TARGETS


def judge(r: dict[str, Any], rss_peak: dict[str, float], workers: int | None = None) -> list[dict[str, Any]]:
    rows = []

    def row(name: str, target: str, value: Any, met: bool | None, note: str = "", *, figure: str) -> None:
        # ``figure``: the headline figure (previous.FIGURES) the row is judged on, for the comparison.
        rows.append({"target": name, "goal": target, "measured": value, "met": met, "note": note, "figure": figure})

    paced = r.get("paced", {})
    p99 = paced.get("end_to_end", {}).get("p99_ms")
    complete = paced.get("missing", 1) == 0 and paced.get("all_effects_seen")
    row("end-to-end p99 at the paced rate", f"≤ {TARGETS['p99_ms_at_rate']:.0f} ms at {paced.get('requested_rate')}/s",
        f"{p99} ms" if p99 is not None else "n/a",
        bool(complete and p99 is not None and p99 <= TARGETS["p99_ms_at_rate"]),
        "" if complete else "not every approval's effects were seen", figure="paced_p99_ms")
    burst = r.get("burst", {})
    rate = burst.get("sustained_rate")
    row("sustained approvals/s (burst, until all effects)", f"≥ {TARGETS['sustained_approvals_per_s']:.0f}/s",
        f"{rate}/s" if rate else "n/a",
        bool(rate and burst.get("missing", 1) == 0 and rate >= TARGETS["sustained_approvals_per_s"]),
        figure="burst_sustained_per_s")
    kit = r.get("kit_chain", {}).get("burst", {}).get("sustained_rate")
    rawr = r.get("raw_chain", {}).get("burst", {}).get("sustained_rate")
    ratio = (kit / rawr) if kit and rawr else None
    row("event plumbing / raw 2-hop chain (max sustained rate)", f"≥ {TARGETS['plumbing_over_raw']:.0%}",
        f"{ratio:.1%} ({kit}/s vs {rawr}/s)" if ratio is not None else "n/a",
        bool(ratio is not None and ratio >= TARGETS["plumbing_over_raw"]), figure="plumbing_over_raw")
    # The server's figure: wrk's when it ran (a C client), else the Python clients'.
    by_wrk = r.get("reads", {}).get("wrk") or {}
    reads = by_wrk.get("reads_per_s") or r.get("reads", {}).get("reads_per_s")
    how = "wrk" if by_wrk.get("reads_per_s") else "httpx clients"
    row("proposal reads/s", f"≥ {TARGETS['reads_per_s']:.0f}/s",
        f"{reads}/s ({how}{f', {workers} HTTP workers' if workers else ''})" if reads is not None else "n/a",
        bool(reads is not None and reads >= TARGETS["reads_per_s"]), figure="reads_per_s")
    for name in [*SERVICES, *sorted(k for k in rss_peak if k.startswith("proposals-api-"))]:  # and its extra workers
        v = rss_peak.get(name)
        row(f"RSS of {name} (peak over the run)", f"≤ {TARGETS['rss_mb']:.0f} MB", f"{v} MB" if v else "n/a",
            bool(v is not None and v <= TARGETS["rss_mb"]), figure=f"rss_peak_mb_{name}")
    return rows


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


def checks(r: dict[str, Any]) -> list[str]:
    """What must hold in every run, whatever the machine: a failure fails the run (exit status 1),
    and CI runs the quick bench for these. Every approve call succeeded, every approved proposal's
    three effects were committed (acks) and are there over HTTP, every chain message arrived."""
    failed: list[str] = []
    setup = r.get("setup", {})
    if not setup.get("submitted_events_drained"):
        failed.append("setup: not every proposal.submitted event was consumed by notifications")
    if r.get("warm_up_ok") is False:
        failed.append("warm-up: not every approval's effects were seen")
    approved = 0
    for phase in ("light", "paced", "burst"):
        p = r.get(phase)
        if not p:
            continue
        approved += p.get("approved", 0)
        if p.get("approved") != p.get("approvals"):
            failed.append(f"{phase}: {p.get('approved')} of {p.get('approvals')} approve calls succeeded")
        if not p.get("all_effects_seen") or p.get("missing"):
            failed.append(f"{phase}: {p.get('missing')} approved proposals without all three effects committed (acks)")
    for chain in ("raw_chain", "kit_chain"):
        for part, c in r.get(chain, {}).items():
            if isinstance(c, dict) and "all_done" in c and not c["all_done"]:
                failed.append(f"{chain} {part}: {c.get('completed')} of {c.get('messages')} messages arrived")
    v = r.get("verify")
    if v is not None:
        missing = {k: n for k, n in v.items() if k.startswith("missing_") and n}
        if missing:
            failed.append(f"HTTP check of the approved proposals: {missing}")
        if v.get("checked", 0) < approved:
            failed.append(f"HTTP check: {v.get('checked')} proposals checked of {approved} approved")
    return failed
