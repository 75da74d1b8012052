"""Durable JetStream consumers with inbox, batches, backoff and dead-lettering.

A service builds its :class:`EventConsumers` per app and declares handlers with
:meth:`EventConsumers.on`; :meth:`~EventConsumers.build_router` turns them into FastStream pull
subscribers (:mod:`.wiring`); the messages of one pull are run through the inbox and their
handlers in one transaction (:mod:`.service`); what fails for the last time is kept as a dead
letter (:mod:`.deadletters`).
"""

from jalin_kit.consumers.base import (
    MAX_DELIVERIES_ADVISORIES,
    EventContext,
    Handler,
    Prepare,
    Refused,
    Registration,
    check_publisher,
    consumer_health,
)
from jalin_kit.consumers.service import EventConsumers

__all__ = [
    "MAX_DELIVERIES_ADVISORIES",
    "EventConsumers",
    "EventContext",
    "Handler",
    "Prepare",
    "Refused",
    "Registration",
    "check_publisher",
    "consumer_health",
]
