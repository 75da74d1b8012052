"""Legacy import: a region's existing agreements from its old register (CSV or XLSX).

Three steps, each testable alone:

1. :func:`read_table` turns the uploaded bytes into rows (CSV in UTF-8 with or without a
   BOM, comma, semicolon or tab separated; or the first sheet of an XLSX workbook). A file
   that cannot be read at all (unknown format, no header, missing required columns, too
   many rows) is refused whole with :class:`FileRefused`.
2. :func:`validate` checks every cell against the tenant's rules and returns the valid rows
   and a report of errors (spreadsheet row, the column's header as written in the file,
   a message). No I/O.
3. :func:`store` writes each valid row as a cooperation (``Proposal``), its signed
   ``Agreement``, an audit entry and an ``agreement.imported`` event, in transactions of
   :data:`BATCH_SIZE` rows. A row whose ``nomor`` the tenant already imported is skipped
   and counted as already imported: importing the same file again adds nothing, and two
   imports running at once end with one copy of each agreement.

The columns are documented in ``docs/import.md``; :data:`COLUMNS` is their one definition.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from jalin_kit.db import Database
from jalin_kit.identifiers import TENANT_ID
from jalin_kit.tenants import TenantInfo
from pydantic import BaseModel
from pydantic import Field as PydField
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select

from jalin_proposals import commands, terms
from jalin_proposals.lifecycle import EndReason, Initiator, Kind, Stage
from jalin_proposals.models import Agreement, Proposal

MAX_ROWS = 5000
"""Data rows a file may hold (Kutai Kartanegara's whole register is 210)."""
MAX_COLUMNS = 100
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
"""What an XLSX (a ZIP archive) may unpack to: a small upload must not expand without bound."""
HEADER_SEARCH_ROWS = 20
"""The header may sit below a few title rows; it is looked for in this many first rows."""
BATCH_SIZE = 200
"""Rows per transaction when storing. A row is never half-stored: its proposal, agreement,
audit entry and event commit together."""
RETRIES = 5

log = structlog.get_logger(__name__)
EARLIEST = date(1990, 1, 1)
NOT_RECORDED = "Tidak tercantum dalam register lama (impor)."
"""Objective, scope and financing of a row that gives none."""
DEFAULT_SIGNATORY = "-"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- the columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    required: bool
    aliases: tuple[str, ...]
    meaning: str
    example: str
    max_length: int | None = None


COLUMNS: tuple[Column, ...] = (
    Column("nomor", True, ("nomor_perjanjian", "nomor_kerja_sama", "nomor_pihak_pertama", "number", "agreement_number",
                           "number_first"),
           "Our region's number of the agreement; the key that makes a re-import add nothing.",
           "180/015/KS-B.Pem/2023", 100),
    Column("nomor_mitra", False, ("nomor_pihak_kedua", "partner_number", "number_second"),
           "The partner's number of the same agreement.", "100.3/27/PKS/2023", 100),
    Column("judul", True, ("perihal", "judul_kerja_sama", "title"), "Title (perihal).",
           "Pelayanan Kesehatan Rujukan Antardaerah", 200),
    Column("jenis", True, ("jenis_kerja_sama", "kind"), "ksdd, ksdpk, ksdpl, ksdll or pusat.", "ksdd"),
    Column("jenis_dokumen", True, ("dokumen", "bentuk_dokumen", "document_type", "type"),
           "kb, pks, nk or rencana_kerja (MoU = kb).", "pks"),
    Column("mitra", True, ("nama_mitra", "pihak_kedua", "partner", "partner_name"), "The partner's name.",
           "Pemerintah Kota Samarinda", 200),
    Column("mitra_tenant", False, ("partner_tenant",), "The partner's Jalin tenant id, if it has one.", ""),
    Column("opd", False, ("perangkat_daerah", "unit"), "The OPD carrying it out: its unit id or its name.", "dinkes"),
    Column("tanggal_tanda_tangan", True, ("tanggal_ttd", "tanggal_penandatanganan", "tgl_ttd", "signed_on",
                                          "signing_date"),
           "Signing date: yyyy-mm-dd, dd/mm/yyyy, '15 Maret 2023' or an Excel date.", "2023-03-15"),
    Column("tempat", False, ("tempat_tanda_tangan", "tempat_penandatanganan", "signed_place"),
           "Where it was signed (default: the region's seat).", "Tenggarong", 100),
    Column("penandatangan", False, ("nama_penandatangan", "signatory", "signatory_name"),
           "Who signed for us.", "Edi Damansyah", 200),
    Column("jabatan_penandatangan", False, ("jabatan", "signatory_title"),
           "The signatory's title (default: the head of region's title).", "Bupati Kutai Kartanegara", 200),
    Column("surat_kuasa", False, ("nomor_surat_kuasa", "power_of_attorney"),
           "PKS signed by a delegate: the power of attorney's number.", "", 100),
    Column("tanggal_mulai", False, ("mulai", "term_start", "start_date"), "First day of the term (default: signing).",
           "2023-03-15"),
    Column("tanggal_berakhir", False, ("berakhir", "tanggal_selesai", "tanggal_akhir", "term_end", "end_date"),
           "Last day of the term. PKS and rencana_kerja need it or jangka_waktu_bulan.", "2026-03-14"),
    Column("jangka_waktu_bulan", False, ("jangka_waktu", "term_months"), "Term in months (instead of an end date).", ""),
    Column("maksud_tujuan", False, ("maksud_dan_tujuan", "tujuan", "objective"), "Maksud dan tujuan.",
           "Meningkatkan akses pelayanan kesehatan rujukan.", 4000),
    Column("ruang_lingkup", False, ("scope",), "Ruang lingkup.", "Rujukan pasien dan peningkatan kapasitas tenaga kesehatan.",
           4000),
    Column("pembiayaan", False, ("sumber_pembiayaan", "sumber_dana", "financing"), "Pembiayaan.",
           "APBD masing-masing pihak.", 2000),
)
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)

KINDS = {k.value: k for k in Kind}
DOC_TYPES = {
    "kb": "kb", "mou": "kb", "kesepakatan_bersama": "kb",
    "pks": "pks", "perjanjian_kerja_sama": "pks", "perjanjian": "pks",
    "nk": "nk", "nota_kesepakatan": "nk",
    "rencana_kerja": "rencana_kerja", "rk": "rencana_kerja",
}
BINDING = frozenset({"pks", "rencana_kerja"})
"""The documents that carry the term (a KB or NK may state none)."""
CENTRAL_DOCS = frozenset({"nk", "rencana_kerja"})

MONTHS = {
    name: i + 1
    for i, names in enumerate((
        ("januari", "january", "jan"), ("februari", "pebruari", "february", "feb", "peb"), ("maret", "march", "mar"),
        ("april", "apr"), ("mei", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
        ("agustus", "august", "agu", "agt", "aug"), ("september", "sept", "sep"),
        ("oktober", "october", "okt", "oct"), ("november", "nopember", "nov", "nop"),
        ("desember", "december", "des", "dec"),
    ))
    for name in names
}


def header_key(name: str) -> str:
    """A header as a column key: case, spaces, punctuation, ``*`` and ``(...)`` ignored."""
    name = re.sub(r"\(.*?\)", "", unicodedata.normalize("NFKC", name)).replace("*", "")
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


ALIASES: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.key, *_c.aliases):
        ALIASES[header_key(_name)] = _c.key


def source_key(number: str) -> str:
    """The idempotency key of an agreement number: case and whitespace do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", number)).upper()


# -- reading the file --------------------------------------------------------------------------


class FileRefused(Exception):
    """The whole file is refused: ``status`` is the HTTP status, ``missing`` the missing columns."""

    def __init__(self, status: int, message: str, *, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.missing = missing or []


@dataclass
class Table:
    format: str  # csv | xlsx
    header_row: int
    headers: dict[str, str]  # column key -> its header as written in the file
    ignored: list[str]  # headers that name no known column
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (spreadsheet row, key -> cell)
    delimiter: str | None = None
    encoding: str | None = None

    def header(self, key: str) -> str:
        return self.headers.get(key, key)


def read_table(data: bytes, filename: str | None = None) -> Table:
    """The rows of an uploaded register, or :class:`FileRefused` (415/422) saying why not."""
    name = (filename or "").lower()
    if not data.strip():
        raise FileRefused(422, "the file is empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(415, "old Excel .xls files are not read: save the sheet as .xlsx or as CSV UTF-8")
    if data.startswith(b"%PDF") or b"\x00" in data[:8192] or name.endswith((".xls", ".xlsx", ".ods", ".pdf", ".docx")):
        raise FileRefused(415, "unsupported file format: upload a CSV file (UTF-8, comma or semicolon separated) "
                               "or an XLSX workbook")
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes all but five bytes
        raise FileRefused(415, "the CSV file is not UTF-8 text: in Excel choose 'CSV UTF-8' when saving")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=lambda d: (first.count(d), d == ","))
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))
    except csv.Error as exc:
        raise FileRefused(422, f"the CSV file cannot be read: {exc}") from exc
    table = _tabulate("csv", enumerate(records, start=1))
    table.delimiter = delimiter
    table.encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    return table


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(415, "unsupported file format: a damaged ZIP, not an XLSX workbook") from exc
    if unpacked > MAX_XLSX_UNPACKED:  # the sizes the archive declares bound what zipfile unpacks
        raise FileRefused(422, "the XLSX workbook unpacks to more than "
                               f"{MAX_XLSX_UNPACKED // (1024 * 1024)} MB: save the sheet as CSV")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(415, "unsupported file format: this is a ZIP file but not an XLSX workbook "
                               "(upload CSV or XLSX)") from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        raise FileRefused(422, f"the XLSX workbook cannot be read: {type(exc).__name__}") from exc
    try:
        if not workbook.worksheets:
            raise FileRefused(422, "the workbook has no sheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions; read what is there
        rows = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        try:
            return _tabulate("xlsx", enumerate(rows, start=1))
        except FileRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - a cell openpyxl cannot parse, met while reading the rows
            raise FileRefused(422, f"the XLSX workbook cannot be read: a damaged cell ({type(exc).__name__})") from exc
    finally:
        workbook.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _tabulate(fmt: str, rows: Iterable[tuple[int, Iterable[Any]]]) -> Table:
    rows = iter(rows)
    header: tuple[int, list[Any]] | None = None
    first_seen: list[Any] | None = None
    for number, cells in rows:
        cells = list(cells)[:MAX_COLUMNS]
        if all(_blank(c) for c in cells):
            if number >= HEADER_SEARCH_ROWS:
                break
            continue
        first_seen = first_seen or cells
        known = {ALIASES.get(header_key(str(c))) for c in cells if not _blank(c)} - {None}
        if len(known) >= 2:
            header = (number, cells)
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        seen = ", ".join(str(c) for c in (first_seen or []) if not _blank(c))[:300]
        raise FileRefused(422, "no header row found: the first row should name the columns "
                               f"({', '.join(REQUIRED)}, ...)" + (f"; found: {seen}" if seen else ""),
                          missing=list(REQUIRED))
    header_row, cells = header
    headers: dict[str, str] = {}
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, cell in enumerate(cells):
        if _blank(cell):
            continue
        text = str(cell).strip()
        key = ALIASES.get(header_key(text))
        if key is None:
            ignored.append(text)
        elif key in headers:
            raise FileRefused(422, f"the columns '{headers[key]}' and '{text}' both give {key}: keep one")
        else:
            headers[key], index[key] = text, i
    missing = [k for k in REQUIRED if k not in headers]
    if missing:
        raise FileRefused(422, f"missing required columns: {', '.join(missing)}", missing=missing)
    table = Table(fmt, header_row, headers, ignored)
    for number, row in rows:
        row = list(row)
        values = {key: row[i] if i < len(row) else None for key, i in index.items()}
        if all(_blank(v) for v in values.values()):
            continue  # an empty row (or one with only a serial number in an unknown column)
        if len(table.rows) >= MAX_ROWS:
            raise FileRefused(422, f"more than {MAX_ROWS} rows: split the register into several files")
        table.rows.append((number, values))
    return table


# -- validating the rows -----------------------------------------------------------------------


class RowError(BaseModel):
    row: int = PydField(description="Spreadsheet row number (the header is row 1 when it is the first row).")
    column: str = PydField(description="The column's header as written in the file.")
    error: str


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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        value = "ya" if value else "tidak"
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    elif isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    elif isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), ("y", "m", "d")),
)


def parse_date(value: Any) -> date:
    """A date from a cell: ISO yyyy-mm-dd, dd/mm/yyyy (also with - or .), '15 Maret 2023',
    an Excel date cell, or an Excel serial number. ``ValueError`` names what is accepted."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = float(value)
        if 20000 <= serial <= 80000 and serial.is_integer():
            return EXCEL_EPOCH + timedelta(days=int(serial))
        raise ValueError(f"'{_text(value)}' is not a date: write yyyy-mm-dd or dd/mm/yyyy")
    text = (_text(value) or "").lower()
    text = re.sub(r"\s+00:00(:00)?$", "", text)  # a date exported with a zero time
    for pattern, order in DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            return _date(parts["y"], parts["m"], parts["d"], text)
    m = re.fullmatch(r"(\d{1,2})[\s\-]+([a-z]+)\.?[\s\-]+(\d{4})", text)
    if m and m.group(2) in MONTHS:
        return _date(int(m.group(3)), MONTHS[m.group(2)], int(m.group(1)), text)
    if re.fullmatch(r"\d{5}", text):
        return parse_date(int(text))
    raise ValueError(f"'{_text(value)}' is not a date: write yyyy-mm-dd or dd/mm/yyyy")


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date (day {day}, month {month}, year {year})") from None


def months_between(start: date, end: date) -> int:
    """The term in whole months that ``end`` closes: the smallest m with start + m months ≥ end
    (a term 'of five years' ends on the same day or the day before, five years later)."""
    months = max(1, (end.year - start.year) * 12 + end.month - start.month - 1)
    while terms.add_months(start, months) < end:
        months += 1
    while months > 1 and terms.add_months(start, months - 1) >= end:
        months -= 1
    return months


def _months(value: Any) -> int:
    text = _text(value) or ""
    m = re.fullmatch(r"(\d+)(?:[.,]0+)?\s*(bulan|bln|months?)?", text.lower())
    if not m or not 1 <= int(m.group(1)) <= 600:
        raise ValueError(f"'{text}' is not a whole number of months between 1 and 600")
    return int(m.group(1))


def _unit(value: str, tenant: TenantInfo) -> str | None:
    wanted = value.strip().lower()
    for unit_id, name in tenant.units.items():
        if wanted in (unit_id.lower(), name.strip().lower()):
            return unit_id
    return None


def validate(table: Table, tenant: TenantInfo, today: date, is_region: Callable[[str], bool] = lambda _: False) -> Validation:
    """Check every row against the columns' rules and the tenant's (units, maximum term);
    ``is_region`` says whether a ``mitra_tenant`` is a region onboarded and enabled on Jalin."""
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        row_errors: list[RowError] = []

        def err(key: str, message: str, number: int = number, row_errors: list[RowError] = row_errors) -> None:
            row_errors.append(RowError(row=number, column=table.header(key), error=message))

        def text(key: str, cells: dict[str, Any] = cells) -> str | None:
            value = _text(cells.get(key))
            if value is None:
                if BY_KEY[key].required:
                    err(key, f"{key} is required")
                return None
            if CONTROL.search(value):
                err(key, f"{key} contains control characters")
                return None
            limit = BY_KEY[key].max_length
            if limit is not None and len(value) > limit:
                err(key, f"{key} is {len(value)} characters long; at most {limit} fit")
                return None
            return value

        def day(key: str, cells: dict[str, Any] = cells) -> date | None:
            if _blank(cells.get(key)):
                if BY_KEY[key].required:
                    err(key, f"{key} is required")
                return None
            try:
                return parse_date(cells[key])
            except ValueError as exc:
                err(key, str(exc))
                return None

        number_first = text("nomor")
        key = source_key(number_first) if number_first else None
        if key is not None:
            if key in first_row_of:
                err("nomor", f"duplicate nomor '{number_first}': already on row {first_row_of[key]} of this file")
            else:
                first_row_of[key] = number
        number_second = text("nomor_mitra")
        title = text("judul")
        if title is not None and len(title) < 3:
            err("judul", "judul must have at least 3 characters")

        kind: Kind | None = None
        raw_kind = text("jenis")
        if raw_kind is not None:
            kind = KINDS.get(header_key(raw_kind))
            if kind is None:
                err("jenis", f"unknown jenis '{raw_kind}': use one of {', '.join(KINDS)}")
        doc_type: str | None = None
        raw_doc = text("jenis_dokumen")
        if raw_doc is not None:
            doc_type = DOC_TYPES.get(header_key(raw_doc))
            if doc_type is None:
                err("jenis_dokumen", f"unknown jenis_dokumen '{raw_doc}': use one of kb, pks, nk, rencana_kerja")
        if kind is not None and doc_type is not None and (kind is Kind.PUSAT) != (doc_type in CENTRAL_DOCS):
            allowed = "nk or rencana_kerja" if kind is Kind.PUSAT else "kb or pks"
            err("jenis_dokumen", f"a {kind.value} cooperation is recorded with {allowed}, not {doc_type}")

        partner_name = text("mitra")
        if partner_name is not None and len(partner_name) < 2:
            err("mitra", "mitra must have at least 2 characters")
        partner_tenant = text("mitra_tenant")
        if partner_tenant is not None:
            partner_tenant = partner_tenant.lower()
            if len(partner_tenant) > 64 or not TENANT_ID.fullmatch(partner_tenant):
                err("mitra_tenant", f"'{partner_tenant}' is not a tenant id (lowercase letters, digits and -)")
            elif partner_tenant == tenant.id:
                err("mitra_tenant", "the partner cannot be this region itself")
            elif not is_region(partner_tenant):
                err("mitra_tenant", f"'{partner_tenant}' is not a region on Jalin: name an onboarded region, "
                                    "or leave mitra_tenant empty for a party outside Jalin")
        unit: str | None = None
        raw_unit = text("opd")
        if raw_unit is not None:
            unit = _unit(raw_unit, tenant)
            if unit is None:
                known = ", ".join(sorted(tenant.units)) or "none configured"
                err("opd", f"unknown opd '{raw_unit}': this region's units are {known}")

        signed_on = day("tanggal_tanda_tangan")
        if signed_on is not None:
            if signed_on > today:
                err("tanggal_tanda_tangan", f"signing date {signed_on.isoformat()} lies in the future")
                signed_on = None
            elif signed_on < EARLIEST:
                err("tanggal_tanda_tangan", f"signing date {signed_on.isoformat()} is implausibly early")
                signed_on = None
        signed_place = text("tempat") or tenant.seat
        signatory_name = text("penandatangan") or DEFAULT_SIGNATORY
        signatory_title = text("jabatan_penandatangan") or tenant.head_title
        power_of_attorney = text("surat_kuasa")
        if power_of_attorney is not None and doc_type is not None and doc_type != "pks":
            err("surat_kuasa", "only a PKS may be signed by a delegate under a power of attorney")

        start = day("tanggal_mulai")
        end = day("tanggal_berakhir")
        stated_months: int | None = None
        if not _blank(cells.get("jangka_waktu_bulan")):
            try:
                stated_months = _months(cells["jangka_waktu_bulan"])
            except ValueError as exc:
                err("jangka_waktu_bulan", str(exc))
        term: tuple[date, date, int, bool] | None = None
        if signed_on is not None and not _blank(cells.get("tanggal_mulai")) and start is None:
            pass  # the start's own error is reported
        elif signed_on is not None:
            start = start or signed_on
            if start < EARLIEST:
                err("tanggal_mulai", f"start {start.isoformat()} is implausibly early")
            elif start > signed_on + timedelta(days=366):
                err("tanggal_mulai", f"start {start.isoformat()} lies more than a year after the signing date")
            elif end is not None:
                if end <= start:
                    err("tanggal_berakhir", f"ends on {end.isoformat()}, not after its start {start.isoformat()}")
                else:
                    months = months_between(start, end)
                    if stated_months is not None and stated_months != months:
                        err("jangka_waktu_bulan", f"{stated_months} months disagrees with tanggal_berakhir "
                                                  f"{end.isoformat()} ({months} months from {start.isoformat()})")
                    elif months > tenant.max_term_months:
                        err("tanggal_berakhir", f"a term of {months} months exceeds this region's maximum of "
                                                f"{tenant.max_term_months} months")
                    else:
                        term = (start, end, months, True)
            elif not _blank(cells.get("tanggal_berakhir")):
                pass  # the end's own error is reported
            elif stated_months is not None:
                if stated_months > tenant.max_term_months:
                    err("jangka_waktu_bulan", f"a term of {stated_months} months exceeds this region's maximum of "
                                              f"{tenant.max_term_months} months")
                else:
                    term = (start, terms.term_end(start, stated_months), stated_months, True)
            elif _blank(cells.get("jangka_waktu_bulan")):
                if doc_type in BINDING:
                    what = "a PKS" if doc_type == "pks" else "a rencana kerja"
                    err("tanggal_berakhir", f"{what} states its term: give tanggal_berakhir or jangka_waktu_bulan")
                elif doc_type is not None:
                    months = tenant.max_term_months
                    term = (start, terms.term_end(start, months), months, False)

        objective = text("maksud_tujuan") or NOT_RECORDED
        scope = text("ruang_lingkup") or NOT_RECORDED
        financing = text("pembiayaan") or NOT_RECORDED

        if row_errors:
            errors.extend(row_errors)
            continue
        assert number_first and key and title and kind and doc_type and partner_name and signed_on and term
        valid.append(ValidRow(
            row=number, key=key, number_first=number_first, number_second=number_second, title=title, kind=kind,
            doc_type=doc_type, partner_name=partner_name, partner_tenant=partner_tenant, unit=unit,
            signed_on=signed_on, signed_place=signed_place, signatory_name=signatory_name,
            signatory_title=signatory_title, power_of_attorney=power_of_attorney, term_start=term[0],
            term_end=term[1], term_months=term[2], term_stated=term[3], objective=objective, scope=scope,
            financing=financing,
        ))
    return Validation(valid, errors)


# -- storing ------------------------------------------------------------------------------------


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


def safe_file_name(name: str | None) -> str:
    """The upload's name for the report and the audit trail: no path, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = CONTROL.sub("", base).strip()
    return base[:120] or "upload"


def template_rows(tenant: TenantInfo) -> list[list[str]]:
    """The header and one example row, for ``template.csv``."""
    example = {c.key: c.example for c in COLUMNS}
    example["tempat"] = tenant.seat if tenant.seat != "-" else example["tempat"]
    example["jabatan_penandatangan"] = tenant.head_title
    example["opd"] = next(iter(tenant.units), "")
    return [[c.key for c in COLUMNS], [example[c.key] for c in COLUMNS]]

