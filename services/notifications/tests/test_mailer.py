"""The mailer against a real SMTP server (aiosmtpd): delivers, retries, never loses an email."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from jalin_kit.db import Database, utcnow
from jalin_notifications.mailer import CLAIM_CHUNK, claim_due, send_pending
from jalin_notifications.models import Email, EmailStatus
from jalin_notifications.settings import NotificationsSettings
from sqlalchemy import event
from sqlmodel import SQLModel, col, select, update

from jalin_cli.platform import free_port

TABLES = [SQLModel.metadata.tables["emails"]]


class Collector:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []
        self.connections: set[int] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.connections.add(id(session))  # aiosmtpd keeps one session object per connection
        self.messages.append(BytesParser(policy=default).parsebytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class GatedCollector(Collector):
    """Holds the ``hold``-th message's DATA (the first by default) until the test releases it:
    an SMTP server that is slow."""

    def __init__(self, hold: int = 1) -> None:
        super().__init__()
        self.hold, self.seen = hold, 0
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.seen += 1
        if self.seen == self.hold:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


class Smtp:
    """An SMTP server on a fixed port that the test may start late."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler: Collector = Collector()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    try:
        yield server
    finally:
        if isinstance(server.handler, GatedCollector):
            server.handler.release.set()
        server.stop()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.create_all(TABLES)
    try:
        yield database
    finally:
        await database.dispose()


def settings_for(smtp: Smtp, database_url: str, **changes: Any) -> NotificationsSettings:
    return NotificationsSettings(
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_seconds=5.0,
        mail_from="Jalin <noreply@jalin.example.id>",
        environment="development",
        **changes,
    )


async def queue(db: Database, n: int = 1, tenant: str = "sumbar") -> list[str]:
    ids = []
    async with db.tenant_session(tenant) as s:
        for i in range(n):
            email = Email(
                message_id=f"m-{i}",
                to_addr=f"unit{i}@sumbarprov.example.id",
                subject=f"[Jalin] Usulan disetujui: Jalan & Jembatan <Tahap {i + 1}>",
                body=f"Yth. Pimpinan,\n\nUsulan nomor {i + 1} telah disetujui.\n",
            )
            s.add(email)
            ids.append(email.id)
        await s.commit()
    return ids


async def load(db: Database, email_id: str) -> Email:
    async with db.system_session() as s:
        return (await s.exec(select(Email).where(Email.id == email_id))).one()


async def make_due_now(db: Database) -> None:
    """Pretend the retry delay has passed (instead of sleeping through it)."""
    async with db.system_session() as s:
        await s.exec(
            update(Email)
            .where(col(Email.status) == EmailStatus.PENDING.value)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        await s.commit()


async def test_pending_email_is_delivered_over_smtp_and_marked_sent(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    smtp.start()
    [email_id] = await queue(db)
    sent = await send_pending(db, settings_for(smtp, database_url))
    assert sent == 1

    email = await load(db, email_id)
    assert email.status == EmailStatus.SENT.value
    assert email.sent_at is not None
    assert email.attempts == 1
    assert email.last_error is None

    [msg] = smtp.handler.messages
    assert smtp.handler.recipients == [["unit0@sumbarprov.example.id"]]
    assert msg["To"] == "unit0@sumbarprov.example.id"
    assert msg["From"] == "Jalin <noreply@jalin.example.id>"
    assert msg["Subject"] == "[Jalin] Usulan disetujui: Jalan & Jembatan <Tahap 1>"
    assert msg["Message-ID"] == f"<{email_id}@jalin>"
    assert "Usulan nomor 1 telah disetujui." in msg.get_content()

    assert await send_pending(db, settings_for(smtp, database_url)) == 0  # never sent twice
    assert len(smtp.handler.messages) == 1


async def test_batch_of_pending_emails_is_delivered_in_one_call(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    smtp.start()
    ids = await queue(db, 3)
    assert await send_pending(db, settings_for(smtp, database_url)) == 3
    assert sorted(m["Message-ID"] for m in smtp.handler.messages) == sorted(f"<{i}@jalin>" for i in ids)
    assert {(await load(db, i)).status for i in ids} == {EmailStatus.SENT.value}
    assert len(smtp.handler.connections) == 1  # one SMTP connection for the batch


async def test_a_batch_is_claimed_and_recorded_in_chunks_with_two_commits_each(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    smtp.start()
    n = CLAIM_CHUNK * 2 + 3
    ids = await queue(db, n)
    commits: list[object] = []

    def committed(conn: object) -> None:
        commits.append(conn)

    event.listen(db.engine.sync_engine, "commit", committed)
    try:
        assert await send_pending(db, settings_for(smtp, database_url)) == n
    finally:
        event.remove(db.engine.sync_engine, "commit", committed)
    assert {(await load(db, i)).status for i in ids} == {EmailStatus.SENT.value}
    assert len(smtp.handler.messages) == n
    assert len(commits) == 2 * 3  # a claim and a record per chunk (one email at a time: 2 * n)


async def test_a_chunk_is_leased_until_its_end_and_nobody_else_takes_it(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    await queue(db, 3)
    settings = settings_for(smtp, database_url)  # 5 s per SMTP operation: 15 s per send
    before = utcnow()
    claimed = await claim_due(db, settings, 3)
    assert sorted(e.message_id for e in claimed) == ["m-0", "m-1", "m-2"]
    for email in claimed:  # nothing is recorded before the chunk's end: each is leased until then
        assert timedelta(seconds=15 * 3 + 30) <= email.next_attempt_at - before < timedelta(seconds=15 * 3 + 31)
    assert await claim_due(db, settings, 3) == []  # leased: nobody else takes them


async def test_a_cancelled_mailer_records_what_it_sent_and_frees_what_it_did_not_try(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    gated = GatedCollector(hold=2)  # the second message waits: the mailer is stopped meanwhile
    smtp.handler = gated
    smtp.start()
    ids = await queue(db, 3)
    sending = asyncio.create_task(send_pending(db, settings_for(smtp, database_url)))
    assert await asyncio.to_thread(gated.arrived.wait, 10)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    gated.release.set()
    now = utcnow()
    emails = [await load(db, i) for i in ids]
    sent = [e for e in emails if e.status == EmailStatus.SENT.value]
    leased = [e for e in emails if e.status == EmailStatus.PENDING.value and e.next_attempt_at > now]
    due = [e for e in emails if e.status == EmailStatus.PENDING.value and e.next_attempt_at <= now]
    assert [e.attempts for e in sent] == [1]  # sent: recorded, never sent again
    assert len(leased) == 1  # the one being sent: whether it went out is unknown, so it keeps its lease
    assert [e.attempts for e in due] == [0]  # not tried: due again at once, not at the lease's end


async def test_no_smtp_server_keeps_email_pending_with_one_attempt_and_a_later_retry(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    [email_id] = await queue(db)
    before = utcnow()
    assert await send_pending(db, settings_for(smtp, database_url)) == 0

    email = await load(db, email_id)
    assert email.status == EmailStatus.PENDING.value
    assert email.attempts == 1
    assert email.sent_at is None
    assert email.last_error
    assert email.next_attempt_at > before

    # Not retried before its time, even once the server is back.
    smtp.start()
    assert await send_pending(db, settings_for(smtp, database_url)) == 0
    assert smtp.handler.messages == []
    assert (await load(db, email_id)).attempts == 1


async def test_email_queued_while_smtp_is_down_is_delivered_once_the_server_is_up(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    [email_id] = await queue(db)
    settings = settings_for(smtp, database_url)
    assert await send_pending(db, settings) == 0
    await make_due_now(db)
    assert await send_pending(db, settings) == 0  # still down: a second attempt, still pending
    email = await load(db, email_id)
    assert (email.status, email.attempts) == (EmailStatus.PENDING.value, 2)

    smtp.start()
    await make_due_now(db)
    assert await send_pending(db, settings) == 1
    email = await load(db, email_id)
    assert (email.status, email.attempts) == (EmailStatus.SENT.value, 3)
    assert [m["Message-ID"] for m in smtp.handler.messages] == [f"<{email_id}@jalin>"]


async def test_outage_stops_the_round_after_the_first_failure_and_loses_none(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    ids = await queue(db, 3)
    settings = settings_for(smtp, database_url)
    assert await send_pending(db, settings) == 0
    attempts = sorted([(await load(db, i)).attempts for i in ids])
    assert attempts == [0, 0, 1]  # one tried, the others left for the next round

    smtp.start()
    await make_due_now(db)
    assert await send_pending(db, settings) == 3
    assert {(await load(db, i)).status for i in ids} == {EmailStatus.SENT.value}
    assert len(smtp.handler.messages) == 3


async def test_email_is_marked_failed_after_the_maximum_attempts_and_not_retried(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    [email_id] = await queue(db)
    settings = settings_for(smtp, database_url, mailer_max_attempts=2)
    assert await send_pending(db, settings) == 0
    await make_due_now(db)
    assert await send_pending(db, settings) == 0
    email = await load(db, email_id)
    assert (email.status, email.attempts) == (EmailStatus.FAILED.value, 2)
    assert email.last_error

    smtp.start()
    await make_due_now(db)
    assert await send_pending(db, settings) == 0
    assert smtp.handler.messages == []
    assert (await load(db, email_id)).status == EmailStatus.FAILED.value  # kept for operators, not deleted


async def test_no_database_connection_is_held_while_waiting_for_smtp(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    gated = GatedCollector()
    smtp.handler = gated
    smtp.start()
    await queue(db)
    sending = asyncio.create_task(send_pending(db, settings_for(smtp, database_url)))
    try:
        assert await asyncio.to_thread(gated.arrived.wait, 10)
        held = db.engine.pool.checkedout()  # type: ignore[attr-defined]
    finally:
        gated.release.set()
        sent = await sending
    assert sent == 1
    assert held == 0


async def test_two_replicas_send_a_pending_email_only_once(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share one store only on PostgreSQL (SQLite has one writer per file)")
    gated = GatedCollector()
    smtp.handler = gated
    smtp.start()
    [email_id] = await queue(db)
    settings = settings_for(smtp, database_url)
    replica = Database(database_url)
    first = asyncio.create_task(send_pending(db, settings))
    try:
        assert await asyncio.to_thread(gated.arrived.wait, 10)  # replica 1 is talking to SMTP
        second = await send_pending(replica, settings)  # replica 2 scans meanwhile
    finally:
        gated.release.set()
        await first
        await replica.dispose()
    assert second == 0
    assert [m["Message-ID"] for m in gated.messages] == [f"<{email_id}@jalin>"]
    assert (await load(db, email_id)).status == EmailStatus.SENT.value


async def test_email_with_line_break_in_subject_does_not_block_the_emails_behind_it(
    db: Database, database_url: str, smtp: Smtp
) -> None:
    smtp.start()
    async with db.tenant_session("sumbar") as s:
        poisoned = Email(
            message_id="m-1",
            to_addr="dpupr@sumbarprov.example.id",
            subject="[Jalin] Usulan disetujui: Jalan\nJembatan",
            body="Usulan telah disetujui.",
        )
        s.add(poisoned)
        await s.commit()
    [good] = await queue(db)  # created after: the mailer takes the oldest first
    settings = settings_for(smtp, database_url)
    await send_pending(db, settings)
    await make_due_now(db)
    await send_pending(db, settings)
    assert (await load(db, good)).status == EmailStatus.SENT.value
    assert f"<{good}@jalin>" in [m["Message-ID"] for m in smtp.handler.messages]


def test_the_smtp_password_comes_from_a_file_and_is_never_logged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "smtp-password").write_text("rahasia-smtp\n")
    monkeypatch.setenv("JALIN_NOTIFICATIONS_SMTP_PASSWORD_FILE", str(tmp_path / "smtp-password"))
    settings = NotificationsSettings(environment="test", jwt_secret="a-real-secret-from-the-vault-0123456789")
    assert settings.smtp_password == "rahasia-smtp"
    assert settings.public()["smtp_password"] == "***" and "rahasia" not in str(settings.public())
