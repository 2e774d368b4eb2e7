"""Gunicorn settings for the portal (`make run`; the benchmark serves with the same file).

    gunicorn -c gunicorn.conf.py "portal:create_app()"

HOST, PORT, WORKERS, THREADS, TIMEOUT, MAX_REQUESTS and REQUEST_TIMEOUT can be
changed from the environment. In production, put a buffering reverse proxy
(nginx or similar) in front: it absorbs slow clients, keeps connections alive
to browsers and serves TLS, so that gunicorn's threads are busy only while the
portal itself is working.
"""
from __future__ import annotations

import os
import sys

from gunicorn.http import wsgi

from portal.config import ConfigurationError, load_settings

# Refuse to start, in one line, with settings the portal would refuse (with
# PORTAL_ENV=production: a missing or short SECRET_KEY, FLASK_DEBUG, SQLite,
# no PORTAL_BASE_URL), before any worker is started to fail with a traceback.
try:
    load_settings()
except ConfigurationError as error:
    sys.exit(f"gunicorn: {error.message}")


class Response(wsgi.Response):
    """gunicorn's HTTP/1 response without its ``Server: gunicorn`` header.

    gunicorn 27 writes that header itself (``Response.default_headers``) on
    every response: no setting or hook turns it off, and a header the
    application sets is sent beside it, not instead. Its workers make every
    response with ``gunicorn.http.wsgi.create``, which builds this module
    attribute, so the portal's workers (forked after this file is read) use
    this class; tests/test_production.py checks a real server sends no Server.
    """

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.lower().startswith("server:")]


wsgi.Response = Response


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


# Where to listen: loopback by default, as `make run` always did.
_port = _int("PORT", 5000)
bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{_port}"

# gunicornc's control socket, one per port: gunicorn's default is one path per
# user, so a second server on the machine (the benchmark runs two) would take
# over the first one's socket, and remove it when it stops.
_runtime = os.environ.get("XDG_RUNTIME_DIR") or os.path.join(os.path.expanduser("~"), ".gunicorn")
control_socket = os.path.join(_runtime, f"gunicorn-{_port}.ctl")

# Processes: the default of 2 matches a small machine; raise WORKERS to about
# (2 x cores) on a larger one. Each worker holds its own database pool.
workers = _int("WORKERS", 2)

# Threads in each worker. With the sync worker one slow client, or one long
# download of a large CSV, holds a whole process; with gthread it holds one
# thread, and the other threads keep answering. The portal's request handling
# is I/O-bound (database, streaming files), so threads overlap well despite
# the GIL.
worker_class = "portal.serving.ThreadWorker"
threads = _int("THREADS", 8)
# That worker is gunicorn's gthread worker, except that a thread is given a
# connection only once a whole request has arrived on it: a client that stops
# sending half-way (headers that never end, a body shorter than its
# Content-Length) holds no thread, and is closed after REQUEST_TIMEOUT seconds
# (10 by default; see portal/serving.py).

# A worker that has not answered its arbiter for this long is killed and
# replaced. Downloads stream in chunks and keep the worker alive, so a long
# download does not trip it; a request stuck this long is a fault.
timeout = _int("TIMEOUT", 60)
# On reload or shutdown, give requests in flight (a download half sent) this
# long to finish before they are cut.
graceful_timeout = 30
# Keep idle client connections open a little for the next request (API clients
# and the benchmark reuse connections); short, so that idle clients do not
# hold threads for long. Behind nginx this is nginx's connection to us.
keepalive = 5

# Recycle each worker after this many requests (with jitter so the workers do
# not all restart at once), bounding any slow growth in memory. High enough
# that a busy portal restarts a worker every few minutes, not every few
# seconds (each restart reloads the application). MAX_REQUESTS=0 turns it off.
max_requests = _int("MAX_REQUESTS", 50_000)
max_requests_jitter = max_requests // 10

# Refuse oversized headers early. Request lines: 0 leaves their limit to the
# portal's worker (portal.serving: 32 KiB, room for a query of many filter
# values; gunicorn's own most is 8 KiB), which answers a longer one with a 414
# in the format of the surface it names, never gunicorn's HTML page.
limit_request_line = 0
limit_request_fields = 100
limit_request_field_size = 8190

# Access log to stdout, error log to stderr, as a service manager expects.
accesslog = "-"
errorlog = "-"

# The workers' heartbeat files: in memory where /dev/shm exists, because a
# slow or full disk (or a container's overlay file system) would stall the
# heartbeat and make the arbiter kill healthy workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
