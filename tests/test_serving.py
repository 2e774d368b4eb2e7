"""The portal served as `make run` serves it (gunicorn with gunicorn.conf.py),
over real sockets: clients that stop sending half-way hold no thread, and are
closed after REQUEST_TIMEOUT seconds, while everyone else is answered."""
from __future__ import annotations

import os
import re
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, migrated
from tests.helpers import served

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS = 2, 4
STALLED = 2 * WORKERS * THREADS  # of each kind: more than all the threads together
REQUEST_TIMEOUT = 3
QUICK = 2  # seconds within which the others are answered
BODY = b'{"limit": 1}'


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WORKERS": str(WORKERS), "THREADS": str(THREADS),
           "REQUEST_TIMEOUT": str(REQUEST_TIMEOUT), "SECRET_KEY": "test", "INSTANCE_PATH": str(folder),
           "DATABASE_URL": migrated(f"sqlite:///{folder / 'portal.sqlite3'}")}
    # two workers importing the portal, on a busy machine
    with served([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal:create_app()"],
                folder / "gunicorn.log", f"http://127.0.0.1:{port}/health", what="gunicorn",
                start_timeout=90, stop_timeout=60, cwd=ROOT, env=env):
        yield port


def connect(port: int, sent: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=QUICK)
    if sent:
        sock.sendall(sent)
    return sock


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def statuses(data: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"^HTTP/1\.1 (\d{3}) ", data, re.M)]


def ckan_post(framing: bytes, body: bytes) -> bytes:
    return (b"POST /api/3/action/package_list HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n" + framing + b"\r\n" + body)


STALLS = {
    "a body short of its Content-Length": ckan_post(b"Content-Length: 1000\r\n", b'{"limit": '),
    "headers that never end": b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    "nothing at all": b"",
    "a chunked body that never ends": ckan_post(b"Transfer-Encoding: chunked\r\n", b"a\r\n{\"limit\": "),
}


def test_clients_that_stop_sending_hold_no_thread_and_are_closed(port):
    stalled = [connect(port, sent) for sent in STALLS.values() for _ in range(STALLED)]
    time.sleep(0.5)

    # everyone else is answered at once: a page, a whole POST body, a chunked
    # one, one sent after 100 Continue, two requests sent together
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=QUICK) as response:
        assert response.status == 200
    answer = read_all(connect(port, ckan_post(b"Content-Length: %d\r\n" % len(BODY), BODY)))
    assert statuses(answer) == [200] and b'"success":true' in answer
    chunked = ckan_post(b"Transfer-Encoding: chunked\r\n", b"5\r\n" + BODY[:5] + b"\r\n%x\r\n" % (len(BODY) - 5)
                        + BODY[5:] + b"\r\n0\r\n\r\n")
    assert statuses(read_all(connect(port, chunked))) == [200]
    expecting = connect(port, ckan_post(b"Content-Length: %d\r\nExpect: 100-continue\r\n" % len(BODY), b""))
    assert expecting.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
    expecting.sendall(BODY)
    assert statuses(read_all(expecting))[-1] == 200
    health = b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert statuses(read_all(connect(port, health + health.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")))) \
        == [200, 200]
    too_large = connect(port, ckan_post(b"Content-Length: %d\r\n" % (2 * 1024 * 1024), b""))
    assert statuses(read_all(too_large)) == [413]

    # and the stalled clients are closed after REQUEST_TIMEOUT
    deadline = time.monotonic() + REQUEST_TIMEOUT + 3
    for sock in stalled:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            assert read_all(sock) == b""
        except ConnectionResetError:
            pass
        sock.close()
    assert time.monotonic() < deadline


LONG_QUERY = "q=" + "a" * 100_000  # far past the longest request line served (32 KiB)


def ask(port: int, request: bytes, timeout: float = 30) -> tuple[list[int], bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request)
    data = read_all(sock)
    sock.close()
    return statuses(data), data


def get(target: str, extra: str = "Connection: close\r\n") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode()


@pytest.mark.parametrize("target, mediatype, says", [
    (f"/api/v1/datasets?{LONG_QUERY}", b"application/problem+json", b'"status":414'),
    (f"/api/v1/datasets/maturity-scores/resources/scores/rows?{LONG_QUERY}", b"application/problem+json",
     b'"title":"Request URI Too Long"'),
    (f"/api/3/action/package_search?{LONG_QUERY}", b"application/json", b'"success":false'),
    (f"/datasets/maturity-scores/scores.csv?{LONG_QUERY}", b"application/problem+json", b'"status":414'),
    (f"/en/datasets/?{LONG_QUERY}", b"text/html", b"That web address is too long"),
    (f"/cy/datasets/?{LONG_QUERY}", b"text/html", "Mae'r cyfeiriad gwe hwnnw'n rhy hir".encode()),
    ("/en/datasets/" + "a" * 100_000 + "/", b"text/html", b"That web address is too long"),
])
def test_a_request_line_too_long_is_answered_in_its_surfaces_own_format(port, target, mediatype, says):
    codes, answer = ask(port, get(target))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert codes == [414], answer[:300]
    assert re.search(rb"^Content-Type: " + re.escape(mediatype), head, re.M | re.I), head
    assert says in body
    assert b"aaaaaaaaaa" not in answer  # nothing of the long line is repeated
    assert b"gunicorn" not in answer.lower()


def test_a_long_line_does_not_spoil_the_connection_or_the_worker(port):
    # a request line of 3 MB, sent in pieces, then another request on the same connection
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /api/v1/datasets?q=")
    for _ in range(48):
        sock.sendall(b"b" * 65536)
    sock.sendall(b" HTTP/1.1\r\nHost: localhost\r\n\r\n" + get("/health"))
    data = read_all(sock)
    sock.close()
    assert statuses(data) == [414, 200]
    # a line just under the limit is served as usual
    codes, _ = ask(port, get("/health?x=" + "c" * 30_000))  # past gunicorn's own 8 KiB
    assert codes == [200]
