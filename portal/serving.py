"""The gunicorn worker that serves the portal (see gunicorn.conf.py).

gunicorn's threaded worker reads each request, headers and body, on one of
its threads, blocking: a client that sends less than it announced (a POST
whose body stops short of its Content-Length, or headers that never end)
holds that thread until it gives up, and as many such clients as there are
threads stop the portal. This worker reads requests in its main loop
instead, without blocking, as a buffering proxy does: a connection reaches a
thread only once a whole request has arrived, so a stalled client costs a
socket and a buffer, never a thread, and is closed after ``request_timeout``
seconds. A body may be ``MAX_BODY`` bytes at most (the portal's only bodies
are CKAN's JSON parameters, of 256 KiB at most).

A request line longer than :data:`portal.errors.MAX_REQUEST_LINE` (or a
lower ``limit_request_line``; gunicorn.conf.py sets 0, leaving the limit to
the portal) is not refused by gunicorn's parser with its own HTML page (a
URL with a 100 KB query string): the worker reads past the line (keeping only its start, so memory stays
bounded), shortens it to its path and marks it with
:data:`portal.errors.LONG_REQUEST_LINE`, and the portal answers 414 in the
format of the surface the path names (problem+json on APIs, CKAN's envelope
on the CKAN API, the translated page elsewhere).
"""
from __future__ import annotations

import os
import selectors
import time
from collections import deque
from functools import partial

from gunicorn import http
from gunicorn.http2 import negotiation
from gunicorn.workers import gthread

from portal.errors import LONG_REQUEST_LINE, MAX_REQUEST_LINE

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
READ_SIZE = 64 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n"
                  b"Content-Length: 0\r\n\r\n")
BODY_TOO_LARGE = b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
# Of a request line too long to serve: the start kept to name its method and
# path, the end kept to find where it ends and its HTTP version.
LINE_START = 2048
LINE_END = 32
# What a request's bytes so far say: None while it is still arriving; ARRIVED
# once it has (or is malformed: gunicorn's parser then refuses it at once);
# else the response that refuses it here.
ARRIVED = b""


class Head:
    """A request's line and headers, once they have all arrived: where its
    body starts and how it is framed."""

    def __init__(self, data: bytearray, end: int):
        self.body_start = end + 4
        self.length = 0
        self.chunked = self.expects_continue = self.malformed = False
        for line in data[:end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                self.malformed |= not value.isdigit()
                self.length = int(value) if value.isdigit() else 0
            elif name == b"transfer-encoding":
                self.chunked = value.endswith(b"chunked")
            elif name == b"expect":
                self.expects_continue = value == b"100-continue"


def chunked_outcome(data: bytearray, start: int) -> bytes | None:
    """The outcome of a chunked body beginning at ``start``."""
    position, total = start, 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        try:
            size = int(bytes(data[position:line_end]).split(b";")[0], 16)
        except ValueError:
            return ARRIVED
        if size < 0:
            return ARRIVED
        total += size
        if total > MAX_BODY:
            return BODY_TOO_LARGE
        position = line_end + 2
        if size == 0:  # the last chunk, then trailers up to an empty line
            return ARRIVED if data.find(b"\r\n\r\n", position - 2) >= 0 else None
        position += size + 2
        if position > len(data):
            return None


class Arriving:
    """A connection whose request is arriving, read by the main loop."""

    def __init__(self, conn: gthread.TConn, data: bytes, deadline: float):
        self.conn, self.data, self.timeout = conn, bytearray(data), deadline
        self.head: Head | None = None
        self.registered = self.continued = False

        self.long_line: bytes | None = None  # the start of a request line too long
        self.shortened = False

    def shorten_long_line(self, limit: int) -> None:
        """Replace a request line longer than ``limit`` by its method and
        path, marked as too long, once its end has arrived; until then keep
        only its start and its last few bytes."""
        if self.shortened or self.head is not None:
            return
        end = self.data.find(b"\r\n")
        if self.long_line is None:
            if (end < 0 and len(self.data) <= limit) or 0 <= end <= limit:
                return
            self.long_line = bytes(self.data[:LINE_START])
        if end < 0:
            del self.data[:-LINE_END]
            return
        version = bytes(self.data[:end]).rsplit(b" ", 1)[-1]
        method, _, target = self.long_line.partition(b" ")
        path = target.split(b" ", 1)[0].split(b"?", 1)[0].split(b"#", 1)[0][:1024] or b"/"
        if not version.startswith(b"HTTP/1."):
            version = b"HTTP/1.0"
        line = b"%s %s %s\r\n%s: 1" % (method, path, version, LONG_REQUEST_LINE.encode())
        self.data[:end] = line
        self.shortened = True

    def outcome(self) -> bytes | None:
        if self.head is None:
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                return HEAD_TOO_LARGE if len(self.data) > MAX_HEAD else None
            self.head = Head(self.data, end)
        head = self.head
        if head.body_start > MAX_HEAD + 4:
            return HEAD_TOO_LARGE
        if head.malformed:
            return ARRIVED
        if head.chunked:
            return chunked_outcome(self.data, head.body_start)
        if head.length > MAX_BODY:
            return BODY_TOO_LARGE
        return ARRIVED if len(self.data) - head.body_start >= head.length else None


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, handing a connection to a thread only when
    a whole request has arrived on it."""

    request_timeout = 10.0

    @classmethod
    def setup(cls) -> None:
        """In the arbiter, before the workers are forked."""
        cls.request_timeout = float(os.environ.get("REQUEST_TIMEOUT") or cls.request_timeout)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arriving: deque[Arriving] = deque()  # by deadline, as they all wait as long

    @property
    def line_limit(self) -> int:
        """The longest request line served: the portal's, or a lower
        ``limit_request_line`` (0, as gunicorn.conf.py sets it: the portal's)."""
        limit = self.cfg.limit_request_line
        return MAX_REQUEST_LINE if limit <= 0 or limit > MAX_REQUEST_LINE else limit

    def enqueue_req(self, conn: gthread.TConn) -> None:
        """Every way to a thread (a new connection, a kept-alive one with a
        new request, a request pipelined behind another) comes here."""
        if self.cfg.is_ssl or conn.is_http2 or getattr(self.cfg, "protocol", "http") != "http" \
                or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            super().enqueue_req(conn)  # gunicorn's own way
            return
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        waiting = Arriving(conn, conn.parser.unreader.take_buffered(), time.monotonic() + self.request_timeout)
        conn.sock.setblocking(False)
        self._receive(waiting)

    def _receive(self, waiting: Arriving, _sock=None) -> None:
        """Read what has come, then hand the request to a thread, refuse it,
        or wait for more."""
        conn = waiting.conn
        try:
            while len(waiting.data) <= MAX_HEAD + MAX_BODY:
                received = conn.sock.recv(READ_SIZE)
                if not received:  # the client went away
                    self._close(waiting)
                    return
                waiting.data += received
        except BlockingIOError:
            pass
        except OSError:
            self._close(waiting)
            return
        waiting.shorten_long_line(self.line_limit)
        outcome = waiting.outcome()
        if outcome is None and len(waiting.data) > MAX_HEAD + MAX_BODY:
            outcome = BODY_TOO_LARGE  # chunked, with endless chunk lines or trailers
        if outcome is None:
            if waiting.head and waiting.head.expects_continue and not waiting.continued:
                waiting.continued = True
                self._send(conn, CONTINUE)
            if not waiting.registered:
                waiting.registered = True
                self.arriving.append(waiting)
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._receive, waiting))
            return
        if outcome != ARRIVED:
            self._send(conn, outcome)
            self._close(waiting)
            return
        self._forget(waiting)
        conn.parser.unreader.unread(bytes(waiting.data))
        conn.data_ready = True
        super().enqueue_req(conn)

    def murder_pending(self) -> None:
        """Also close the connections whose request has not arrived in time."""
        super().murder_pending()
        now = time.monotonic()
        while self.arriving and self.arriving[0].timeout <= now:
            self._close(self.arriving[0])

    def _forget(self, waiting: Arriving) -> None:
        if waiting.registered:
            waiting.registered = False
            self.arriving.remove(waiting)
            self.poller.unregister(waiting.conn.sock)

    def _close(self, waiting: Arriving) -> None:
        self._forget(waiting)
        self.nr_conns -= 1
        waiting.conn.close()

    @staticmethod
    def _send(conn: gthread.TConn, data: bytes) -> None:
        try:
            conn.sock.send(data)  # a few bytes, into an empty send buffer
        except OSError:
            pass
