"""Who hears of a lifecycle step (``STEP_EVENTS``) and the frame of its notice: the proposing
unit, the owner's cooperation section and, when the partner is another Jalin tenant, the
partner's cooperation section. The words of each step are in :mod:`.step_domestic` and
:mod:`.step_abroad`. No I/O.
"""

from __future__ import annotations

from jalin_kit.events import CooperationStep
from jalin_kit.tenants import TenantInfo

from jalin_notifications.texts import step_abroad, step_domestic  # noqa: F401 - they register the words
from jalin_notifications.texts.common import SETTLED_STAGES, Notice, stage_label, to_section, to_unit
from jalin_notifications.texts.step_base import STEP_TEXTS, StepText, by_partner, cap, coop

INTERNAL_STEPS = frozenset({("proposal", "revised"), ("agreement", "imported")})
"""Steps that concern the owner only: revising its own rejected or declined proposal (the
partner hears of it again when it is approved and offered anew), and importing an agreement
into its own register (the partner keeps its own register)."""

COMMENT = ("proposal", "commented")


def _generic(e: CooperationStep) -> StepText:
    """A step this service has no words for yet (added to the catalogue later)."""
    coop_id, coop_en = coop(e)
    stage_id, stage_en = stage_label(e.stage)
    return StepText(
        f"Perkembangan kerja sama: {e.title}",
        f"Cooperation update: {e.title}",
        f"{cap(coop_id)} kini berada pada tahap {stage_id}.",
        f"{cap(coop_en)} is now at the {stage_en} stage.",
    )


def step_text(e: CooperationStep) -> StepText:
    return STEP_TEXTS.get((e.aggregate, e.event), _generic)(e)


def _body(e: CooperationStep, text: StepText) -> tuple[str, str]:
    body_id, body_en = text.body_id, text.body_en
    if e.stage and e.stage != e.stage_from and e.stage not in SETTLED_STAGES:
        next_id, next_en = stage_label(e.stage)
        body_id += f"\n\nTahap berikutnya: {next_id}."
        body_en += f"\n\nNext step: {next_en}."
    if e.note and not text.note_used:
        body_id += f"\n\nCatatan: {e.note}"
        body_en += f"\n\nNote: {e.note}"
    return (
        body_id + "\n\nRincian selengkapnya dapat dilihat di Jalin.",
        body_en + "\n\nThe details are in Jalin.",
    )


def partner_follows(e: CooperationStep) -> bool:
    """Whether the partner region's section hears of this step (when it is a Jalin tenant):
    not of the owner's internal steps, nor of a comment the partner wrote itself."""
    key = (e.aggregate, e.event)
    if key in INTERNAL_STEPS:
        return False
    return not (key == COMMENT and by_partner(e))


def step_notices(
    e: CooperationStep, owner: TenantInfo, partner: TenantInfo | None
) -> tuple[list[Notice], list[Notice]]:
    """(notices in the owner's tenant, notices in the partner's tenant)."""
    text = step_text(e)
    body_id, body_en = _body(e, text)
    common = {"kind": f"{e.aggregate}.{e.event}", "title_id": text.title_id, "title_en": text.title_en, "body_en": body_en}
    unit = owner.unit_name(e.proposer_unit)
    mine = to_unit(e.proposer_unit, body_id=f"Yth. Pimpinan {unit},\n\n{body_id}", **common) + to_section(
        body_id=f"Yth. {owner.cooperation_section},\n\n{body_id}", **common
    )
    theirs: list[Notice] = []
    if partner is not None and partner_follows(e):
        theirs = to_section(body_id=f"Yth. {partner.cooperation_section},\n\n{body_id}", **common)
    return mine, theirs
