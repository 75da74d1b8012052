"""What an import answers (200, even when rows are bad): counts, and each bad cell with its
spreadsheet row and the column's header as written in the file."""

from __future__ import annotations

import re

from pydantic import BaseModel
from pydantic import Field as PydField

from jalin_proposals.imports.cells import CONTROL
from jalin_proposals.imports.reading import Format


class RowError(BaseModel):
    row: int = PydField(description="Spreadsheet row number (the header is row 1 when it is the first row).")
    column: str = PydField(description="The column's header as written in the file.")
    error: str


class ImportReport(BaseModel):
    file: str = PydField(description="The uploaded file's name.")
    format: Format
    dry_run: bool
    rows: int = PydField(description="Data rows in the file (empty rows not counted).")
    imported: int = PydField(description="Agreements imported now (0 in a dry run).")
    already_imported: int = PydField(description="Valid rows whose nomor this region had already imported.")
    would_import: int | None = PydField(None, description="Dry run only: the agreements an import would add.")
    bad_rows: int = PydField(description="Rows refused; each is listed in errors, once per bad cell.")
    errors: list[RowError]
    ignored_columns: list[str] = PydField(description="Headers that name no known column; their cells were not read.")


def safe_file_name(name: str | None) -> str:
    """The upload's name for the report and the audit trail: no path, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = CONTROL.sub("", base).strip()
    return base[:120] or "upload"
