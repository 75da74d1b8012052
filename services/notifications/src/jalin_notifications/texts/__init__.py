"""What people read: notices in Indonesian (the default) and English. No I/O.

Each function returns the notices an event produces, one per recipient:
:mod:`.proposals` (submission, decision, KB draft, term reminder, the partner's offer),
:mod:`.steps` (every lifecycle step of ``STEP_EVENTS``), :mod:`.mapping` (mapping rounds).
"""

from jalin_notifications.texts.common import COOPERATION_MAILBOX, COOPERATION_ROLE, END_REASONS, Notice
from jalin_notifications.texts.mapping import mapping_reminder
from jalin_notifications.texts.proposals import (
    document_generated,
    evaluation_due,
    is_offer,
    offer_to_partner,
    proposal_approved,
    proposal_rejected,
    proposal_submitted,
    rejection_to_partner,
)
from jalin_notifications.texts.steps import INTERNAL_STEPS, STEP_TEXTS, partner_follows, step_notices

__all__ = [
    "COOPERATION_MAILBOX",
    "COOPERATION_ROLE",
    "END_REASONS",
    "INTERNAL_STEPS",
    "STEP_TEXTS",
    "Notice",
    "document_generated",
    "evaluation_due",
    "is_offer",
    "mapping_reminder",
    "offer_to_partner",
    "partner_follows",
    "proposal_approved",
    "proposal_rejected",
    "proposal_submitted",
    "rejection_to_partner",
    "step_notices",
]
