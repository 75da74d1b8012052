"""Where the time goes, from this run: py-spy samples each named process while a phase runs
(``--profile``; py-spy is a dev dependency), and the report lists, per phase and process, the
functions the active samples were in (inclusive) and the ones they ended in (self). py-spy
samples from outside the process (``--nonblocking``: it never pauses it); its own CPU shows as
"others" in the phases it ran in, so a profiled run's figures are not the ones to quote."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 200  # samples per second per process
ROOTS = ("_run_module_as_main", "_run_code", "<module>", "Runner.run", "run (asyncio", "asyncio_run", "serve (",
         "Server.run", "run (uvicorn", "BaseEventLoop.", "Handle._run", "Thread._bootstrap", "Thread.run", "entry (",
         "kit_hop_main", "spawn_main", "_main (multiprocessing", "BaseProcess.", "_api_worker", "TaskHandle._run_coro")
"""The frames every sample of a thread passes through (its start, the event loop): they say nothing."""
IDLE_LEAVES = ("select (selectors.py", "_run_once (asyncio", "wait (threading.py", "get (queue.py",
               "poll (selectors.py", "Runner.run (asyncio", "run_forever (asyncio")


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, folder: Path, enabled: bool) -> None:
        self.folder = folder
        self.binary = py_spy() if enabled else None
        self.runs: list[tuple[str, str, Path, subprocess.Popen[bytes]]] = []

    @property
    def enabled(self) -> bool:
        return self.binary is not None

    def start(self, phase: str, pids: dict[str, int], seconds: float) -> None:
        """Sample these processes for ``seconds`` from now (in the background)."""
        if self.binary is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            out = self.folder / f"{phase.replace(' ', '_')}-{name}.txt"
            proc = subprocess.Popen(
                [self.binary, "record", "-p", str(pid), "-d", str(max(1, round(seconds))), "-r", str(RATE), "-f", "raw",
                 "--nonblocking", "--threads", "-o", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.runs.append((phase, name, out, proc))

    def summary(self, top: int = 14) -> list[dict[str, Any]]:
        out = []
        for phase, name, path, proc in self.runs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            if path.exists():
                out.append({"phase": phase, "process": name, **summarize(path.read_text(errors="replace"), top)})
        return out


def _frame(text: str) -> str:
    name, _, where = text.partition(" (")
    where = where.split(":")[0].split("site-packages/")[-1].split("/src/")[-1]
    return f"{name} ({where}"[:110] + ")" if where else name


def summarize(raw: str, top: int) -> dict[str, Any]:
    """Active samples (not waiting in the event loop, a queue or a lock): the share of the
    functions they were in, and of the ones they ended in."""
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    active = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if any(frames[-1].startswith(idle) for idle in IDLE_LEAVES):
            continue
        n = int(count)
        active += n
        threads["main" if "MainThread" in frames[0] else "other threads"] += n
        for f in set(_frame(f) for f in frames[1:]):
            inclusive[f] += n
        leaves[_frame(frames[-1])] += n
    if not active:
        return {"active_samples": 0, "inclusive": [], "self": []}

    def pct(v: int) -> float:
        return round(100 * v / active, 1)

    # The frames every sample passes through (the thread's start, uvicorn's loop) say nothing.
    telling = [(f, v) for f, v in inclusive.most_common() if v < 0.9 * active]
    return {
        "active_samples": active,
        "seconds_of_cpu": round(active / RATE, 1),
        "threads": {k: pct(v) for k, v in threads.items()},
        "inclusive": [[f, pct(v)] for f, v in telling[:top]],
        "self": [[f, pct(v)] for f, v in leaves.most_common(top)],
    }


def render(profiles: list[dict[str, Any]]) -> list[str]:
    lines = ["\n## Where the time goes (py-spy, this run)\n",
             "Per phase and process: the share of the process's active samples (all threads) spent in a "
             "function and what it called (inclusive), and in the function itself (self).\n"]
    for p in profiles:
        if not p.get("active_samples"):
            continue
        lines.append(f"### {p['phase']}: {p['process']} (~{p['seconds_of_cpu']} s of CPU sampled; threads {p['threads']})\n")
        lines.append("| inclusive | % | self | % |")
        lines.append("|---|---|---|---|")
        for (fi, vi), (fs, vs) in zip(p["inclusive"], p["self"], strict=False):
            lines.append(f"| `{fi}` | {vi} | `{fs}` | {vs} |")
        lines.append("")
    return lines
