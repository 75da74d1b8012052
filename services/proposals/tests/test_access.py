"""The role × operation table of docs/access.md: the file is current, and every cell holds
over HTTP — each role alone either is refused with 403 or is let through."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jalin_kit.access import UNIT_BOUND
from jalin_kit.auth import issue_dev_token
from jalin_proposals.access import OPERATIONS, SHOWN_ROLES
from jalin_proposals.commands import body_model
from jalin_proposals.lifecycle import (
    SYSTEM,
    TERMINAL,
    CooperationFlags,
    Initiator,
    Kind,
    Lifecycle,
    LifecycleConfig,
    Stage,
    Transition,
    lifecycle_for,
)

from services.proposals.tests.conftest import SECRET, Service, caller, proposal, running, settings_for, signing

ROOT = Path(__file__).resolve().parents[3]


def test_docs_access_md_is_generated_from_the_code() -> None:
    from jalin_cli.access_docs import access_markdown  # every service's tables: the jalin command's generator

    assert (ROOT / "docs" / "access.md").read_text(encoding="utf-8") == access_markdown(), (
        "docs/access.md is stale: jalin docs access"
    )


def as_role(role: str, unit: str | None = "dpupr") -> dict[str, str]:
    return caller("platform" if role == "platform_admin" else "sumbar", role, unit=unit, user=f"u-{role}")


SECTION = as_role("kerja_sama")
STAFF = as_role("opd_staff")

PROPOSAL = proposal(title="Pengelolaan Sampah Regional", partner={"name": "Kota Bukittinggi"})  # not on Jalin: the owner answers
SIGN = signing("1/2026")
BODY_OF: dict[str, dict[str, Any] | None] = {
    "SignRequest": SIGN,
    "PksSignRequest": SIGN,
    "WorkPlanRequest": SIGN,
    "DprdRequest": {"decision_number": "1/DPRD", "decision_date": date.today().isoformat()},
    "RejectRequest": {"reason": "Belum layak."},
    "TerminateRequest": {"reason": "mutual_agreement", "note": "Sepakat."},
    "ApproveRequest": None,
    "NoteRequest": None,
}


@pytest.fixture
async def client(nats_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """SQLite only: the table is about roles, not storage (thousands of calls)."""
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", nats_url, tmp_path)
    async with running(settings, Service) as service:
        yield service.client


Call = Callable[[httpx.AsyncClient, dict[str, str], dict[str, str]], Awaitable[httpx.Response]]

CALLS: dict[str, Call] = {
    "proposal.create": lambda c, h, x: c.post("/v1/proposals", json=PROPOSAL, headers=h),
    "proposal.edit": lambda c, h, x: c.patch(f"/v1/proposals/{x['draft']}", json={"scope": "Baru."}, headers=h),
    "proposal.read": lambda c, h, x: c.get(f"/v1/proposals/{x['draft']}", headers=h),
    "proposal.history": lambda c, h, x: c.get(f"/v1/proposals/{x['draft']}/history", headers=h),
    "proposal.comment": lambda c, h, x: c.post(f"/v1/proposals/{x['draft']}/comments", json={"text": "Catatan."}, headers=h),
    "proposal.extend": lambda c, h, x: c.post(f"/v1/proposals/{x['draft']}/extend", headers=h),
    "agreement.read": lambda c, h, x: c.get("/v1/agreements", headers=h),
    "agreement.addendum": lambda c, h, x: c.post(
        "/v1/agreements/00000000-0000-0000-0000-000000000000/addenda", json={**SIGN, "summary": "Ubah."}, headers=h
    ),
    "agreement.import": lambda c, h, x: c.post(
        "/v1/imports/agreements", params={"dry_run": "true"}, headers=h,
        files={"file": ("register.csv", b"nomor,judul\n", "text/csv")},
    ),
    "mapping.read": lambda c, h, x: c.get("/v1/mapping-rounds", headers=h),
    "mapping.round.create": lambda c, h, x: c.post(
        "/v1/mapping-rounds", headers=h,
        json={"title": "Pemetaan 2027", "year": 2027, "deadline": (date.today() + timedelta(days=30)).isoformat()},
    ),
    "mapping.round.close": lambda c, h, x: c.post(f"/v1/mapping-rounds/{x['round']}/close", headers=h),
    "mapping.missing": lambda c, h, x: c.get(f"/v1/mapping-rounds/{x['round']}/missing", headers=h),
    "mapping.potential.submit": lambda c, h, x: c.post(
        f"/v1/mapping-rounds/{x['round']}/potentials", headers=h,
        json={"affair": "kesehatan", "title": "Rujukan", "description": "Rujukan pasien.", "benefit": "Akses."},
    ),
    "mapping.potential.propose": lambda c, h, x: c.post(
        f"/v1/potentials/{x['potential']}/propose", headers=h,
        json={"kind": "ksdd", "partner": {"name": "Kota Solok"}, "scope": "Rujukan.", "term_months": 12,
              "financing": "APBD."},
    ),
    "tenant.directory": lambda c, h, x: c.get("/v1/tenants", headers=h),
    "region.read": lambda c, h, x: c.get("/v1/regions", params={"province_code": "13"}, headers=h),
    "tenant.admin": lambda c, h, x: c.get("/v1/admin/tenants", headers=h),
    "outbox.list": lambda c, h, x: c.get("/v1/admin/outbox", headers=h),
    "outbox.replay": lambda c, h, x: c.post("/v1/admin/outbox/424242/replay", headers=h),
    "capabilities.read": lambda c, h, x: c.get("/v1/capabilities", headers=h),
}


def test_every_operation_has_a_call() -> None:
    assert set(CALLS) == set(OPERATIONS)


async def test_every_operation_cell_over_http(client: httpx.AsyncClient) -> None:
    draft = (await client.post("/v1/proposals", json=PROPOSAL, headers=STAFF)).json()["id"]
    rnd = (await CALLS["mapping.round.create"](client, SECTION, {})).json()["id"]
    potential = (await CALLS["mapping.potential.submit"](client, STAFF, {"round": rnd})).json()["id"]
    ids = {"draft": draft, "round": rnd, "potential": potential}
    # Refusals first (they must change nothing), then the roles let through.
    cells = sorted(((op, role) for op in OPERATIONS for role in SHOWN_ROLES),
                   key=lambda cell: (cell[1] in OPERATIONS[cell[0]][0], cell[0] == "mapping.round.close"))
    for op, role in cells:
        r = await CALLS[op](client, as_role(role), ids)
        if role in OPERATIONS[op][0]:
            assert r.status_code not in (401, 403) and r.status_code < 500, (op, role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (op, role, r.status_code, r.text)


# The operations on one proposal or potential: where the unit rule decides who sees the object.
ON_AN_OBJECT = ("proposal.edit", "proposal.read", "proposal.history", "proposal.comment", "proposal.extend",
                "mapping.potential.propose")


async def test_the_unit_rule_in_every_cell(client: httpx.AsyncClient) -> None:
    """An OPD's draft and potential are that OPD's: every role the table lets through, holding
    an OPD role only, gets 404 with another unit or none; every tenant-wide role gets what it
    gets with any unit. Lists and lifecycle commands follow the same rule."""
    draft = (await client.post("/v1/proposals", json=PROPOSAL, headers=STAFF)).json()["id"]
    rnd = (await CALLS["mapping.round.create"](client, SECTION, {})).json()["id"]
    potential = (await CALLS["mapping.potential.submit"](client, STAFF, {"round": rnd})).json()["id"]
    ids = {"draft": draft, "round": rnd, "potential": potential}
    cells = [(op, role) for op in ON_AN_OBJECT for role in SHOWN_ROLES if role in OPERATIONS[op][0]]
    assert {role for _, role in cells} >= UNIT_BOUND
    for op, role in sorted(cells, key=lambda cell: cell[0] == "proposal.edit"):
        for unit in ("dinkes", None):
            r = await CALLS[op](client, as_role(role, unit), ids)
            if role in UNIT_BOUND:
                assert r.status_code == 404, (op, role, unit, r.status_code, r.text)
            else:
                assert r.status_code not in (401, 403, 404) and r.status_code < 500, (op, role, unit, r.text)
    for role in sorted(UNIT_BOUND):
        for unit in ("dinkes", None):
            h = as_role(role, unit)
            assert draft not in {p["id"] for p in (await client.get("/v1/proposals", headers=h)).json()}
            assert potential not in {p["id"] for p in (await client.get("/v1/potentials", headers=h)).json()}
            assert (await client.post(f"/v1/proposals/{draft}/actions/submit", headers=h)).status_code == 404
        own = as_role(role)
        assert draft in {p["id"] for p in (await client.get("/v1/proposals", headers=own)).json()}
        assert potential in {p["id"] for p in (await client.get("/v1/potentials", headers=own)).json()}
    # Nothing of the draft was changed by the refused calls (the section reads it whole).
    stored = (await client.get(f"/v1/proposals/{draft}", headers=SECTION)).json()
    assert (stored["stage"], stored["scope"], stored["unit"]) == ("persiapan", PROPOSAL["scope"], "dpupr")


VARIANTS = [
    (Kind.KSDD, CooperationFlags(unbudgeted=True)),
    (Kind.KSDPK, CooperationFlags()),
    (Kind.KSDPK, CooperationFlags(initiator=Initiator.THIRD_PARTY)),
    (Kind.KSDPL, CooperationFlags()),
    (Kind.PUSAT, CooperationFlags()),
]


def _payload(kind: Kind, flags: CooperationFlags) -> dict[str, Any]:
    extra: dict[str, Any] = {"kind": kind.value, "unbudgeted": flags.unbudgeted}
    if kind is Kind.KSDPK:
        extra["initiator"] = flags.initiator.value
    return {**PROPOSAL, **extra}


def _path(lc: Lifecycle) -> list[Transition]:
    """The forward path from the draft to pelaksanaan, then rejection and revision."""
    stage, path = lc.start, []
    while stage is not Stage.PELAKSANAAN:
        t = next(t for t in lc.available(stage) if t.target not in TERMINAL | {Stage.DITOLAK})
        path.append(t)
        stage = t.target
    return path


@pytest.mark.parametrize(("kind", "flags"), VARIANTS, ids=lambda v: str(getattr(v, "value", v)))
async def test_every_lifecycle_cell_over_http(client: httpx.AsyncClient, kind: Kind, flags: CooperationFlags) -> None:
    lc = lifecycle_for(kind, LifecycleConfig(), flags)
    path = _path(lc)
    async def run(pid: str, t: Transition, h: dict[str, str]) -> httpx.Response:
        body = BODY_OF[body_model(t.command).__name__]
        return await client.post(f"/v1/proposals/{pid}/actions/{t.command}", json=body, headers=h)

    async def at(prefix: list[Transition]) -> str:
        """A new proposal of this kind brought along ``prefix`` by roles the rules allow."""
        created = await client.post("/v1/proposals", json=_payload(kind, flags), headers=STAFF)
        assert created.status_code == 201, created.text
        pid: str = created.json()["id"]
        for t in prefix:
            r = await run(pid, t, as_role(sorted(t.roles)[0]))
            assert r.status_code == 200, (t.command, r.text)
        return pid

    stages = [(path[:i], lc.start if i == 0 else path[i - 1].target) for i in range(len(path) + 1)]
    reject = next(t for t in lc.transitions if t.command == "reject" and t.source is path[0].target)
    stages.append((path[:1] + [reject], Stage.DITOLAK))
    for prefix, stage in stages:
        walker = await at(prefix)
        for t in lc.available(stage):
            for role in SHOWN_ROLES:
                if role in t.roles:
                    pid = await at(prefix)
                    r = await run(pid, t, as_role(role))
                    assert r.status_code == 200, (kind, stage, t.command, role, r.status_code, r.text)
                    assert r.json()["stage"] == t.target.value
                else:
                    r = await run(walker, t, as_role(role))
                    # A step only the platform makes (expire, at the end date) is no route at all.
                    refused = 404 if t.roles <= SYSTEM else 403
                    assert r.status_code == refused, (kind, stage, t.command, role, r.status_code, r.text)
        still = await client.get(f"/v1/proposals/{walker}", headers=SECTION)
        assert still.json()["stage"] == stage.value  # the refusals changed nothing


async def test_capabilities_say_what_the_table_allows(client: httpx.AsyncClient) -> None:
    """``GET /v1/capabilities`` is the table's own row set for the caller's roles (what the console offers)."""
    for role in SHOWN_ROLES:
        r = await client.get("/v1/capabilities", headers=as_role(role))
        assert r.status_code == 200, (role, r.text)
        expected = sorted(op for op, (roles, _) in OPERATIONS.items() if role in roles)
        assert r.json() == {"operations": expected, "unit": "dpupr"}, role
    both = issue_dev_token(SECRET, tenant="sumbar", roles=["opd_staff", "kerja_sama"], user="u-both", unit="dinkes")
    answer = (await client.get("/v1/capabilities", headers={"Authorization": f"Bearer {both}"})).json()
    expected = sorted(op for op, (roles, _) in OPERATIONS.items() if roles & {"opd_staff", "kerja_sama"})
    assert answer == {"operations": expected, "unit": "dinkes"} and "agreement.import" in expected
    # a region's role held in the operators' tenant counts for nothing: not even this route
    stray = issue_dev_token(SECRET, tenant="platform", roles=["kerja_sama"], user="u-stray")
    assert (await client.get("/v1/capabilities", headers={"Authorization": f"Bearer {stray}"})).status_code == 403
    assert (await client.get("/v1/capabilities")).status_code == 401
