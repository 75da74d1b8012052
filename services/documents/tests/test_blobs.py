"""The blob store's contract, the same tests for each adapter: the local folder, and S3 on
moto's standalone server (over HTTP, started by the tests as a process)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from typing import TYPE_CHECKING, Any, BinaryIO

import pytest
from jalin_documents.blobs import CHUNK_SIZE, BlobNotFound, LocalBlobStore

if TYPE_CHECKING:
    from conftest import Blobs  # this folder's conftest.py

pytestmark = pytest.mark.parametrize("blob_store_kind", ["local", "s3"])

BIG = 6 * 1024 * 1024 + 12_345  # more than a chunk, and more than one S3 part (5 MiB)


class ReadCounter(io.RawIOBase):
    """A file object that records how much each read asked for and returned."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.reads: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.file.read(len(buffer))
        buffer[: len(data)] = data
        self.reads.append(len(data))
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.reads.append(len(data))
        return data


async def test_put_then_get_returns_the_bytes_and_a_second_put_replaces_them(blobs: Blobs) -> None:
    await blobs.store.put("sumbar", "p-1/kb-1.docx", b"versi pertama")
    assert await blobs.store.get("sumbar", "p-1/kb-1.docx") == b"versi pertama"
    await blobs.store.put_file("sumbar", "p-1/kb-1.docx", io.BytesIO(b"versi kedua"))
    assert await blobs.store.get("sumbar", "p-1/kb-1.docx") == b"versi kedua"
    blob = await blobs.store.open("sumbar", "p-1/kb-1.docx")
    assert blob.size == len(b"versi kedua")
    assert b"".join([c async for c in blob]) == b"versi kedua"
    # A file object is stored from its start, wherever it was left.
    source = io.BytesIO(b"%PDF-1.4 lampiran")
    source.seek(5)
    await blobs.store.put_file("sumbar", "p-1/att-1.pdf", source)
    assert await blobs.store.get("sumbar", "p-1/att-1.pdf") == b"%PDF-1.4 lampiran"
    assert blobs.names() == ["sumbar/p-1/att-1.pdf", "sumbar/p-1/kb-1.docx"]
    # An empty blob is a blob.
    await blobs.store.put("sumbar", "p-1/empty", b"")
    assert await blobs.store.get("sumbar", "p-1/empty") == b""
    assert (await blobs.store.open("sumbar", "p-1/empty")).size == 0


async def test_a_file_larger_than_a_chunk_streams_both_ways_in_pieces(blobs: Blobs) -> None:
    data = os.urandom(BIG)
    with tempfile.TemporaryFile() as spooled:
        spooled.write(data)
        source = ReadCounter(spooled)
        await blobs.store.put_file("sumbar", "p-1/att-besar.pdf", source)  # type: ignore[arg-type]
    # Uploaded in pieces: never one read of the whole file.
    assert sum(source.reads) == BIG and len(source.reads) > 1, source.reads
    assert max(source.reads) <= 5 * 1024 * 1024  # a chunk, or an S3 part, at a time

    blob = await blobs.store.open("sumbar", "p-1/att-besar.pdf")
    assert blob.size == BIG
    sizes, digest = [], hashlib.sha256()
    async for chunk in blob:
        sizes.append(len(chunk))
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest() and sum(sizes) == BIG
    # Downloaded in chunks: the folder's of CHUNK_SIZE; S3's of at least CHUNK_SIZE (but the
    # last), as the network reads arrive (obstore gathers them up to that size).
    if blobs.kind == "local":
        assert set(sizes[:-1]) == {CHUNK_SIZE} and 0 < sizes[-1] <= CHUNK_SIZE, sizes
    else:
        assert min(sizes[:-1]) >= CHUNK_SIZE and max(sizes) <= 2 * 1024 * 1024 and len(sizes) >= 3, sizes


async def test_each_tenant_has_its_own_prefix_and_the_same_key_is_two_blobs(blobs: Blobs) -> None:
    await blobs.store.put("sumbar", "p-1/kb-1.docx", b"milik sumbar")
    await blobs.store.put("kukar", "p-1/kb-1.docx", b"milik kukar")
    assert await blobs.store.get("sumbar", "p-1/kb-1.docx") == b"milik sumbar"
    assert await blobs.store.get("kukar", "p-1/kb-1.docx") == b"milik kukar"
    # Listed from the folder or the bucket itself (S3: below the configured prefix).
    assert blobs.names() == ["kukar/p-1/kb-1.docx", "sumbar/p-1/kb-1.docx"]
    await blobs.store.delete("kukar", "p-1/kb-1.docx")
    assert blobs.names() == ["sumbar/p-1/kb-1.docx"]
    with pytest.raises(BlobNotFound):
        await blobs.store.get("kukar", "p-1/kb-1.docx")
    if isinstance(blobs.store, LocalBlobStore):
        assert (blobs.store.root / "sumbar" / "p-1" / "kb-1.docx").read_bytes() == b"milik sumbar"


UNSAFE = [
    ("sumbar", "../x"),
    ("sumbar", "a/../../b"),
    ("sumbar", "x\n"),
    ("sumbar", ""),
    ("sumbar", ".hidden"),
    ("sumbar", "p-1/.tmp-x"),
    ("sumbar", "a//b"),
    ("sumbar", "/etc/passwd"),
    ("sumbar", "a/"),
    ("sumbar", "a\\..\\b"),
    ("sumbar", "a b"),
    ("..", "x"),
    ("", "x"),
    ("sumbar/kukar", "x"),
    (".sumbar", "x"),
    ("sumbar\n", "x"),
]


@pytest.mark.parametrize(("tenant", "key"), UNSAFE)
async def test_unsafe_tenants_and_keys_are_refused_by_every_operation(blobs: Blobs, tenant: str, key: str) -> None:
    operations = {
        "put": lambda: blobs.store.put(tenant, key, b"x"),
        "put_file": lambda: blobs.store.put_file(tenant, key, io.BytesIO(b"x")),
        "get": lambda: blobs.store.get(tenant, key),
        "open": lambda: blobs.store.open(tenant, key),
        "delete": lambda: blobs.store.delete(tenant, key),
    }
    for name, operation in operations.items():
        with pytest.raises(ValueError, match="unsafe blob key"):
            await operation()
        assert blobs.names() == [] and blobs.temp_files() == [], name


async def test_safe_keys_are_taken_as_they_are(blobs: Blobs) -> None:
    for key in ("a", "A-1_b.c", "p-1/att-x.pdf", "x/y/z/w", "a..b", "9"):
        await blobs.store.put("sumbar-1", key, key.encode())
        assert await blobs.store.get("sumbar-1", key) == key.encode()
    assert len(blobs.names()) == 6


async def test_deleting_a_missing_blob_is_fine(blobs: Blobs) -> None:
    await blobs.store.delete("sumbar", "p-1/never-stored.pdf")
    await blobs.store.put("sumbar", "p-1/att-1.pdf", b"%PDF-")
    await blobs.store.delete("sumbar", "p-1/att-1.pdf")
    await blobs.store.delete("sumbar", "p-1/att-1.pdf")  # twice
    assert blobs.names() == []


async def test_a_missing_blob_is_blob_not_found_naming_it(blobs: Blobs) -> None:
    for read in (blobs.store.get, blobs.store.open):
        with pytest.raises(BlobNotFound, match="no blob sumbar/p-1/none.pdf") as caught:
            await read("sumbar", "p-1/none.pdf")
        assert (caught.value.tenant, caught.value.key) == ("sumbar", "p-1/none.pdf")
        assert isinstance(caught.value, FileNotFoundError)
    # Another tenant's blob is not found either.
    await blobs.store.put("kukar", "p-1/none.pdf", b"%PDF-")
    with pytest.raises(BlobNotFound):
        await blobs.store.open("sumbar", "p-1/none.pdf")


async def test_an_unread_blob_can_be_closed(blobs: Blobs) -> None:
    await blobs.store.put("sumbar", "p-1/att-1.pdf", b"%PDF-")
    blob = await blobs.store.open("sumbar", "p-1/att-1.pdf")
    await blob.aclose()
    # And the blob is still there to be opened again.
    assert await blobs.store.get("sumbar", "p-1/att-1.pdf") == b"%PDF-"
