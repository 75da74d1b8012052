"""Sends queued emails over SMTP (aiosmtplib), retrying with backoff; never loses one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import structlog
from sqlmodel import col, select

from jalin_kit.db import Database, utcnow
from jalin_kit.runtime import ServiceRuntime
from jalin_notifications.models import Email, EmailStatus
from jalin_notifications.settings import NotificationsSettings

log = structlog.get_logger(__name__)


def to_mime(email: Email, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to_addr
    msg["Subject"] = email.subject
    msg["Message-ID"] = f"<{email.id}@jalin>"
    msg.set_content(email.body)
    return msg


async def send_pending(db: Database, settings: NotificationsSettings) -> int:
    """Send one batch of due emails; returns how many went out."""
    now = utcnow()
    async with db.system_session() as session:
        rows = (
            await session.exec(
                select(Email)
                .where(Email.status == EmailStatus.PENDING.value, col(Email.next_attempt_at) <= now)
                .order_by(col(Email.created_at))
                .limit(settings.mailer_batch_size)
            )
        ).all()
        sent = 0
        for email in rows:
            try:
                await aiosmtplib.send(
                    to_mime(email, settings.mail_from),
                    hostname=settings.smtp_host,
                    port=settings.smtp_port,
                    username=settings.smtp_username,
                    password=settings.smtp_password,
                    start_tls=settings.smtp_starttls,
                    timeout=settings.smtp_timeout_seconds,
                )
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                email.attempts += 1
                email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if email.attempts >= settings.mailer_max_attempts:
                    email.status = EmailStatus.FAILED.value
                    log.error("email.failed", email_id=email.id, error=email.last_error)
                else:
                    delay = min(2 ** email.attempts, 300)
                    email.next_attempt_at = utcnow() + timedelta(seconds=delay)
                    log.warning("email.retry", email_id=email.id, retry_in=delay, error=email.last_error)
                session.add(email)
                await session.commit()
                break  # the server is likely down: wait for the next round
            email.status = EmailStatus.SENT.value
            email.sent_at = utcnow()
            email.attempts += 1
            session.add(email)
            await session.commit()
            sent += 1
        return sent


async def mailer(runtime: ServiceRuntime) -> None:
    """Background job: deliver queued emails."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    while True:
        sent = await send_pending(runtime.db, settings)
        if sent < settings.mailer_batch_size:
            await asyncio.sleep(settings.mailer_poll_seconds)
