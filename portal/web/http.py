"""HTTP for every response: strong ETags and Last-Modified with 304 answers,
Cache-Control, CORS on the public machine surfaces, and compression.

Pinned versions never change, so caches may keep them for a year; "latest"
URLs may change at any publication, so caches revalidate them after a minute.
"""
from __future__ import annotations

import hashlib
import re

from flask import Flask, Response, g, request
from flask_compress import Compress
from werkzeug.http import is_resource_modified
from sqlalchemy import func, select

from portal.extensions import session
from portal.model import DatasetVersion, as_utc

MACHINE = re.compile(r"^/(datasets/|api/|catalog\.|feeds/|sitemap\.xml$|robots\.txt$)")
PINNED = re.compile(r"/versions/\d+(/|\.|$)")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60, must-revalidate"
PAGES = "no-cache"
COMPRESSED = ["text/html", "text/css", "text/csv", "text/plain", "text/turtle", "application/json",
              "application/problem+json", "application/ld+json", "application/rdf+xml",
              "application/atom+xml", "application/xml", "image/svg+xml", "application/javascript"]


class _Compress(Compress):
    """Flask-Compress, leaving alone files that are stored ready to send (with
    their own gzip variant): compressing them per request would cost time and
    memory in proportion to their size, and break ``Range``."""

    def after_request(self, response: Response) -> Response:
        if getattr(response, "precompressed", False):
            return response
        return super().after_request(response)


compress = _Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)
    # registered after Compress, so it runs before it: validators describe the
    # uncompressed body, and Compress then marks them per encoding
    app.after_request(cache_headers)


def _conditional_stream(response: Response) -> Response:
    """304 for a stream whose ETag (derived by its view from what fixes its
    bytes, see query_etag) matches. Not make_conditional(), which would read
    the whole stream into memory to count its length."""
    etag = response.headers.get("ETag")
    if etag and not is_resource_modified(request.environ, etag=etag,
                                         last_modified=response.headers.get("Last-Modified")):
        response.status_code = 304  # werkzeug then sends no body, as for HEAD
    return response


def query_etag(response: Response, resource_sha256: str) -> Response:
    """A strong ETag for a streamed query result: its bytes are fixed by the
    resource's published content and the query string."""
    query = sorted(request.args.items(multi=True))
    response.set_etag(hashlib.sha256(f"{resource_sha256}|{request.path}|{query}".encode()).hexdigest()[:40])
    return response


def last_publication():
    """When anything was last published (for surfaces built from everything)."""
    if "last_publication" not in g:
        latest = session().scalar(select(func.max(DatasetVersion.published_at)))
        g.last_publication = as_utc(latest) if latest else None
    return g.last_publication


def cache_headers(response: Response) -> Response:
    if response.is_streamed and "db_session" in g:
        # the server closes a response when it is sent or its client hangs
        # up: give the connection back then, whatever else holds the stream
        response.call_on_close(g.db_session.close)
    machine = bool(MACHINE.match(request.path))
    if machine:
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        response.headers.setdefault("Access-Control-Expose-Headers", "ETag, Last-Modified, Link, Location")
    if request.method not in ("GET", "HEAD") or response.status_code not in (200, 206):
        return response
    if "Cache-Control" not in response.headers:
        if not machine:
            response.headers["Cache-Control"] = PAGES
        else:
            response.headers["Cache-Control"] = IMMUTABLE if PINNED.search(request.path) else REVALIDATE
    if response.is_streamed or response.status_code == 206:
        return _conditional_stream(response)
    if machine and response.last_modified is None and not request.path.startswith("/health"):
        moment = last_publication()
        if moment is not None:
            response.last_modified = moment
    if response.get_etag() == (None, None):
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:40])
    return response.make_conditional(request)
