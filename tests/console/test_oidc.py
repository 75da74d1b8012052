"""The console's OpenID Connect sign-in against a real OpenID provider: panva's certified
oidc-provider (``tests/console/oidc/provider.mjs``) on the system's Node. The four services
verify its RS256 JWT access tokens against its JWKS (the platform's shared secret counts for
nothing), and the console signs people in with the authorization code flow and PKCE."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from jalin_dbs import IN_CI
from jalin_e2e import PROPOSAL, CollectingSMTP
from jalin_kit.auth import issue_dev_token

from jalin_cli.platform import SERVICES, Platform, PlatformConfig, ServiceProcess, free_port
from tests.console.conftest import npm_install

pytestmark = pytest.mark.xdist_group("platform-console-oidc")  # one provider and one platform per run
OIDC_DIR = Path(__file__).parent / "oidc"
RESOURCE = "urn:jalin:api"
CALLBACK = "/masuk/oidc/kembali"


def _unavailable(why: str) -> None:
    if IN_CI:
        pytest.fail(why)
    pytest.skip(why)


@dataclass
class Idp:
    issuer: str
    metadata: dict[str, Any]
    client_id: str
    client_secret: str
    operator: tuple[str, str]

    def operator_token(self) -> str:
        """The platform operator's machine token (client credentials)."""
        r = httpx.post(self.metadata["token_endpoint"], data={"grant_type": "client_credentials"}, auth=self.operator,
                       timeout=10)
        r.raise_for_status()
        return str(r.json()["access_token"])


@pytest.fixture(scope="module")
def console_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory, console_port: int) -> Iterator[Idp]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        _unavailable("the OpenID provider tests need Node.js (node and npm on PATH)")
    assert node and npm
    try:
        npm_install(OIDC_DIR)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        _unavailable(str(exc))
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    found = Idp(issuer, {}, "jalin-console", secrets.token_urlsafe(32),
                ("jalin-operator", secrets.token_urlsafe(32)))
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": found.client_id,
           "OIDC_CLIENT_SECRET": found.client_secret, "OIDC_REDIRECT_URI": f"http://127.0.0.1:{console_port}{CALLBACK}",
           "OIDC_POST_LOGOUT_REDIRECT_URI": f"http://127.0.0.1:{console_port}/masuk",
           "OIDC_RESOURCE": RESOURCE, "OIDC_AUDIENCE": "jalin", "OIDC_OPERATOR_CLIENT_ID": found.operator[0],
           "OIDC_OPERATOR_CLIENT_SECRET": found.operator[1]}
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([node, "provider.mjs"], cwd=OIDC_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not found.metadata:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the OpenID provider did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                found.metadata = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.2)
        assert found.metadata["issuer"] == issuer
        yield found
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class OidcPlatform(Platform):
    """The platform whose services verify only the provider's tokens. ``Platform.registry``
    signs the bus reconciler's operator token with the development secret, which such services
    refuse (401: ``Platform.start`` fails); here the reconciler is the provider's machine client."""

    idp: Idp

    def registry(self) -> dict[str, bool]:
        r = httpx.get(f"{self.url('proposals')}/v1/admin/tenants",
                      headers={"Authorization": f"Bearer {self.idp.operator_token()}"}, timeout=10)
        r.raise_for_status()
        return {t["id"]: t["status"] == "active" for t in r.json()}


@pytest.fixture(scope="module")
def oidc_platform(idp: Idp, console_port: int, tmp_path_factory: pytest.TempPathFactory,
             smtp: CollectingSMTP) -> Iterator[OidcPlatform]:
    config = PlatformConfig(
        data_dir=tmp_path_factory.mktemp("console-oidc"), nats_port=free_port(),
        ports={name: free_port() for name in SERVICES}, smtp_port=smtp.port, console_port=console_port, reassign_busy_ports=True,
        jwt_secret=secrets.token_urlsafe(48),  # in every service's environment: it must not count
        extra_env={
            "JALIN_JWT_JWKS_URL": idp.metadata["jwks_uri"], "JALIN_JWT_ISSUER": idp.issuer,
            "JALIN_JWT_ALGORITHMS": '["RS256"]', "JALIN_CONSOLE_OIDC_ISSUER": idp.issuer,
            "JALIN_CONSOLE_OIDC_CLIENT_ID": idp.client_id, "JALIN_CONSOLE_OIDC_CLIENT_SECRET": idp.client_secret,
            "JALIN_CONSOLE_OIDC_RESOURCE": RESOURCE, "JALIN_DATABASE_POOL_SIZE": "3",
        },
    )
    started = OidcPlatform(config)
    started.idp = idp
    try:
        started.start(timeout=90)
        yield started
    finally:
        started.stop()


def authorize(client: httpx.Client, console: str, username: str, next: str = "/") -> tuple[str, dict[str, list[str]]]:
    """A browser's way from the console's GET /masuk/oidc through the provider's login page to
    the provider's redirect back to the console: that URL (not followed), and the authorization
    request's parameters."""
    r = client.get(f"{console}/masuk/oidc", params={"next": next})
    assert r.is_redirect, r.text
    request = parse_qs(urlsplit(r.headers["location"]).query)
    for _ in range(12):
        if r.is_redirect:
            location = str(r.url.join(r.headers["location"]))
            if location.startswith(f"{console}{CALLBACK}?"):
                return location, request
            r = client.get(location)
        else:
            assert r.status_code == 200 and 'name="username"' in r.text, (r.status_code, r.text[:2000])
            action = r.text.split('action="', 1)[1].split('"', 1)[0]
            r = client.post(r.url.join(action), data={"username": username})
    raise AssertionError(f"the provider never sent the browser back to the console: last {r.status_code} {r.text[:500]}")


def session_of(cookie: str) -> dict[str, Any]:
    """The console's session (Starlette's signed cookie: base64 JSON, then timestamp and signature)."""
    return json.loads(base64.b64decode(cookie.split(".", 1)[0]))  # type: ignore[no-any-return]


def set_cookie(r: httpx.Response, name: str = "jalin_session") -> tuple[str, set[str]]:
    header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    first, *flags = (part.strip() for part in header.split(";"))
    return first.split("=", 1)[1], {f.lower() for f in flags}


def signed_in(console: str, username: str, next: str = "/") -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(timeout=30)
    callback, _ = authorize(client, console, username, next)
    return client, client.get(callback)


def test_sign_in_through_the_provider_and_out(idp: Idp, oidc_platform: OidcPlatform) -> None:
    platform = oidc_platform
    console = platform.url("console")
    budi = httpx.Client(timeout=30)
    callback, request = authorize(budi, console, "budi.ks", next="/usulan")
    # The authorization code flow with PKCE (S256), for the API's resource, back to the console.
    assert request["response_type"] == ["code"] and request["client_id"] == [idp.client_id]
    assert request["code_challenge_method"] == ["S256"] and len(request["code_challenge"][0]) >= 43
    assert request["resource"] == [RESOURCE] and request["redirect_uri"] == [f"{console}{CALLBACK}"]
    assert "openid" in request["scope"][0].split() and request["state"][0] and request["nonce"][0]
    assert "code_verifier" not in request
    r = budi.get(callback)
    assert r.status_code == 303 and r.headers["location"] == "/usulan", r.text
    cookie, flags = set_cookie(r)
    assert "httponly" in flags and "samesite=lax" in flags, flags

    # What the console keeps is the provider's access token: an RS256 JWT for the API.
    token = session_of(cookie)["user"]["token"]
    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt", header
    assert (claims["iss"], claims["aud"], claims["sub"]) == (idp.issuer, "jalin", "budi.ks"), claims
    assert (claims["tenant"], claims["roles"], claims["name"]) == ("sumbar", ["kerja_sama"], "Budi (Biro Kerja Sama)")

    # An OPD's draft (Ani signs in the same way; the proposals service takes her token as it is).
    ani, r = signed_in(console, "ani.opd")
    assert r.status_code == 303, r.text
    ani_token = session_of(set_cookie(r)[0])["user"]["token"]
    title = f"Rujukan Kesehatan {secrets.token_hex(4)}"
    created = httpx.post(f"{platform.url('proposals')}/v1/proposals", json={**PROPOSAL, "title": title},
                         headers={"Authorization": f"Bearer {ani_token}"}, timeout=30)
    assert created.status_code == 201, created.text

    # The console's pages call the four services with Budi's token: each accepts it (a refusal
    # would end the session and redirect to /masuk).
    home = budi.get(f"{console}/")
    assert home.status_code == 200 and "Budi (Biro Kerja Sama)" in home.text, home.text[:2000]
    listing = budi.get(f"{console}/usulan")
    assert listing.status_code == 200 and title in listing.text, listing.text[:2000]
    detail = budi.get(f"{console}/usulan/{created.json()['id']}")  # proposals, documents, evaluation
    assert detail.status_code == 200 and title in detail.text, detail.text[:2000]
    assert budi.get(f"{console}/kotak-masuk").status_code == 200  # notifications

    # The services verify the provider's keys only: the platform's shared secret signs nothing they take.
    forged = issue_dev_token(platform.config.jwt_secret, tenant="sumbar", roles=["kerja_sama"], user="budi.ks",
                             issuer=idp.issuer)
    for name, path in (("proposals", "/v1/proposals"), ("documents", "/v1/documents"),
                       ("notifications", "/v1/inbox"), ("evaluation", "/v1/plans")):
        assert httpx.get(f"{platform.url(name)}{path}", headers={"Authorization": f"Bearer {token}"},
                         timeout=30).status_code == 200, name
        assert httpx.get(f"{platform.url(name)}{path}", headers={"Authorization": f"Bearer {forged}"},
                         timeout=30).status_code == 401, name

    # Signing out (the page's CSRF token) ends the console's session, then the provider's
    # (RP-initiated logout): afterwards the provider asks who is signing in again.
    csrf = home.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    out = budi.post(f"{console}/keluar", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"].startswith(idp.metadata["end_session_endpoint"])
    logout = parse_qs(urlsplit(out.headers["location"]).query)
    assert logout == {"client_id": [idp.client_id], "post_logout_redirect_uri": [f"{console}/masuk"]}
    after = budi.get(f"{console}/")
    assert after.status_code == 303 and after.headers["location"].startswith("/masuk"), after.headers
    assert budi.get(f"{console}/usulan").status_code == 303
    confirm = budi.get(out.headers["location"])
    assert confirm.status_code == 200 and 'id="op.logoutForm"' in confirm.text, confirm.text[:1000]
    action = confirm.text.split('action="', 1)[1].split('"', 1)[0]
    xsrf = confirm.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    done = budi.post(str(confirm.url.join(action)), data={"xsrf": xsrf, "logout": "yes"})
    assert done.is_redirect and done.headers["location"] == f"{console}/masuk", (done.status_code, done.text[:500])
    again = budi.get(f"{console}/masuk/oidc")
    for _ in range(6):  # through the provider's redirects: its login form, not a silent sign-in
        if not again.is_redirect:
            break
        assert not again.headers["location"].startswith(f"{console}{CALLBACK}"), "signed in again without a login"
        again = budi.get(str(again.url.join(again.headers["location"])))
    assert again.status_code == 200 and 'name="username"' in again.text, again.text[:500]
    budi.close()
    ani.close()


def test_a_tampered_callback_signs_no_one_in(oidc_platform: OidcPlatform) -> None:
    console = oidc_platform.url("console")
    browser = httpx.Client(timeout=30)
    callback, _ = authorize(browser, console, "budi.ks")
    query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    wrong_state = f"{console}{CALLBACK}?{urlencode({**query, 'state': secrets.token_urlsafe(24)})}"
    r = browser.get(wrong_state)
    assert r.status_code == 401 and 'role="alert"' in r.text, (r.status_code, r.text[:1000])
    assert browser.get(f"{console}/").status_code == 303
    # The genuine callback in another browser (whose session started no sign-in): a login CSRF.
    other = httpx.Client(timeout=30)
    r = other.get(callback)
    assert r.status_code == 401, (r.status_code, r.text[:1000])
    assert other.get(f"{console}/").status_code == 303
    # The code was never redeemed: in the browser that asked for it, the same callback signs in.
    r = browser.get(callback)
    assert r.status_code == 303 and browser.get(f"{console}/").status_code == 200


def test_production_refuses_the_development_sign_in(idp: Idp, oidc_platform: OidcPlatform, tmp_path: Path) -> None:
    # The development console (the platform's) offers the demo users, and its sign-in answers.
    dev = httpx.Client(base_url=oidc_platform.url("console"), timeout=30)
    page = dev.get("/masuk")
    assert 'action="/masuk/dev"' in page.text and "Budi (Biro Kerja Sama)" in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = {"csrf": csrf, "user": "budi.ks", "tenant": "sumbar", "next": "/"}
    assert dev.post("/masuk/dev", data=form).status_code == 303

    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env.update({"JALIN_ENVIRONMENT": "production", "JALIN_DATA_DIR": str(tmp_path),
                "JALIN_CONSOLE_SESSION_SECRET": secrets.token_urlsafe(32), "JALIN_CONSOLE_OIDC_ISSUER": idp.issuer,
                "JALIN_CONSOLE_OIDC_CLIENT_ID": idp.client_id, "JALIN_CONSOLE_OIDC_CLIENT_SECRET": idp.client_secret,
                "JALIN_CONSOLE_PUBLIC_URL": "https://konsol.jalin.test", "JALIN_CONSOLE_OIDC_RESOURCE": RESOURCE})
    port = free_port()
    proc = ServiceProcess("console", port, {**env, "JALIN_CONSOLE_PORT": str(port)}, tmp_path / "console.log")
    proc.start()
    try:
        proc.wait_ready(60)
        prod = httpx.Client(base_url=proc.url, timeout=30)
        page = prod.get("/masuk")
        assert page.status_code == 200 and 'href="/masuk/oidc' in page.text, page.text[:2000]
        assert 'action="/masuk/dev"' not in page.text and "Budi" not in page.text and "budi.ks" not in page.text
        cookie, flags = set_cookie(page)
        assert {"httponly", "secure", "samesite=lax"} <= flags, flags  # so httpx keeps it off plain HTTP
        form["csrf"] = session_of(cookie)["csrf"]
        r = prod.post("/masuk/dev", data=form, headers={"cookie": f"jalin_session={cookie}"})
        assert r.status_code == 404, (r.status_code, r.text[:500])
        # Its sign-in goes to the provider, back to its public https:// address.
        r = prod.get("/masuk/oidc", headers={"cookie": f"jalin_session={cookie}"})
        assert r.is_redirect and r.headers["location"].startswith(idp.metadata["authorization_endpoint"])
        assert parse_qs(urlsplit(r.headers["location"]).query)["redirect_uri"] == [f"https://konsol.jalin.test{CALLBACK}"]
    finally:
        proc.stop()


@pytest.mark.parametrize("settings, named", [
    ({}, "JALIN_CONSOLE_OIDC_ISSUER"),
    ({"JALIN_CONSOLE_OIDC_ISSUER": "https://id.jalin.test", "JALIN_CONSOLE_OIDC_CLIENT_ID": "jalin-console",
      "JALIN_CONSOLE_JWT_SECRET": secrets.token_urlsafe(32)}, "JALIN_CONSOLE_JWT_SECRET"),
], ids=["no-provider", "development-secret"])
def test_a_production_console_without_the_provider_does_not_start(settings: dict[str, str], named: str,
                                                                   tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JALIN_")}
    env.update({"JALIN_ENVIRONMENT": "production", "JALIN_DATA_DIR": str(tmp_path),
                "JALIN_CONSOLE_PORT": str(free_port()), "JALIN_CONSOLE_SESSION_SECRET": secrets.token_urlsafe(32),
                "JALIN_CONSOLE_PUBLIC_URL": "https://konsol.jalin.test", **settings})
    done = subprocess.run([sys.executable, "-m", "jalin_console"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and named in done.stderr, (done.returncode, done.stderr[-2000:])
