"""Across processes: sumbar offers a KSDD to kukar; kukar accepts; the KB is drafted and
signed; the DPRD's approval (required) is recorded; the PKS is drafted and signed; the
cooperation runs. Both sides see it at every step; a third tenant sees nothing of it."""

from __future__ import annotations

from typing import Any

from jalin_cli.platform import Platform
from jalin_e2e import Api, signing, wait_for


def test_sumbar_offers_a_ksdd_to_kukar_through_to_pelaksanaan(platform: Platform) -> None:
    sumbar = Api(platform, tenant="sumbar", unit="dpupr")
    kukar = Api(platform, tenant="kukar", unit="dishub")
    kaltim = Api(platform, tenant="kaltim", unit="dpupr")
    outsider = kaltim.headers("kerja_sama", "tkksd", "sekda", "kepala_daerah", "auditor")
    kukar_section = kukar.section

    p = sumbar.create(title="Konektivitas Jalan Sumbar-Kukar", ksdd_type="sukarela", unbudgeted=True)
    pid = p["id"]

    def both_see(stage: str) -> dict[str, Any]:
        """Each side sees the cooperation at ``stage``; the third tenant gets 404 and empty lists."""
        ours = sumbar.get("proposals", f"/v1/proposals/{pid}", headers=sumbar.section).json()
        assert ours["stage"] == stage, ours
        if ours["shared_with"] == "kukar":
            theirs = kukar.get("proposals", f"/v1/proposals/{pid}", headers=kukar_section).json()
            assert (theirs["stage"], theirs["owner"]) == (stage, "sumbar")
            ours_history = [h["action"] for h in sumbar.get("proposals", f"/v1/proposals/{pid}/history").json()]
            theirs_history = kukar.get("proposals", f"/v1/proposals/{pid}/history", headers=kukar_section).json()
            assert [h["action"] for h in theirs_history] == ours_history[ours_history.index("approve"):]
        assert kaltim.get("proposals", f"/v1/proposals/{pid}", headers=outsider).status_code == 404
        assert kaltim.get("proposals", f"/v1/proposals/{pid}/history", headers=outsider).status_code == 404
        for service, path in (("proposals", "/v1/agreements"), ("documents", "/v1/documents"),
                              ("documents", "/v1/attachments"), ("notifications", "/v1/inbox"),
                              ("evaluation", "/v1/plans")):
            r = kaltim.get(service, path, headers=outsider, proposal_id=pid)
            assert r.status_code == 200 and r.json() == [], (service, path, r.text[:200])
        assert kaltim.get("proposals", "/v1/proposals", headers=outsider).json() == []
        return ours

    both_see("persiapan")
    assert kukar.get("proposals", f"/v1/proposals/{pid}", headers=kukar_section).status_code == 404  # a draft is ours
    sumbar.submit(pid)
    both_see("penilaian")

    # The offer: approved by sumbar, in kukar's offers, documents and inbox.
    sumbar.approve(pid)
    assert both_see("penawaran")["shared_with"] == "kukar"
    assert pid in [o["id"] for o in kukar.get("proposals", "/v1/offers", headers=kukar_section).json()]
    kb_draft = wait_for(lambda: kukar.get("documents", "/v1/documents", headers=kukar_section, proposal_id=pid).json(),
                        what="the KB draft, shared with kukar")[0]
    assert kukar.get("documents", f"/v1/documents/{kb_draft['id']}/content", headers=kukar_section).status_code == 200
    offer_notice = wait_for(
        lambda: [m for m in kukar.inbox(pid, headers=kukar_section) if m["recipient"] == "kerja_sama"],
        what="the offer in kukar's inbox",
    )[0]
    assert "Penawaran" in offer_notice["title"], offer_notice

    # kukar accepts; sumbar cannot answer for it.
    r = sumbar.client.post(sumbar.url("proposals", f"/v1/proposals/{pid}/actions/accept_offer"), headers=sumbar.section)
    assert r.status_code == 403
    kukar.act(pid, "accept_offer", kukar_section, {"note": "Kukar menerima penawaran."})
    both_see("penyusunan_kb")

    # The KB, drafted and signed (both parties' numbers).
    sumbar.act(pid, "finalize_kb", sumbar.headers("tkksd", unit=None))
    both_see("penandatanganan_kb")
    head = sumbar.headers("kepala_daerah", unit=None)
    sumbar.act(pid, "sign_kb", head, signing("120/KB/SUMBAR/2026", number_second="415/KB/KUKAR/2026"))
    both_see("persetujuan_dprd")

    # The DPRD's approval is required before the PKS.
    r = sumbar.client.post(sumbar.url("proposals", f"/v1/proposals/{pid}/actions/finalize_pks"), headers=sumbar.section)
    assert r.status_code == 409
    decision = sumbar.upload_attachment(pid, kind="dprd_decision", filename="keputusan-dprd.pdf")
    sumbar.act(pid, "record_dprd_approval", sumbar.headers("dprd", unit=None),
               {"decision_number": "7/DPRD/2026", "decision_date": "2026-11-20", "document_id": decision["id"]})
    assert both_see("penyusunan_pks")["dprd_number"] == "7/DPRD/2026"
    assert kukar.get("documents", f"/v1/attachments/{decision['id']}", headers=kukar_section).status_code == 200

    # The PKS, drafted and signed: the cooperation runs.
    sumbar.act(pid, "finalize_pks", sumbar.section)
    both_see("penandatanganan_pks")
    sumbar.act(pid, "sign_pks", head, signing("121/PKS/SUMBAR/2026", number_second="416/PKS/KUKAR/2026"))
    running = both_see("pelaksanaan")
    assert running["status"] == "active" and running["term_end"] is not None

    for side, h in ((sumbar, sumbar.section), (kukar, kukar_section)):
        agreements = side.get("proposals", "/v1/agreements", headers=h, proposal_id=pid).json()
        assert [(a["type"], a["number_second"]) for a in agreements] == [
            ("kb", "415/KB/KUKAR/2026"), ("pks", "416/PKS/KUKAR/2026")]
    history = kukar.get("proposals", f"/v1/proposals/{pid}/history", headers=kukar_section).json()
    assert [h["action"] for h in history] == [  # from the offer on: before it, sumbar's internal steps
        "approve", "accept_offer", "finalize_kb", "sign_kb", "record_dprd_approval",
        "finalize_pks", "sign_pks"]
    assert [h["actor_tenant"] for h in history if h["action"] == "accept_offer"] == ["kukar"]
    # The evaluation plan follows the signed PKS's term.
    wait_for(lambda: [x for x in sumbar.plans(pid) if x["term_end"] == running["term_end"]],
             what="the evaluation plan on the PKS's term")
    assert pid not in [o["id"] for o in kukar.get("proposals", "/v1/offers", headers=kukar_section).json()]
