"""The hosted shape on one machine: a real 3-node NATS cluster started from the very files in
``deploy/nats/`` (node.conf, accounts.conf, the regions' files; routes authenticated with the
route password), ``JALIN`` with 3 replicas, each
service's migrations and the four services started by the image's commands
(``python -m jalin_cli.migrate <service>``, ``python -m jalin_<service>``) on PostgreSQL, with
their own users on the bus. One node is killed with SIGKILL during a burst of approvals and
restarted: every effect happens exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from jalin_dbs import create_pg_database, drop_pg_database, require_pg
from jalin_e2e import Api, CollectingSMTP, wait_for

from jalin_cli.platform import SERVICES, apply_stream, free_port, nats_server_binary

DEPLOY_NATS = Path(__file__).resolve().parents[2] / "deploy" / "nats"
USERS = ("SYS", "ADMIN", "STREAMER", *(s.upper() for s in SERVICES))
ROUTE = "ROUTE"
"""The routes' password (node.conf's cluster authorization, user route), beside the users'."""
N = 200


@dataclass
class Node:
    name: str
    port: int
    cluster_port: int
    http_port: int
    store: Path
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.store.parent / f"{self.name}.log", "ab") as log:
            self.proc = subprocess.Popen([nats_server_binary(), "-c", str(DEPLOY_NATS / "node.conf")], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._answers, timeout=30, what=f"{self.name} listening")

    def _answers(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} exited: see {self.store.parent}"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Deployment:
    """What ``Api`` needs of a platform: each service's URL and the token secret."""

    nodes: list[Node]
    passwords: dict[str, str]
    ports: dict[str, int]
    jwt_secret: str
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def config(self) -> Any:
        return self

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def nats_url(self, user: str | None = None) -> str:
        auth = f"{user.lower()}:{self.passwords[user]}@" if user else ""
        return ",".join(f"nats://{auth}127.0.0.1:{n.port}" for n in self.nodes)


def start_cluster(folder: Path, passwords: dict[str, str]) -> list[Node]:
    nodes = [Node(f"nats-{i}", free_port(), free_port(), free_port(), folder / f"nats-{i}" / "jetstream") for i in (1, 2, 3)]
    # Authenticated routes, as compose's entrypoint writes them: only a node with the password joins.
    routes = json.dumps([f"nats://route:{passwords[ROUTE]}@127.0.0.1:{n.cluster_port}" for n in nodes])
    for node in nodes:
        node.store.mkdir(parents=True)
        node.env = {
            "PATH": os.environ.get("PATH", ""),
            "JALIN_NATS_SERVER_NAME": node.name, "JALIN_NATS_HOST": "127.0.0.1",
            "JALIN_NATS_PORT": str(node.port), "JALIN_NATS_CLUSTER_PORT": str(node.cluster_port),
            "JALIN_NATS_HTTP": f"127.0.0.1:{node.http_port}", "JALIN_NATS_ROUTES": routes,
            "JALIN_NATS_STORE_DIR": str(node.store),
            **{f"JALIN_NATS_{user}_PASSWORD": pw for user, pw in passwords.items()},
        }
    for node in nodes:
        node.start()
    return nodes


def service_env(service: str, d: Deployment, database_url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    prefix = f"JALIN_{service.upper()}_"
    env.update({
        # The demo regions and a shared development key: the production refusals have their own
        # test (test_production_start.py); this one is about the cluster.
        "JALIN_ENVIRONMENT": "test", "JALIN_JWT_SECRET": d.jwt_secret,
        "JALIN_NATS_URL": d.nats_url(), f"{prefix}NATS_USER": service,
        f"{prefix}NATS_PASSWORD": d.passwords[service.upper()], f"{prefix}DATABASE_URL": database_url,
        f"{prefix}PORT": str(d.ports[service]), "JALIN_DATA_DIR": str(d.logs / "data"),
        "JALIN_STREAM_REPLICAS": "3", "JALIN_NOTIFICATIONS_SMTP_PORT": str(smtp_port),
        "JALIN_BACKOFF_SECONDS": "[0.2, 0.5, 1.0]", "JALIN_LOG_JSON": "true", "JALIN_DATABASE_POOL_SIZE": "3",
    })
    return env


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    require_pg()
    passwords = {user: f"p{secrets.token_hex(16)}" for user in (*USERS, ROUTE)}
    nodes = start_cluster(tmp_path, passwords)
    smtp = CollectingSMTP()
    smtp.start()
    urls: dict[str, str] = {}
    d = Deployment(nodes, passwords, {s: free_port() for s in SERVICES}, secrets.token_urlsafe(48), tmp_path)
    try:
        # The one-shot job of compose.yaml: JALIN from the kit's definition, on 3 nodes.
        os.environ["JALIN_STREAM_REPLICAS"] = "3"
        try:
            apply_stream(f"nats://streamer:{passwords['STREAMER']}@127.0.0.1:{nodes[0].port}", attempts=300)
        finally:
            del os.environ["JALIN_STREAM_REPLICAS"]
        urls = {s: asyncio.run(create_pg_database(f"jc_{s}")) for s in SERVICES}
        envs = {s: service_env(s, d, urls[s], smtp.port) for s in SERVICES}
        for s in SERVICES:  # each service's migration job, before the service
            job = subprocess.run([sys.executable, "-m", "jalin_cli.migrate", s], env=envs[s], capture_output=True,
                                 text=True, timeout=180)
            assert job.returncode == 0, (s, job.stdout, job.stderr)
        for s in SERVICES:
            with open(tmp_path / f"{s}.log", "ab") as log:
                d.procs[s] = subprocess.Popen([sys.executable, "-m", f"jalin_{s}"], env=envs[s], stdout=log,
                                              stderr=subprocess.STDOUT)

        def ready() -> bool:
            for s, proc in d.procs.items():
                assert proc.poll() is None, f"{s} exited: {(tmp_path / f'{s}.log').read_text()[-3000:]}"
            try:
                return all(httpx.get(f"{d.url(s)}/readyz", timeout=2).status_code == 200 for s in SERVICES)
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=120, interval=0.3, what="the four services ready on the cluster")
        yield d
    finally:
        for proc in d.procs.values():
            proc.terminate()
        for proc in d.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for node in nodes:
            node.stop()
        smtp.stop()
        for url in urls.values():
            asyncio.run(drop_pg_database(url))


async def stream_state(d: Deployment) -> tuple[int, str | None]:
    """JALIN's replicas and the node leading it."""
    nc = await nats.connect(d.nats_url("ADMIN").split(",")[0], inbox_prefix="_INBOX_admin")
    try:
        info = await nc.jetstream().stream_info("JALIN")
        return info.config.num_replicas or 1, info.cluster.leader if info.cluster else None
    finally:
        await nc.close()


def effects(api: Api, pid: str) -> tuple[int, int, tuple[str, ...]]:
    """Documents, plans, and the proposing unit's notices (by kind) of one proposal."""
    answers = [api.get(service, path, proposal_id=pid) for service, path in
               (("documents", "/v1/documents"), ("evaluation", "/v1/plans"), ("notifications", "/v1/inbox"))]
    for r in answers:
        assert r.status_code == 200, (r.request.url, r.status_code, r.text)  # a failing read is a failure, not "not yet"
    documents, plans, inbox = (r.json() for r in answers)
    return len(documents), len(plans), tuple(sorted(m["kind"] for m in inbox))


def complete(e: tuple[int, int, tuple[str, ...]]) -> bool:
    return e[0] > 0 and e[1] > 0 and "document.generated" in e[2]


@pytest.mark.timeout(900)  # 200 approvals and their effects read back, on a machine shared with the suite
def test_a_node_killed_during_a_burst_loses_and_duplicates_nothing(deployment: Deployment) -> None:
    api = Api(deployment)  # type: ignore[arg-type]  # what Api reads of a platform, Deployment has
    replicas, leader = asyncio.run(stream_state(deployment))
    assert replicas == 3 and leader in {n.name for n in deployment.nodes}
    for node in deployment.nodes:  # each node routed to the others with the route password
        routez = httpx.get(f"http://127.0.0.1:{node.http_port}/routez", timeout=5).json()
        assert {r["remote_name"] for r in routez["routes"]} == {n.name for n in deployment.nodes} - {node.name}, node.name

    first = api.approved_proposal(title="Rujukan kesehatan di klaster")
    wait_for(lambda: complete(effects(api, first["id"])), what="the approval's document, plan and notices")
    once = effects(api, first["id"])
    assert once[:2] == (1, 1) and "proposal.approved" in once[2]

    ids = []
    for i in range(N):
        p = api.create(title=f"Usulan kerja sama klaster {i}")
        api.submit(p["id"])
        ids.append(p["id"])
    victim = next(n for n in deployment.nodes if n.name == leader)  # the stream's leader: a new one is elected
    for i, pid in enumerate(ids):
        api.approve(pid)  # whatever the bus is doing, the approval is committed with its outbox row
        if i == N // 4:
            victim.kill()
        if i == 3 * N // 4:
            victim.start()

    def documented() -> set[str]:
        r = api.get("documents", "/v1/documents", limit=500)
        assert r.status_code == 200, r.text
        return {d["proposal_id"] for d in r.json()}

    wait_for(lambda: set(ids) <= documented(), timeout=240, interval=1, what="a document for every approval")
    wait_for(lambda: all(effects(api, pid) == once for pid in ids), timeout=180, interval=3,
             what="every approval's document, plan and notices, once each")
    documents = Counter(d["proposal_id"] for d in api.get("documents", "/v1/documents", limit=500).json())
    assert all(documents[pid] == 1 for pid in ids)
