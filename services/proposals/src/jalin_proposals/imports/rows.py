"""Checking the register's rows, with no I/O.

Three layers of rules, each reported per cell (the spreadsheet row, the column's header as
written in the file, a message):

1. each cell by its column alone: :class:`RegisterRow`, a pydantic model whose fields are the
   columns (a required cell, text length and characters, a date, a kind, a unit of this region,
   a partner region on Jalin, ...);
2. the rules between columns, on the cells that passed: a kind and its document type, a power
   of attorney and its PKS, the term from its start, end and months (:func:`between_columns`);
3. the file's own: a ``nomor`` once per file.

A row with no error becomes a :class:`ValidRow`, with the defaults of what it leaves blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

from jalin_kit.identifiers import TENANT_ID
from jalin_kit.tenants import TenantInfo
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from jalin_proposals import terms
from jalin_proposals.imports.cells import CONTROL, cell_text, months_between, parse_date, parse_months
from jalin_proposals.imports.columns import BINDING, BY_KEY, CENTRAL_DOCS, COLUMNS, DOC_TYPES, KINDS, header_key, source_key
from jalin_proposals.imports.reading import Table
from jalin_proposals.imports.report import RowError
from jalin_proposals.lifecycle import Kind

EARLIEST = date(1990, 1, 1)
NOT_RECORDED = "Tidak tercantum dalam register lama (impor)."
"""Objective, scope and financing of a row that gives none."""
DEFAULT_SIGNATORY = "-"
POSITION = {c.key: i for i, c in enumerate(COLUMNS)}


@dataclass(frozen=True)
class RowContext:
    """What a row is checked against: the importing region, its date, and which tenant ids
    name a region onboarded and enabled on Jalin."""

    tenant: TenantInfo
    today: date
    is_region: Callable[[str], bool]


# -- each cell by its column ------------------------------------------------------------------


V = TypeVar("V")


def _bad(message: str) -> PydanticCustomError:
    """A bad cell: the message as the report gives it (pydantic adds nothing to it)."""
    return PydanticCustomError("register_cell", "{message}", {"message": message})


def _context(info: ValidationInfo) -> RowContext:
    context = info.context
    assert isinstance(context, RowContext), "RegisterRow is validated with a RowContext"
    return context


def _text(value: Any, info: ValidationInfo) -> str | None:
    key = info.field_name or ""
    column = BY_KEY[key]
    text = cell_text(value)
    if text is None:
        if column.required:
            raise _bad(f"{key} is required")
        return None
    if CONTROL.search(text):
        raise _bad(f"{key} contains control characters")
    if column.max_length is not None and len(text) > column.max_length:
        raise _bad(f"{key} is {len(text)} characters long; at most {column.max_length} fit")
    if column.min_length is not None and len(text) < column.min_length:
        raise _bad(f"{key} must have at least {column.min_length} characters")
    return text


def _one_of(value: Any, info: ValidationInfo, table: Mapping[str, V], choices: str) -> V | None:
    """A cell naming one entry of ``table`` (by its header key), or None when empty."""
    raw = _text(value, info)
    if raw is None:
        return None
    found = table.get(header_key(raw))
    if found is None:
        raise _bad(f"unknown {info.field_name} '{raw}': use one of {choices}")
    return found


def _kind(value: Any, info: ValidationInfo) -> Kind | None:
    return _one_of(value, info, KINDS, ", ".join(KINDS))


def _doc_type(value: Any, info: ValidationInfo) -> str | None:
    return _one_of(value, info, DOC_TYPES, "kb, pks, nk, rencana_kerja")


def _partner_tenant(value: Any, info: ValidationInfo) -> str | None:
    raw = _text(value, info)
    if raw is None:
        return None
    tenant_id, context = raw.lower(), _context(info)
    if len(tenant_id) > 64 or not TENANT_ID.fullmatch(tenant_id):
        raise _bad(f"'{tenant_id}' is not a tenant id (lowercase letters, digits and -)")
    if tenant_id == context.tenant.id:
        raise _bad("the partner cannot be this region itself")
    if not context.is_region(tenant_id):
        raise _bad(f"'{tenant_id}' is not a region on Jalin: name an onboarded region, "
                   "or leave mitra_tenant empty for a party outside Jalin")
    return tenant_id


def _unit(value: Any, info: ValidationInfo) -> str | None:
    """An OPD by its unit id or its name, as this region's directory has it."""
    raw = _text(value, info)
    if raw is None:
        return None
    units = _context(info).tenant.units
    wanted = raw.strip().lower()
    for unit_id, name in units.items():
        if wanted in (unit_id.lower(), name.strip().lower()):
            return unit_id
    raise _bad(f"unknown opd '{raw}': this region's units are {', '.join(sorted(units)) or 'none configured'}")


def _day(value: Any, info: ValidationInfo) -> date | None:
    key = info.field_name or ""
    if cell_text(value) is None:
        if BY_KEY[key].required:
            raise _bad(f"{key} is required")
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise _bad(str(exc)) from None


def _signing_day(value: Any, info: ValidationInfo) -> date | None:
    signed_on = _day(value, info)
    if signed_on is not None and signed_on > _context(info).today:
        raise _bad(f"signing date {signed_on.isoformat()} lies in the future")
    if signed_on is not None and signed_on < EARLIEST:
        raise _bad(f"signing date {signed_on.isoformat()} is implausibly early")
    return signed_on


def _months(value: Any, info: ValidationInfo) -> int | None:
    if cell_text(value) is None:
        return None
    try:
        return parse_months(value)
    except ValueError as exc:
        raise _bad(str(exc)) from None


Text = Annotated[str | None, BeforeValidator(_text)]
Day = Annotated[date | None, BeforeValidator(_day)]


class RegisterRow(BaseModel):
    """One row's cells, each checked by its column alone (validated with a :class:`RowContext`).

    The fields are the columns' keys; a blank optional cell is ``None``. A field left out
    is ``None`` unchecked: :func:`check_cells` leaves the bad cells out to read the good ones.
    """

    model_config = ConfigDict(frozen=True)

    nomor: Text = None
    nomor_mitra: Text = None
    judul: Text = None
    jenis: Annotated[Kind | None, BeforeValidator(_kind)] = None
    jenis_dokumen: Annotated[str | None, BeforeValidator(_doc_type)] = None
    mitra: Text = None
    mitra_tenant: Annotated[str | None, BeforeValidator(_partner_tenant)] = None
    opd: Annotated[str | None, BeforeValidator(_unit)] = None
    tanggal_tanda_tangan: Annotated[date | None, BeforeValidator(_signing_day)] = None
    tempat: Text = None
    penandatangan: Text = None
    jabatan_penandatangan: Text = None
    surat_kuasa: Text = None
    tanggal_mulai: Day = None
    tanggal_berakhir: Day = None
    jangka_waktu_bulan: Annotated[int | None, BeforeValidator(_months)] = None
    maksud_tujuan: Text = None
    ruang_lingkup: Text = None
    pembiayaan: Text = None


Problem = tuple[str, str]
"""A bad cell: the column's key and the message."""


def check_cells(cells: dict[str, Any], context: RowContext) -> tuple[RegisterRow, list[Problem]]:
    """The row's good cells and its bad ones: each column checked once; the cells that
    failed are then left out (``None``), so the rules between columns see only good cells."""
    every = {c.key: cells.get(c.key) for c in COLUMNS}
    try:
        return RegisterRow.model_validate(every, context=context), []
    except ValidationError as exc:
        problems = [(str(e["loc"][0]) if e["loc"] else "nomor", e["msg"]) for e in exc.errors()]
    bad = {key for key, _ in problems}
    good = RegisterRow.model_validate({k: v for k, v in every.items() if k not in bad}, context=context)
    return good, problems


# -- the rules between columns ------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    start: date
    end: date
    months: int
    stated: bool
    """False for a KB or NK that states no term: the region's maximum term is assumed."""


def between_columns(row: RegisterRow, bad: set[str], tenant: TenantInfo) -> tuple[Term | None, list[Problem]]:
    """A kind and its document type, a power of attorney and its PKS, and the term from its
    start, end and months (or, for a KB or NK stating none, the region's maximum)."""
    problems: list[Problem] = []
    kind, doc_type = row.jenis, row.jenis_dokumen
    if kind is not None and doc_type is not None and (kind is Kind.PUSAT) != (doc_type in CENTRAL_DOCS):
        allowed = "nk or rencana_kerja" if kind is Kind.PUSAT else "kb or pks"
        problems.append(("jenis_dokumen", f"a {kind.value} cooperation is recorded with {allowed}, not {doc_type}"))
    if row.surat_kuasa is not None and doc_type is not None and doc_type != "pks":
        problems.append(("surat_kuasa", "only a PKS may be signed by a delegate under a power of attorney"))
    term = _term(row, bad, tenant.max_term_months, problems)
    return term, problems


def _term(row: RegisterRow, bad: set[str], max_months: int, problems: list[Problem]) -> Term | None:
    signed_on, end, months = row.tanggal_tanda_tangan, row.tanggal_berakhir, row.jangka_waktu_bulan
    if signed_on is None or "tanggal_mulai" in bad:
        return None  # the signing's or the start's own error is reported
    start = row.tanggal_mulai or signed_on
    if start < EARLIEST:
        problems.append(("tanggal_mulai", f"start {start.isoformat()} is implausibly early"))
    elif start > signed_on + timedelta(days=366):
        problems.append(("tanggal_mulai", f"start {start.isoformat()} lies more than a year after the signing date"))
    elif end is not None:
        if end <= start:
            problems.append(("tanggal_berakhir", f"ends on {end.isoformat()}, not after its start {start.isoformat()}"))
            return None
        counted = months_between(start, end)
        if months is not None and months != counted:
            problems.append(("jangka_waktu_bulan", f"{months} months disagrees with tanggal_berakhir "
                                                   f"{end.isoformat()} ({counted} months from {start.isoformat()})"))
        elif counted > max_months:
            problems.append(("tanggal_berakhir", f"a term of {counted} months exceeds this region's maximum of "
                                                 f"{max_months} months"))
        else:
            return Term(start, end, counted, True)
    elif "tanggal_berakhir" in bad:
        pass  # the end's own error is reported
    elif months is not None:
        if months > max_months:
            problems.append(("jangka_waktu_bulan", f"a term of {months} months exceeds this region's maximum of "
                                                   f"{max_months} months"))
        else:
            return Term(start, terms.term_end(start, months), months, True)
    elif "jangka_waktu_bulan" in bad:
        pass  # the months' own error is reported
    elif row.jenis_dokumen in BINDING:
        what = "a PKS" if row.jenis_dokumen == "pks" else "a rencana kerja"
        problems.append(("tanggal_berakhir", f"{what} states its term: give tanggal_berakhir or jangka_waktu_bulan"))
    elif row.jenis_dokumen is not None:
        return Term(start, terms.term_end(start, max_months), max_months, False)
    return None


# -- the rows of a file ------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidRow:
    row: int
    key: str
    number_first: str
    number_second: str | None
    title: str
    kind: Kind
    doc_type: str
    partner_name: str
    partner_tenant: str | None
    unit: str | None
    signed_on: date
    signed_place: str
    signatory_name: str
    signatory_title: str
    power_of_attorney: str | None
    term_start: date
    term_end: date
    term_months: int
    term_stated: bool
    """False for a KB or NK that states no term: the region's maximum term is assumed."""
    objective: str
    scope: str
    financing: str


@dataclass
class Validation:
    valid: list[ValidRow]
    errors: list[RowError]

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def _valid_row(number: int, row: RegisterRow, term: Term, tenant: TenantInfo) -> ValidRow:
    """A row without errors, its blank optional cells given their defaults."""
    # Without errors, every required cell holds a value (a blank one is an error).
    assert row.nomor and row.judul and row.jenis and row.jenis_dokumen and row.mitra and row.tanggal_tanda_tangan
    return ValidRow(
        row=number, key=source_key(row.nomor), number_first=row.nomor, number_second=row.nomor_mitra, title=row.judul,
        kind=row.jenis, doc_type=row.jenis_dokumen, partner_name=row.mitra, partner_tenant=row.mitra_tenant,
        unit=row.opd, signed_on=row.tanggal_tanda_tangan, signed_place=row.tempat or tenant.seat,
        signatory_name=row.penandatangan or DEFAULT_SIGNATORY,
        signatory_title=row.jabatan_penandatangan or tenant.head_title, power_of_attorney=row.surat_kuasa,
        term_start=term.start, term_end=term.end, term_months=term.months, term_stated=term.stated,
        objective=row.maksud_tujuan or NOT_RECORDED, scope=row.ruang_lingkup or NOT_RECORDED,
        financing=row.pembiayaan or NOT_RECORDED,
    )


def validate(table: Table, tenant: TenantInfo, today: date, is_region: Callable[[str], bool] = lambda _: False) -> Validation:
    """Check every row against the columns' rules and the tenant's (units, maximum term);
    ``is_region`` says whether a ``mitra_tenant`` is a region onboarded and enabled on Jalin."""
    context = RowContext(tenant, today, is_region)
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}  # a nomor's key -> the row it is first on
    for number, cells in table.rows:
        row, problems = check_cells(cells, context)
        if row.nomor is not None:
            key = source_key(row.nomor)
            if key in first_row_of:
                problems.append(("nomor", f"duplicate nomor '{row.nomor}': already on row {first_row_of[key]} of this file"))
            else:
                first_row_of[key] = number
        term, rules = between_columns(row, {key for key, _ in problems}, tenant)
        problems += rules
        if problems:
            problems.sort(key=lambda p: POSITION[p[0]])  # stable: in the columns' order
            errors.extend(RowError(row=number, column=table.header(key), error=message) for key, message in problems)
            continue
        assert term is not None, "a row without errors has its term"
        valid.append(_valid_row(number, row, term, tenant))
    return Validation(valid, errors)
