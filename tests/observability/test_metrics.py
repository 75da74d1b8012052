"""``/metrics`` of every service on the running platform: an approval moves the HTTP figures
(by route template, never by the path itself), the consumers' and the outbox's; nothing of a
tenant's content is in them."""

from __future__ import annotations

import re

import httpx
import pytest
from jalin_e2e import Api, wait_for

from jalin_cli.platform import SERVICES, Platform

CONSUMERS = ("documents-proposal-approved", "evaluation-proposal-approved", "notifications-document-generated")


def scrape(platform: Platform, service: str) -> str:
    r = httpx.get(f"{platform.url(service)}/metrics", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain"), r.text[:300]
    return r.text


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value (0 when the series has none yet)."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    for line in text.splitlines():
        if line.startswith(name + "{") and all(w in line for w in wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_an_approval_moves_the_figures(platform: Platform, api: Api) -> None:
    if platform.config.database_urls:
        pytest.skip("the figures do not depend on the store: checked on the SQLite platform")
    before = scrape(platform, "proposals")
    created_before = value(before, "jalin_http_requests_total", route="/v1/proposals", method="POST", status="201")
    consumed_before = {c: value(scrape(platform, c.split("-")[0]), "jalin_consumer_processed_total", consumer=c)
                       for c in CONSUMERS}
    p = api.approved_proposal(title="Rahasia daerah: judul yang tidak boleh keluar")
    wait_for(lambda: api.documents(p["id"]) and api.plans(p["id"]), what="the KB draft and the plan")
    wait_for(lambda: [m for m in api.inbox(p["id"]) if m["kind"] == "document.generated"], what="the document's notice")
    after = scrape(platform, "proposals")
    assert value(after, "jalin_http_requests_total", route="/v1/proposals", method="POST", status="201") == created_before + 1
    assert value(after, "jalin_http_requests_total", route="/v1/proposals/{proposal_id}/approve", method="POST",
                 status="200") >= 1
    assert value(after, "jalin_http_request_seconds_count", route="/v1/proposals", method="POST") >= 1
    for consumer in CONSUMERS:  # each consumer's figures moved: processed, and timed
        text = scrape(platform, consumer.split("-")[0])
        assert value(text, "jalin_consumer_processed_total", consumer=consumer) >= consumed_before[consumer] + 1, consumer
        assert value(text, "jalin_consumer_handler_seconds_count", consumer=consumer) >= 1, consumer
        # what waits at the server, read from it at the scrape (a number, whatever other tests left)
        assert re.search(rf'^jalin_consumer_pending{{[^}}]*consumer="{consumer}"[^}}]*}} \d', text, re.M), consumer
    for name in ("jalin_outbox_unsent", "jalin_outbox_oldest_unsent_seconds", "jalin_outbox_parked"):
        assert re.search(rf'^{name}{{service="proposals"}} \d', after, re.M), name
    # a hostile path is one series, not one per path; no title, id or tenant in any of it
    for junk in ("/v1/proposals/%2e%2e/x", "/v1/nothing-" + "a" * 200):
        httpx.get(f"{platform.url('proposals')}{junk}", timeout=30)
    text = scrape(platform, "proposals")
    assert "Rahasia" not in text and p["id"] not in text and "sumbar" not in text and "aaaa" not in text
    assert value(text, "jalin_http_requests_total", route="unmatched", status="404") >= 2
    for service in SERVICES:  # every service has them, with its dead letters where it consumes
        text = scrape(platform, service)
        assert f'jalin_outbox_unsent{{service="{service}"}}' in text
        if service != "proposals":  # (other tests of this platform leave dead letters: a number, whatever it is)
            assert re.search(rf'^jalin_dead_letters{{service="{service}"}} \d+\.\d+$', text, re.M), service
