"""A service with ``http_workers`` = 2: two processes answer on one port (SO_REUSEPORT), the
second in role api (no consumers, no migrations); both serve reads of the same store, and the
extra worker ends with the first process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from jalin_kit.auth import issue_dev_token

from jalin_cli.platform import free_port

SECRET = "workers-test-secret-" + "x" * 40


def start_times(url: str) -> set[float]:
    """The start time of each process seen answering, over fresh connections."""
    seen: set[float] = set()
    for _ in range(60):
        text = httpx.get(f"{url}/metrics", timeout=10).text  # a new connection each time
        match = re.search(r"^process_start_time_seconds (\S+)$", text, re.M)
        assert match, text[:300]
        seen.add(float(match.group(1)))
        if len(seen) == 2:
            break
    return seen


def test_two_processes_answer_on_one_port(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env.update({"JALIN_ENVIRONMENT": "development", "JALIN_DATA_DIR": str(tmp_path), "JALIN_JWT_SECRET": SECRET,
                "JALIN_PROPOSALS_PORT": str(port), "JALIN_PROPOSALS_HTTP_WORKERS": "2", "JALIN_LOG_JSON": "false",
                "JALIN_NATS_URL": f"nats://127.0.0.1:{free_port()}"})  # no bus: reads do not need it
    log = tmp_path / "proposals.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jalin_proposals"], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while "role=api" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        assert len(start_times(url)) == 2  # the kernel hands connections to both
        headers = {"Authorization": "Bearer " + issue_dev_token(SECRET, tenant="sumbar", roles=["opd_staff"], user="u", unit="dpupr")}
        created = httpx.post(f"{url}/v1/proposals", headers=headers, timeout=30, json={
            "title": "Dua proses", "kind": "ksdd", "partner": {"name": "Pemerintah Kabupaten Kutai Kartanegara"},
            "objective": "Tujuan kerja sama", "scope": "Ruang lingkup", "term_months": 12, "financing": "APBD"})
        assert created.status_code == 201, created.text
        # Whichever process answers reads what the other wrote: one store.
        for _ in range(20):
            r = httpx.get(f"{url}/v1/proposals/{created.json()['id']}", headers=headers, timeout=30)
            assert r.status_code == 200 and r.json()["title"] == "Dua proses"
        text = log.read_text(errors="replace")
        assert text.count("service.started") == 2 and "role=all" in text
        assert "nats.consuming" not in text  # (no bus here: neither consumes; the api one never would)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    # The extra worker ended with it: nothing answers on the port any more.
    try:
        httpx.get(f"{url}/healthz", timeout=2)
        raise AssertionError("a worker still answers after the service stopped")
    except httpx.TransportError:
        pass
