"""Storing the valid rows: each as a cooperation (``Proposal``) at ``pelaksanaan`` or
``selesai``, its signed ``Agreement``, an ``import`` audit entry and an ``agreement.imported``
event, in transactions of :data:`BATCH_SIZE` rows.

A row whose ``nomor`` the tenant already imported is skipped and counted as already
imported: importing the same file again adds nothing, and two imports running at once end
with one copy of each agreement (the unique ``source_key`` decides; the loser's batch rolls
back whole and is redone without the rows the other stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import structlog
from jalin_kit.db import Database
from jalin_kit.tenants import TenantInfo
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select

from jalin_proposals import commands
from jalin_proposals.imports.rows import ValidRow
from jalin_proposals.lifecycle import EndReason, Initiator, Kind, Stage
from jalin_proposals.models import Agreement, Proposal

BATCH_SIZE = 200
"""Rows per transaction when storing. A row is never half-stored: its proposal, agreement,
audit entry and event commit together."""
RETRIES = 5

log = structlog.get_logger(__name__)


def build(row: ValidRow, tenant: TenantInfo, actor: commands.Actor, today: date) -> tuple[Proposal, Agreement]:
    """The cooperation and its agreement for one valid row (not yet added to a session)."""
    running = row.term_end >= today
    stage = Stage.PELAKSANAAN if running else Stage.SELESAI
    p = Proposal(
        tenant_id=tenant.id,
        title=row.title,
        kind=row.kind.value,
        ksdd_type="sukarela" if row.kind is Kind.KSDD else None,
        initiator=Initiator.REGION.value,
        partner_name=row.partner_name,
        partner_tenant=row.partner_tenant,
        objective=row.objective,
        scope=row.scope,
        term_months=row.term_months,
        financing=row.financing,
        unit=row.unit,
        created_by=actor.user,
        term_start=row.term_start,
        term_end=row.term_end,
        end_reason=None if running else EndReason.TERM_EXPIRED.value,
        ended_at=None if running else datetime.combine(row.term_end, time(), tzinfo=UTC),
        source_key=row.key,
    )
    p.enter(stage)
    a = Agreement(
        tenant_id=tenant.id,
        proposal_id=p.id,
        unit=row.unit,
        type=row.doc_type,
        number_first=row.number_first,
        number_second=row.number_second,
        signed_on=row.signed_on,
        signed_place=row.signed_place,
        signatory_name=row.signatory_name,
        signatory_title=row.signatory_title,
        signed_as="delegate" if row.power_of_attorney else "kepala_daerah",
        power_of_attorney=row.power_of_attorney,
        term_start=row.term_start if row.term_stated else None,
        term_end=row.term_end if row.term_stated else None,
        status="signed" if running else "expired",
        recorded_by=actor.user,
    )
    return p, a


async def existing_keys(db: Database, tenant_id: str, keys: list[str]) -> set[str]:
    """Which of ``keys`` the tenant already imported."""
    found: set[str] = set()
    async with db.tenant_session(tenant_id, readonly=True) as session:
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            query = select(Proposal.source_key).where(
                Proposal.tenant_id == tenant_id, col(Proposal.source_key).in_(chunk)
            )
            found.update(k for k in (await session.exec(query)).all() if k)
    return found


def _retryable(exc: DBAPIError) -> bool:
    """A concurrent import of the same keys (unique violation), a deadlock or a busy SQLite."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)


@dataclass
class Stored:
    imported: int = 0
    already_imported: int = 0


async def store(db: Database, tenant: TenantInfo, actor: commands.Actor, rows: list[ValidRow], *, file_name: str,
                today: date) -> Stored:
    """Write the valid rows; those whose key the tenant already has are counted, not written.

    Each batch is one transaction. When another import commits the same keys first, the
    batch fails on the unique constraint, rolls back whole and is redone without them.
    """
    result = Stored()
    for i in range(0, len(rows), BATCH_SIZE):
        batch = rows[i:i + BATCH_SIZE]
        for attempt in range(RETRIES):
            known = await existing_keys(db, tenant.id, [r.key for r in batch])
            fresh = [r for r in batch if r.key not in known]
            try:
                async with db.tenant_session(tenant.id) as session:
                    built = [(row, *build(row, tenant, actor, today)) for row in fresh]
                    session.add_all([p for _, p, _ in built])
                    await session.flush()  # the proposals first: agreements refer to them (no ORM relationship)
                    for row, p, a in built:
                        session.add(a)
                        note = f"{file_name} baris {row.row}"
                        if not row.term_stated:
                            note += f"; jangka waktu tidak tercantum, dianggap {row.term_months} bulan"
                        commands.log(session, p, actor, "import", note=note)
                        event = commands.step_event(p, ("agreement", "imported", "import"), tenant, actor,
                                                    stage_from=p.stage, note=note, agreement=a)
                        commands.emit(session, p, event)
                    await session.commit()
            except DBAPIError as exc:
                if attempt + 1 < RETRIES and _retryable(exc):
                    log.info("agreements.import_retry", tenant=tenant.id, file=file_name, attempt=attempt + 1,
                             error=type(exc.orig).__name__)
                    continue
                raise
            result.imported += len(fresh)
            result.already_imported += len(batch) - len(fresh)
            break
    return result
