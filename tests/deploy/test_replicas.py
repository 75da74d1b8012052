"""Scale-out as processes on one machine: replicas of a service share its PostgreSQL store and
its durable consumers (``jalin up --database … --replicas documents=3``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from jalin_dbs import create_pg_database, drop_pg_database, require_pg
from jalin_e2e import Api, CollectingSMTP, start_platform, wait_for

from jalin_cli.platform import SERVICES, Platform, PlatformConfig, parse_replicas

N = 200


def test_replicas_are_given_as_service_counts() -> None:
    assert parse_replicas("documents=3, notifications=2") == {"documents": 3, "notifications": 2}
    assert parse_replicas("") == {}
    for bad in ("documents", "documents=x", "documents=-1"):
        with pytest.raises(ValueError, match="service=count"):
            parse_replicas(bad)


@pytest.mark.parametrize("replicas,databases,refusal", [
    ({"documents": 2}, {}, "2 replicas of documents need PostgreSQL"),
    ({"printer": 2}, {}, "unknown service 'printer'"),
    ({"documents": 0}, {"documents": "postgresql+asyncpg://x@h/d"}, "between 1 and 8"),
    ({"documents": 9}, {"documents": "postgresql+asyncpg://x@h/d"}, "between 1 and 8"),
])
def test_replicas_the_platform_cannot_run_are_refused(
    tmp_path: Path, replicas: dict[str, int], databases: dict[str, str], refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        PlatformConfig(data_dir=tmp_path, replicas=replicas, database_urls=databases)
    PlatformConfig(data_dir=tmp_path, replicas={"documents": 1})  # one process needs nothing more


def test_jalin_up_says_why_it_cannot_run_replicas(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "jalin_cli", "--data-dir", str(tmp_path), "up", "--replicas", "documents=3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "3 replicas of documents need PostgreSQL" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[Platform]:
    """The platform on PostgreSQL with three documents processes; a delivery a killed
    process took is redelivered after 3 s (the ack wait) rather than 30."""
    require_pg()
    urls = {name: asyncio.run(create_pg_database(f"jr_{name}")) for name in SERVICES}
    smtp = CollectingSMTP()
    smtp.start()
    platform = start_platform(tmp_path / "platform", smtp.port, urls, replicas={"documents": 3},
                              extra_env={"JALIN_DOCUMENTS_ACK_WAIT_SECONDS": "3"})
    yield platform
    platform.stop()
    smtp.stop()
    for url in urls.values():
        asyncio.run(drop_pg_database(url))


def approvals_handled(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines()
               if '"event.processed"' in line and "id.jalin.proposal.approved" in line)


def test_three_documents_replicas_share_the_work_and_a_killed_one_loses_nothing(replicated: Platform) -> None:
    api = Api(replicated)
    ids = []
    for i in range(N):
        p = api.create(title=f"Usulan kerja sama nomor {i}")
        api.submit(p["id"])
        ids.append(p["id"])
    replicas = replicated.replicas["documents"]
    victim = replicas[1]
    for i, pid in enumerate(ids):
        api.approve(pid)
        if i == N // 2:
            victim.kill()  # SIGKILL mid-burst: no shutdown, whatever it held is redelivered

    def counts() -> Counter[str]:
        rows = api.get("documents", "/v1/documents", limit=500).json()
        return Counter(d["proposal_id"] for d in rows)

    wait_for(lambda: len(counts()) == N, timeout=180, what="a document for every proposal")
    final = counts()
    assert set(final) == set(ids)
    assert set(final.values()) == {1}, f"duplicates: {[p for p, c in final.items() if c > 1]}"
    handled = [approvals_handled(r.log_path) for r in replicas]
    assert all(n > 0 for n in handled), f"approvals handled per replica: {handled}"
