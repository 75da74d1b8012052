"""Acceptance: an approval in one service becomes a document, notices and a plan in three others."""

from __future__ import annotations

import io

from docx import Document as Docx

from jalin_cli.platform import Platform
from jalin_e2e import Api, CollectingSMTP, wait_for


def docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_approval_yields_document_notices_email_and_plan(
    api: Api, platform: Platform, smtp: CollectingSMTP
) -> None:
    proposal = api.create()
    assert proposal["status"] == "draft"
    api.submit(proposal["id"])
    approved = api.approve(proposal["id"])
    assert approved["status"] == "approved"
    pid = proposal["id"]

    docs = wait_for(lambda: api.documents(pid), what="the KB draft")
    assert len(docs) == 1
    doc = docs[0]
    assert (doc["kind"], doc["version"]) == ("kb", 1)
    content = api.get("documents", f"/v1/documents/{doc['id']}/content")
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = docx_text(content.content)
    assert "Jalan & Jembatan <Tahap 1>" in text  # autoescaped, not broken
    assert "Pemerintah Provinsi Sumatera Barat" in text
    assert "Pemerintah Kabupaten Kutai Kartanegara" in text
    assert "24 (dua puluh empat) bulan" in text
    import hashlib

    assert hashlib.sha256(content.content).hexdigest() == doc["sha256"]

    # The proposing unit's inbox: submitted, approved, then the document.
    inbox = wait_for(
        lambda: [m for m in api.inbox(pid) if m["kind"] == "document.generated"] and api.inbox(pid),
        what="inbox messages for the unit",
    )
    kinds = sorted(m["kind"] for m in inbox)
    assert kinds == ["document.generated", "proposal.approved", "proposal.submitted"]
    assert all(m["recipient"] == "dinkes" for m in inbox)
    approved_msg = next(m for m in inbox if m["kind"] == "proposal.approved")
    assert approved_msg["title"].startswith("Usulan disetujui")
    english = api.get("notifications", f"/v1/inbox/{approved_msg['id']}", lang="en").json()
    assert english["title"].startswith("Proposal approved")

    # The cooperation section sees its own messages, not the unit's.
    section_inbox = api.inbox(pid, headers=api.section)
    assert section_inbox and all(m["recipient"] == "kerja_sama" for m in section_inbox)

    # Email through a real SMTP server.
    def mails_for_proposal() -> list[object]:
        return [m for m in smtp.messages if "Jalan & Jembatan" in str(m["Subject"])
                and "disetujui" in str(m["Subject"]) and m["To"] == "dinkes@sumbarprov.example.id"]

    mails = wait_for(mails_for_proposal, what="the approval email to the unit")
    body = mails[0].get_content()  # type: ignore[attr-defined]
    assert "telah disetujui" in body and "[English]" in body

    plans = wait_for(lambda: api.plans(pid), what="the evaluation plan")
    assert len(plans) == 1
    plan = plans[0]
    assert plan["term_start"] == approved["term_start"] and plan["term_end"] == approved["term_end"]
    assert len(plan["rounds"]) >= 4  # twice per budget year over 24 months
    assert [r["days_before_end"] for r in plan["reminders"]] == [90, 60, 30, 7, 0]

    # Mark read.
    read = api.client.post(api.url("notifications", f"/v1/inbox/{approved_msg['id']}/read"), headers=api.staff)
    assert read.status_code == 200 and read.json()["read_at"] is not None


def test_bad_input_gets_clear_4xx_not_500(api: Api) -> None:
    r = api.client.post(api.url("proposals", "/v1/proposals"), json={"title": "x"}, headers=api.staff)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"title", "kind", "partner", "objective", "scope", "term_months", "financing"} <= fields
    r = api.client.post(api.url("proposals", "/v1/proposals"), content=b"{not json", headers={
        **api.staff, "content-type": "application/json"})
    assert r.status_code == 422
    r = api.client.post(api.url("proposals", "/v1/proposals/nope/approve"), headers=api.section)
    assert r.status_code == 404
    r = api.client.get(api.url("documents", "/v1/documents"), params={"limit": 0}, headers=api.staff)
    assert r.status_code == 422
    r = api.client.get(api.url("evaluation", "/v1/plans"))
    assert r.status_code == 401
