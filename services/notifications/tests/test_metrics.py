"""The service's own figures on its real ``/metrics``: the mail queue, read at each scrape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from jalin_kit.runtime import ServiceRuntime
from jalin_notifications.app import build
from jalin_notifications.models import Email, EmailStatus
from jalin_notifications.settings import NotificationsSettings
from prometheus_client.parser import text_string_to_metric_families

from jalin_cli.platform import NatsServer, free_port
from services.notifications.tests.conftest import SECRET


@pytest.fixture
async def quiet_app(database_url: str, own_nats: NatsServer, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app on a NATS of its own (no other test's events reach its store) and an SMTP port
    nobody listens on (whatever it tries to send stays queued)."""
    app = build(NotificationsSettings(
        database_url=database_url, nats_url=own_nats.url, jwt_secret=SECRET, data_dir=tmp_path,
        environment="test", log_json=False, log_level="WARNING", smtp_port=free_port(), mailer_poll_seconds=60.0,
    ))
    async with app.router.lifespan_context(app):
        yield app


def mail_figures(exposition: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name in ("jalin_mail_queue", "jalin_mail_failed") and sample.labels.get("service") == "notifications"
    }


async def test_the_mail_queue_and_the_failed_emails_are_read_at_each_scrape(quiet_app: FastAPI) -> None:
    runtime: ServiceRuntime = quiet_app.state.runtime
    transport = httpx.ASGITransport(app=quiet_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert mail_figures((await client.get("/metrics")).text) == {"jalin_mail_queue": 0, "jalin_mail_failed": 0}

        statuses = [EmailStatus.PENDING] * 3 + [EmailStatus.FAILED] * 2 + [EmailStatus.SENT]
        async with runtime.db.tenant_session("sumbar") as session:
            session.add_all([
                Email(tenant_id="sumbar", message_id=f"m-{n}", to_addr="kerjasama@sumbarprov.example.id",
                      subject="[Jalin] uji", body="uji", status=status.value)
                for n, status in enumerate(statuses)
            ])
            await session.commit()
        scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert "# TYPE jalin_mail_queue gauge" in scraped.text and "# TYPE jalin_mail_failed gauge" in scraped.text
    assert mail_figures(scraped.text) == {"jalin_mail_queue": 3, "jalin_mail_failed": 2}
