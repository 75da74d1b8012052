"""(a) 200 proposals approved while the documents service is SIGKILLed twice and
restarted: exactly one document per proposal."""

from __future__ import annotations

from collections import Counter

from jalin_e2e import Api, approve_marker, wait_consumers_idle, wait_for

from jalin_cli.platform import Platform

N = 200


def test_exactly_one_document_per_proposal_across_two_kills(own_platform: Platform) -> None:
    api = Api(own_platform)
    ids = []
    for i in range(N):
        p = api.create(title=f"Usulan kerja sama nomor {i}")
        api.submit(p["id"])
        ids.append(p["id"])

    documents = own_platform.services["documents"]
    for i, pid in enumerate(ids):
        api.approve(pid)  # every approval succeeds whatever documents is doing
        if i in (50, 130):
            documents.kill()
        if i in (90, 170):
            documents.start()
            documents.wait_ready()

    def counts() -> Counter[str]:
        rows = api.get("documents", "/v1/documents", limit=500).json()
        return Counter(d["proposal_id"] for d in rows)

    wait_for(lambda: len(counts()) == N, timeout=120, what="a document for every proposal")
    # Before checking that no proposal got a second document: a marker proposal approved now
    # reaches the documents consumer after every earlier approval (stream order), and once no
    # consumer has an unacknowledged message, what a killed process took and never acknowledged
    # has been delivered again and handled (a redelivery comes after its ack wait, out of order).
    marker = approve_marker(api)
    wait_consumers_idle(own_platform)
    final = counts()
    assert final.pop(marker) == 1
    assert set(final) == set(ids)
    assert set(final.values()) == {1}, f"duplicates: {[p for p, c in final.items() if c > 1]}"
    versions = {d["version"] for d in api.get("documents", "/v1/documents", limit=500).json()}
    assert versions == {1}
