"""Impor: a legacy register (CSV/XLSX) checked (dry run, the report by row and column) and imported.

The proposals service reads the file and decides (``POST /v1/imports/agreements``): the
console passes the upload on as it came, chunk by chunk, and shows the service's report or
its refusal in Indonesian. Nothing of the file is kept after the request: to import a file
that was checked, it is sent again (with htmx the file input keeps the choice; without
JavaScript the page asks for it again).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import AsyncIterator
from itertools import islice, zip_longest
from typing import Any

import httpx
from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from jalin_console.backend import PageError, Refused, SignInNeeded
from jalin_console.files import MAX_NAME, passthrough, safe_name
from jalin_console.i18n import Translator
from jalin_console.pages.proposals import openapi_of
from jalin_console.web import CurrentUser, User, backend_of, render, require_can, settings_of, translator_of

router = APIRouter()
SERVICE = "proposals"
IMPORT = "/v1/imports/agreements"
TEMPLATE = "/v1/imports/agreements/template.csv"
DELIMITERS = {"koma": "comma", "titik-koma": "semicolon"}  # the console's word -> the service's
CHUNK = 64 * 1024
MAX_SHOWN_ERRORS = 1000  # a list longer than this is cut, with the number left out said
MAX_COLUMNS = 60
IMPORT_READ_SECONDS = 300.0  # an import of thousands of rows takes longer than a page's call
LIMIT_IN_DETAIL = re.compile(r"limit of (\d{1,9}(?:\.\d{1,3})? ?(?:[KMG]i?B|bytes))")


async def _published_limit(request: Request) -> int | None:
    """The import's size limit, if the service's OpenAPI document states one (``maxLength`` of the file)."""
    try:
        openapi = await openapi_of(request, backend_of(request))
        schema = openapi["paths"][IMPORT]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        value = schema["properties"]["file"].get("maxLength")
    except (PageError, KeyError, TypeError, AttributeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


async def _columns(request: Request, user: User) -> list[tuple[str, str]]:
    """The columns and the example row of the service's own template (none if it cannot be read)."""
    try:
        r = await backend_of(request).request("GET", SERVICE, TEMPLATE, user.token)
    except (PageError, Refused):
        return []
    rows = list(islice(csv.reader(io.StringIO(r.content[:64 * 1024].decode("utf-8-sig", "replace"))), 2))
    if not rows:
        return []
    return [(h, e) for h, e in zip_longest(rows[0], rows[1] if len(rows) > 1 else [], fillvalue="") if h][:MAX_COLUMNS]


async def _page(request: Request, user: User, status: int = 200, **result: Any) -> Response:
    """The whole page, or (an htmx upload) only the result below the form, which keeps the chosen file."""
    result.setdefault("report", None)
    result.setdefault("problem", None)
    if request.method == "POST" and request.headers.get("hx-request"):
        return render(request, "import_result.html", status_code=status, htmx=True, **result)
    published = await _published_limit(request)
    limit = min(published, settings_of(request).max_upload_bytes) if published else None
    return render(request, "import.html", status_code=status, htmx=False, columns=await _columns(request, user),
                  limit=translator_of(request).size(limit) if limit else None, max_bytes=settings_of(request).max_upload_bytes,
                  **result)


@router.get("/impor")
async def import_page(request: Request, user: CurrentUser) -> Response:
    require_can(request, "agreement.import")
    return await _page(request, user)


@router.get("/impor/templat.csv")
async def template_csv(request: Request, user: CurrentUser, pemisah: str = "koma") -> Response:
    """The service's template streamed through, with its own Content-Disposition."""
    require_can(request, "agreement.import")
    delimiter = DELIMITERS.get(pemisah)
    if delimiter is None:
        raise PageError(404)
    return await passthrough(backend_of(request), SERVICE, f"{TEMPLATE}?delimiter={delimiter}", user.token,
                             "jalin-impor-perjanjian.csv")


async def _send(request: Request, user: User, upload: UploadFile, name: str, dry_run: bool) -> httpx.Response:
    """The upload passed on as a multipart body of its own (field ``file``), read a chunk at a time."""
    backend = backend_of(request)
    boundary = secrets.token_hex(16)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        await upload.seek(0)
        while chunk := await upload.read(CHUNK):
            yield chunk
        yield tail

    headers = {"Authorization": f"Bearer {user.token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if upload.size is not None:
        headers["Content-Length"] = str(len(head) + upload.size + len(tail))
    timeout = httpx.Timeout(settings_of(request).service_timeout_seconds, read=IMPORT_READ_SECONDS)
    try:
        return await backend.client.post(f"{backend.urls[SERVICE]}{IMPORT}", params={"dry_run": str(dry_run).lower()},
                                         content=body(), headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise PageError(503, f"{SERVICE}: {type(exc).__name__}") from None


def _refusal(t: Translator, status: int, body: Any) -> dict[str, str]:
    """A refusal of the whole file, in the reader's language (with the service's own words beside it)."""
    detail = body.get("detail") if isinstance(body, dict) else None
    detail = detail[:500] if isinstance(detail, str) else ""
    missing = body.get("missing_columns") if isinstance(body, dict) else None
    if status == 413:
        size = LIMIT_IN_DETAIL.search(detail)
        return {"message": t("import.refused.413").format(size=size.group(1)) if size else t("import.refused.413.nosize"),
                "detail": ""}
    if status == 422 and isinstance(missing, list) and missing:
        columns = ", ".join(str(c)[:100] for c in missing[:30])
        return {"message": t("import.refused.missing").format(columns=columns), "detail": ""}
    message = t({415: "import.refused.415", 400: "import.refused.400"}.get(status, "import.refused.422"))
    known = t.message(detail) if detail else detail
    return {"message": f"{message} {known}" if known != detail else message, "detail": detail}


def _report(t: Translator, body: dict[str, Any]) -> dict[str, Any]:
    """The service's report as the page shows it: each bad cell's message in the reader's language."""
    listed = body.get("errors")
    raw: list[Any] = listed if isinstance(listed, list) else []
    errors = []
    for e in raw[:MAX_SHOWN_ERRORS]:
        if isinstance(e, dict):
            original = str(e.get("error") or e.get("message") or "")[:1000]
            message = t.message(original)
            errors.append({"row": e.get("row"), "column": str(e.get("column", ""))[:200], "message": message,
                           "original": original if message != original else ""})
    counts = {k: body.get(k) for k in ("rows", "would_import", "imported", "already_imported", "bad_rows")}
    ignored = [str(c)[:200] for c in body.get("ignored_columns") or [] if isinstance(c, str)][:MAX_COLUMNS]
    return {"file": str(body.get("file", ""))[:MAX_NAME * 2], "dry_run": bool(body.get("dry_run")), "errors": errors,
            "more": max(0, len(raw) - MAX_SHOWN_ERRORS), "ignored": ignored, **counts}


@router.post("/impor")
async def import_upload(request: Request, user: CurrentUser) -> Response:
    require_can(request, "agreement.import")
    t = translator_of(request)
    try:  # already read by the CSRF check when the token came in the form (a plain POST)
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:  # a broken multipart body (400), or one larger than the console's bound (413)
        status = 413 if exc.status_code == 413 else 400
        return await _page(request, user, status, problem=_refusal(t, status, {}))
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
            return await _page(request, user, 422, problem={"message": t("import.refused.none"), "detail": ""})
        dry_run = form.get("mode") != "impor"
        r = await _send(request, user, upload, safe_name(upload.filename, "register"), dry_run)
    finally:
        await form.close()
    if r.status_code == 401:
        raise SignInNeeded()
    if r.status_code in (403, 404):
        raise PageError(r.status_code)
    try:
        body = r.json()
    except ValueError:
        body = None
    if r.status_code == 200 and isinstance(body, dict):
        return await _page(request, user, report=_report(t, body))
    if r.status_code in (400, 413, 415, 422):
        return await _page(request, user, r.status_code, problem=_refusal(t, r.status_code, body))
    raise PageError(503, f"{SERVICE}: {r.status_code}")
