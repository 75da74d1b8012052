"""Legacy import: a region's existing agreements from its old register (CSV or XLSX).

Three steps, each testable alone:

1. :func:`read_table` (``reading.py``) turns the uploaded bytes into rows; a file that
   cannot be read at all is refused whole with :class:`FileRefused`.
2. :func:`validate` (``rows.py``) checks every cell (:class:`RegisterRow`, a pydantic model
   of the columns, then the rules between columns and the file's own) and returns the valid
   rows and a report of errors (:class:`RowError`, ``report.py``). No I/O.
3. :func:`store` (``command.py``) writes each valid row as a cooperation, its agreement, an
   audit entry and an ``agreement.imported`` event; a ``nomor`` already imported is counted,
   not added again.

The columns (``columns.py``) are documented in ``docs/import.md``; cells as values (dates,
months) are read in ``cells.py``. The route is ``api/imports.py``.
"""

from jalin_proposals.imports.cells import months_between, parse_date
from jalin_proposals.imports.columns import COLUMNS, Column, source_key, template_rows
from jalin_proposals.imports.command import Stored, existing_keys, store
from jalin_proposals.imports.reading import MAX_ROWS, FileRefused, Table, read_table
from jalin_proposals.imports.report import ImportReport, RowError, safe_file_name
from jalin_proposals.imports.rows import NOT_RECORDED, RegisterRow, RowContext, Validation, ValidRow, validate

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "NOT_RECORDED",
    "Column",
    "FileRefused",
    "ImportReport",
    "RegisterRow",
    "RowContext",
    "RowError",
    "Stored",
    "Table",
    "ValidRow",
    "Validation",
    "existing_keys",
    "months_between",
    "parse_date",
    "read_table",
    "safe_file_name",
    "source_key",
    "store",
    "template_rows",
    "validate",
]
