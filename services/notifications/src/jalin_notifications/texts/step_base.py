"""The words of the lifecycle steps: what each step says, in Indonesian and English, and
the phrases they share (the cooperation, the signing, the recorded decision). No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jalin_kit.events import CooperationStep

from jalin_notifications.texts.common import period, signing


@dataclass(frozen=True)
class StepText:
    """What happened, in both languages; ``note_used``: the note is already in the body."""

    title_id: str
    title_en: str
    body_id: str
    body_en: str
    note_used: bool = False


Compose = Callable[[CooperationStep], StepText]
STEP_TEXTS: dict[tuple[str, str], Compose] = {}


def text(aggregate: str, event: str) -> Callable[[Compose], Compose]:
    def register(fn: Compose) -> Compose:
        STEP_TEXTS[(aggregate, event)] = fn
        return fn

    return register


def coop(e: CooperationStep) -> tuple[str, str]:
    return (
        f"kerja sama \"{e.title}\" antara {e.proposer.name} dan {e.partner.name}",
        f"the cooperation \"{e.title}\" between {e.proposer.name} and {e.partner.name}",
    )


def by_partner(e: CooperationStep) -> bool:
    return e.actor_tenant is not None and e.actor_tenant != e.tenant


def recorded_by(e: CooperationStep) -> tuple[str, str]:
    """Who recorded the partner's answer: the partner in Jalin, or the owner on its behalf."""
    if by_partner(e):
        return f" (dicatat di Jalin oleh {e.partner.name})", f" (recorded in Jalin by {e.partner.name})"
    return (
        f" (dicatat oleh {e.proposer.name} atas nama mitra)",
        f" (recorded by {e.proposer.name} on the partner's behalf)",
    )


def signed(e: CooperationStep, what_id: str, what_en: str, title_id: str, title_en: str) -> StepText:
    coop_id, coop_en = coop(e)
    sign_id, sign_en = signing(e.agreement)
    return StepText(
        f"{title_id}: {e.title}",
        f"{title_en}: {e.title}",
        f"{what_id} untuk {coop_id} telah ditandatangani{sign_id}.",
        f"The {what_en} for {coop_en} was signed{sign_en}.",
    )


def recorded(e: CooperationStep, what_id: str, what_en: str, title_id: str, title_en: str) -> StepText:
    coop_id, coop_en = coop(e)
    return StepText(
        f"{title_id}: {e.title}",
        f"{title_en}: {e.title}",
        f"{what_id} atas {coop_id} telah dicatat.",
        f"The {what_en} on {coop_en} was recorded.",
    )


def final(e: CooperationStep, what_id: str, what_en: str) -> StepText:
    coop_id, coop_en = coop(e)
    dprd = e.stage == "persetujuan_dprd"
    return StepText(
        f"Naskah {what_id} final: {e.title}",
        f"{what_en} text final: {e.title}",
        f"Naskah {what_id} untuk {coop_id} telah final dan "
        + ("menunggu persetujuan DPRD sebelum ditandatangani." if dprd else "siap ditandatangani."),
        f"The text of the {what_en} for {coop_en} is final and "
        + ("awaits the DPRD's approval before signing." if dprd else "ready to be signed."),
    )


UNDER_WAY = ("Kerja sama kini memasuki tahap pelaksanaan.", "The cooperation is now under way.")


def offer(e: CooperationStep) -> tuple[str, str]:
    return (
        f"penawaran kerja sama \"{e.title}\" dari {e.proposer.name}",
        f"the offer of the cooperation \"{e.title}\" from {e.proposer.name}",
    )


def term(e: CooperationStep) -> tuple[str, str]:
    a = e.agreement
    if a is None or a.term_start is None or a.term_end is None:
        return "", ""
    period_id, period_en = period(a.term_start, a.term_end)
    return f" Jangka waktu kerja sama: {period_id}.", f" Term: {period_en}."


def under_way(e: CooperationStep, text: StepText) -> StepText:
    term_id, term_en = term(e)
    return StepText(
        text.title_id,
        text.title_en,
        f"{text.body_id} {UNDER_WAY[0]}{term_id}",
        f"{text.body_en} {UNDER_WAY[1]}{term_en}",
    )


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]
