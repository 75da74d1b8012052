"""The command: start the platform, run the phases, stop everything, judge, compare, report.

``entry`` also dispatches the helper processes the bench starts by running itself again
(``_kit-hop``, ``_raw-hop``, ``_mailsink``: ``procs.helper_argv``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from jalin_cli.platform import SERVICES, Platform, PlatformConfig, free_port

from . import previous
from .common import say
from .judge import checks, judge, noise, ratios
from .machine import machine, platform_code
from .phases import run_bench
from .procs import Helpers, Sampler, mailsink_argv, mailsink_main, wait_port
from .report import render_markdown, write_report
from .settings import build_parser, settings_for


def entry(argv: list[str]) -> None:
    if argv and argv[0] == "_kit-hop":
        from .kit_chain import kit_hop_main

        kit_hop_main(argv[1:])
    elif argv and argv[0] == "_raw-hop":
        from .raw_jetstream import hop_main

        hop_main(argv[1:])
    elif argv and argv[0] == "_mailsink":
        mailsink_main(argv[1:])
    else:
        main(argv)


def main(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
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
    print(f"Jalin approval-flow benchmark{' (quick)' if s['quick'] else ''}; data in {data_dir}", flush=True)
    try:
        smtp_port = free_port()
        sink = helpers.start("mailsink", mailsink_argv(smtp_port, data_dir / "mail"))  # starts while the platform does
        platform = Platform(PlatformConfig(
            unrestricted_user=True,  # the raw baselines and the watcher run on the same bus
            data_dir=data_dir,
            nats_port=free_port(),
            ports={name: free_port() for name in SERVICES},
            smtp_port=smtp_port,
            jwt_secret=secret,
            extra_env={"JALIN_PROPOSALS_HTTP_WORKERS": str(s["proposals_workers"])},
        ))
        say("starting nats-server and the four services ...")
        t = time.monotonic()
        platform.start(timeout=120)
        startup = round(time.monotonic() - t, 1)
        wait_port(smtp_port, sink)
        pids = {name: svc.proc.pid for name, svc in platform.services.items() if svc.proc}
        if platform.nats and platform.nats.proc:
            pids["nats-server"] = platform.nats.proc.pid
        pids["mailsink"] = sink.pid
        pids["bench"] = os.getpid()
        sampler = Sampler(pids)
        sampler.start()
        results = asyncio.run(_run(platform, secret, s, helpers, data_dir, sampler))
    except Exception as exc:  # noqa: BLE001 - reported, and the platform still stops
        error = f"{type(exc).__name__}: {exc}"
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
    finally:
        say("stopping the platform and the helper processes ...")
        if sampler:
            sampler.stop()
        _stop_all(helpers, platform)
        say("stopped")
    failed = checks(results) if not error else []
    if args.keep_data or error or failed:
        print(f"data and logs kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)

    report = _report(s, started_at, t_run, startup, info, results, sampler, error, failed)
    report["previous"] = previous.compare(report, s["quick"], args.previous)
    md = render_markdown(report)
    print()
    print(md)
    if not args.no_write:
        write_report(args.results_dir, f"approval_flow-{started_at.strftime('%Y-%m-%dT%H%M%S')}"
                     f"{'-quick' if s['quick'] else ''}{'-profile' if s['profile'] else ''}", report, md)
    if failed:
        print("benchmark checks failed: " + "; ".join(failed), file=sys.stderr)
    if error or failed:
        raise SystemExit(1)


async def _run(platform: Platform, secret: str, s: dict[str, Any], helpers: Helpers, data_dir: Path,
               sampler: Sampler) -> dict[str, Any]:
    task = asyncio.create_task(run_bench(platform, secret, s, helpers, data_dir, sampler))
    # register the helpers' pids with the sampler as they start
    while not task.done():
        for name, proc in helpers.procs.items():
            sampler.pids.setdefault(name, proc.pid)
        await asyncio.sleep(0.2)
    return await task


def _stop_all(helpers: Helpers, platform: Platform | None) -> None:
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


def _report(s: dict[str, Any], started_at: datetime, t_run: float, startup: float | None, info: dict[str, Any],
            results: dict[str, Any], sampler: Sampler | None, error: str | None, failed: list[str]) -> dict[str, Any]:
    rss_peak = sampler.rss_peak_mb() if sampler else {}
    return {
        "benchmark": "approval_flow",
        "started_at": started_at.isoformat(timespec="seconds"),
        "run_seconds": round(time.monotonic() - t_run, 1),
        "startup_seconds": startup,
        "machine": info,
        "platform_code": platform_code(),
        "settings": s,
        "targets": judge(results, rss_peak, s.get("proposals_workers")),
        "ratios": ratios(results),
        "results": results,
        "noise": noise(results),
        "rss_peak_mb": rss_peak,
        "rss_peak_mb_by_phase": {ph: {k: round(v / 1e6, 1) for k, v in d.items()}
                                 for ph, d in (sampler.rss_max.items() if sampler else [])},
        "checks": {"passed": not error and not failed, "failed": failed,
                   **({"not_run": "the run failed before its end"} if error else {})},
        "error": error,
    }


