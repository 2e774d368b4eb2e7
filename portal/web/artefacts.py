"""Serve a stored download file: from its file on a local store (with
``send_file``), or streamed from S3-compatible storage (or a redirect to a
presigned URL); ``Content-Length``, the stored sha256 as strong ETag, ``Range``
answered with 206 (resumable downloads) or 416, and the stored gzip variant
for clients that accept it, never compressing a large body per request."""
from __future__ import annotations

import logging

from flask import Response, abort, current_app, redirect, request, send_file
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.http import is_resource_modified, parse_accept_header

from portal import queries
from portal.extensions import session, store
from portal.model import Artefact, DatasetVersion
from portal.publish import artefacts as built
from portal.storage import ObjectMissing, StoreUnavailable

# Seconds a client is told to wait for a file the worker is building.
PREPARING_RETRY_AFTER = 120

log = logging.getLogger("portal.storage")


def accepts_gzip() -> bool:
    return parse_accept_header(request.headers.get("Accept-Encoding", "")).quality("gzip") > 0


def send(artefact: Artefact, version: DatasetVersion, inline: bool = False) -> Response:
    """The artefact's bytes, as an attachment named by its file name."""
    gzipped = bool(artefact.gzip_sha256) and "Range" not in request.headers and accepts_gzip()
    key = artefact.gzip_sha256 if gzipped else artefact.sha256
    etag = f"{artefact.sha256}:gzip" if gzipped else artefact.sha256
    backend = store()
    try:
        path = backend.local_path(key)
        if path is None and backend.kind == "local":
            raise ObjectMissing(key)
        if path is not None:
            response = send_file(path, mimetype=artefact.mediatype, conditional=True, etag=etag,
                                 last_modified=version.published_utc, max_age=None)
            del response.headers["Cache-Control"]  # set by portal.web.http, pinned or latest
        else:
            response = _remote(backend, key, artefact, etag, version, gzipped)
    except ObjectMissing:
        log.error("artefact %s (%s of %s v%s) is missing from the store", key, artefact.name,
                  version.dataset.name, version.number)
        raise StoreUnavailable(f"the file {artefact.filename} is missing from the store") from None
    response.headers["Content-Type"] = artefact.mediatype
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{artefact.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if artefact.gzip_sha256:
        response.vary.add("Accept-Encoding")
    response.precompressed = True  # see portal.web.http: never compressed again
    return response


def _remote(backend, key: str, artefact: Artefact, etag: str, version: DatasetVersion,
            gzipped: bool) -> Response:
    """From an object store: 304 without asking it; else a presigned
    redirect, or the object (or the range asked for) streamed through."""
    size = artefact.gzip_size if gzipped else artefact.byte_size
    if not is_resource_modified(request.environ, etag=etag, last_modified=version.published_utc):
        response = Response(status=304)
        response.set_etag(etag)
        response.last_modified = version.published_utc
        return response
    serve = current_app.config.get("ARTEFACT_S3_SERVE", "stream")
    if serve == "redirect" and not gzipped:
        url = backend.presigned_url(key, filename=artefact.filename, mediatype=artefact.mediatype)
        if url is not None:
            return redirect(url, code=302)
    byte_range = request.range.range_for_length(size) if request.range and not gzipped else None
    if request.range and not gzipped and byte_range is None:
        response = Response(status=416)
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    if request.method == "HEAD":
        chunks, length = iter(()), (byte_range[1] - byte_range[0] if byte_range else size)
    else:
        chunks, length = backend.fetch(key, (byte_range[0], byte_range[1] - 1) if byte_range else None)
    response = Response(chunks, status=206 if byte_range else 200, direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    if byte_range:
        response.headers["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1] - 1}/{size}"
    response.set_etag(etag)
    response.last_modified = version.published_utc
    return response


def stored(version: DatasetVersion, name: str) -> Artefact:
    """The artefact ``name`` of ``version``; a spreadsheet or CSV for Excel
    of a version published before those existed is built now, and kept
    (when another worker keeps the same file first, that one is used),
    unless its resource is so large that the worker builds it (503 until
    then, with Retry-After)."""
    db = session()
    artefact = queries.artefact(db, version, name)
    if artefact is not None:
        return artefact
    late = built.late_variant(version, name)
    if late is None:
        missing(name, version)
    if built.deferred(db, late[0]):  # too large to build while a client waits: the worker builds it
        raise ServiceUnavailable(
            f"{name} of version {version.number} of {version.dataset.name!r} is being built after "
            f"publication ({late[0].row_count:,} rows); try again in a few minutes. The CSV and JSON "
            "are ready now.", retry_after=PREPARING_RETRY_AFTER)
    try:
        artefact = built.build_late(db, version, *late, store())
        db.commit()
    except IntegrityError:
        db.rollback()
        artefact = queries.artefact(db, version, name)
    return artefact


def missing(name: str, version: DatasetVersion):
    abort(404, f"Version {version.number} of {version.dataset.name!r} has no file {name!r}.")
