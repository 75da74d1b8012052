"""A local SMTP server that files every message in a Maildir: mail for the embedded default.

Real SMTP on loopback (aiosmtpd), so the notifications service sends exactly as it would
to a production relay, and nothing leaves the machine.
"""

from __future__ import annotations

import mailbox
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, path: Path) -> None:
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(str(path), create=True)
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=default)
        self.maildir.add(msg)
        self.count += 1
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 8125) -> None:
        self.folder = folder
        self.handler = MaildirHandler(folder)
        self.controller = Controller(self.handler, hostname=host, port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
