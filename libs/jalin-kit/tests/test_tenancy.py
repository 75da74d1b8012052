"""The one tenancy mechanism: every ORM query of a tenant session is scoped."""

from __future__ import annotations

import pytest
from jalin_kit.db import Database, SharedScoped, TenantScoped, TenantScopeError, allow_new_rows_for, get_scoped
from sqlmodel import Field, delete, select, update


class Widget(TenantScoped, table=True):
    __tablename__ = "kit_test_widgets"

    id: int = Field(primary_key=True)
    name: str


async def make_db(url: str) -> Database:
    db = Database(url)
    await db.create_all([Widget.__table__])  # type: ignore[attr-defined]
    async with db.tenant_session("sumbar") as s:
        s.add(Widget(id=1, name="a"))  # tenant stamped by the session
        await s.commit()
    async with db.tenant_session("kukar") as s:
        s.add(Widget(id=2, name="b"))
        await s.commit()
    return db


async def test_select_get_update_delete_are_scoped(database_url: str) -> None:
    db = await make_db(database_url)
    try:
        async with db.tenant_session("sumbar") as s:
            assert [w.id for w in (await s.exec(select(Widget))).all()] == [1]
            assert await get_scoped(s, Widget, 2) is None
            assert (await get_scoped(s, Widget, 1)).tenant_id == "sumbar"  # type: ignore[union-attr]
            await s.exec(update(Widget).values(name="changed"))
            await s.exec(delete(Widget).where(Widget.id == 2))
            await s.commit()
        async with db.system_session() as s:
            rows = {w.id: (w.tenant_id, w.name) for w in (await s.exec(select(Widget))).all()}
        assert rows == {1: ("sumbar", "changed"), 2: ("kukar", "b")}
    finally:
        await db.dispose()


async def test_foreign_rows_cannot_be_added(database_url: str) -> None:
    db = await make_db(database_url)
    try:
        async with db.tenant_session("sumbar") as s:
            s.add(Widget(id=3, name="x", tenant_id="kukar"))
            with pytest.raises(TenantScopeError):
                await s.commit()
    finally:
        await db.dispose()


async def test_session_without_tenant_sees_nothing(database_url: str) -> None:
    db = await make_db(database_url)
    try:
        async with db._factory() as s:  # neither tenant nor system: fail closed
            assert (await s.exec(select(Widget))).all() == []
    finally:
        await db.dispose()


class SharedWidget(SharedScoped, table=True):
    __tablename__ = "kit_test_shared_widgets"

    id: int = Field(primary_key=True)
    name: str


async def test_shared_rows_are_read_by_the_partner_and_written_only_by_the_owner(database_url: str) -> None:
    db = Database(database_url)
    await db.create_all([SharedWidget.__table__])  # type: ignore[attr-defined]
    try:
        async with db.tenant_session("sumbar") as s:
            s.add(SharedWidget(id=1, name="shared", shared_with="kukar"))
            s.add(SharedWidget(id=2, name="private"))
            await s.commit()
        async with db.tenant_session("kukar", readonly=True) as s:
            assert [w.id for w in (await s.exec(select(SharedWidget))).all()] == [1]
        async with db.tenant_session("kaltim", readonly=True) as s:  # a third tenant sees nothing
            assert (await s.exec(select(SharedWidget))).all() == []
        async with db.tenant_session("kukar") as s:
            await s.exec(update(SharedWidget).values(name="changed by partner"))
            await s.exec(delete(SharedWidget))
            await s.commit()
            row = await get_scoped(s, SharedWidget, 1)
            assert row is not None and row.name == "shared"
            row.name = "edited by partner"
            s.add(row)
            with pytest.raises(TenantScopeError):
                await s.commit()
            await s.rollback()
            row = await get_scoped(s, SharedWidget, 1)
            assert row is not None
            await s.delete(row)
            with pytest.raises(TenantScopeError):
                await s.commit()
        async with db.system_session() as s:
            names = {w.id: w.name for w in (await s.exec(select(SharedWidget))).all()}
        assert names == {1: "shared", 2: "private"}
    finally:
        await db.dispose()


async def test_new_rows_for_a_named_partner_only(database_url: str) -> None:
    db = await make_db(database_url)
    try:
        async with db.tenant_session("sumbar") as s:
            allow_new_rows_for(s, "kukar")
            s.add(Widget(id=3, name="notice for kukar", tenant_id="kukar"))
            await s.commit()
            s.add(Widget(id=4, name="not for kaltim", tenant_id="kaltim"))
            with pytest.raises(TenantScopeError):
                await s.commit()
        async with db.tenant_session("kukar") as s:
            assert sorted(w.id for w in (await s.exec(select(Widget))).all()) == [2, 3]
    finally:
        await db.dispose()


class Draft(SharedScoped, table=True):
    """A table whose rows belong to a unit of the tenant (an OPD's drafts)."""

    __tablename__ = "kit_test_unit_drafts"
    __unit_column__ = "unit"

    id: int = Field(primary_key=True)
    unit: str | None = None
    title: str = ""


async def test_a_unit_session_sees_and_changes_its_units_rows_only(database_url: str) -> None:
    from jalin_kit.db import WHOLE_TENANT
    from sqlalchemy import func

    db = Database(database_url)
    await db.create_all([Draft.__table__])  # type: ignore[attr-defined]
    try:
        async with db.tenant_session("sumbar") as s:
            s.add_all([Draft(id=1, unit="dinkes"), Draft(id=2, unit="dpupr"), Draft(id=3, unit=None)])
            await s.commit()
        async with db.tenant_session("kukar") as s:
            s.add_all([Draft(id=4, unit="dinkes", shared_with="sumbar")])  # kukar's, shared with sumbar
            await s.commit()

        async def visible(unit: object) -> list[int]:
            async with db.tenant_session("sumbar", readonly=True, unit=unit) as s:
                return sorted(d.id for d in (await s.exec(select(Draft))).all())

        assert await visible(WHOLE_TENANT) == [1, 2, 3, 4]  # the section: the tenant's and what is shared with it
        assert await visible("dinkes") == [1]  # an OPD: its own unit's, not the partner's dinkes
        assert await visible("dpupr") == [2]
        assert await visible(None) == []  # an OPD's staff whose token names no unit

        async def counted(unit: object) -> int:
            async with db.tenant_session("sumbar", readonly=True, unit=unit) as s:
                return int(await s.scalar(select(func.count()).select_from(Draft)) or 0)

        assert [await counted(u) for u in (WHOLE_TENANT, "dinkes", None)] == [4, 1, 0]  # a count as the rows
        async with db.tenant_session("sumbar", unit="dinkes") as s:
            assert await get_scoped(s, Draft, 2) is None
            await s.exec(update(Draft).values(title="changed"))
            await s.exec(delete(Draft).where(Draft.id == 2))
            await s.commit()
        async with db.system_session() as s:
            titles = {d.id: d.title for d in (await s.exec(select(Draft))).all()}
        assert titles == {1: "changed", 2: "", 3: "", 4: ""}
    finally:
        await db.dispose()


async def test_counts_are_scoped_however_the_entity_is_named(database_url: str) -> None:
    """``count()`` over ``select_from(Widget)`` names no column of the entity: still scoped."""
    from sqlalchemy import func

    db = await make_db(database_url)
    try:
        async with db.tenant_session("sumbar") as s:
            assert await s.scalar(select(func.count()).select_from(Widget)) == 1
            assert await s.scalar(select(func.count(Widget.id))) == 1  # type: ignore[arg-type]
        async with db.tenant_session(None) as s:  # type: ignore[arg-type]
            assert await s.scalar(select(func.count()).select_from(Widget)) == 0
        async with db.tenant_session("sumbar") as s:  # the table as Core: no scope can apply, so refused
            for statement in (select(func.count()).select_from(Widget.__table__),  # type: ignore[attr-defined]
                              select(Widget.__table__.c.id)):  # type: ignore[attr-defined]
                with pytest.raises(TenantScopeError):
                    await s.scalar(statement)
        async with db.system_session() as s:  # the system session reads every tenant's, as it may
            assert await s.scalar(select(func.count()).select_from(Widget.__table__)) == 2  # type: ignore[attr-defined]
    finally:
        await db.dispose()
