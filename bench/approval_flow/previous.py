"""The previous committed run, beside this one: which report to compare with, and the change of
every headline figure.

"Committed" is what git tracks in bench/results (``git ls-files``, read only); outside a git
clone, every report in that folder. A full run is compared with the newest committed full run; a
quick run with the newest committed quick run, or, when there is none, the newest full one (its
phases are longer: the figures are not alike, the report says so). ``--previous`` names another.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

from jalin_cli.platform import SERVICES

from .settings import BENCH_DIR


class Figure(NamedTuple):
    key: str
    label: str
    unit: str  # "ms", "/s", "%" (compared in points), "MB"
    higher_is_better: bool
    path: tuple[str, ...]  # into a report's JSON
    scale: float = 1.0


FIGURES: tuple[Figure, ...] = (
    Figure("paced_p99_ms", "end to end p99 at the paced rate", "ms", False, ("results", "paced", "end_to_end", "p99_ms")),
    Figure("paced_p50_ms", "end to end p50 at the paced rate", "ms", False, ("results", "paced", "end_to_end", "p50_ms")),
    Figure("light_p50_ms", "end to end p50 at the light rate", "ms", False, ("results", "light", "end_to_end", "p50_ms")),
    Figure("light_p99_ms", "end to end p99 at the light rate", "ms", False, ("results", "light", "end_to_end", "p99_ms")),
    Figure("burst_sustained_per_s", "sustained approvals/s (burst)", "/s", True, ("results", "burst", "sustained_rate")),
    Figure("plumbing_over_raw", "event plumbing / raw 2-hop chain", "%", True,
           ("ratios", "plumbing_over_raw_throughput"), 100.0),
    Figure("raw_chain_per_s", "raw 2-hop chain, burst msg/s", "/s", True, ("results", "raw_chain", "burst", "sustained_rate")),
    Figure("kit_chain_per_s", "plumbing 2-hop chain, burst msg/s", "/s", True,
           ("results", "kit_chain", "burst", "sustained_rate")),
    Figure("kit_chain_light_p50_ms", "plumbing 2-hop chain p50 at the light rate", "ms", False,
           ("results", "kit_chain", "paced_light", "latency", "p50_ms")),
    Figure("js_publish_per_s", "JetStream publish one at a time, msg/s", "/s", True,
           ("results", "raw", "publish_one_at_a_time", "msgs_per_s")),
    Figure("reads_per_s", "proposal reads/s", "/s", True, ("results", "reads", "reads_per_s")),
    *(Figure(f"rss_peak_mb_{name}", f"RSS peak of {name}", "MB", False, ("rss_peak_mb", name)) for name in SERVICES),
)


def value(report: Any, figure: Figure) -> float | None:
    """The figure in a report, or None (absent, or not a number: a report is read as untrusted input)."""
    node = report
    for part in figure.path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return round(node * figure.scale, 2)


def committed_reports(results_dir: Path, benchmark: str) -> tuple[list[Path], str]:
    """The reports of ``benchmark`` in ``results_dir`` that git tracks, oldest first, and where
    the list came from."""
    pattern = re.compile(rf"^{re.escape(benchmark)}-(\d{{4}}-\d{{2}}-\d{{2}}T\d{{6}})(-quick)?\.json$")
    try:
        done = subprocess.run(["git", "-C", str(results_dir), "ls-files", "-z", "--", "."], capture_output=True,
                              timeout=20, check=False)
        tracked = [results_dir / n for n in done.stdout.decode(errors="replace").split("\0") if n] \
            if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        tracked = None
    source = "committed" if tracked is not None else "in the results folder (not a git clone)"
    candidates = tracked if tracked is not None else (sorted(results_dir.glob("*.json")) if results_dir.is_dir() else [])
    found = [(m.group(1), p) for p in candidates if (m := pattern.match(p.name)) and p.parent == results_dir]
    return [p for _, p in sorted(found)], source


def find(quick: bool, explicit: Path | None = None, results_dir: Path = BENCH_DIR / "results",
         benchmark: str = "approval_flow") -> tuple[Path | None, str]:
    """The report to compare with, and why that one."""
    if explicit is not None:
        return explicit, "given with --previous"
    reports, source = committed_reports(results_dir, benchmark)
    full = [p for p in reports if not p.stem.endswith("-quick")]
    quicks = [p for p in reports if p.stem.endswith("-quick")]
    if quick and quicks:
        return quicks[-1], f"the newest quick run {source}"
    if full:
        why = f"the newest full run {source}"
        unlike = "its settings are not a quick run's: the figures are not alike"
        return full[-1], (f"no quick run {source}: {why} ({unlike})" if quick else why)
    return None, f"no earlier run {source}"


def load(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A report's JSON, or the reason it cannot be read."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if not isinstance(data, dict):
        return None, "not a report (its JSON is not an object)"
    return data, None


def change(now: float | None, before: float | None, figure: Figure) -> tuple[str, bool | None]:
    """(the change as text, whether it is better); "–" when either is missing."""
    if now is None or before is None:
        return "–", None
    if figure.unit == "%":
        diff, text = now - before, f"{now - before:+.1f} pts"
    elif before == 0:
        return "–", None
    else:
        diff, text = now - before, f"{100 * (now - before) / before:+.1f} %"
    if diff == 0:
        return text, None
    better = (diff > 0) == figure.higher_is_better
    return f"{text} ({'better' if better else 'worse'})", better


def compare(report: dict[str, Any], quick: bool, explicit: Path | None = None,
            results_dir: Path = BENCH_DIR / "results") -> dict[str, Any]:
    """The "previous" block of a report: which run, and every headline figure now, then and the change.
    Also fills each target row's ``previous`` and ``change``."""
    path, why = find(quick, explicit, results_dir)
    out: dict[str, Any] = {"file": None, "chosen": why, "figures": {}}
    before: dict[str, Any] | None = None
    if path is not None:
        out["file"] = shown(path)
        before, problem = load(path)
        if problem:
            out["chosen"] = f"{why}; it could not be read ({problem})"
    if before is not None:
        code, settings = before.get("platform_code"), before.get("settings")
        out.update({"started_at": str(before.get("started_at")),
                    "commit": str(code.get("commit")) if isinstance(code, dict) else None,
                    "quick": bool(settings.get("quick")) if isinstance(settings, dict) else None})
    for figure in FIGURES:
        now, then = value(report, figure), (value(before, figure) if before is not None else None)
        text, better = change(now, then, figure)
        out["figures"][figure.key] = {"label": figure.label, "unit": figure.unit, "now": now, "previous": then,
                                      "change": text, "better": better}
    for row in report.get("targets", []):
        f = out["figures"].get(row.get("figure"), {})
        row["previous"], row["change"] = f.get("previous"), f.get("change", "–")
    return out


def shown(path: Path) -> str:
    """The path as the report shows it: relative to the clone when inside it."""
    try:
        return str(path.resolve().relative_to(BENCH_DIR.parent))
    except ValueError:
        return str(path)
