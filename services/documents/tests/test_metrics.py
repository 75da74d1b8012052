"""The service's own figures on its real ``/metrics``: blob-store operations that raised."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from jalin_kit.auth import issue_dev_token
from prometheus_client.parser import text_string_to_metric_families

from services.documents.tests.conftest import SECRET, Blobs, deliver, drafted

SECTION = {"Authorization": f"Bearer {issue_dev_token(SECRET, tenant='sumbar', roles=['kerja_sama'], user='ks')}"}


def blob_errors(exposition: str) -> dict[str, float]:
    """``jalin_blob_errors_total`` by operation."""
    return {
        sample.labels["operation"]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "jalin_blob_errors_total" and sample.labels.get("service") == "documents"
    }


async def test_a_file_missing_from_the_blob_store_is_counted_as_a_blob_error(started_app: FastAPI, blobs: Blobs) -> None:
    consumers = started_app.state.runtime.consumers
    assert await deliver(consumers, drafted("p-metrics"))
    transport = httpx.ASGITransport(app=started_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=SECTION) as client:
        r = await client.post("/v1/attachments", data={"proposal_id": "p-metrics", "kind": "kak"},
                              files={"file": ("kak.pdf", b"%PDF-1.4 kak", "application/pdf")})
        assert r.status_code == 201, r.text
        attachment = r.json()
        assert (await client.get(f"/v1/attachments/{attachment['id']}/content")).status_code == 200
        before = blob_errors((await client.get("/metrics")).text)

        [name] = blobs.names("/p-metrics/att-")  # the file goes missing behind the service's back
        await blobs.store.delete(*name.split("/", 1))
        r = await client.get(f"/v1/attachments/{attachment['id']}/content")
        assert r.status_code == 410 and r.json() == {"detail": "the attachment's file is missing from the blob store"}

        scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert "# TYPE jalin_blob_errors_total counter" in scraped.text
    after = blob_errors(scraped.text)
    assert after.get("open", 0) == before.get("open", 0) + 1
    assert {op: n for op, n in after.items() if op != "open"} == {op: n for op, n in before.items() if op != "open"}
