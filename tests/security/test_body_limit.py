"""An unauthenticated 100 MB JSON body is refused with 413 before it is read, and the
process does not grow: the bound applies before the body is parsed and before the token
is checked (one such POST once took a service from 137 MB to 419 MB). A declared length
is refused by every service at once; a chunked body is refused where a route reads it,
and answered without being read where none does."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from jalin_cli.platform import SERVICES, Platform

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = b" " * (256 * 1024)
# A POST route of each service: proposals' takes JSON; the others take no JSON body.
PATHS = {
    "proposals": "/v1/proposals",
    "documents": "/v1/admin/dead-letters/1/replay",
    "notifications": "/v1/inbox/x/read",
    "evaluation": "/v1/admin/dead-letters/1/replay",
}


def resident_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def post_huge(port: int, path: str, *, chunked: bool) -> tuple[bytes, int]:
    """POST a 100 MB JSON body with no token, as fast as the server takes it; returns the
    status line and how many body bytes the server took before it answered."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {HUNDRED_MB}\r\n\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode())
        try:
            while sent < HUNDRED_MB:
                piece = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
                conn.sendall(piece)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: what the test wants
        conn.shutdown(socket.SHUT_WR) if sent >= HUNDRED_MB else None
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = conn.recv(4096)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n", 1)[0], sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("service", SERVICES)
def test_a_huge_anonymous_body_is_refused_before_it_is_read(platform: Platform, service: str, chunked: bool) -> None:
    if platform.config.database_urls:
        pytest.skip("the bound does not depend on the store: checked on the SQLite platform")
    svc = platform.services[service]
    assert svc.proc is not None
    before = resident_kb(svc.proc.pid)
    status, sent = post_huge(svc.port, PATHS[service], chunked=chunked)
    after = resident_kb(svc.proc.pid)
    if chunked and service != "proposals":
        assert status == b"HTTP/1.1 401 Unauthorized", status  # the body is never read
    else:
        assert status == b"HTTP/1.1 413 Request Entity Too Large", status
    assert sent < HUNDRED_MB // 4, f"the server read {sent} bytes before refusing"
    assert after - before < 8 * 1024, f"{service} grew from {before} kB to {after} kB"
