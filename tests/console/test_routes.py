"""The console's routes, on the platform as processes: who reaches which page (the console's
access table: the services decide, the console shows their answer as its own Indonesian
page), CSRF on every POST, one region's session never opening another region's cooperation,
the session cookie, hostile input, and the language switch."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from itsdangerous import TimestampSigner
from jalin_e2e import Api, wait_for

from jalin_cli.platform import Platform
from tests.console.conftest import MESSAGES, USERS, csrf_of, error_page, signed_in

TITLE = "Rujukan <script>alert(1)</script> & Uji Rute"
FORM = {"title": "Dibuat lewat konsol", "kind": "ksdd", "partner.tenant": "kukar",
        "partner.name": "Pemerintah Kabupaten Kutai Kartanegara", "objective": "Akses rujukan",
        "scope": "Rujukan pasien", "term_months": "12", "financing": "APBD masing-masing"}
ESCAPED = "Rujukan &lt;script&gt;alert(1)&lt;/script&gt; &amp; Uji Rute"
PDF = (b"%PDF-1.4\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\n"
       b"endobj\n3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>\nendobj\nxref\n0 4\n"
       b"0000000000 65535 f \n0000000009 00000 n \n0000000054 00000 n \n0000000105 00000 n \n"
       b"trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n")
HEADINGS = {"/": "Beranda", "/usulan": "Usulan dan kerja sama", "/usulan/baru": "Usulan kerja sama baru", "/usulan/{pid}": ESCAPED,
            "/penawaran": "Penawaran masuk", "/kotak-masuk": "Kotak masuk", "/masuk": "Masuk ke Jalin",
            "/dokumen": "Dokumen", "/usulan/{pid}/dokumen": "Dokumen kerja sama", "/usulan/{pid}/riwayat": "Riwayat"}


# --- the world: one sumbar cooperation (Dinas Kesehatan) offered to kukar, with its KB draft ---

@pytest.fixture(scope="module")
def world(console_platform: Platform) -> dict[str, Any]:
    api = Api(console_platform)
    p = api.approved_proposal(title=TITLE)  # penawaran: shared with kukar, never with kaltim
    doc = wait_for(lambda: api.documents(p["id"]), what="the KB draft")[0]
    msg = wait_for(lambda: api.inbox(p["id"], headers=api.section), what="the section's message")[0]
    att = api.upload_attachment(p["id"])
    return {"api": api, "pid": p["id"], "doc": doc["id"], "msg": msg["id"], "att": att["id"]}


OPENED: list[httpx.Client] = []


def fresh(platform: Platform, user: str | None = None, **cookies: str) -> httpx.Client:
    """A new console session of a demo user (None: none yet), or a client sending just these cookies."""
    client = (signed_in(platform, USERS[user], user) if user else
              httpx.Client(base_url=platform.url("console"), timeout=30, cookies=cookies))
    OPENED.append(client)
    return client


@pytest.fixture(scope="module")
def session(console_platform: Platform) -> Iterator[Callable[[str | None], httpx.Client]]:
    """One console session per demo user (None: no session), kept for the module."""
    clients: dict[str | None, httpx.Client] = {}
    yield lambda user: clients.get(user) or clients.setdefault(user, fresh(console_platform, user))
    while OPENED:
        OPENED.pop().close()


def state(world: dict[str, Any]) -> tuple[Any, ...]:
    """What a refused POST must leave as it was: sumbar's proposals, the world's stage, history,
    attachments and message."""
    api = world["api"]
    count = len(api.get("proposals", "/v1/proposals", headers=api.section, limit=500).json())
    p = api.get("proposals", f"/v1/proposals/{world['pid']}", headers=api.section).json()
    history = len(api.get("proposals", f"/v1/proposals/{world['pid']}/history", headers=api.section).json())
    files = sorted(a["id"] for a in api.get("documents", "/v1/attachments", headers=api.section,
                                            proposal_id=world["pid"]).json())
    read = api.get("notifications", f"/v1/inbox/{world['msg']}", headers=api.section).json()["read_at"]
    return count, p["stage"], p["title"], history, files, read




def signin_redirect(r: httpx.Response, path: str) -> None:
    assert r.status_code == 303, (r.status_code, r.text[:300])
    assert r.headers["location"] == f"/masuk?next={quote(path, safe='')}"


# --- 1. the console's access table: a row per route, a column per demo user ("none": no session);
# "-": not called here (it would change the shared data; the CSRF tests below make those calls) ---
COLUMNS = ["ani.opd", "budi.ks", "gubernur", "sekda", "dprd", "citra.opd", "dedi.ks", "eka.ks", "operator", None]
ACCESS = """
                                      ani  budi gub  sekda dprd citra dedi eka  oper none
GET  /                                200  200  200  200   200  200   200  200  403  303
GET  /usulan                          200  200  200  200   200  200   200  200  403  303
GET  /usulan/baru                     200  403  403  403   403  200   403  403  403  303
GET  /usulan/{pid}                    200  200  200  200   200  404   200  404  403  303
GET  /usulan/{pid}/ubah               403  403  403  403   403  404   403  404  403  303
GET  /usulan/{pid}/dokumen            200  200  200  200   200  404   200  404  403  303
GET  /usulan/{pid}/riwayat            200  200  200  200   200  404   200  404  403  303
GET  /usulan/{pid}/riwayat.csv        200  200  200  200   200  404   200  404  403  303
GET  /dokumen                         200  200  200  200   200  200   200  200  403  303
GET  /lampiran/{att}/unduh            200  200  200  200   200  404   200  404  403  303
GET  /penawaran                       200  200  200  200   200  200   200  200  403  303
GET  /kotak-masuk                     200  200  200  200   200  200   200  200  403  303
GET  /dokumen/{doc}/unduh             200  200  200  200   200  404   200  404  403  303
GET  /masuk                           200  200  200  200   200  200   200  200  200  200
GET  /masuk/oidc                      404  404  404  404   404  404   404  404  404  404
GET  /healthz                         200  -    -    -     -    -     -    -    -    200
GET  /readyz                          200  -    -    -     -    -     -    -    -    200
GET  /static/console.css              200  -    -    -     -    -     -    -    -    200
POST /usulan/baru                     303  403  403  403   403  -     403  403  403  303
POST /usulan/{pid}/aksi/decline_offer 403  403  403  403   403  404   422  404  403  303
POST /kotak-masuk/{msg}/dibaca        404  303  404  404   404  404   404  404  403  303
POST /usulan/{pid}/ubah               409  403  403  403   403  404   403  403  403  303
POST /usulan/{pid}/komentar           422  422  422  422   422  404   422  404  403  303
POST /unggah                          -    -    -    -     -    404   -    404  403  303
POST /lampiran/{att}/hapus            -    -    -    -     -    404   403  404  403  303
"""
TABLE = [(method, route, user, int(cell)) for line in ACCESS.strip().splitlines()[1:]
         for method, route, *cells in [line.split()] for user, cell in zip(COLUMNS, cells, strict=True) if cell != "-"]


@pytest.mark.parametrize(("method", "route", "user", "status"), TABLE,
                         ids=[f"{m} {r} {u or 'anonymous'} {s}" for m, r, u, s in TABLE])
def test_access_table(world: dict[str, Any], session: Callable[[str | None], httpx.Client],
                      method: str, route: str, user: str | None, status: int) -> None:
    client, path = session(user), route.format(**world)
    if method == "GET":
        r = client.get(path)
    else:
        before = state(world)
        csrf = csrf_of(client, "/penawaran" if user else "/masuk")
        if route == "/unggah":  # a real upload to the world's cooperation
            r = client.post(path, data={"csrf": csrf, "proposal_id": world["pid"], "kind": "letter"},
                            files={"file": ("surat.pdf", PDF, "application/octet-stream")})
        else:
            r = client.post(path, data={**FORM, "csrf": csrf})
        if status != 303 or user is None:
            assert state(world) == before, "a refused POST changed something"
    if status == 303 and user is None:
        signin_redirect(r, path)
    elif status == 303:
        expected = r"/usulan/[\w-]+\?ok=created" if route == "/usulan/baru" else "/kotak-masuk"
        assert r.status_code == 303 and re.fullmatch(expected, r.headers["location"]), (r.status_code, r.text[:300])
    elif status in (403, 404):
        error_page(r, status, MESSAGES[status])
    elif status == 409:  # the service's refusal, on the form (an edit of a proposal past its draft)
        assert r.status_code == 409 and "Hanya draf yang dapat diubah" in r.text, (r.status_code, r.text[:500])
    elif status == 422:  # the service's refusal, beside the form that caused it
        assert r.status_code == 422 and f"<h1>{ESCAPED}</h1>" in r.text and "Wajib diisi." in r.text
    else:
        assert r.status_code == 200, (r.status_code, r.text[:500])
        if route.startswith("/dokumen/"):
            assert r.headers["content-disposition"].startswith("attachment; filename*=UTF-8''kesepakatan-bersama-")
            assert r.content[:2] == b"PK"  # a .docx
        elif route.startswith("/lampiran/"):
            assert r.content[:5] == b"%PDF-" and r.headers["content-type"] == "application/pdf"
        elif route.endswith(".csv"):
            assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("at,actor,")
        elif route in HEADINGS:
            assert f"<h1>{HEADINGS[route]}</h1>" in r.text


def test_sign_in_returns_to_the_page_asked_for(console_platform: Platform) -> None:
    client = fresh(console_platform)
    signin_redirect(r := client.get("/usulan?stage=penilaian"), "/usulan?stage=penilaian")
    assert 'name="next" value="/usulan?stage=penilaian"' in client.get(r.headers["location"]).text
    r = client.post("/masuk/dev", data={"csrf": csrf_of(client, "/masuk"), "user": "budi.ks", "tenant": "sumbar",
                                        "next": "/usulan?stage=penilaian"})
    assert (r.status_code, r.headers["location"]) == (303, "/usulan?stage=penilaian")
    # htmx asks without a session: told where to go, not handed the sign-in page as a fragment
    r = fresh(console_platform).get("/usulan", headers={"hx-request": "true"})
    assert (r.status_code, r.headers["hx-redirect"]) == (204, "/masuk?next=%2Fusulan")


# --- 2. CSRF: every POST without the session's token (or with another's) is refused ----------

def _post_cases(platform: Platform, world: dict[str, Any]) -> dict[str, Callable[[], tuple]]:
    """Each POST route: a session, the path, the form, and whether it took effect (through the services' APIs)."""
    api = world["api"]

    def create() -> tuple:
        count = lambda: len(api.get("proposals", "/v1/proposals", headers=api.section, limit=500).json())  # noqa: E731
        n = count()
        return fresh(platform, "ani.opd"), "/usulan/baru", FORM, lambda: count() > n

    def act() -> tuple:
        pid = api.submit(api.create(title="Uji CSRF aksi")["id"])["id"]
        stage = lambda: api.get("proposals", f"/v1/proposals/{pid}", headers=api.section).json()["stage"]  # noqa: E731
        return fresh(platform, "budi.ks"), f"/usulan/{pid}/aksi/approve", {}, lambda: stage() == "penawaran"

    def mark_read() -> tuple:
        pid = api.submit(api.create(title="Uji CSRF pesan")["id"])["id"]
        mid = wait_for(lambda: api.inbox(pid, headers=api.section), what="a message")[0]["id"]
        read = lambda: api.get("notifications", f"/v1/inbox/{mid}", headers=api.section).json()["read_at"]  # noqa: E731
        return fresh(platform, "budi.ks"), f"/kotak-masuk/{mid}/dibaca", {}, lambda: read() is not None

    def sign_out() -> tuple:
        return (c := fresh(platform, "budi.ks")), "/keluar", {}, lambda: c.get("/usulan").status_code == 303

    def sign_in() -> tuple:
        c = fresh(platform)
        return c, "/masuk/dev", {"user": "budi.ks", "tenant": "sumbar"}, lambda: c.get("/usulan").status_code == 200

    def files_of(pid: str) -> list[str]:
        return [a["id"] for a in api.get("documents", "/v1/attachments", headers=api.section, proposal_id=pid).json()]

    def upload() -> tuple:
        n = len(files_of(world["pid"]))
        form = {"proposal_id": world["pid"], "kind": "letter", "file": ("surat.pdf", PDF)}
        return fresh(platform, "budi.ks"), "/unggah", form, lambda: len(files_of(world["pid"])) > n

    def delete() -> tuple:
        aid = api.upload_attachment(world["pid"], kind="letter", filename="hapus.pdf")["id"]
        return fresh(platform, "ani.opd"), f"/lampiran/{aid}/hapus", {}, lambda: aid not in files_of(world["pid"])

    def comment() -> tuple:
        entries = lambda: len(api.get("proposals", f"/v1/proposals/{world['pid']}/history",  # noqa: E731
                                      headers=api.section).json())
        n = entries()
        return fresh(platform, "budi.ks"), f"/usulan/{world['pid']}/komentar", {"text": "Catatan CSRF"}, lambda: entries() > n

    def edit() -> tuple:
        pid = api.create(title="Uji CSRF ubah")["id"]
        title = lambda: api.get("proposals", f"/v1/proposals/{pid}", headers=api.section).json()["title"]  # noqa: E731
        form = {"title": "Sudah diubah", "kind": "ksdd", "partner.name": "Kota Solok"}
        return fresh(platform, "ani.opd"), f"/usulan/{pid}/ubah", form, lambda: title() == "Sudah diubah"

    return {"create": create, "act": act, "mark_read": mark_read, "sign_out": sign_out, "sign_in": sign_in,
            "upload": upload, "delete": delete, "comment": comment, "edit": edit}


@pytest.mark.parametrize("case", ["create", "act", "mark_read", "sign_out", "sign_in", "upload", "delete", "comment",
                                  "edit"])
@pytest.mark.parametrize("via", ["form", "header"])
def test_post_needs_the_sessions_csrf_token(console_platform: Platform, world: dict[str, Any],
                                            session: Callable[[str | None], httpx.Client], case: str, via: str) -> None:
    client, path, data, changed = _post_cases(console_platform, world)[case]()
    own = csrf_of(client, "/masuk" if case == "sign_in" else "/penawaran")
    other = csrf_of(session("budi.ks"), "/penawaran")  # valid, but another session's
    assert own != other

    fields = {k: v for k, v in data.items() if not isinstance(v, tuple)}
    files = {k: v for k, v in data.items() if isinstance(v, tuple)} or None

    def post(token: str | None) -> httpx.Response:
        sent = {} if token is None else {"csrf" if via == "form" else "x-csrf-token": token}
        return client.post(path, data={**fields, **sent} if via == "form" else fields, files=files,
                           headers={} if via == "form" else sent)

    for token in (None, "", other, own[:-1], "x" * len(own)):
        error_page(post(token), 403, MESSAGES["csrf"])
        assert not changed(), f"{case} went through with token {token!r}"
    r = post(own)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    assert changed()


def test_the_sign_in_pages_token_dies_with_the_anonymous_session(console_platform: Platform) -> None:
    client = fresh(console_platform)
    before = csrf_of(client, "/masuk")
    assert client.post("/masuk/dev", data={"csrf": before, "user": "ani.opd", "tenant": "sumbar"}).status_code == 303
    error_page(client.post("/keluar", data={"csrf": before}), 403, MESSAGES["csrf"])
    assert client.get("/usulan").status_code == 200
    assert csrf_of(client, "/penawaran") != before


# --- 3. one region's session never opens another region's cooperation ---------------------

def test_another_regions_cooperation_is_not_there(world: dict[str, Any],
                                                  session: Callable[[str | None], httpx.Client]) -> None:
    eka, budi = session("eka.ks"), session("budi.ks")
    assert f'href="/usulan/{world["pid"]}"' in budi.get("/usulan", params={"q": "Uji Rute"}).text
    for params in ({}, {"q": "Uji Rute"}, {"partner": "sumbar"}, {"side": "partner"}):
        r = eka.get("/usulan", params=params)
        assert r.status_code == 200 and "<h1>Usulan dan kerja sama</h1>" in r.text
        assert world["pid"] not in r.text and "alert(1)" not in r.text
    for path in ("/", "/penawaran", "/kotak-masuk"):
        assert world["pid"] not in eka.get(path).text
    assert f'href="/usulan/{world["pid"]}"' in session("dedi.ks").get("/penawaran").text  # the partner's offer
    error_page(eka.get(f"/usulan/{world['pid']}"), 404, MESSAGES[404])
    error_page(eka.get(f"/dokumen/{world['doc']}/unduh"), 404, MESSAGES[404])
    before = state(world)
    for command in ("reject", "accept_offer", "decline_offer", "approve"):
        r = eka.post(f"/usulan/{world['pid']}/aksi/{command}", data={"csrf": csrf_of(eka, "/penawaran"), "reason": "x"})
        error_page(r, 404, MESSAGES[404])
    assert state(world) == before


# --- 4. the session cookie ------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_lax(console_platform: Platform) -> None:
    client = fresh(console_platform)
    page = client.get("/masuk")
    r = client.post("/masuk/dev", data={"csrf": csrf_of(client, "/masuk"), "user": "budi.ks", "tenant": "sumbar"})
    for response in (page, r):
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("jalin_session="), cookie
        attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
        assert "httponly" in attributes and attributes["samesite"].strip().lower() == "samesite=lax"
        assert attributes["path"].strip() == "path=/"


def test_sign_out_ends_the_session(console_platform: Platform) -> None:
    client = fresh(console_platform, "budi.ks")
    assert client.get("/usulan").status_code == 200
    r = client.post("/keluar", data={"csrf": csrf_of(client, "/penawaran")})
    assert (r.status_code, r.headers["location"]) == (303, "/masuk")
    signin_redirect(client.get("/usulan"), "/usulan")


def test_a_cookie_from_before_sign_out_no_longer_opens_pages(console_platform: Platform) -> None:
    client = fresh(console_platform, "budi.ks")
    old = client.cookies["jalin_session"]
    assert client.post("/keluar", data={"csrf": csrf_of(client, "/penawaran")}).status_code == 303
    signin_redirect(fresh(console_platform, jalin_session=old).get("/usulan"), "/usulan")


def test_a_forged_or_garbled_cookie_is_signed_out(console_platform: Platform) -> None:
    good = fresh(console_platform, "budi.ks").cookies["jalin_session"]
    payload, stamp, signature = good.split(".")
    data = json.loads(base64.b64decode(payload))
    data["user"].update(tenant="kukar", roles=["kerja_sama"])
    forged = base64.b64encode(json.dumps(data).encode())
    for cookie in ("garbage", "", "a.b.c", "%%%", "x" * 3000, good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
                   f"{forged.decode()}.{stamp}.{signature}",  # another tenant under the old signature
                   TimestampSigner("not-the-console-key-" * 3).sign(forged).decode(),  # signed with another key
                   TimestampSigner("x" * 40).sign(base64.b64encode(b'{"user": {"token": 1}}')).decode()):
        client = fresh(console_platform, jalin_session=cookie)
        for path in ("/usulan", "/"):
            signin_redirect(client.get(path), path)
        assert client.get("/masuk").status_code == 200


# --- 5. hostile input -------------------------------------------------------------------------

JUNK = ["/usulan/../../etc/passwd", "/usulan/..%2F..%2Fetc%2Fpasswd", "/usulan/" + "a" * 300, "/usulan/" + "a" * 37, "/usulan/%00",
        "/usulan/a%20b", "/usulan/-x", "/usulan/%3Cscript%3E", "/dokumen/..%2F..%2Fetc/unduh", "/dokumen/" + "d" * 300 + "/unduh",
        "/usulan?page=abc", "/nope", "/usulan/baru/x", "POST /usulan/" + "a" * 300 + "/aksi/approve", "POST /usulan/nope/aksi/approve",
        "POST /kotak-masuk/../x/dibaca", "POST /kotak-masuk/" + "m" * 300 + "/dibaca", "POST /kotak-masuk/nope/dibaca"]


@pytest.mark.parametrize("path", JUNK, ids=[f"{p[:36]}({len(p)})" for p in JUNK])
def test_junk_paths_are_the_404_page(session: Callable[[str | None], httpx.Client], path: str) -> None:
    client = session("budi.ks")
    r = client.post(path[5:], data={"csrf": csrf_of(client, "/penawaran")}) if path.startswith("POST ") else client.get(path)
    error_page(r, 404, MESSAGES[404])


@pytest.mark.parametrize("query", ["page=-1", "page=0", "page=99999999999999999999", "page=3&q=" + "x" * 1000,
                                   "stage=bogus&side=evil&kind=zzz&unit=../x&year=abcd&partner=%00"])
def test_out_of_range_queries_are_a_page(session: Callable[[str | None], httpx.Client], query: str) -> None:
    r = session("ani.opd").get(f"/usulan?{query}")
    assert r.status_code == 200 and "<h1>Usulan dan kerja sama</h1>" in r.text


def test_no_such_action_or_method(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    client = session("budi.ks")
    csrf = csrf_of(client, "/penawaran")
    error_page(client.post(f"/usulan/{world['pid']}/aksi/nonsense", data={"csrf": csrf}), 403, MESSAGES[403])
    for method, path in (("POST", "/usulan"), ("PUT", "/usulan/baru"), ("DELETE", "/"), ("POST", "/healthz")):
        error_page(client.request(method, path, data={"csrf": csrf}), 405, MESSAGES[405])


def test_titles_are_escaped(world: dict[str, Any], session: Callable[[str | None], httpx.Client]) -> None:
    for user, path in (("budi.ks", f"/usulan/{world['pid']}"), ("budi.ks", "/usulan?q=Uji+Rute"), ("dedi.ks", "/penawaran")):
        text = session(user).get(path).text
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize(("target", "location"), [
    ("https://evil.example", "/"), ("//evil.example", "/"), ("/\\evil.example", "/"), ("\\\\evil.example", "/"),
    ("javascript:alert(1)", "/"), ("http:/evil.example", "/"), ("", "/"), ("/\t/evil.example", "/%09/evil.example"),
    ("/usulan?stage=penilaian", "/usulan?stage=penilaian"),
])
def test_redirects_stay_on_the_console(console_platform: Platform, target: str, location: str) -> None:
    r = fresh(console_platform).get("/bahasa/en", params={"next": target})
    assert (r.status_code, r.headers["location"]) == (303, location)
    client = fresh(console_platform)
    r = client.post("/masuk/dev", data={"csrf": csrf_of(client, "/masuk"), "user": "dprd", "tenant": "sumbar", "next": target})
    assert (r.status_code, r.headers["location"]) == (303, location)


@pytest.mark.parametrize(("user", "tenant"), [("nobody", "sumbar"), ("budi.ks", "kukar"), ("operator", "sumbar"),
                                              ("budi.ks", ""), ("a" * 100, "sumbar"), ("BUDI.KS", "sumbar")])
def test_dev_sign_in_only_for_demo_users(console_platform: Platform, user: str, tenant: str) -> None:
    client = fresh(console_platform)
    r = client.post("/masuk/dev", data={"csrf": csrf_of(client, "/masuk"), "user": user, "tenant": tenant})
    error_page(r, 404, MESSAGES[404])
    signin_redirect(client.get("/usulan"), "/usulan")


def test_a_huge_anonymous_post_is_refused_unread(console_platform: Platform) -> None:
    r = fresh(console_platform).post("/masuk/dev", files={"f": ("x.bin", b"\0" * (3 * 1024 * 1024))},
                                     data={"user": "budi.ks", "tenant": "sumbar"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "Isian atau berkas terlalu besar untuk diterima." in r.text and "<h1>Terjadi masalah</h1>" in r.text


# --- 6. the language switch -------------------------------------------------------------------

def test_language_switch(console_platform: Platform) -> None:
    client = fresh(console_platform, "budi.ks")
    home = client.get("/").text
    assert '<html lang="id">' in home and "<h1>Beranda</h1>" in home and '<h2 id="tasks">Tugas saya</h2>' in home
    r = client.get("/bahasa/en", params={"next": "/"})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("lang=en;") and "httponly" in cookie and "samesite=lax" in cookie
    home = client.get("/").text
    assert '<html lang="en">' in home and "<h1>Home</h1>" in home and '<h2 id="tasks">My tasks</h2>' in home
    assert "Beranda" not in home and "Tugas saya" not in home
    assert "Back to Home" in client.get("/usulan/nope").text
    r = client.get("/bahasa/xx", params={"next": "/"})  # not a language: nothing changes
    assert r.status_code == 303 and "set-cookie" not in r.headers
    assert "<h1>Home</h1>" in client.get("/").text
    client.get("/bahasa/id")
    assert "<h1>Beranda</h1>" in client.get("/").text
    odd = fresh(console_platform, jalin_session=client.cookies["jalin_session"], lang="klingon")
    assert "<h1>Beranda</h1>" in odd.get("/").text  # a cookie of no language: the default


def test_the_consoles_metrics_count_pages_by_their_template(world: dict[str, Any],
                                                           session: Callable[[str | None], httpx.Client]) -> None:
    budi = session("budi.ks")
    assert budi.get(f"/usulan/{world['pid']}").status_code == 200
    text = budi.get("/metrics").text
    line = next(x for x in text.splitlines()
                if x.startswith("jalin_http_requests_total{") and 'route="/usulan/{proposal_id}"' in x and 'status="200"' in x)
    assert float(line.rsplit(" ", 1)[1]) >= 1 and world["pid"] not in text and "Rujukan" not in text
