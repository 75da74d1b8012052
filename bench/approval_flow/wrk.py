"""Reads measured with wrk (Debian's ``wrk``), when it is installed: a load generator in C,
so the figure is the server's, not the Python client's (which needs about a core of its own
for a few hundred requests per second on this machine). The httpx clients' figure is kept
beside it."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .procs import Sampler, cpu_percent

SCRIPT = """
local ids = {%(ids)s}
local i = 0
wrk.headers["Authorization"] = "%(authorization)s"
request = function()
  i = i + 1
  return wrk.format("GET", "%(path)s/" .. ids[(i %% #ids) + 1])
end
"""


def _ms(text: str) -> float | None:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not m:
        return None
    value, unit = float(m.group(1)), m.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def parse(output: str) -> dict[str, Any]:
    """Requests/s, the latency percentiles and the errors wrk printed (``--latency``)."""
    out: dict[str, Any] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        out["reads_per_s"] = round(float(m.group(1)), 1)
    latency = {}
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M):
            latency[f"p{pct}_ms"] = _ms(m.group(1))
    out["latency"] = latency
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        out["non_2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: (.*)", output):
        out["socket_errors"] = m.group(1).strip()
    return out


async def wrk_reads(base: str, path: str, ids: list[str], authorization: str, *, connections: int, seconds: float,
                    sampler: Sampler) -> dict[str, Any] | None:
    """GET ``path/<id>`` over ``ids`` with wrk for ``seconds``; None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "reads.lua"
        script.write_text(SCRIPT % {"ids": ", ".join(f'"{i}"' for i in ids), "authorization": authorization,
                                    "path": path})
        before = sampler.cpu()
        proc = await asyncio.create_subprocess_exec(
            wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script), base,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await proc.communicate()
        after = sampler.cpu()
    text = output.decode(errors="replace")
    result = parse(text)
    result.update(tool="wrk", connections=connections, seconds=max(1, round(seconds)),
                  cpu_percent=cpu_percent(before, after, max(1, round(seconds))))
    if "reads_per_s" not in result:
        result["error"] = text[-500:]
    return result
