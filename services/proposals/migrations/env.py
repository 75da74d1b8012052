"""Alembic environment of the proposals service."""

import jalin_kit.inbox  # noqa: F401 - kit tables
import jalin_kit.outbox  # noqa: F401
from jalin_kit.migrations import run_env
from jalin_proposals.mapping.models import TABLES as MAPPING_TABLES
from jalin_proposals.models import TABLES

run_env(TABLES + MAPPING_TABLES)
