"""Attachments over HTTP, in-process, on a real database and a real NATS: type and size
limits, tenant isolation, sharing with the partner region, and the signed scan that locks
a generated document.

Each test builds the app and runs its lifespan (migrations, NATS, outbox relay:
``started_app`` of conftest.py); the approval that renders a KB draft goes through the app's
own consumers (inbox, handler, outbox) exactly as a message from NATS would.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import struct
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from fastapi import FastAPI
from jalin_documents import attachments as attachments_module
from jalin_documents.models import Attachment, CooperationParty, Document
from jalin_kit.auth import issue_dev_token
from jalin_kit.consumers import EventConsumers
from jalin_kit.events import DocumentLocked, Party, ProposalApproved
from jalin_kit.inbox import ProcessedEvent
from jalin_kit.outbox import OutboxMessage
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import UnknownTenant
from sqlmodel import select

from services.documents.tests.conftest import (
    SECRET,
    UPLOAD_LIMIT,
    Blobs,
    approval,
    deliver,
    drafted,
    envelope_for,
)

LIMIT = UPLOAD_LIMIT
CONSUMER = "documents-proposal-approved"
LOCKED_TYPE = "id.jalin.document.locked.v1"
ALL_ROLES = ("opd_staff", "opd_head", "kerja_sama", "tkksd", "sekda", "kepala_daerah", "dprd", "auditor")


def headers(tenant: str, *roles: str, unit: str | None = None) -> dict[str, str]:
    tok = issue_dev_token(SECRET, tenant=tenant, roles=list(roles), user=f"{tenant}-{roles[0]}", unit=unit)
    return {"Authorization": f"Bearer {tok}"}


UNIT = "dpupr"  # the proposals' unit (OPD)
OWNER = headers("sumbar", "opd_staff", unit=UNIT)
OTHER_UNIT = headers("sumbar", "opd_staff", unit="dinkes")  # another OPD of the same region
NO_UNIT = headers("sumbar", "opd_head")  # an OPD's head whose token names no unit
OWNER_SECTION = headers("sumbar", "kerja_sama")
AUDITOR = headers("sumbar", "auditor")
PARTNER = headers("kukar", "kerja_sama")
THIRD = headers("kaltim", *ALL_ROLES)  # a region outside the cooperation, with every role


# -- sample files, made here ----------------------------------------------------------------


def pdf() -> bytes:
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def word() -> bytes:
    document = docx.Document()
    document.add_paragraph("Kerangka Acuan Kerja")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zipped(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in names.items():
            z.writestr(name, data)
    return out.getvalue()


PDF = pdf()


# -- the app ------------------------------------------------------------------------------


def approved(proposal_id: str, partner: str | None = "kukar") -> ProposalApproved:
    """sumbar's approval, shared with ``partner`` (None: a partner outside Jalin)."""
    return approval(proposal_id, partner=Party(name="Mitra", tenant=partner), shared_with=partner)


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    blobs: Blobs

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.runtime  # type: ignore[no-any-return]

    @property
    def consumers(self) -> EventConsumers:
        """This app's consumers (the runtime's): an event goes through them as from NATS."""
        assert self.runtime.consumers is not None
        return self.runtime.consumers

    async def upload(
        self,
        pid: str,
        kind: str = "kak",
        data: bytes = PDF,
        filename: str = "kak.pdf",
        as_: dict[str, str] = OWNER,
        document_id: str | None = None,
        content_type: str = "application/pdf",
        **fields: str,
    ) -> httpx.Response:
        form = {"proposal_id": pid, "kind": kind, **fields}
        if document_id is not None:
            form["document_id"] = document_id
        return await self.client.post(
            "/v1/attachments", data=form, files={"file": (filename, data, content_type)}, headers=as_
        )

    async def uploaded(self, pid: str, **kwargs: Any) -> dict[str, Any]:
        r = await self.upload(pid, **kwargs)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def drafted(self, unit: str | None = UNIT) -> str:
        """A proposal of sumbar's ``unit`` the service has heard of (``proposal.drafted``)."""
        pid = new_pid()
        assert await deliver(self.consumers, drafted(pid, unit=unit))
        return pid

    async def approve(self, pid: str, partner: str | None = "kukar", event_id: str | None = None) -> bool:
        event = approved(pid, partner=partner)
        return await deliver(self.consumers, event, envelope_for(event, event_id))

    async def kb(self, pid: str, as_: dict[str, str] = OWNER) -> list[dict[str, Any]]:
        r = await self.client.get("/v1/documents", params={"proposal_id": pid}, headers=as_)
        assert r.status_code == 200, r.text
        return sorted(r.json(), key=lambda d: d["version"])  # type: ignore[no-any-return]

    async def listed(self, pid: str, as_: dict[str, str] = OWNER) -> list[dict[str, Any]]:
        r = await self.client.get("/v1/attachments", params={"proposal_id": pid}, headers=as_)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def rows(self, model: Any, pid: str | None = None) -> list[Any]:
        async with self.runtime.db.system_session() as s:
            query = select(model)
            if pid is not None:
                query = query.where(model.proposal_id == pid)
            return list((await s.exec(query)).all())

    async def outbox(self, ce_type: str) -> list[OutboxMessage]:
        async with self.runtime.db.system_session() as s:
            rows = (await s.exec(select(OutboxMessage).where(OutboxMessage.type == ce_type))).all()
        # The events themselves; a shared cooperation's copy for the partner is on its subjects.
        return [r for r in rows if ".shared." not in r.subject]

    async def copies(self, ce_type: str) -> list[OutboxMessage]:
        async with self.runtime.db.system_session() as s:
            rows = (await s.exec(select(OutboxMessage).where(OutboxMessage.type == ce_type))).all()
        return [r for r in rows if ".shared." in r.subject]

    def attachment_files(self, pid: str) -> list[str]:
        """The proposal's attachment blobs in the store, as ``<tenant>/<proposal>/att-...``."""
        return self.blobs.names(f"/{pid}/att-")

    def temp_files(self) -> list[Path]:
        return self.blobs.temp_files()


@pytest.fixture
async def api(started_app: FastAPI, blobs: Blobs) -> AsyncIterator[Api]:
    """The app on the local folder; on S3 too where a test parametrizes ``blob_store_kind``."""
    transport = httpx.ASGITransport(app=started_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield Api(client, started_app, blobs)


def new_pid() -> str:
    return str(uuid.uuid4())


# -- types and limits -----------------------------------------------------------------------


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_each_allowed_type_is_told_by_its_bytes_not_its_name(api: Api) -> None:
    pid = await api.drafted()
    cases = [  # (bytes, client's name, client's content type, expected media type, stored name)
        (PDF, "KAK final.pdf", "application/octet-stream", "application/pdf", "KAK final.pdf"),
        (word(), "studi.docx", "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "studi.docx"),
        (png(), "scan.pdf", "application/pdf", "image/png", "scan.pdf.png"),
        (jpeg(), "foto.JPG", "image/png", "image/jpeg", "foto.JPG"),
    ]
    for data, name, declared, media_type, stored in cases:
        body = await api.uploaded(pid, data=data, filename=name, content_type=declared, title="Lampiran \t\n 1")
        assert (body["media_type"], body["filename"]) == (media_type, stored), name
        assert (body["size"], body["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert (body["tenant"], body["uploaded_by"], body["kind"], body["locked"]) == ("sumbar", "sumbar-opd_staff", "kak", False)
        assert body["title"] == "Lampiran 1"
        got = await api.client.get(f"/v1/attachments/{body['id']}/content", headers=AUDITOR)  # every role reads
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == media_type
        assert got.headers["x-content-type-options"] == "nosniff"
    assert len(api.attachment_files(pid)) == 4
    assert [a["filename"] for a in await api.listed(pid)] == [c[4] for c in reversed(cases)]  # newest first
    # The title is taken as sent, as the schema says: no control characters, no blanks at the ends.
    for title, words in (("  Lampiran 1", "whitespace"), ("Lampiran\x00 1", "control characters")):
        r = await api.upload(pid, data=PDF, filename="a.pdf", content_type="application/pdf", title=title)
        assert r.status_code == 422 and words in r.json()["errors"][0]["message"], r.text
    assert len(api.attachment_files(pid)) == 4


def multipart(fields: dict[str, str], filename_header: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so the file name arrives exactly as a hostile client sends it."""
    boundary = "jalin-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename_header}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def test_file_name_is_sanitised_for_storage_and_content_disposition(api: Api) -> None:
    pid = await api.drafted()
    # In the header: ..\..\etc/Surat "Kesepakatan";<RTL override> ü<BEL>.pdf
    hostile = r'..\\..\\etc/Surat \"Kesepakatan\";' + "\u202e \u00fc\x07.pdf"
    body, content_type = multipart({"proposal_id": pid, "kind": "kak"}, hostile, PDF)
    r = await api.client.post("/v1/attachments", content=body, headers={**OWNER, "Content-Type": content_type})
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == 'Surat "Kesepakatan"; \u00fc.pdf'
    got = await api.client.get(f"/v1/attachments/{r.json()['id']}/content", headers=OWNER)
    assert got.headers["content-disposition"] == (
        'attachment; filename="Surat _Kesepakatan__ _.pdf"; '
        "filename*=UTF-8''Surat%20%22Kesepakatan%22%3B%20%C3%BC.pdf"
    )
    nameless = await api.uploaded(pid, kind="letter", filename="...")
    assert nameless["filename"] == "letter.pdf"
    hidden = await api.uploaded(pid, kind="other", data=png(), filename=".bashrc")
    assert hidden["filename"] == "bashrc.png"


async def test_disguised_and_unsupported_files_are_refused_and_nothing_is_stored(api: Api) -> None:
    pid = await api.drafted()
    refused = [
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "kak.pdf", 415, "not PDF, DOCX, PNG or JPEG"),  # a Windows program
        (b"Ini hanya teks biasa, bukan PDF.\n", "kak.pdf", 415, "read from the bytes, not the name"),
        (b"<html><script>alert(1)</script></html>", "kak.png", 415, "not PDF, DOCX, PNG or JPEG"),
        (zipped({"readme.txt": b"hello"}), "kak.docx", 415, "not a Word document"),
        (b"PK\x03\x04 not really a zip", "kak.docx", 415, "damaged zip"),
        (zipped({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}), "kak.docx", 415, "macro-enabled"),
        (b"", "kak.pdf", 422, "the file is empty"),
    ]
    for data, name, code, words in refused:
        r = await api.upload(pid, data=data, filename=name)
        assert r.status_code == code, (name, r.text)
        assert words in r.json()["detail"], r.json()
    r = await api.upload(pid, kind="signed_scan", data=word(), filename="ttd.docx", document_id=new_pid())
    assert r.status_code == 415 and r.json()["detail"] == "a signed scan must be a PDF, PNG or JPEG"
    assert await api.rows(Attachment, pid) == []
    assert api.attachment_files(pid) == [] and api.temp_files() == []


async def test_oversize_uploads_are_413_without_storing_anything(api: Api) -> None:
    pid = await api.drafted()
    # Declared length far over the limit: refused before the body is read.
    r = await api.upload(pid, data=b"%PDF-" + b"0" * (LIMIT + 100_000))
    assert r.status_code == 413
    assert r.json() == {"detail": f"the file is larger than the upload limit of {LIMIT} bytes"}
    # Within the multipart allowance but one byte over the file limit: refused after counting.
    r = await api.upload(pid, data=b"%PDF-" + b"0" * (LIMIT - 4))
    assert r.status_code == 413 and "upload limit" in r.json()["detail"]
    ok = await api.upload(pid, data=b"%PDF-" + b"0" * (LIMIT - 5))
    assert ok.status_code == 201, ok.text

    # A chunked body with no Content-Length is counted as it streams.
    boundary = "jalin-boundary"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"proposal_id\"\r\n\r\n{pid}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nkak\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n%PDF-"
    ).encode()
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head
        for _ in range(100):  # 6.4 MB offered; the service must stop long before
            sent += 64 * 1024
            yield b"0" * (64 * 1024)

    r = await api.client.post(
        "/v1/attachments", content=endless(), headers={**OWNER, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert r.status_code == 413 and "upload limit" in r.json()["detail"]
    assert sent < 2 * LIMIT
    assert [a.id for a in await api.rows(Attachment, pid)] == [ok.json()["id"]]
    assert len(api.attachment_files(pid)) == 1 and api.temp_files() == []


async def test_who_may_upload_and_the_errors_they_get(api: Api) -> None:
    pid = await api.drafted()
    r = await api.upload(pid, as_=AUDITOR)
    assert r.status_code == 403 and "attachment.upload needs one of the roles" in r.json()["detail"]
    assert "auditor" not in r.json()["detail"]
    for platform in (headers("platform", "platform_admin"), headers("sumbar", "platform_admin")):
        assert (await api.upload(pid, as_=platform)).status_code == 403
    r = await api.upload(pid, as_={})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"

    # Refused before the body is read: a caller who may not upload cannot make the service spool it.
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(10):
            pulled += 1
            yield b"x" * 1024

    for who in (AUDITOR, {}):
        r = await api.client.post(
            "/v1/attachments", content=body(), headers={**who, "Content-Type": "multipart/form-data; boundary=b"}
        )
        assert r.status_code in (401, 403)
    assert pulled == 0
    forged = {"Authorization": "Bearer " + issue_dev_token("x" * 48, tenant="sumbar", roles=["opd_staff"], user="u")}
    assert (await api.upload(pid, as_=forged)).status_code == 401
    for role in ("opd_head", "kerja_sama", "tkksd", "sekda", "kepala_daerah", "dprd"):
        unit = UNIT if role == "opd_head" else None  # an OPD acts for its unit's proposals
        assert (await api.upload(pid, as_=headers("sumbar", role, unit=unit))).status_code == 201, role

    bad = [
        ({"proposal_id": "../../etc", "kind": "kak"}, "proposal_id"),
        ({"proposal_id": pid, "kind": "surat_cinta"}, "kind"),
        ({"kind": "kak"}, "proposal_id"),
        ({"proposal_id": pid, "kind": "kak", "tenant": "kukar"}, "tenant"),  # the form takes its fields only
    ]
    for form, field in bad:
        r = await api.client.post("/v1/attachments", data=form, files={"file": ("k.pdf", PDF)}, headers=OWNER)
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == "invalid request" and [e["field"] for e in r.json()["errors"]] == [field]
    r = await api.client.post("/v1/attachments", data={"proposal_id": pid, "kind": "kak"}, headers=OWNER)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["file"]
    r = await api.upload(pid, kind="signed_scan")
    assert r.status_code == 422 and "needs document_id" in r.json()["detail"]
    assert len(await api.rows(Attachment, pid)) == 6


# -- isolation and sharing ------------------------------------------------------------------


async def test_another_tenant_gets_404_on_every_attachment_route_and_changes_nothing(api: Api) -> None:
    pid = await api.drafted()
    await api.approve(pid)
    [doc] = await api.kb(pid)
    att = await api.uploaded(pid)
    for method, path in (
        ("GET", f"/v1/attachments/{att['id']}"),
        ("GET", f"/v1/attachments/{att['id']}/content"),
        ("DELETE", f"/v1/attachments/{att['id']}"),
        ("GET", f"/v1/documents/{doc['id']}"),
        ("GET", f"/v1/documents/{doc['id']}/content"),
    ):
        r = await api.client.request(method, path, headers=THIRD)
        assert r.status_code == 404, (method, path, r.text)
        assert "sumbar" not in r.text
    assert await api.listed(pid, as_=THIRD) == []
    assert await api.kb(pid, as_=THIRD) == []
    r = await api.upload(pid, kind="signed_scan", document_id=doc["id"], as_=THIRD)
    assert r.status_code == 404 and r.json() == {"detail": "proposal not found"}  # not its proposal at all
    r = await api.upload(pid, kind="letter", document_id=doc["id"], as_=THIRD)
    assert r.status_code == 404

    # Nothing of sumbar's changed, and the third region stored nothing.
    assert [a["id"] for a in await api.listed(pid)] == [att["id"]]
    assert (await api.kb(pid))[0]["locked_at"] is None
    assert [a.tenant_id for a in await api.rows(Attachment, pid)] == ["sumbar"]
    assert len(api.attachment_files(pid)) == 1


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_the_partner_region_reads_the_cooperation_and_a_third_region_sees_nothing(api: Api) -> None:
    pid = await api.drafted()
    before = await api.uploaded(pid, kind="kak")  # uploaded before approval: sumbar's alone for now
    assert await api.listed(pid, as_=PARTNER) == []

    assert await api.approve(pid) is True
    [doc] = await api.kb(pid, as_=PARTNER)
    assert doc["kind"] == "kb"
    content = await api.client.get(f"/v1/documents/{doc['id']}/content", headers=PARTNER)
    assert content.status_code == 200 and hashlib.sha256(content.content).hexdigest() == doc["sha256"]
    assert [a["id"] for a in await api.listed(pid, as_=PARTNER)] == [before["id"]]  # shared at approval
    got = await api.client.get(f"/v1/attachments/{before['id']}/content", headers=PARTNER)
    assert got.status_code == 200 and got.content == PDF

    # The partner's own upload is the partner's, shared back with the owner.
    letter = await api.uploaded(pid, kind="letter", filename="surat-balasan.pdf", as_=PARTNER, document_id=doc["id"])
    assert (letter["tenant"], letter["uploaded_by"], letter["document_id"]) == ("kukar", "kukar-kerja_sama", doc["id"])
    assert {a["id"] for a in await api.listed(pid, as_=OWNER_SECTION)} == {before["id"], letter["id"]}
    owner_view = await api.client.get(f"/v1/attachments/{letter['id']}/content", headers=OWNER_SECTION)
    assert owner_view.status_code == 200
    # The unit rule: the OPD sees its own region's files of its cooperation; the partner's are its section's.
    assert {a["id"] for a in await api.listed(pid)} == {before["id"]}
    assert (await api.client.get(f"/v1/attachments/{letter['id']}", headers=OWNER)).status_code == 404
    stored = {a.id: (a.tenant_id, a.shared_with) for a in await api.rows(Attachment, pid)}
    assert stored == {before["id"]: ("sumbar", "kukar"), letter["id"]: ("kukar", "sumbar")}
    # Each region's files sit in its own folder of the blob store.
    assert api.attachment_files(pid) == [f"kukar/{pid}/att-{letter['id']}.pdf", f"sumbar/{pid}/att-{before['id']}.pdf"]

    # A third region sees none of it.
    assert await api.listed(pid, as_=THIRD) == [] and await api.kb(pid, as_=THIRD) == []
    for att in (before, letter):
        assert (await api.client.get(f"/v1/attachments/{att['id']}", headers=THIRD)).status_code == 404

    # Each side deletes only its own uploads.
    r = await api.client.delete(f"/v1/attachments/{before['id']}", headers=PARTNER)
    assert r.status_code == 403 and r.json()["detail"] == "only the region that uploaded an attachment may delete it"
    assert (await api.client.delete(f"/v1/attachments/{letter['id']}", headers=OWNER_SECTION)).status_code == 403
    assert (await api.client.delete(f"/v1/attachments/{letter['id']}", headers=PARTNER)).status_code == 204
    assert [a["id"] for a in await api.listed(pid, as_=PARTNER)] == [before["id"]]
    assert api.attachment_files(pid) == [f"sumbar/{pid}/att-{before['id']}.pdf"]


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_files_are_streamed_from_the_store_and_one_missing_there_is_410(api: Api) -> None:
    pid = await api.drafted()
    await api.approve(pid)
    [doc] = await api.kb(pid)
    att = await api.uploaded(pid, data=png(), filename="denah.png")
    routes = {"document": f"/v1/documents/{doc['id']}/content", "attachment": f"/v1/attachments/{att['id']}/content"}
    for what, path in routes.items():
        r = await api.client.get(path, headers=OWNER)
        assert r.status_code == 200, r.text
        assert r.headers["content-length"] == str(len(r.content)) == str((doc if what == "document" else att)["size"])
        assert r.headers["etag"] == f'"{hashlib.sha256(r.content).hexdigest()}"'
    assert (await api.client.get(routes["attachment"], headers=OWNER)).content == png()
    # The rows stay, their files are gone (removed behind the service's back).
    [document], [attachment] = await api.rows(Document, pid), await api.rows(Attachment, pid)
    await api.blobs.store.delete("sumbar", document.blob_key)
    await api.blobs.store.delete("sumbar", attachment.blob_key)
    for what, path in routes.items():
        r = await api.client.get(path, headers=OWNER)
        assert r.status_code == 410 and r.json() == {"detail": f"the {what}'s file is missing from the blob store"}


async def test_files_go_only_to_a_proposal_the_service_knows_and_the_caller_sees(api: Api) -> None:
    """Not to a proposal nobody drafted, nor to one of another region (not yet offered to
    it), nor to one of another unit: each is 404, and nothing is stored."""
    unknown = new_pid()
    pid = await api.drafted()
    for proposal, who in ((unknown, OWNER), (unknown, OWNER_SECTION), (pid, PARTNER), (pid, OTHER_UNIT), (pid, NO_UNIT)):
        r = await api.upload(proposal, as_=who)
        assert r.status_code == 404 and r.json() == {"detail": "proposal not found"}, r.text
    assert await api.rows(Attachment, unknown) == [] and await api.rows(Attachment, pid) == []
    assert api.attachment_files(unknown) == [] and api.attachment_files(pid) == [] and api.temp_files() == []
    mine = await api.uploaded(pid)  # its own unit's: taken, and marked with the unit
    assert [(a.tenant_id, a.unit) for a in await api.rows(Attachment, pid)] == [("sumbar", UNIT)]
    assert await api.listed(pid, as_=OTHER_UNIT) == [] and await api.listed(pid, as_=NO_UNIT) == []
    assert (await api.client.get(f"/v1/attachments/{mine['id']}", headers=OTHER_UNIT)).status_code == 404
    assert [a["id"] for a in await api.listed(pid, as_=OWNER_SECTION)] == [mine["id"]]  # the section sees all


async def test_a_partner_that_is_not_a_tenant_shares_nothing(api: Api) -> None:
    for partner in (None, "sumbar"):  # a third party (not on Jalin), the owner itself
        pid = await api.drafted()
        await api.uploaded(pid)
        await api.approve(pid, partner=partner)
        assert len(await api.kb(pid)) == 1
        assert await api.kb(pid, as_=PARTNER) == [] and await api.listed(pid, as_=PARTNER) == []
        [parties] = await api.rows(CooperationParty, pid)
        assert (parties.tenant_id, parties.shared_with) == ("sumbar", None)


async def test_a_partner_region_this_copy_does_not_know_yet_is_waited_for(api: Api) -> None:
    """Shared only with a region of the owner's registry: one missing from this service's copy
    means the copy lags; the approval is retried (here: raised), nothing is rendered or shared."""
    pid = await api.drafted()
    with pytest.raises(UnknownTenant, match="not-on-jalin"):
        await api.approve(pid, partner="not-on-jalin")
    assert await api.kb(pid, as_=OWNER_SECTION) == []
    [party] = await api.rows(CooperationParty, pid)
    assert party.shared_with is None


async def test_approval_again_is_idempotent_and_keeps_sharing(api: Api) -> None:
    pid = await api.drafted()
    event_id = str(uuid.uuid4())
    assert await api.approve(pid, event_id=event_id) is True
    assert await api.approve(pid, event_id=event_id) is False  # the same message redelivered
    assert await api.approve(pid) is True  # approved again after a revision: version 2
    assert [d["version"] for d in await api.kb(pid, as_=PARTNER)] == [1, 2]
    parties = await api.rows(CooperationParty, pid)
    assert [(p.tenant_id, p.shared_with) for p in parties] == [("sumbar", "kukar")]
    assert {d.shared_with for d in await api.rows(Document, pid)} == {"kukar"}

    letter = await api.uploaded(pid, kind="letter", as_=PARTNER)

    # Approved once more with a partner outside Jalin: sumbar's rows stop being shared;
    # the handler's session reaches sumbar's rows only, so kukar's own upload is untouched.
    await api.approve(pid, partner=None)
    assert await api.kb(pid, as_=PARTNER) == []
    assert [(p.tenant_id, p.shared_with) for p in await api.rows(CooperationParty, pid)] == [("sumbar", None)]
    assert [(a.id, a.tenant_id, a.shared_with) for a in await api.rows(Attachment, pid)] == [(letter["id"], "kukar", "sumbar")]


# -- the signed scan locks -------------------------------------------------------------------


async def test_signed_scan_locks_the_document_and_what_came_before(api: Api) -> None:
    pid = await api.drafted()
    kak = await api.uploaded(pid, kind="kak")
    await api.approve(pid)
    [doc] = await api.kb(pid)
    partner_letter = await api.uploaded(pid, kind="letter", as_=PARTNER)

    scan = await api.uploaded(pid, kind="signed_scan", data=png(), filename="kb-ttd.png", as_=OWNER_SECTION,
                              document_id=doc["id"])
    assert (scan["kind"], scan["media_type"], scan["locked"], scan["document_id"]) == ("signed_scan", "image/png", True, doc["id"])
    [locked] = await api.kb(pid, as_=PARTNER)
    assert locked["locked_by"] == "sumbar-kerja_sama" and locked["locked_by_attachment_id"] == scan["id"]
    assert locked["locked_at"] is not None

    # One document.locked event in the outbox, committed with the lock.
    events = [DocumentLocked.model_validate_json(r.data) for r in await api.outbox(LOCKED_TYPE)]
    mine = [e for e in events if e.proposal_id == pid]
    assert len(mine) == 1
    event = mine[0]
    assert (event.document_id, event.tenant, event.kind, event.version) == (doc["id"], "sumbar", "kb", 1)
    assert (event.attachment_id, event.scan_sha256, event.partner_tenant) == (scan["id"], scan["sha256"], "kukar")
    [row] = [r for r in await api.outbox(LOCKED_TYPE) if DocumentLocked.model_validate_json(r.data).proposal_id == pid]
    assert (row.subject, row.tenant_id, row.correlation_id) == ("jalin.sumbar.document.locked", "sumbar", pid)
    [copy] = [r for r in await api.copies(LOCKED_TYPE) if r.correlation_id == pid]
    assert (copy.subject, copy.data) == ("jalin.kukar.shared.sumbar.document.locked", row.data)

    # A second scan: 409, and its file is not kept.
    files = api.attachment_files(pid)
    r = await api.upload(pid, kind="signed_scan", document_id=doc["id"], as_=OWNER_SECTION)
    assert r.status_code == 409 and "already locked" in r.json()["detail"]
    assert api.attachment_files(pid) == files

    # What was uploaded before the lock is kept, by either side; the scan too.
    for att, who in ((kak, OWNER), (partner_letter, PARTNER), (scan, OWNER_SECTION)):
        r = await api.client.delete(f"/v1/attachments/{att['id']}", headers=who)
        assert r.status_code == 409, r.text
    everything = await api.listed(pid, as_=OWNER_SECTION)
    assert {a["id"]: a["locked"] for a in everything} == {kak["id"]: True, partner_letter["id"]: True, scan["id"]: True}

    # No new KB version once the KB is signed; the approval is still acked and recorded.
    assert await api.approve(pid) is True
    assert [d["version"] for d in await api.kb(pid)] == [1]
    assert len(api.blobs.names(f"sumbar/{pid}/kb-")) == 1
    assert len([p for p in await api.rows(ProcessedEvent) if p.consumer == CONSUMER]) >= 2

    # Something uploaded after the lock (e.g. a monev letter) may still be withdrawn.
    later = await api.uploaded(pid, kind="letter")
    assert later["locked"] is False
    assert (await api.client.delete(f"/v1/attachments/{later['id']}", headers=OWNER)).status_code == 204


async def test_only_the_owner_locks_and_only_a_document_of_that_proposal(api: Api) -> None:
    pid, other = await api.drafted(), await api.drafted()
    await api.approve(pid)
    await api.approve(other)
    [doc] = await api.kb(pid)
    r = await api.upload(pid, kind="signed_scan", document_id=doc["id"], as_=PARTNER)  # the partner sees it, may not lock it
    assert r.status_code == 404 and r.json() == {"detail": "document not found"}
    r = await api.upload(other, kind="signed_scan", document_id=doc["id"])
    assert r.status_code == 422 and "belongs to another proposal" in r.json()["detail"]
    r = await api.upload(pid, kind="signed_scan", document_id=new_pid())
    assert r.status_code == 404
    assert (await api.kb(pid))[0]["locked_at"] is None
    assert await api.rows(Attachment, pid) == [] and api.attachment_files(pid) == []


async def test_concurrent_signed_scans_one_wins_and_the_loser_leaves_nothing(api: Api) -> None:
    pid = await api.drafted()
    await api.approve(pid)
    [doc] = await api.kb(pid)
    results = await asyncio.gather(
        *(api.upload(pid, kind="signed_scan", document_id=doc["id"], as_=OWNER_SECTION) for _ in range(3))
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409]
    assert len(await api.rows(Attachment, pid)) == 1
    assert len(api.attachment_files(pid)) == 1
    assert len([r for r in await api.outbox(LOCKED_TYPE) if DocumentLocked.model_validate_json(r.data).proposal_id == pid]) == 1


@pytest.mark.parametrize("blob_store_kind", ["local", "s3"])
async def test_a_failed_database_write_removes_the_stored_file(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = await api.drafted()
    await api.approve(pid)
    [doc] = await api.kb(pid)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the outbox write failed")

    monkeypatch.setattr(attachments_module, "record_event", broken)
    r = await api.upload(pid, kind="signed_scan", document_id=doc["id"], as_=OWNER_SECTION)
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    assert await api.rows(Attachment, pid) == []
    assert api.attachment_files(pid) == [] and api.temp_files() == []
    assert (await api.kb(pid))[0]["locked_at"] is None
