"""Verification against an OIDC provider's keys: a JWKS served over HTTP, RS256 pinned,
issuer and audience checked; what a real provider's tokens look like."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jalin_kit.auth import AuthError, TokenVerifier
from jalin_kit.settings import ServiceSettings
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://sso.sumbarprov.example.id/realms/jalin"
AUDIENCE = "jalin-api"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("k1", "k2")}


@pytest.fixture(scope="module")
def jwks_url(keys: dict[str, Any]) -> Iterator[str]:
    served = {"keys": [{**json.loads(RSAAlgorithm.to_jwk(k.public_key())), "kid": kid, "use": "sig", "alg": "RS256"}
                       for kid, k in keys.items() if kid == "k1"]}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps(served).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/protocol/openid-connect/certs"
    server.shutdown()


def verifier(url: str) -> TokenVerifier:
    return TokenVerifier(ServiceSettings(environment="test", jwt_jwks_url=url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                                         jwt_algorithms=["RS256"]))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "f3b6c1e2-sso-user", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300,
            "tenant": "sumbar", "unit": "dinkes", "roles": ["opd_staff", "offline_access"], "name": "Ani", **changes}


def test_a_providers_rs256_token_verifies_against_its_jwks(keys: dict[str, Any], jwks_url: str) -> None:
    token = jwt.encode(claims(), keys["k1"], algorithm="RS256", headers={"kid": "k1"})
    p = verifier(jwks_url).verify(token)
    # Roles Jalin does not know (the provider's own) are dropped.
    assert (p.user_id, p.tenant_id, p.unit, p.roles) == ("f3b6c1e2-sso-user", "sumbar", "dinkes", frozenset({"opd_staff"}))


@pytest.mark.parametrize(
    ("case", "make", "message"),
    [
        ("other issuer", lambda k: jwt.encode(claims(iss="https://evil.example"), k["k1"], "RS256", {"kid": "k1"}), "issuer"),
        ("other audience", lambda k: jwt.encode(claims(aud="account"), k["k1"], "RS256", {"kid": "k1"}), "Audience"),
        ("expired", lambda k: jwt.encode(claims(exp=int(time.time()) - 60), k["k1"], "RS256", {"kid": "k1"}), "expired"),
        ("key not in the JWKS", lambda k: jwt.encode(claims(), k["k2"], "RS256", {"kid": "k2"}), "invalid token"),
        ("signed by another key under a known kid", lambda k: jwt.encode(claims(), k["k2"], "RS256", {"kid": "k1"}),
         "Signature"),
        ("algorithm not pinned", lambda k: jwt.encode(claims(), k["k1"], "RS512", {"kid": "k1"}), "alg value is not allowed"),
        ("unsigned", lambda k: jwt.encode(claims(), None, "none", {"kid": "k1"}), "invalid token"),
    ],
)
def test_tokens_the_provider_did_not_issue_for_jalin_are_refused(
    keys: dict[str, Any], jwks_url: str, case: str, make: Any, message: str
) -> None:
    with pytest.raises(AuthError, match=message):
        verifier(jwks_url).verify(make(keys))
