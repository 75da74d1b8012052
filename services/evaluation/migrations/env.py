"""Alembic environment of the evaluation service."""

import jalin_kit.inbox  # noqa: F401 - kit tables
import jalin_kit.outbox  # noqa: F401
from jalin_evaluation.models import TABLES
from jalin_kit.migrations import run_env

run_env(TABLES)
