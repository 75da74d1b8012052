"""Reading the uploaded register: CSV (UTF-8 with or without a BOM, or Excel's Windows code
page; comma, semicolon or tab separated) or the first sheet of an XLSX workbook.

The header may sit below a few title rows; it is the first row naming at least two known
columns. A file that cannot be read at all (unknown format, no header, a required column
missing, too many rows) is refused whole with :class:`FileRefused`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from jalin_proposals.imports.cells import blank
from jalin_proposals.imports.columns import ALIASES, REQUIRED, header_key

MAX_ROWS = 5000
"""Data rows a file may hold (Kutai Kartanegara's whole register is 210)."""
MAX_COLUMNS = 100
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
"""What an XLSX (a ZIP archive) may unpack to: a small upload must not expand without bound."""
Format = Literal["csv", "xlsx"]
HEADER_SEARCH_ROWS = 20
"""The header may sit below a few title rows; it is looked for in this many first rows."""


class FileRefused(Exception):
    """The whole file is refused: ``status`` is the HTTP status, ``missing`` the missing columns."""

    def __init__(self, status: int, message: str, *, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.missing = missing or []


@dataclass
class Table:
    format: Format
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


def _find_header(rows: Iterable[tuple[int, Iterable[Any]]]) -> tuple[int, list[Any]]:
    """The first row (of the first :data:`HEADER_SEARCH_ROWS`) naming two known columns."""
    first_seen: list[Any] | None = None
    for number, cells in rows:
        cells = list(cells)[:MAX_COLUMNS]
        if all(blank(c) for c in cells):
            if number >= HEADER_SEARCH_ROWS:
                break
            continue
        first_seen = first_seen or cells
        known = {ALIASES.get(header_key(str(c))) for c in cells if not blank(c)} - {None}
        if len(known) >= 2:
            return number, cells
        if number >= HEADER_SEARCH_ROWS:
            break
    seen = ", ".join(str(c) for c in (first_seen or []) if not blank(c))[:300]
    raise FileRefused(422, "no header row found: the first row should name the columns "
                           f"({', '.join(REQUIRED)}, ...)" + (f"; found: {seen}" if seen else ""),
                      missing=list(REQUIRED))


def _tabulate(fmt: Format, rows: Iterable[tuple[int, Iterable[Any]]]) -> Table:
    rows = iter(rows)
    header_row, cells = _find_header(rows)  # the rows after the header stay in the iterator
    headers: dict[str, str] = {}
    index: dict[str, int] = {}
    ignored: list[str] = []
    for i, cell in enumerate(cells):
        if blank(cell):
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
        if all(blank(v) for v in values.values()):
            continue  # an empty row (or one with only a serial number in an unknown column)
        if len(table.rows) >= MAX_ROWS:
            raise FileRefused(422, f"more than {MAX_ROWS} rows: split the register into several files")
        table.rows.append((number, values))
    return table
