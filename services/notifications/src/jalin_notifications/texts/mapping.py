"""Reminders of a mapping round (pemetaan potensi kerja sama) whose deadline is near. No I/O."""

from __future__ import annotations

from jalin_kit.events import MappingReminderDue
from jalin_kit.i18n import tanggal
from jalin_kit.identifiers import UNIT_ID
from jalin_kit.tenants import TenantInfo

from jalin_notifications.texts.common import Notice, to_section, to_unit

KIND = "mapping.reminder-due"


def _when(e: MappingReminderDue) -> tuple[str, str]:
    if e.days_before_deadline > 0:
        return (
            f"tinggal {e.days_before_deadline} hari lagi, yaitu pada {tanggal(e.deadline)}",
            f"is in {e.days_before_deadline} days, on {e.deadline.isoformat()}",
        )
    return f"jatuh pada hari ini, {tanggal(e.deadline)}", f"is today, {e.deadline.isoformat()}"


def mapping_reminder(e: MappingReminderDue, tenant: TenantInfo) -> list[Notice]:
    """One notice to each unit that has not submitted a potential, and one summary listing
    them by name to the cooperation section. Nothing when every unit has submitted."""
    missing = list(dict.fromkeys(u for u in e.missing_units if u))  # once each, in order
    if not missing:
        return []
    when_id, when_en = _when(e)
    title_id = f"Pengingat pemetaan potensi kerja sama: {e.round_title}"
    title_en = f"Reminder: mapping of cooperation potentials: {e.round_title}"
    notices: list[Notice] = []
    for unit in missing:
        if not UNIT_ID.fullmatch(unit):
            continue  # no token can name it, so nobody could read it: the summary lists it
        name = tenant.unit_name(unit)
        notices += to_unit(
            unit,
            kind=KIND,
            title_id=title_id,
            body_id=(
                f"Yth. Pimpinan {name},\n\nBatas waktu pemetaan potensi kerja sama \"{e.round_title}\" "
                f"{when_id}. Sampai saat ini {name} belum menyampaikan potensi kerja sama. Mohon potensi "
                "kerja sama perangkat daerah Saudara segera disampaikan melalui Jalin."
            ),
            title_en=title_en,
            body_en=(
                f"The deadline of the mapping of cooperation potentials \"{e.round_title}\" {when_en}. "
                f"{name} has not submitted any cooperation potential yet. Please submit yours in Jalin."
            ),
        )
    names = [tenant.unit_name(u) for u in missing]
    listed = "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1))
    return notices + to_section(
        kind=KIND,
        title_id=f"Rekap pemetaan potensi \"{e.round_title}\": {len(missing)} perangkat daerah belum menyampaikan",
        body_id=(
            f"Yth. {tenant.cooperation_section},\n\nBatas waktu pemetaan potensi kerja sama "
            f"\"{e.round_title}\" {when_id}. Perangkat daerah berikut belum menyampaikan potensi "
            f"kerja sama:\n\n{listed}\n\nPengingat telah dikirim kepada masing-masing perangkat daerah."
        ),
        title_en=f"Mapping \"{e.round_title}\": {len(missing)} unit(s) have not submitted",
        body_en=(
            f"The deadline of the mapping of cooperation potentials \"{e.round_title}\" {when_en}. "
            f"These units have not submitted any cooperation potential:\n\n{listed}\n\n"
            "Each of them has been sent a reminder."
        ),
    )
