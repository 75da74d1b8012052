"""The role × operation tables of docs/access.md for documents, notifications and evaluation
(the proposals tables: services/proposals/tests/test_access.py), on the platform as processes:
every cell over HTTP — each role alone is refused with 403 (whether or not the object
exists: the role is checked first) or is let through — and every route of those services
is named by an operation, so a new route cannot skip the table."""

from __future__ import annotations

import re

import httpx
import pytest
from jalin_documents.access import OPERATIONS as DOCUMENTS
from jalin_e2e import Api, wait_for
from jalin_evaluation.access import OPERATIONS as EVALUATION
from jalin_kit.access import SHOWN_ROLES, UNIT_BOUND, Operations
from jalin_notifications.access import OPERATIONS as NOTIFICATIONS

from jalin_cli.platform import Platform

TABLES: dict[str, Operations] = {"documents": DOCUMENTS, "notifications": NOTIFICATIONS, "evaluation": EVALUATION}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
NOT_IN_THE_TABLE = {"/healthz", "/readyz"}  # probes; /docs and /openapi.json are not in the spec
OBJECT_OF = {  # the first part of an operation's name → the id its routes take
    "document": "document_id", "attachment": "attachment_id", "inbox": "message_id", "plan": "plan_id",
    "deadletter": "dead_letter_id", "outbox": "outbox_id", "tenant": "tenant_id", "capabilities": "",
}
UNKNOWN = "424242"  # an id of nothing (a number: the dead-letter routes take an int)
PDF = b"%PDF-1.4\n1 0 obj\n<</Type/Catalog>>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"


def named_routes(routes: str) -> list[tuple[str, str]]:
    """The (method, path) pairs an operation's description names: "GET /a, /a/{id} (note)"."""
    method, out = None, []
    for token in re.sub(r"\([^)]*\)", " ", routes).replace(",", " ").split():
        if token in METHODS:
            method = token
        elif token.startswith("/"):
            assert method is not None, routes
            out.append((method, token))
    return out


def normalized(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def test_every_operation_names_its_routes() -> None:
    for service, operations in TABLES.items():
        for op, (roles, routes) in operations.items():
            assert named_routes(routes), f"{service} {op} names no route: {routes!r}"
            assert op.split(".")[0] in OBJECT_OF, f"{service} {op}: which object do its routes take?"
            assert roles <= set(SHOWN_ROLES), f"{service} {op}: unknown roles {roles - set(SHOWN_ROLES)}"


def test_every_route_is_named_by_an_operation(platform: Platform) -> None:
    for service, operations in TABLES.items():
        spec = httpx.get(f"{platform.url(service)}/openapi.json").json()
        served = {
            (method.upper(), normalized(path))
            for path, item in spec["paths"].items()
            if path not in NOT_IN_THE_TABLE
            for method in item
            if method.upper() in METHODS
        }
        named = {(m, normalized(p)) for _, routes in operations.values() for m, p in named_routes(routes)}
        assert served - named == set(), f"{service}: routes no operation names (add them to its access.py)"
        assert named - served == set(), f"{service}: the table names routes the service does not serve"


def as_role(platform: Platform, role: str) -> dict[str, str]:
    """A token with this one role: of the operators' tenant for platform_admin, else of sumbar's dinkes."""
    if role == "platform_admin":
        return Api(platform, tenant="platform").headers(role, unit=None)
    return Api(platform, tenant="sumbar", unit="dinkes").headers(role)


def call(api: Api, service: str, op: str, method: str, path: str, headers: dict[str, str],
         ids: dict[str, str]) -> httpx.Response:
    if op == "attachment.upload":
        return api.client.post(
            api.url(service, path), headers=headers, data={"proposal_id": ids["proposal_id"], "kind": "letter"},
            files={"file": ("surat.pdf", PDF, "application/octet-stream")},
        )
    url = path.replace("{id}", ids[OBJECT_OF[op.split(".")[0]]]) if "{id}" in path else path
    return api.client.request(method, api.url(service, url), headers=headers)


def expected(op: str, method: str) -> int:
    """The answer to a role that is let through, on the objects prepared below."""
    if op == "attachment.upload":
        return 201
    if op in ("deadletter.replay", "outbox.replay"):
        return 404  # no such dead letter or outbox event: the role got past the check
    return {"GET": 200, "POST": 200, "DELETE": 204}[method]


@pytest.fixture
def objects(api: Api) -> dict[str, str]:
    """An approved proposal of sumbar's dinkes with its document, message and plan, and an attachment."""
    pid = api.approved_proposal(title="Tabel akses")["id"]
    document = wait_for(lambda: api.documents(pid), what="document")[0]
    message = wait_for(lambda: api.inbox(pid), what="message")[0]
    plan = wait_for(lambda: api.plans(pid), what="plan")[0]
    attachment = api.upload_attachment(pid)
    return {"proposal_id": pid, "document_id": document["id"], "message_id": message["id"], "plan_id": plan["id"],
            "attachment_id": attachment["id"], "dead_letter_id": UNKNOWN, "outbox_id": UNKNOWN, "tenant_id": "sumbar"}


def test_every_cell_over_http(platform: Platform, api: Api, objects: dict[str, str]) -> None:
    cells = [
        (service, op, method, path, role)
        for service, operations in TABLES.items()
        for op, (roles, routes) in operations.items()
        for method, path in named_routes(routes)
        for role in SHOWN_ROLES
    ]
    assert {role for *_, role in cells} == set(SHOWN_ROLES)
    unknown = dict.fromkeys(objects, UNKNOWN) | {"proposal_id": objects["proposal_id"]}

    # The refusals first: on the real objects and on ids of nothing (403, never 404), changing nothing.
    for service, op, method, path, role in cells:
        if role in TABLES[service][op][0]:
            continue
        for ids in (objects, unknown):
            r = call(api, service, op, method, path, as_role(platform, role), ids)
            assert r.status_code == 403, (service, op, method, path, role, r.status_code, r.text)
    assert api.get("documents", f"/v1/attachments/{objects['attachment_id']}").status_code == 200
    assert len(api.get("documents", "/v1/attachments", proposal_id=objects["proposal_id"]).json()) == 1
    assert api.get("notifications", f"/v1/inbox/{objects['message_id']}").json()["read_at"] is None

    # Then each role the table lets through.
    for service, op, method, path, role in cells:
        if role not in TABLES[service][op][0]:
            continue
        ids = objects
        if op == "attachment.delete":  # each its own attachment to delete
            ids = {**objects, "attachment_id": api.upload_attachment(objects["proposal_id"])["id"]}
        r = call(api, service, op, method, path, as_role(platform, role), ids)
        assert r.status_code not in (401, 403) and r.status_code < 500, (service, op, method, path, role, r.text)
        assert r.status_code == expected(op, method), (service, op, method, path, role, r.status_code, r.text)
    assert api.get("notifications", f"/v1/inbox/{objects['message_id']}").json()["read_at"] is not None
    assert api.get("documents", f"/v1/attachments/{objects['attachment_id']}").status_code == 200


def test_the_unit_rule_in_every_cell(platform: Platform, api: Api, objects: dict[str, str]) -> None:
    """The objects belong to sumbar's dinkes. Every role the table lets through, with another
    unit (dpupr) or none: an OPD's role gets 404 on them (and its lists leave them out), a
    tenant-wide role gets what it always gets; a notice addressed to dinkes reaches only
    dinkes, whatever the role."""
    cells = [
        (service, op, method, path, role)
        for service, operations in TABLES.items()
        for op, (roles, routes) in operations.items()
        if op.split(".")[0] in ("document", "attachment", "inbox", "plan")
        for method, path in named_routes(routes)
        if "{" in path or op == "attachment.upload"
        for role in SHOWN_ROLES
        if role in roles
    ]
    assert {role for *_, role in cells} >= UNIT_BOUND
    lists = {"documents": "/v1/documents", "evaluation": "/v1/plans"}
    for unit in ("dpupr", None):
        for service, op, method, path, role in cells:
            ids = objects
            if op == "attachment.delete":
                ids = {**objects, "attachment_id": api.upload_attachment(objects["proposal_id"])["id"]}
            headers = Api(platform, tenant="sumbar", unit=unit).headers(role, unit=unit)
            r = call(api, service, op, method, path, headers, ids)
            if role in UNIT_BOUND or service == "notifications":
                assert r.status_code == 404, (service, op, method, path, role, unit, r.status_code, r.text)
            else:
                assert r.status_code == expected(op, method), (service, op, method, path, role, unit, r.text)
        for role in sorted(UNIT_BOUND):
            headers = Api(platform, tenant="sumbar", unit=unit).headers(role, unit=unit)
            for service, path in lists.items():
                assert api.get(service, path, headers=headers, proposal_id=objects["proposal_id"]).json() == []
            assert api.get("documents", "/v1/attachments", headers=headers, proposal_id=objects["proposal_id"]).json() == []
    # The refused calls changed nothing the unit sees.
    assert api.get("documents", f"/v1/attachments/{objects['attachment_id']}").status_code == 200
    assert api.get("notifications", f"/v1/inbox/{objects['message_id']}").json()["read_at"] is None
