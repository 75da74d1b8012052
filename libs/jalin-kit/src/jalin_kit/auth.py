"""JWT bearer authentication.

Development: HS256 tokens minted by ``jalin token`` with the platform's local secret.
Production: an OIDC provider, verified against its JWKS with pinned algorithms, issuer
and audience. Claims: ``sub`` (user), ``tenant``, ``unit`` (OPD), ``roles``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jalin_kit.identifiers import TENANT_ID, UNIT_ID
from jalin_kit.settings import ServiceSettings
from jalin_kit.tenants import Admission, TenantDirectory

ROLES = frozenset(
    {
        "opd_staff",
        "opd_head",
        "kerja_sama",
        "tkksd",
        "sekda",
        "kepala_daerah",
        "dprd",
        "auditor",
        "platform_admin",
    }
)


PLATFORM_TENANT = "platform"
"""The operators' tenant id: its tokens reach the operator routes and no tenant's content."""


class AuthError(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    user_id: str
    tenant_id: str
    roles: frozenset[str]
    unit: str | None = None
    name: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self.fetches_keys = bool(settings.jwt_jwks_url)
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._secret = None if self._jwks is not None else settings.jwt_key()
        self._algorithms = list(settings.jwt_algorithms)

    def verify(self, token: str) -> Principal:
        try:
            key: Any
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            else:
                key = self._secret
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        except (TypeError, ValueError) as exc:  # a key of the wrong kind for the token's algorithm
            raise AuthError("invalid token: key and algorithm do not match") from exc
        tenant = claims.get("tenant")
        roles = claims.get("roles") or []
        if not isinstance(tenant, str) or not tenant:
            raise AuthError("invalid token: no tenant claim")
        if not TENANT_ID.fullmatch(tenant):
            # The tenant becomes a subject token and a column value: refuse it at the door.
            raise AuthError("invalid token: tenant claim must be 1-64 of a-z, 0-9, '-'")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthError("invalid token: roles must be a list of strings")
        unit, name = claims.get("unit"), claims.get("name")
        if unit is not None and not (isinstance(unit, str) and UNIT_ID.fullmatch(unit)):
            raise AuthError("invalid token: unit claim must be 1-64 of a-z, 0-9, '-', '_'")
        if name is not None and not (isinstance(name, str) and len(name) <= 200):
            raise AuthError("invalid token: name claim must be a string of at most 200 characters")
        return Principal(
            user_id=str(claims["sub"]),
            tenant_id=tenant,
            roles=frozenset(r for r in roles if r in ROLES),
            unit=unit,
            name=name,
        )


def issue_dev_token(
    secret: str,
    *,
    tenant: str,
    roles: list[str],
    user: str,
    unit: str | None = None,
    name: str | None = None,
    issuer: str = "jalin-dev",
    audience: str = "jalin",
    ttl_seconds: int = 7 * 24 * 3600,
) -> str:
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(ROLES))}")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user,
        "tenant": tenant,
        "roles": roles,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if unit:
        claims["unit"] = unit
    if name:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    verifier: TokenVerifier = request.app.state.verifier
    try:
        if verifier.fetches_keys:  # the JWKS fetch is blocking I/O: off the event loop
            principal = await asyncio.to_thread(verifier.verify, credentials.credentials)
        else:
            principal = verifier.verify(credentials.credentials)
    except AuthError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from exc
    await admit(request.app.state.tenants, principal)
    return principal


async def admit(tenants: TenantDirectory, principal: Principal) -> None:
    """A valid token counts only for a region onboarded and enabled on this platform, and a
    unit only if it is one of the region's (when the region lists its units)."""
    if principal.tenant_id == PLATFORM_TENANT:
        return
    admission = await tenants.admission(principal.tenant_id)
    if admission is Admission.UNKNOWN:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"tenant {principal.tenant_id!r} is not a region onboarded on this Jalin",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if admission is Admission.DISABLED:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"tenant {principal.tenant_id!r} is disabled on this Jalin")
    units = tenants.get(principal.tenant_id).units
    if principal.unit is not None and units and principal.unit not in units:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"unit {principal.unit!r} is not a unit (OPD) of tenant {principal.tenant_id!r}"
        )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def platform_operator(principal: CurrentPrincipal) -> Principal:
    if principal.tenant_id != PLATFORM_TENANT or not principal.has_any("platform_admin"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"operators only: role platform_admin of tenant {PLATFORM_TENANT!r}"
        )
    return principal


PlatformOperator = Annotated[Principal, Depends(platform_operator)]


TENANT_ROLES = ROLES - {"platform_admin"}


async def _tenant_member(principal: CurrentPrincipal) -> Principal:
    if principal.tenant_id == PLATFORM_TENANT or not principal.has_any(*TENANT_ROLES):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "this needs a role of the tenant (platform_admin sees no tenant's content)"
        )
    return principal


TenantMember = Annotated[Principal, Depends(_tenant_member)]
"""Any role of the tenant may read its cooperation data; the platform operator may not."""
