"""Helpers for the cross-service tests: the platform as processes, driven over HTTP."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nats
from aiosmtpd.controller import Controller
from jalin_kit.auth import issue_dev_token
from jalin_kit.events import STREAM_NAME
from jalin_kit.testing import eventually_sync, free_port

from jalin_cli.bus import ADMIN, inbox_of
from jalin_cli.platform import SERVICES, Platform, PlatformConfig

T = TypeVar("T")


class CollectingSMTP:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(BytesParser(policy=default).parsebytes(envelope.content))
        return "250 OK"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def start_platform(
    data_dir: Path,
    smtp_port: int,
    database_urls: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
    replicas: dict[str, int] | None = None,
    console: bool = False,
) -> Platform:
    config = PlatformConfig(
        data_dir=data_dir,
        nats_port=free_port(),
        ports={name: free_port() for name in SERVICES},
        smtp_port=smtp_port,
        jwt_secret=secrets.token_urlsafe(48),
        database_urls=database_urls or {},
        unrestricted_user=True,  # the tests that must get past the bus (forged events) use it
        replicas=replicas or {},
        console_port=free_port() if console else None,
        reassign_busy_ports=True,
        extra_env={
            "JALIN_EVALUATION_SCAN_INTERVAL_SECONDS": "1",
            "JALIN_BACKOFF_SECONDS": "[0.2, 0.5, 1.0]",
            # Many services on one PostgreSQL server at once (and the tests' own databases).
            "JALIN_DATABASE_POOL_SIZE": "3",
            **(extra_env or {}),
        },
    )
    platform = Platform(config)
    try:
        platform.start(timeout=90)
    except Exception:
        platform.stop()
        raise
    return platform


PROPOSAL = {
    "title": "Jalan & Jembatan <Tahap 1>",
    "kind": "ksdd",
    "partner": {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"},
    "objective": "Meningkatkan konektivitas antarwilayah.",
    "scope": "Pembangunan dan pemeliharaan jalan penghubung.",
    "term_months": 24,
    "financing": "APBD masing-masing pihak.",
}


@dataclass
class Api:
    """A tenant's people calling the platform over HTTP."""

    platform: Platform
    tenant: str = "sumbar"
    unit: str = "dinkes"
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def token(self, *roles: str, user: str | None = None, unit: str | None = "") -> str:
        return issue_dev_token(
            self.platform.config.jwt_secret,
            tenant=self.tenant,
            roles=list(roles),
            user=user or f"{self.tenant}-{roles[0]}",
            unit=self.unit if unit == "" else unit,
        )

    def headers(self, *roles: str, unit: str | None = "") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, unit=unit)}"}

    @property
    def staff(self) -> dict[str, str]:
        return self.headers("opd_staff")

    @property
    def section(self) -> dict[str, str]:
        return self.headers("kerja_sama", unit=None)

    def url(self, service: str, path: str) -> str:
        return f"{self.platform.url(service)}{path}"

    def get(self, service: str, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.client.get(self.url(service, path), headers=headers or self.staff, params=params or None)

    def create(self, **overrides: Any) -> dict[str, Any]:
        r = self.client.post(self.url("proposals", "/v1/proposals"), json={**PROPOSAL, **overrides}, headers=self.staff)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def submit(self, pid: str) -> dict[str, Any]:
        r = self.client.post(self.url("proposals", f"/v1/proposals/{pid}/submit"), headers=self.staff)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def approve(self, pid: str) -> dict[str, Any]:
        r = self.client.post(self.url("proposals", f"/v1/proposals/{pid}/approve"), headers=self.section)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def approved_proposal(self, **overrides: Any) -> dict[str, Any]:
        p = self.create(**overrides)
        self.submit(p["id"])
        return self.approve(p["id"])

    def documents(self, pid: str) -> list[dict[str, Any]]:
        return self.get("documents", "/v1/documents", proposal_id=pid).json()  # type: ignore[no-any-return]

    def inbox(self, pid: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        return self.get("notifications", "/v1/inbox", headers=headers, proposal_id=pid).json()  # type: ignore[no-any-return]

    def plans(self, pid: str) -> list[dict[str, Any]]:
        return self.get("evaluation", "/v1/plans", proposal_id=pid).json()  # type: ignore[no-any-return]

    def act(self, pid: str, command: str, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
        """A lifecycle step: POST /v1/proposals/{pid}/actions/{command}."""
        r = self.client.post(self.url("proposals", f"/v1/proposals/{pid}/actions/{command}"), json=body, headers=headers)
        assert r.status_code == 200, (command, r.text)
        return r.json()  # type: ignore[no-any-return]

    def upload_attachment(
        self,
        pid: str,
        kind: str = "kak",
        data: bytes | None = None,
        filename: str = "kak.pdf",
        headers: dict[str, str] | None = None,
        document_id: str | None = None,
    ) -> dict[str, Any]:
        """POST /v1/attachments (multipart); a minimal valid one-page PDF unless ``data`` is given."""
        if data is None:
            data = (
                b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\n"
                b"endobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\nendobj\nxref\n0 4\n"
                b"0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n0000000105 00000 n \n"
                b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n"
            )
        form = {"proposal_id": pid, "kind": kind, **({"document_id": document_id} if document_id else {})}

        def upload() -> httpx.Response | None:
            r = self.client.post(
                self.url("documents", "/v1/attachments"),
                data=form,
                files={"file": (filename, data, "application/octet-stream")},
                headers=headers or self.staff,
            )
            # The documents service learns of a new proposal from its proposal.drafted event.
            return None if r.status_code == 404 and r.json() == {"detail": "proposal not found"} else r

        r = wait_for(upload, what="the documents service to know the proposal")
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]


def signing(number: str, place: str = "Padang", **extra: Any) -> dict[str, Any]:
    """The body of a signing step (KB, PKS, NK)."""
    return {
        "number_first": number, "number_second": f"{number}/MITRA", "signed_on": time.strftime("%Y-%m-%d"),
        "signed_place": place, "signatory_name": "Mahyeldi", "signatory_title": "Gubernur Sumatera Barat", **extra,
    }


def wait_for(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.1, what: str = "") -> T:
    """Poll until ``check()`` is truthy (event-driven effects arrive asynchronously): the kit's
    ``eventually_sync`` under the name these tests have always used."""
    return eventually_sync(check, within=timeout, interval=interval, what=what or _name(check))


def _name(check: Callable[..., object]) -> str:
    return getattr(check, "__qualname__", repr(check))


# -- negative checks: wait on a marker, never on a sleep -------------------------------------------

NOTICES = ("proposal.submitted", "proposal.approved", "document.generated")
"""The unit's notices of an approved proposal (its document's among them)."""


def approve_marker(api: Api, title: str = "Usulan penanda") -> str:
    """Approve one more proposal and wait until all its effects exist: its document, its plan
    and the unit's three notices; its id.

    The ordering argument (why a check that something did NOT happen may follow): a relay
    publishes its outbox oldest first, so every event written before the marker's (and any
    copy of one a relay publishes again after a lost PubAck) is in ``JALIN`` before the
    marker's; a pull consumer delivers in stream order, so once a consumer has handled the
    marker it has handled everything before it. The marker passes each consumer these
    effects come from: documents' and evaluation's (``proposal.approved``), notifications'
    (``proposal.submitted``, ``proposal.approved``, and ``document.generated`` from the
    documents service's own outbox, itself after its earlier events)."""
    pid = api.approved_proposal(title=title)["id"]
    wait_for(lambda: api.documents(pid) and api.plans(pid)
             and {m["kind"] for m in api.inbox(pid)} >= set(NOTICES),
             timeout=60, what=f"the marker proposal's effects ({title})")
    return pid


async def _consumers_idle(platform: Platform) -> list[str]:
    """The durables of ``JALIN`` that still have messages to deliver or unacknowledged ones
    (an empty list: none)."""
    nc = await nats.connect(platform.admin_url, inbox_prefix=inbox_of(ADMIN))  # the operator's tool user
    try:
        return [f"{c.name}: {c.num_pending} pending, {c.num_ack_pending} unacknowledged"
                for c in await nc.jetstream().consumers_info(STREAM_NAME) if c.num_pending or c.num_ack_pending]
    finally:
        await nc.close()


def wait_consumers_idle(platform: Platform, timeout: float = 60.0) -> None:
    """Until every durable of ``JALIN`` has nothing left to deliver and nothing unacknowledged.

    What the stream order of ``approve_marker`` does not cover: a message delivered and handled
    whose acknowledgement was lost (a broker restart) is delivered again after its ack wait,
    behind any later message. Once no consumer has an unacknowledged message, the server has
    nothing left to deliver again."""
    last: list[list[str]] = [[]]

    def idle() -> bool:
        last[0] = asyncio.run(_consumers_idle(platform))
        return not last[0]

    try:
        wait_for(idle, timeout=timeout, interval=0.2, what="every consumer of JALIN idle")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last[0]}") from None
