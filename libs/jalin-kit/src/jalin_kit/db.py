"""Database engines and tenant-scoped sessions.

Every table of tenant data inherits :class:`TenantScoped`. A session opened with
:meth:`Database.tenant_session` filters every ORM select/update/delete by its tenant
and stamps new rows with it; that one mechanism, not each route, keeps tenants apart.
Sessions opened with :meth:`Database.system_session` see all tenants: relays, scanners
and operators only.

A cooperation between two regions that are both tenants is visible to both: its rows
inherit :class:`SharedScoped`, whose ``shared_with`` names the other party. Selects of a
tenant session also return rows shared with it; updates and deletes never reach them,
so the other party can read but only the owner's session can write.

Inside a tenant, an OPD's rows belong to that OPD: a table that names its unit
(``__unit_column__``) is scoped further in a session opened for a unit (``unit=``), which
then sees and changes only its own tenant's rows of that unit — none shared by a partner,
none of another unit, and with ``unit=None`` (an OPD's staff whose token names no unit)
none at all. Sessions of the cooperation section and the other tenant-wide roles are
opened without a unit and see the whole tenant (``jalin_kit.access.unit_scope``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import and_, event, false, or_
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T", bound=SQLModel)

TENANT_KEY = "jalin_tenant"
SYSTEM_KEY = "jalin_system"
ALSO_KEY = "jalin_also_new_rows_for"
UNIT_KEY = "jalin_unit"
DATABASE_KEY = "jalin_database"


class _WholeTenant:
    """A session that is not limited to one unit (the default)."""

    def __repr__(self) -> str:
        return "WHOLE_TENANT"


WHOLE_TENANT: Any = _WholeTenant()


def utcnow() -> datetime:
    return datetime.now(UTC)


class TenantScoped(SQLModel):
    """Mixin for tables holding a tenant's data."""

    tenant_id: str = Field(index=True, max_length=64)


class SharedScoped(TenantScoped):
    """Mixin for a tenant's rows that the partner tenant of a cooperation may also read."""

    shared_with: str | None = Field(default=None, index=True, max_length=64)


class TenantScopeError(RuntimeError):
    """Code tried to touch tenant data without saying whose."""


def _scoped_classes(state: Any) -> list[type[TenantScoped]]:
    """The tenant tables a statement reads or writes: its entities, and the tables it names
    otherwise (``select(func.count()).select_from(Model)`` has no entity, but counts rows; a
    statement over ``Model.__table__`` is found here and refused by the caller)."""
    classes = {m.class_ for m in state.all_mappers}
    tables = set(find_tables(state.statement, include_joins=True))
    if tables:
        classes |= {m.class_ for m in SQLModel._sa_registry.mappers if m.local_table in tables}  # noqa: SLF001
    return sorted((c for c in classes if issubclass(c, TenantScoped)), key=lambda c: c.__name__)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: Any) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    info = state.session.info
    if info.get(SYSTEM_KEY):
        return
    scoped = _scoped_classes(state)
    if not scoped:
        return
    if state.statement._propagate_attrs.get("compile_state_plugin") != "orm":  # noqa: SLF001
        # A tenant table named as a Core Table (``Model.__table__``): loader criteria cannot
        # apply to it, so it is refused rather than read unscoped.
        names = ", ".join(str(c.__tablename__) for c in scoped)  # a str once mapped (declared as str | Callable)
        raise TenantScopeError(f"tenant tables ({names}) are read through their models in a tenant session, "
                               "not as Core tables")
    tenant = info.get(TENANT_KEY)
    unit = info.get(UNIT_KEY, WHOLE_TENANT)
    for cls in scoped:
        column = getattr(cls, "__unit_column__", None)
        if unit is not WHOLE_TENANT and column is not None:
            # One unit's own rows: not the partner's shared ones, not another unit's.
            if tenant is None or unit is None:
                option = with_loader_criteria(cls, lambda c: false(), include_aliases=True)
            else:
                # An expression on the class itself (not a lambda): the column's name varies.
                option = with_loader_criteria(
                    cls, and_(cls.tenant_id == tenant, getattr(cls, column) == unit), include_aliases=True
                )
            state.statement = state.statement.options(option)
            continue
        if tenant is None:
            # Fail closed: a session that names no tenant sees no tenant's rows.
            option = with_loader_criteria(cls, lambda c: false(), include_aliases=True)
        elif state.is_select and issubclass(cls, SharedScoped):
            option = with_loader_criteria(
                cls, lambda c: or_(c.tenant_id == tenant, c.shared_with == tenant), include_aliases=True
            )
        else:
            option = with_loader_criteria(
                cls, lambda c: c.tenant_id == tenant, include_aliases=True
            )
        state.statement = state.statement.options(option)


def allow_new_rows_for(session: AsyncSession | Session, tenant: str) -> None:
    """Let this tenant session also add new rows of ``tenant``: the one deliberate way to
    tell the partner of a shared cooperation something (a notice in its inbox) in the
    same transaction. Existing rows of ``tenant`` stay out of reach."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(ALSO_KEY, set()).add(tenant)


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.info.get(SYSTEM_KEY):
        return
    tenant = session.info.get(TENANT_KEY)
    for obj in session.new:
        if isinstance(obj, TenantScoped):
            if tenant is None:
                raise TenantScopeError(f"new {type(obj).__name__} in a session with no tenant")
            if obj.tenant_id is None:
                obj.tenant_id = tenant
            elif obj.tenant_id != tenant and obj.tenant_id not in session.info.get(ALSO_KEY, ()):
                raise TenantScopeError("row of another tenant added to a tenant session")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and tenant is not None and obj.tenant_id != tenant:
            raise TenantScopeError("row moved to another tenant")
    for obj in session.deleted:
        if isinstance(obj, TenantScoped) and tenant is not None and obj.tenant_id != tenant:
            raise TenantScopeError("row of another tenant deleted in a tenant session")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, readonly: bool = False) -> AsyncEngine:
    """An async engine. SQLite: WAL; one writer connection per file (several fight over the
    write lock), or a few ``query_only`` reader connections (WAL lets them read in parallel)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        size = SQLITE_READERS if readonly else 1
        engine = create_async_engine(
            url, pool_size=size, max_overflow=0, pool_timeout=60, connect_args={"timeout": 30}
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk (the WAL fsynced) before it returns, so a committed
            # approval and its outbox row survive a power cut, not only a killed process
            # (NORMAL would lose the last commits). Batched consumers and one relay statement
            # per batch keep the number of commits down instead (docs/adr/0005).
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if readonly:
                cursor.execute("PRAGMA query_only=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


SQLITE_READERS = 4


class Database:
    """One service's store: an engine and its session factories.

    ``tenant_session(t, readonly=True)`` is for requests that only read: on SQLite it uses
    the reader connections, so reads do not queue behind the one writer connection; on
    PostgreSQL both kinds share one pool.
    """

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.read_engine = create_engine(url, readonly=True) if is_sqlite(url) else self.engine
        self._factory = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self.after_event_commit: list[Callable[[], None]] = []
        """Called after a commit that recorded outbox rows (the relay wakes up): this store's
        own, so two services in one process never wake each other."""
        self._read_factory = async_sessionmaker(
            self.read_engine, class_=AsyncSession, expire_on_commit=False
        )

    @asynccontextmanager
    async def tenant_session(
        self, tenant_id: str, *, readonly: bool = False, unit: str | None = WHOLE_TENANT
    ) -> AsyncIterator[AsyncSession]:
        """A session of one tenant; with ``unit``, of one unit (OPD) of it (see the module)."""
        factory = self._read_factory if readonly else self._factory
        async with factory() as session:
            session.sync_session.info[TENANT_KEY] = tenant_id
            session.sync_session.info[DATABASE_KEY] = self
            if unit is not WHOLE_TENANT:
                session.sync_session.info[UNIT_KEY] = unit
            yield session

    @asynccontextmanager
    async def system_session(self, *, readonly: bool = False) -> AsyncIterator[AsyncSession]:
        """Every tenant's rows (relays, scanners, operators); ``readonly`` on SQLite's readers."""
        async with (self._read_factory if readonly else self._factory)() as session:
            session.sync_session.info[SYSTEM_KEY] = True
            session.sync_session.info[DATABASE_KEY] = self
            yield session

    async def create_all(self, tables: list[Any] | None = None) -> None:
        """Create tables directly (tests); services use their Alembic migrations."""
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all, tables=tables)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


async def get_scoped(session: AsyncSession, model: type[T], obj_id: Any, *, for_update: bool = False) -> T | None:
    """Load one row by primary key through the tenant scope (never ``session.get``);
    ``for_update`` locks it for the transaction (PostgreSQL; SQLite has one writer anyway)."""
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    query = select(model).where(pk == obj_id)
    result = await session.exec(query.with_for_update() if for_update else query)
    return result.first()
