"""The console pages benchmark's report (``console_pages.py``): markdown, and the previous committed run's
p95 beside this run's for every page (the newest committed console_pages report in bench/results, a quick
run preferring a quick one: ``approval_flow.previous``)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from approval_flow import previous

TARGET_MS = 300.0
USERS = MappingProxyType({"budi": "budi.ks", "ani": "ani.opd"})
CPU_OF = ("console", "proposals", "documents", "notifications", "evaluation", "bench")
P95 = previous.Figure("p95", "p95", "ms", False, ())


def compare_previous(report: dict[str, Any], explicit: Path | None = None) -> dict[str, Any]:
    """Which committed run this one is compared with, and each sequential page's p95 then and now."""
    path, why = previous.find(bool(report["settings"]["quick"]), explicit, benchmark="console_pages")
    out: dict[str, Any] = {"file": None if path is None else previous.shown(path), "chosen": why, "sequential_p95": {}}
    before, problem = previous.load(path) if path is not None else (None, None)
    if problem:
        out["chosen"] = f"{why}; it could not be read ({problem})"
    if before is not None:
        code = before.get("platform_code")
        out.update({"started_at": str(before.get("started_at")),
                    "commit": str(code.get("commit")) if isinstance(code, dict) else None})
    old = (before or {}).get("results")
    old_seq = old.get("sequential") if isinstance(old, dict) else None
    for user, pages in (report.get("results") or {}).get("sequential", {}).items():
        then_pages = old_seq.get(user) if isinstance(old_seq, dict) else None
        for name, v in pages.items():
            then = then_pages.get(name) if isinstance(then_pages, dict) else None
            p95 = then.get("p95") if isinstance(then, dict) else None
            p95 = p95 if isinstance(p95, int | float) and not isinstance(p95, bool) else None
            out["sequential_p95"].setdefault(user, {})[name] = {"now": v["p95"], "previous": p95,
                                                                 "change": previous.change(v["p95"], p95, P95)[0]}
    return out


# -- the report ---------------------------------------------------------------------------------------------------

def summary(r: dict[str, Any]) -> str:
    seq = [(u, n, v) for u, pages in r.get("sequential", {}).items() for n, v in pages.items()]
    if not seq:
        return ""
    out = [f"**Target met (p95 ≤ {TARGET_MS:g} ms, sequential) on {sum(v['p95'] <= TARGET_MS for *_, v in seq)} of "
           f"{len(seq)} pages**; not met: " + (", ".join(f"{u}'s {n} (p50 {v['p50']}, p95 {v['p95']} ms)" for u, n, v in seq
                                                 if v["p95"] > TARGET_MS) or "none") + "."]
    for u, n, v in sorted(seq, key=lambda x: -x[2]["p50"])[:2]:
        b, cpu = r["backend"][u][n], v["cpu_ms_per_request"]
        slow = max(b["calls_alone"].items(), key=lambda kv: kv[1]["p50"])
        out.append(f"Slow: {u}'s {n}, p50 {v['p50']} ms; its service calls made directly take {b['gathered']['p50']} ms "
                   f"gathered as the page does, the slowest alone ({slow[0]}) {slow[1]['p50']} ms; CPU per view: "
                   + ", ".join(f"{k} {cpu[k]} ms" for k in CPU_OF if cpu.get(k)) + ".")
    return " ".join(out) + "\n"


def render(report: dict[str, Any]) -> str:
    m, pc, s, r = report["machine"], report["platform_code"], report["settings"], report.get("results") or {}
    seed, w = report.get("seed") or {}, (report.get("seed") or {}).get("wait", {})
    L = [f"# Jalin console pages benchmark — {report['started_at']}{' (quick)' if s['quick'] else ''}\n",
         f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']} (kernel {m['kernel']}); {m['python']}; "
         f"load average at start {' '.join(m['loadavg_at_start'])}, at the end {' '.join(report['loadavg_at_end'])}.  ",
         "Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + ".  ",
         f"Platform code: commit {pc.get('commit')} ({pc.get('subject')})" + (f", **{pc['uncommitted_platform_files']} "
         "uncommitted platform files**" if pc.get("uncommitted_platform_files") else "") + ".  ",
         f"Platform: embedded default (SQLite per service) with the console, started in {report['startup_seconds']} s; "
         f"run took {report['run_seconds']} s.\n"]
    if seed:
        L.append(f"Data: sumbar has {seed['imported']} imported cooperations (one CSV, {seed['import_seconds']} s; "
                 f"{w.get('in_force')} in force, each with its monev plan: waited {w.get('seconds')} s until every event "
                 f"was consumed) and, through the API, {seed['api_proposals']}. Idle after {seed.get('settle_seconds')} s more.\n")
    L.append(f"Timing: per page, {s['requests']} sequential GETs over 127.0.0.1 (httpx, keep-alive, after {s['warmup']} "
             "warm-up) in a signed-in session, from sending to the whole body read (an upper bound of the server's time). "
             f"**Target: ≤ {TARGET_MS:g} ms, judged on p95.** kB = 10^3 bytes of HTML. CPU ms per page view from /proc.\n")
    L.append(summary(r))
    noisy = {f"{u} {p}": v["others_cpu_percent"] for u, pages in r.get("sequential", {}).items() for p, v in pages.items()
             if (v.get("others_cpu_percent") or 0) > 20}
    noisy |= {f"concurrent {p}": v["cpu_percent"].get("others") for p, v in r.get("concurrent", {}).items()
              if (v["cpu_percent"].get("others") or 0) > 20}
    if noisy:
        L.append(f"**Other processes used > 20 % of a core during {noisy} (% of one core): those figures are likely high.**\n")
    prev = report.get("previous") or {}
    if prev:
        when = f", started {prev['started_at']}, commit {prev.get('commit')}" if prev.get("started_at") else ""
        L.append(f"Previous: {'`' + prev['file'] + '`' if prev.get('file') else 'none'}{when}: {prev.get('chosen')}.")
    for user, pages in r.get("sequential", {}).items():
        L += [f"\n## {user.capitalize()} ({USERS[user]}), sequential\n", "| page | min | p50 | p95 | max ms | kB | ≤ 300 ms "
              "(p95) | CPU ms/view: " + ", ".join(CPU_OF) + " | others % | p95 before | change |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, v in pages.items():
            met = "yes" if v["p95"] <= TARGET_MS else ("**no**" if v["p50"] > TARGET_MS else "**no** (p50 yes)")
            before = prev.get("sequential_p95", {}).get(user, {}).get(name, {})
            L.append(f"| {name} | {v['min']} | {v['p50']} | {v['p95']} | {v['max']} | {v['bytes'] / 1000:.1f} | {met}"
                     f"{' errors ' + str(v['errors']) if v['errors'] else ''} | "
                     + " / ".join(str(v["cpu_ms_per_request"].get(k, "–")) for k in CPU_OF) + f" | {v['others_cpu_percent']} | "
                     f"{before.get('previous') if before.get('previous') is not None else '–'} | {before.get('change', '–')} |")
    if r.get("concurrent"):
        L += [f"\n## Budi, {s['concurrency']} concurrent clients (a session each)\n", "| page | requests | p50 | p95 | max ms | "
              "pages/s | ≤ 300 ms (p95) | CPU % of a core: " + ", ".join(CPU_OF) + ", others |", "|---|---|---|---|---|---|---|---|"]
        for name, v in r["concurrent"].items():
            L.append(f"| {name} | {v['n']} | {v['p50']} | {v['p95']} | {v['max']} | {v['pages_per_s']} | "
                     f"{'yes' if v['p95'] <= TARGET_MS else '**no**'}{' errors ' + str(v['errors']) if v['errors'] else ''} | "
                     + " / ".join(str(v["cpu_percent"].get(k, "–")) for k in (*CPU_OF, "others")) + " |")
    for user, pages in r.get("backend", {}).items():
        L += [f"\n## Where the time goes: {user.capitalize()}'s pages vs. their service calls made directly\n",
              f"The same calls with the same claims, {s['split_requests']} times, gathered as the page gathers them; the page "
              "minus the calls is the console's own (session, its HTTP client, JSON, Jinja), a noisy difference: its CPU "
              "column above says the same more steadily.\n",
              "| page | page p50 ms | calls gathered p50 ms | difference ms | slowest call alone, p50 ms |", "|---|---|---|---|---|"]
        for name, b in pages.items():
            page, slow = r["sequential"][user][name]["p50"], max(b["calls_alone"].items(), key=lambda kv: kv[1]["p50"])
            L.append(f"| {name} | {page} | {b['gathered']['p50']} | {round(page - b['gathered']['p50'], 1)} | "
                     f"{slow[0]}: {slow[1]['p50']} |")
        for name in sorted(pages, key=lambda n: -r["sequential"][user][n]["p50"])[:2]:
            b = pages[name]
            L.append(f"\n{user.capitalize()}'s {name}, phases: " + "; ".join(f"{k}: p50 {v['p50']} ms" for k, v in b["phases"].items())
                     + ". Each call alone: " + "; ".join(f"{k}: p50 {v['p50']} ms" for k, v in b["calls_alone"].items()) + ".")
    if report.get("error"):
        L.append(f"\n**The run failed:** {report['error']}")
    return "\n".join(L) + "\n"
