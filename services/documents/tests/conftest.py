"""What the documents service's tests share.

- Blob stores: the local folder, and S3 on moto's standalone server (a real S3-compatible
  server over HTTP, started here as a process). ``blob_store_kind`` is ``"local"`` unless a
  test parametrizes it (``["local", "s3"]``); ``blobs`` is that store, with its settings and a
  way to list what it holds.
- Events: ``approval`` and ``drafted`` (import them from this module); their envelopes: ``jalin_kit.testing.envelope_for``.
- ``pipeline``: a fresh set of the service's consumers (``build_consumers`` with their own
  ``Deps``) bound to an empty database, to run events through the inbox and the handlers.
- ``started_app``: the app built from settings on a real database and NATS, its lifespan run
  (migrations, consumers, relay); its consumers are ``app.state.runtime.consumers``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from jalin_documents.app import TEMPLATES, build
from jalin_documents.blobs import BlobStore, blob_store
from jalin_documents.deps import Deps
from jalin_documents.handlers import build_consumers
from jalin_documents.settings import DocumentsSettings
from jalin_kit.consumers import EventConsumers
from jalin_kit.db import Database
from jalin_kit.events import CloudEvent, IntegrationEvent, Party, ProposalApproved, ProposalDrafted
from jalin_kit.tenants import DEMO_TENANTS, TenantDirectory
from jalin_kit.testing import envelope_for
from jalin_s3 import create_bucket, moto_server
from obstore.store import S3Store
from sqlmodel import SQLModel, select

S3_KEYS = {"s3_region": "us-east-1", "s3_access_key_id": "testing", "s3_secret_access_key": "testing"}
S3_PREFIX = "jalin/documents"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free port, until the session ends."""
    try:
        with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def blob_store_kind() -> str:
    """Which store the test's app and ``blobs`` use; parametrize it to run both."""
    return "local"


@dataclass
class Blobs:
    """A blob store of the test, the settings naming it, and what it holds."""

    kind: str
    settings: dict[str, Any]
    store: BlobStore
    root: Path | None = None  # local: the folder
    bucket: S3Store | None = None  # s3: the whole bucket, prefix included

    def names(self, contains: str = "") -> list[str]:
        """Every blob as ``<tenant>/<key>``, sorted (the local folder's unfinished temporary
        files excluded); on S3 the objects must all be under the prefix."""
        if self.root is not None:
            found = [p.relative_to(self.root).as_posix() for p in self.root.rglob("*")
                     if p.is_file() and not p.name.startswith(".tmp-")]
        else:
            assert self.bucket is not None
            paths = [m["path"] for batch in self.bucket.list() for m in batch]
            assert all(p.startswith(f"{S3_PREFIX}/") for p in paths), paths
            found = [p.removeprefix(f"{S3_PREFIX}/") for p in paths]
        return sorted(n for n in found if contains in n)

    def temp_files(self) -> list[Path]:
        """The local folder's temporary files (an S3 upload is atomic: it has none)."""
        return [] if self.root is None else list(self.root.rglob(".tmp-*"))


@pytest.fixture
def blobs(blob_store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Blobs:
    if blob_store_kind == "local":
        settings: dict[str, Any] = {"blob_store": "local", "blob_root": tmp_path / "blobs"}
        store = blob_store(DocumentsSettings(environment="test", jwt_secret="blobs", **settings))
        return Blobs("local", settings, store, root=(tmp_path / "blobs").resolve())
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = create_bucket(endpoint)
    settings = {"blob_store": "s3", "s3_bucket": bucket, "s3_endpoint_url": endpoint, "s3_allow_http": True,
                "s3_prefix": S3_PREFIX, **S3_KEYS}
    store = blob_store(DocumentsSettings(environment="test", jwt_secret="blobs", **settings))
    raw = S3Store(bucket, config={"endpoint": endpoint, "region": "us-east-1", "access_key_id": "testing",
                                  "secret_access_key": "testing"}, client_options={"allow_http": True})
    return Blobs("s3", settings, store, bucket=raw)


# -- events ---------------------------------------------------------------------------------


def approval(proposal_id: str, tenant: str = "sumbar", **changes: Any) -> ProposalApproved:
    """An approval of ``tenant``'s proposal with kukar as the partner, not shared unless
    ``shared_with`` says so."""
    fields: dict[str, Any] = {
        "proposal_id": proposal_id,
        "tenant": tenant,
        "title": "Jalan & Jembatan <Tahap 1>",
        "kind": "ksdd",
        "proposer": Party(name="Pemerintah Provinsi Sumatera Barat", tenant=tenant),
        "proposer_unit": "dpupr",
        "partner": Party(name="Pemerintah Kabupaten Kutai Kartanegara", tenant="kukar"),
        "objective": "Meningkatkan konektivitas antarwilayah.",
        "scope": "Pembangunan jalan penghubung.",
        "term_months": 24,
        "financing": "APBD masing-masing pihak.",
        "actor": "kerja-sama-1",
        "occurred_at": datetime(2026, 11, 23, tzinfo=UTC),
        "term_start": date(2026, 11, 23),
        "term_end": date(2028, 11, 23),
    }
    fields.update(changes)
    return ProposalApproved(**fields)


def drafted(proposal_id: str, tenant: str = "sumbar", unit: str | None = "dpupr") -> ProposalDrafted:
    """The proposal's draft: from then on the service accepts files for it."""
    fields = approval(proposal_id, tenant).model_dump(exclude={"term_start", "term_end"})
    return ProposalDrafted(**{**fields, "proposer_unit": unit, "shared_with": None, "stage": "persiapan"})


async def deliver(
    consumers: EventConsumers, event: IntegrationEvent, envelope: CloudEvent | None = None
) -> bool:
    """``event`` through ``consumers``' pipeline (inbox, handler, one transaction), as a
    message from NATS would go; False when its envelope was processed already."""
    reg = consumers.registrations[f"{consumers.service}-{event.aggregate}-{event.event}"]
    return await consumers.process(reg, envelope or envelope_for(event), event)


# -- the consumers on a database --------------------------------------------------------------

TABLES = ("documents", "attachments", "cooperation_parties", "outbox", "processed_events", "dead_letters")


@dataclass
class Pipeline:
    """The service's consumers, with their own dependencies, bound to a fresh database."""

    db: Database
    settings: DocumentsSettings
    deps: Deps
    consumers: EventConsumers
    blobs: Blobs

    async def process(self, envelope: CloudEvent, event: IntegrationEvent) -> bool:
        return await deliver(self.consumers, event, envelope)

    def rebuilt(self, **changes: Any) -> EventConsumers:
        """Another set of consumers on the same database, with ``changes`` to the dependencies."""
        consumers = build_consumers(dataclasses.replace(self.deps, **changes))
        consumers.bind(self.db, self.settings)
        return consumers

    async def rows(self, model: Any) -> list[Any]:
        async with self.db.system_session() as s:
            return list((await s.exec(select(model))).all())

    def blob_files(self) -> list[str]:
        """Every blob in the store, as ``<tenant>/<key>``."""
        return self.blobs.names()


@pytest.fixture
async def pipeline(database_url: str, tmp_path: Path, blobs: Blobs) -> AsyncIterator[Pipeline]:
    """On the local folder; on S3 too where a test parametrizes ``blob_store_kind``."""
    db = Database(database_url)
    await db.create_all([SQLModel.metadata.tables[name] for name in TABLES])
    settings = DocumentsSettings(database_url=database_url, data_dir=tmp_path, environment="development",
                                 **blobs.settings)
    deps = Deps(blobs=blobs.store, templates=TEMPLATES, tenants=TenantDirectory(dict(DEMO_TENANTS)))
    consumers = build_consumers(deps)
    consumers.bind(db, settings)
    try:
        yield Pipeline(db, settings, deps, consumers, blobs)
    finally:
        await db.dispose()


# -- the app ----------------------------------------------------------------------------------

SECRET = "test-secret-for-the-documents-api-0123456789abcdef"
UPLOAD_LIMIT = 200_000


@pytest.fixture
async def started_app(database_url: str, nats_url: str, tmp_path: Path, blobs: Blobs) -> AsyncIterator[FastAPI]:
    """The app on the local folder (on S3 too where a test parametrizes ``blob_store_kind``),
    uploads limited to ``UPLOAD_LIMIT`` bytes, tokens signed with ``SECRET``."""
    settings = DocumentsSettings(
        database_url=database_url,
        nats_url=nats_url,
        jwt_secret=SECRET,
        data_dir=tmp_path,
        **blobs.settings,
        max_upload_bytes=UPLOAD_LIMIT,
        environment="test",
        log_json=False,
        log_level="WARNING",
    )
    app = build(settings)
    async with app.router.lifespan_context(app):
        yield app
