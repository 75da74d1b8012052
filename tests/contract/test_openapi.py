"""Every operation of the four services against its own OpenAPI document: schemathesis with
all its checks, on the platform as processes, once with a token of the cooperation section
(``kerja_sama``) and once with an OPD's (``opd_staff`` of a unit).

It runs on one store: PostgreSQL when the tests have one (the production store, and the
stricter one: NUL characters, lengths, integer ranges), else SQLite. The contract is the same
code on both; what the stores do differently is tested by each service's own tests on both.

The documents are the app factories' own (``app.openapi()`` needs no running service), so
the operations are known when the tests are collected; the requests go to the running
platform. Each operation runs schemathesis' examples, coverage and fuzzing phases; the
fuzzing phase draws ``JALIN_TEST_OPENAPI_EXAMPLES`` cases (5 by default; the coverage phase
sends the cases the schema defines, whatever the number).

What is generated lands in a region of its own, onboarded here through the operator's API
(``fuzz``, and ``fuzz-mitra`` to name as a partner): never in the regions other tests read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from jalin_documents.app import build as build_documents
from jalin_documents.settings import DocumentsSettings
from jalin_e2e import wait_for
from jalin_evaluation.app import build as build_evaluation
from jalin_evaluation.settings import EvaluationSettings
from jalin_kit.auth import issue_dev_token
from jalin_notifications.app import build as build_notifications
from jalin_notifications.settings import NotificationsSettings
from jalin_proposals.app import build as build_proposals
from jalin_proposals.settings import ProposalsSettings

from jalin_cli.platform import SERVICES, Platform

STORE = "postgresql" if os.environ.get("JALIN_TEST_DATABASE_URL") else "sqlite"  # see tests/contract/conftest.py
MAX_EXAMPLES = int(os.environ.get("JALIN_TEST_OPENAPI_EXAMPLES", "5"))

FUZZ, PARTNER = "fuzz", "fuzz-mitra"
UNITS = {"dinkes": "Dinas Kesehatan", "dpupr": "Dinas Pekerjaan Umum dan Penataan Ruang"}
ROLES = {"kerja_sama": None, "opd_staff": "dinkes"}  # role -> the token's unit claim

# `--checks all`, bounded fuzzing. No check is excluded and no status is added to what a
# check expects: every answer must be in the document, with its body and media type.
CONFIG = schemathesis.Config.from_dict({
    "checks": {"enabled": True},
    "generation": {"max-examples": MAX_EXAMPLES},
})

APPS = {
    "proposals": (build_proposals, ProposalsSettings), "documents": (build_documents, DocumentsSettings),
    "notifications": (build_notifications, NotificationsSettings), "evaluation": (build_evaluation, EvaluationSettings),
}
# Settings only so that the factory runs (the document does not depend on them).
SCHEMAS = {
    name: schemathesis.openapi.from_dict(build(settings(environment="test", jwt_secret="openapi")).openapi(), config=CONFIG)
    for name, (build, settings) in APPS.items()
}

# The upload routes list the formats they read as their file part's media types (multipart
# `encoding.contentType`): these are files of those formats, so that a positive case sends
# a real one. (Unregistered, a "binary" part is random bytes, which is rightly a 415.)
PDF = (b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\n"
       b"endobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\nendobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n0000000105 00000 n \n"
       b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")
REGISTER = (
    b"nomor,judul,jenis,jenis_dokumen,mitra,opd,tanggal_tanda_tangan,tempat,penandatangan,jabatan_penandatangan,"
    b"tanggal_mulai,jangka_waktu_bulan,maksud_tujuan,ruang_lingkup,pembiayaan\r\n"
    b"180/015/FUZZ/2025,Pelayanan Kesehatan Rujukan,ksdd,pks,Pemerintah Kota Samarinda,dinkes,2025-03-15,Tapaktuan,"
    b"Kepala Fuzz,Bupati Aceh Selatan,2025-03-15,24,Meningkatkan akses rujukan.,Rujukan pasien.,APBD.\r\n"
)
schemathesis.openapi.media_type("application/pdf", st.just(PDF))
schemathesis.openapi.media_type("text/csv", st.just(REGISTER))


# -- rules no static schema can state ---------------------------------------------------------
#
# They depend on today's date or on the registry, which the document cannot name. A positive
# case (one the schema says is valid) is moved inside them before it is sent; negative cases
# are sent as generated. Each rule is in the operation's description and checked in its tests.

def _today() -> date:
    return date.today()


def _clamp(value: Any, first: date, last: date) -> Any:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return value
    return value if day is None else min(max(day, first), last).isoformat()


def _within_rules(body: dict[str, Any]) -> None:
    today = _today()
    if "deadline" in body:  # a mapping round's deadline: from today to two years ahead
        body["deadline"] = _clamp(body["deadline"], today, today + timedelta(days=700))
    if "decision_date" in body:  # a DPRD decision: at the latest tomorrow
        body["decision_date"] = _clamp(body["decision_date"], date(1990, 1, 1), today)
    if "signed_on" in body:  # a signing: since 1990, at the latest tomorrow; the term within a year of it
        body["signed_on"] = _clamp(body["signed_on"], today - timedelta(days=3000), today)
        if isinstance(body.get("term_start"), str) and isinstance(body["signed_on"], str):
            signed = date.fromisoformat(body["signed_on"])
            body["term_start"] = _clamp(body["term_start"], signed - timedelta(days=360), signed + timedelta(days=360))
    elif "term_start" in body:  # an approval's planned start: a year back to five ahead
        body["term_start"] = _clamp(body["term_start"], today - timedelta(days=360), today + timedelta(days=1800))
    # A partner named by tenant id is a region onboarded on this Jalin, and not the proposer.
    partners = [body.get("partner"), *(body.get("candidate_partners") or [])]
    for partner in partners:
        if isinstance(partner, dict) and isinstance(partner.get("tenant"), str):
            partner["tenant"] = PARTNER


def _positive(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


# -- the caller ------------------------------------------------------------------------------------
#
# Programmatic auth, so that schemathesis leaves the header off (or as it made it) in the cases
# about a missing or wrong Authorization. Auth is set when a case is generated, and the coverage
# phase's cases are generated when the tests are collected, before any token exists (and are
# shared by the tests of both tokens): the case carries a placeholder, or a token an earlier
# test put there, which is replaced by the running test's token as the request is sent.

PLACEHOLDER = "Bearer token-of-the-running-test"
TOKEN = {"value": ""}
OURS = {PLACEHOLDER}


# -- one case schemathesis mislabels ------------------------------------------------------------------
#
# schemathesis 4.32.5's coverage scenario "Multipart body with custom encoding" fills each
# required part it has no media-type strategy for with "" and calls the body positive, though
# "" breaks the part's own schema (the upload's proposal_id pattern, its kind enum); see
# `_generate_multipart_body_from_custom_strategies` in schemathesis/specs/openapi/coverage/_operation.py.
# Only such a body is skipped: the scenario's bodies with real values, and every other case, are sent.

@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    if getattr(data, "description", None) != "Multipart body with custom encoding" or not isinstance(case.body, dict):
        return True
    return "" not in case.body.values()


class Bearer:
    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return PLACEHOLDER

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@schemathesis.hook  # global: schemathesis has no per-schema before_call (only this module uses schemathesis)
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    if case.headers and case.headers.get("Authorization") in OURS:
        case.headers["Authorization"] = f"Bearer {TOKEN['value']}"
    if _positive(case) and isinstance(case.body, dict):
        _within_rules(case.body)


for _schema in SCHEMAS.values():
    _schema.auth(refresh_interval=None, retry_on=[])(Bearer)


# -- the platform's fuzz region -------------------------------------------------------------------


def _token(platform: Platform, tenant: str, role: str, unit: str | None = None) -> str:
    return issue_dev_token(platform.config.jwt_secret, tenant=tenant, roles=[role], user=f"{tenant}-{role}", unit=unit)


def _onboard(http: httpx.Client, platform: Platform, body: dict[str, Any]) -> None:
    operator = {"Authorization": f"Bearer {_token(platform, 'platform', 'platform_admin')}"}
    r = http.post(f"{platform.url('proposals')}/v1/admin/tenants", json=body, headers=operator)
    assert r.status_code in (201, 409), r.text  # 409: this platform has it already


@pytest.fixture(scope="module")
def fuzz_region(platform: Platform) -> Iterator[str]:
    """Regions of their own for the generated data, onboarded through the operator's API; the
    tests start once every service admits their tokens (they learn of them from an event)."""
    with httpx.Client(timeout=30) as http:
        common = {"head_name": "Kepala Daerah Uji", "units": UNITS}
        _onboard(http, platform, {**common, "region_code": "11.01", "id": FUZZ, "seat": "Tapaktuan",
                                  "email_domain": "fuzz.example.id"})
        _onboard(http, platform, {**common, "region_code": "11.02", "id": PARTNER, "seat": "Kutacane",
                                  "email_domain": "fuzz-mitra.example.id"})
        reads = {"proposals": "/v1/proposals", "documents": "/v1/documents", "notifications": "/v1/inbox",
                 "evaluation": "/v1/plans"}
        for tenant in (FUZZ, PARTNER):
            headers = {"Authorization": f"Bearer {_token(platform, tenant, 'kerja_sama')}"}

            def admitted(headers: dict[str, str] = headers) -> bool:
                return all(http.get(f"{platform.url(s)}{reads[s]}", headers=headers).status_code == 200 for s in SERVICES)

            wait_for(admitted, timeout=60, what=f"every service admitting {tenant}")
    yield FUZZ


@pytest.fixture
def tokens(platform: Platform, fuzz_region: str) -> dict[str, str]:
    """A token of the fuzz region per role; each is also marked as one of ours for ``before_call``."""
    out = {role: _token(platform, fuzz_region, role, unit) for role, unit in ROLES.items()}
    OURS.update(f"Bearer {t}" for t in out.values())
    return out


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    """One connection pool for the module's thousands of requests (schemathesis opens a
    session, and a connection, per request otherwise)."""
    with requests.Session() as s:
        yield s


@schemathesis.pytest.parametrize(**SCHEMAS)
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_openapi(case: schemathesis.Case, platform: Platform, tokens: dict[str, str], session: requests.Session) -> None:
    """Each generated case is sent once with each token (the same input, as the section and as an
    OPD); a case about a missing or wrong Authorization header carries no token, and is sent once."""
    service = case.operation.schema.raw_schema["info"]["title"].removeprefix("Jalin ")
    for role, token in tokens.items():
        TOKEN["value"] = token
        try:
            case.call_and_validate(base_url=platform.url(service), session=session)
        except BaseException as exc:
            exc.add_note(f"(sent with the token of a {role}{' of unit ' + ROLES[role] if ROLES[role] else ''})")
            raise
        if (case.headers or {}).get("Authorization") not in OURS:
            break
