import time

import jwt
import pytest
from jalin_kit.auth import AuthError, TokenVerifier, issue_dev_token
from jalin_kit.settings import ServiceSettings

SECRET = "a-test-secret-that-is-long-enough-for-hs256!"


def verifier() -> TokenVerifier:
    return TokenVerifier(ServiceSettings(jwt_secret=SECRET, environment="test"))


def test_dev_token_verifies_to_principal() -> None:
    token = issue_dev_token(SECRET, tenant="sumbar", roles=["opd_staff"], user="ani", unit="dinkes")
    p = verifier().verify(token)
    assert (p.user_id, p.tenant_id, p.unit, p.roles) == ("ani", "sumbar", "dinkes", frozenset({"opd_staff"}))


def test_unknown_role_cannot_be_minted() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        issue_dev_token(SECRET, tenant="sumbar", roles=["superuser"], user="x")


@pytest.mark.parametrize(
    "claims,message",
    [
        ({"aud": "other"}, "audience"),
        ({"iss": "someone-else"}, "issuer"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"tenant": None}, "tenant"),
    ],
)
def test_bad_claims_are_refused(claims: dict[str, object], message: str) -> None:
    base = {
        "sub": "ani", "tenant": "sumbar", "roles": ["opd_staff"], "iss": "jalin-dev", "aud": "jalin",
        "exp": int(time.time()) + 60,
    }
    base.update(claims)
    token = jwt.encode({k: v for k, v in base.items() if v is not None}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match=f"(?i){message}"):
        verifier().verify(token)


def test_algorithm_is_pinned() -> None:
    claims = {"sub": "a", "tenant": "t", "roles": [], "iss": "jalin-dev", "aud": "jalin", "exp": int(time.time()) + 60}
    unsigned = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(AuthError):
        verifier().verify(unsigned)
    hs512 = jwt.encode(claims, SECRET, algorithm="HS512")
    with pytest.raises(AuthError):
        verifier().verify(hs512)


def test_wrong_secret_is_refused() -> None:
    token = issue_dev_token("another-secret-another-secret-another!!", tenant="sumbar", roles=[], user="x")
    with pytest.raises(AuthError, match="(?i)signature"):
        verifier().verify(token)


def test_jwks_requires_asymmetric_algorithms() -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        ServiceSettings(jwt_jwks_url="https://idp.example.id/jwks", jwt_algorithms=["HS256"], environment="test")
    asymmetric = ServiceSettings(jwt_jwks_url="https://idp.example.id/jwks", jwt_algorithms=["RS256"], environment="test")
    assert asymmetric.jwt_algorithms == ["RS256"]


@pytest.mark.parametrize("claim,value", [
    ("unit", 7), ("unit", "Dinas Kesehatan"), ("name", ["x"]), ("tenant", "Sumbar"),
    # matched whole: a trailing newline once passed (re.match with $) and made unpublishable events
    ("tenant", "sumbar\n"), ("unit", "dinkes\n"), ("tenant", "sumbar\r\n"), ("tenant", "sum bar"), ("tenant", "x" * 65),
])
def test_malformed_claims_are_refused(claim: str, value: object) -> None:
    claims = {"sub": "a", "tenant": "sumbar", "roles": ["opd_staff"], "iss": "jalin-dev", "aud": "jalin",
              "exp": int(time.time()) + 60, claim: value}
    with pytest.raises(AuthError, match=claim):
        verifier().verify(jwt.encode(claims, SECRET, algorithm="HS256"))
