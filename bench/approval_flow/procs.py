"""Processes: CPU and memory from /proc, the helper processes the bench starts, the SMTP sink."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def helper_argv(command: str, *args: str) -> list[str]:
    """The command line of a helper process: this package run again as a folder, with
    ``command`` one of ``_kit-hop``, ``_raw-hop``, ``_mailsink`` (works from any folder)."""
    return [sys.executable, str(PACKAGE_DIR), command, *args]


def mailsink_argv(port: int, folder: Path) -> list[str]:
    return helper_argv("_mailsink", "--port", str(port), "--dir", str(folder))


def mailsink_main(argv: list[str]) -> None:
    """The SMTP sink of ``jalin up`` in a process of its own (not in the bench's GIL)."""
    parser = argparse.ArgumentParser(prog="approval_flow _mailsink")
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


# -- /proc ------------------------------------------------------------------------------------------

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


def machine_cpu() -> dict[str, float]:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return {"_busy": (user + nice + system + irq + softirq) / tick, "_steal": steal / tick}


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

    def add(self, name: str, pid: int) -> None:
        """Sample one more process from now on (a service's extra HTTP worker)."""
        self.pids = {**self.pids, name: pid}  # a new dict: the sampling thread reads the old one safely

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

    def rss_peak_mb(self) -> dict[str, float]:
        """The peak RSS of each process over the whole run, MB (10^6 bytes)."""
        peak: dict[str, float] = {}
        for per_phase in self.rss_max.values():
            for name, v in per_phase.items():
                peak[name] = max(peak.get(name, 0.0), round(v / 1e6, 1))
        return dict(sorted(peak.items()))


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


# -- helper processes ---------------------------------------------------------------------------

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

    def terminate(self, *names: str) -> None:
        """SIGTERM to each (by its pid), without waiting: ``stop`` waits for them later."""
        for name in names:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    def stop(self, *names: str, grace: float = 8.0) -> list[str]:
        """SIGTERM to each (by its pid) at once; SIGKILL whatever is still there after ``grace``.
        Returns the names of those that had to be killed."""
        procs = [(n, p) for n, p in ((n, self.procs.pop(n, None)) for n in (names or list(self.procs))) if p is not None]
        for _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        killed = []
        for name, proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed.append(name)
        if killed:
            print(f"not stopped {grace:g} s after SIGTERM, killed: {', '.join(killed)}", flush=True)
        return killed

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


def children_of(pid: int) -> list[int]:
    """The child processes of ``pid`` (a service's extra HTTP workers), from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and "spawn_main" in (entry / "cmdline").read_bytes().decode(errors="replace"):
            out.append(int(entry.name))
    return sorted(out)
