"""Who a cooperation's partner may be: a region onboarded and enabled on Jalin (named by its
tenant id), or a party outside Jalin (named without one). Never a free-text tenant id."""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from jalin_kit.auth import Principal
from jalin_kit.runtime import ServiceRuntime

from jalin_proposals.schemas import PartnerIn


def invalid(field: str, message: str) -> RequestValidationError:
    """A 422 in the shape of every other (the field, the message), for a rule the schema
    cannot state (it depends on the registry)."""
    return RequestValidationError([{"loc": ("body", *field.split(".")), "msg": message, "type": "value_error"}])


def check_partner(runtime: ServiceRuntime, principal: Principal, partner: PartnerIn | None,
                  field: str = "partner.tenant") -> None:
    """A partner named by its tenant id is a region onboarded and enabled on Jalin, and not
    the proposing region itself; a party outside Jalin is named without one."""
    if partner is None or partner.tenant is None:
        return
    if partner.tenant == principal.tenant_id:
        raise invalid(field, "the partner cannot be this region itself")
    if not runtime.tenants.is_active(partner.tenant):
        raise invalid(field, f"{partner.tenant!r} is not a region on Jalin: name an onboarded region (GET /v1/tenants), "
                             "or leave tenant out for a party outside Jalin")
