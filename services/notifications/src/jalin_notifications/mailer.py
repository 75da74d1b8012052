"""Sends queued emails over SMTP (aiosmtplib), retrying with backoff; never loses one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import structlog
from jalin_kit.db import Database, utcnow
from jalin_kit.runtime import ServiceRuntime
from prometheus_client import Gauge
from sqlalchemy import func
from sqlmodel import col, select

from jalin_notifications.models import Email, EmailStatus
from jalin_notifications.settings import NotificationsSettings

log = structlog.get_logger(__name__)


def to_mime(email: Email, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to_addr
    # A header must be one line: a title typed with a line break must not block the queue.
    msg["Subject"] = " ".join(email.subject.split())
    msg["Message-ID"] = f"<{email.id}@jalin>"
    msg.set_content(email.body)
    return msg


CLAIM_CHUNK = 10
"""Emails leased, sent and recorded together: two commits per chunk instead of two per email."""


def send_seconds(settings: NotificationsSettings) -> float:
    """What one send is planned to take in a chunk's lease; the lease's end is enforced on the
    sends all the same (:func:`send_pending`), whatever a slow server does with its timeouts."""
    return settings.smtp_timeout_seconds * 3


LEASE_MARGIN_SECONDS = 30.0
"""A chunk's lease beyond its planned sends."""
RECORD_SECONDS = 15.0
"""Of that margin, what is kept for recording the chunk: no send runs past the lease's end less this."""


async def claim_due(db: Database, settings: NotificationsSettings, limit: int) -> list[Email]:
    """Take up to ``limit`` due emails, oldest first, leased together until the end of the
    chunk: ``next_attempt_at`` pushed past one send per email and 30 s more. Nothing of the
    chunk is recorded before its end, so no email of it may be due again before then (another
    replica would send it a second time); :func:`send_pending` starts no send the lease would
    not cover.

    Replicas skip rows another one is claiming (SKIP LOCKED on PostgreSQL) and then see their
    leases. The connection is released before any SMTP traffic.
    """
    now = utcnow()
    async with db.system_session() as session:
        emails = list((
            await session.exec(
                select(Email)
                .where(Email.status == EmailStatus.PENDING.value, col(Email.next_attempt_at) <= now)
                .order_by(col(Email.created_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all())
        if not emails:
            return []
        lease = now + timedelta(seconds=send_seconds(settings) * len(emails) + LEASE_MARGIN_SECONDS)
        for email in emails:
            email.next_attempt_at = lease
            session.add(email)
        await session.commit()
    return emails


async def _record(db: Database, emails: list[Email]) -> None:
    """What became of a chunk's emails, in one transaction; tried three times (the sent ones
    have gone out: a record lost would send them again after the lease)."""
    if not emails:
        return
    for attempt in range(3):
        try:
            async with db.system_session() as session:
                session.add_all(emails)  # detached since their claim: their changes are flushed as UPDATEs
                await session.commit()
            return
        except Exception as exc:  # noqa: BLE001 - the store may be back in a moment
            if attempt == 2:
                raise
            log.warning("email.record_retry", error=type(exc).__name__, emails=len(emails))
            await asyncio.sleep(0.5 * (attempt + 1))


SERVER_AWAY = (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError, TimeoutError)


async def _connect(settings: NotificationsSettings) -> aiosmtplib.SMTP:
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )
    try:
        await smtp.connect()
        if settings.smtp_username and settings.smtp_password:
            await smtp.login(settings.smtp_username, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


async def _close(smtp: aiosmtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        await smtp.quit()
    except Exception:  # noqa: BLE001 - the server may already be gone
        smtp.close()
    except BaseException:  # cancelled while saying goodbye
        smtp.close()
        raise


def _release(rest: list[Email], in_flight: Email | None, done: list[Email]) -> None:
    """The chunk's emails not tried are due again at once, not at the lease's end; the one
    being sent when the mailer was cancelled keeps its lease (whether it went out is unknown)."""
    for email in rest:
        if email is not in_flight:
            email.next_attempt_at = utcnow()
            done.append(email)


async def send_pending(db: Database, settings: NotificationsSettings) -> int:
    """Send up to a batch of due emails over one SMTP connection; returns how many went out.

    The emails are claimed and recorded in chunks (``CLAIM_CHUNK``), under one lease per chunk;
    no send starts that the planned time would not cover, and none runs past the lease's end
    less ``RECORD_SECONDS`` (it fails as a timeout). Cancelled (the service stopping), the
    mailer records what the chunk did before it ends. Delivery is at least once: the email
    being sent at a cancellation, and every email of a chunk whose mailer was killed before its
    record, are sent again after the lease."""
    sent = tried = 0
    smtp: aiosmtplib.SMTP | None = None
    loop = asyncio.get_running_loop()
    try:
        while tried < settings.mailer_batch_size:
            started = loop.time()  # before the claim: the lease counts from before it too
            chunk = await claim_due(db, settings, min(CLAIM_CHUNK, settings.mailer_batch_size - tried))
            if not chunk:
                break
            tried += len(chunk)
            done: list[Email] = []
            rest = list(chunk)
            in_flight: Email | None = None
            server_away = False
            planned = send_seconds(settings) * (len(chunk) - 1)
            deadline = started + send_seconds(settings) * len(chunk) + LEASE_MARGIN_SECONDS - RECORD_SECONDS
            try:
                while rest and not server_away:
                    if done and loop.time() - started > planned:
                        break  # the lease would not cover one more send: the rest wait for the next round
                    email = in_flight = rest[0]
                    try:
                        async with asyncio.timeout_at(deadline):
                            if smtp is None:
                                smtp = await _connect(settings)
                            await smtp.send_message(to_mime(email, settings.mail_from))
                    except Exception as exc:  # noqa: BLE001 - one bad email must not stop the others
                        await _close(smtp)  # a fresh connection for the next one: this one's state is unknown
                        smtp = None
                        _failed(email, exc, settings)
                        server_away = isinstance(exc, SERVER_AWAY)  # the rest wait for the next round
                    else:
                        email.status = EmailStatus.SENT.value
                        email.sent_at = utcnow()
                        email.attempts += 1
                        sent += 1
                    done.append(rest.pop(0))
                    in_flight = None
            except asyncio.CancelledError:
                _release(rest, in_flight, done)
                try:
                    await asyncio.shield(_record(db, done))
                except Exception as exc:  # noqa: BLE001 - the stop goes on; say which emails will go out again
                    log.error("email.record_lost", error=type(exc).__name__,
                              sent=[e.id for e in done if e.status == EmailStatus.SENT.value])
                raise
            _release(rest, None, done)
            await _record(db, done)
            if rest or server_away or len(chunk) < CLAIM_CHUNK:
                break
    except BaseException:  # cancelled mid-send, or the store failed: no QUIT waiting on a busy connection
        if smtp is not None:
            smtp.close()
            smtp = None
        raise
    finally:
        await _close(smtp)
    return sent


def _failed(email: Email, exc: Exception, settings: NotificationsSettings) -> None:
    email.attempts += 1
    email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if email.attempts >= settings.mailer_max_attempts:
        email.status = EmailStatus.FAILED.value
        log.error("email.failed", email_id=email.id, error=email.last_error)
    else:
        delay = min(2**email.attempts, 300)
        email.next_attempt_at = utcnow() + timedelta(seconds=delay)
        log.warning("email.retry", email_id=email.id, retry_in=delay, error=email.last_error)


async def mailer(runtime: ServiceRuntime) -> None:
    """Background job: deliver queued emails."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    while True:
        sent = await send_pending(runtime.db, settings)
        if sent < settings.mailer_batch_size:
            await asyncio.sleep(settings.mailer_poll_seconds)


def watch_mail_queue(runtime: ServiceRuntime) -> None:
    """The app's ``/metrics`` shows the mail queue, read at each scrape: ``jalin_mail_queue``
    (emails waiting to be sent, retries included) and ``jalin_mail_failed`` (given up on after
    ``MAILER_MAX_ATTEMPTS``)."""
    metrics, service = runtime.metrics, runtime.settings.service_name
    queued = Gauge("jalin_mail_queue", "Emails waiting to be sent (retries included).", ["service"],
                   registry=metrics.registry)
    failed = Gauge("jalin_mail_failed", "Emails given up on after the last attempt.", ["service"],
                   registry=metrics.registry)

    async def refresh() -> None:
        async with runtime.db.system_session() as session:
            counts = dict((await session.exec(
                select(Email.status, func.count(col(Email.id)))
                .where(col(Email.status).in_([EmailStatus.PENDING.value, EmailStatus.FAILED.value]))
                .group_by(Email.status)
            )).all())
        queued.labels(service).set(counts.get(EmailStatus.PENDING.value, 0))
        failed.labels(service).set(counts.get(EmailStatus.FAILED.value, 0))

    metrics.on_scrape(refresh)
