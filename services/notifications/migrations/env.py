"""Alembic environment of the notifications service."""

import jalin_kit.inbox  # noqa: F401 - kit tables
import jalin_kit.outbox  # noqa: F401
from jalin_kit.migrations import run_env
from jalin_notifications.models import TABLES

run_env(TABLES)
