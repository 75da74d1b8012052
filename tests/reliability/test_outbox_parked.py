"""Events that can never be published, at the head of a running service's outbox: the
service's next event goes out anyway, the bad ones are parked, readiness reports them and
the operator lists and replays them with the ``jalin`` command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import httpx
from jalin_e2e import Api, wait_for

from jalin_cli.platform import SERVICES, Platform


def jalin(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    ports = [f"--{name}-port={platform.services[name].port}" for name in SERVICES]
    env = {**os.environ, "JALIN_JWT_SECRET": platform.config.jwt_secret}
    return subprocess.run([sys.executable, "-m", "jalin_cli", *args, *ports], capture_output=True, text=True,
                          env=env, timeout=60)


def test_unpublishable_events_are_parked_reported_listed_and_replayable(shared_platform: Platform) -> None:
    platform = shared_platform
    database = platform.config.data_dir / "data" / "proposals.db"
    bad = [str(uuid.uuid4()) for _ in range(20)]
    now = datetime.now(UTC).isoformat(sep=" ")
    # Half as a bug once wrote them (a tenant id with a newline), half on another service's
    # subjects (the bus would not let proposals publish them: no answer would ever come).
    subjects = ["jalin.sumbar\n.proposal.submitted", "jalin.sumbar.document.generated"]
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO outbox (id, tenant_id, subject, type, source, correlation_id, occurred_at, data, created_at,"
            " due_at, attempts) VALUES (?, 'sumbar', ?, 'id.jalin.proposal.submitted.v1',"
            " '/jalin/proposals', ?, ?, ?, ?, ?, 0)",
            [(i, subjects[n % 2], i, now, b"{}", now, now) for n, i in enumerate(bad)],
        )
    api = Api(platform)
    draft = api.create(title="Di belakang yang rusak")
    api.submit(draft["id"])
    operator = Api(platform, tenant="platform").headers("platform_admin", unit=None)

    def parked() -> list[dict[str, object]]:
        rows = httpx.get(f"{platform.url('proposals')}/v1/admin/outbox", headers=operator, timeout=10).json()
        return [r for r in rows if r["id"] in bad]

    wait_for(lambda: len(parked()) == len(bad), timeout=60, what="the bad rows parked")
    with sqlite3.connect(database) as db:
        sent, = db.execute("SELECT sent_at FROM outbox WHERE correlation_id = ? AND subject = 'jalin.sumbar.proposal.submitted'",
                           (draft["id"],)).fetchone()
        first_parked, = db.execute(f"SELECT min(parked_at) FROM outbox WHERE id IN ({','.join('?' * len(bad))})",
                                   bad).fetchone()
    assert sent is not None and sent < first_parked  # the good event went out before any bad one gave up

    readiness = httpx.get(f"{platform.url('proposals')}/readyz", timeout=10)
    assert readiness.status_code == 200  # reported, and still ready: no restart would help
    assert readiness.json()["checks"]["outbox"] == "20 parked (jalin outbox list)"

    listed = jalin(platform, "outbox", "list", "--service", "proposals")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["id"] for r in rows} == set(bad)
    assert {r["last_error"].split(" ")[1] for r in rows} == {"subject", "/jalin/proposals"}  # both kinds, each named
    assert all(r["last_error"].startswith("Unpublishable: ") and r["attempts"] == 3 for r in rows)
    before = next(r["parked_at"] for r in rows if r["id"] == bad[0])
    replayed = jalin(platform, "outbox", "replay", "--service", "proposals", "--id", bad[0])
    assert replayed.returncode == 0 and "will be sent again" in replayed.stdout

    def parked_again() -> list[dict[str, object]]:
        return [r for r in parked() if r["id"] == bad[0] and r["parked_at"] != before]

    [again] = wait_for(parked_again, timeout=30, what="the replayed row parked again (it is still bad)")
    assert again["attempts"] == 3 and len(parked()) == len(bad)
