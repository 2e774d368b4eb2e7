"""The download files of a published version, with their sizes and hashes,
computed with the same builders the downloads use."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal import queries
from portal.model import DatasetVersion, Resource
from portal.publish import formats

CSV, JSON, DESCRIPTOR, ZIP = "csv", "json", "descriptor", "zip"


@dataclass(frozen=True)
class DownloadFile:
    """One download of a version: ``kind`` is csv or json (per resource),
    descriptor (datapackage.json) or zip."""

    kind: str
    url: str
    byte_size: int
    sha256: str
    resource: Resource | None = None


@dataclass(frozen=True)
class DownloadUrls:
    """Pinned absolute URLs of a version's downloads, and the extra properties
    the served descriptor carries (they change its bytes)."""

    resource: Callable[[DatasetVersion, Resource, str], str]
    descriptor: Callable[[DatasetVersion], str]
    archive: Callable[[DatasetVersion], str]
    descriptor_extra: Callable[[DatasetVersion], dict]


# Published versions never change, so their files' sizes and hashes are
# computed once per process (per version and site address) and kept; a
# worker that lacks them simply computes them again.
_KNOWN: dict[tuple[str, str, str], list[tuple[str, str, int, str, str | None]]] = {}
_KNOWN_MAX = 1024


def download_files(session: Session, version: DatasetVersion, urls: DownloadUrls) -> list[DownloadFile]:
    """Every download of ``version``: CSV and JSON of each resource, then the
    descriptor and the zip."""
    # everything the files' bytes depend on: content, publication time, address
    key = (version.content_hash, version.published_utc.isoformat(), urls.descriptor(version))
    if key not in _KNOWN:
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[key] = [(f.kind, f.url, f.byte_size, f.sha256, f.resource.name if f.resource else None)
                       for f in _compute(session, version, urls)]
    resources = {resource.name: resource for resource in version.resources}
    return [DownloadFile(kind, url, size, digest, resources.get(name) if name else None)
            for kind, url, size, digest, name in _KNOWN[key]]


def _compute(session: Session, version: DatasetVersion, urls: DownloadUrls) -> list[DownloadFile]:
    files: list[DownloadFile] = []
    contents: dict[str, bytes] = {}
    for resource in version.resources:
        contents[resource.name] = queries.resource_content(session, resource)
        files.append(DownloadFile(CSV, urls.resource(version, resource, CSV), resource.byte_size,
                                  resource.sha256, resource))
        rows = queries.resource_rows(session, resource)
        files.append(_file(JSON, urls.resource(version, resource, JSON),
                           formats.json_download(version, resource, rows), resource))
    descriptor = formats.descriptor_download(version, lambda res: urls.resource(version, res, CSV),
                                             extra=urls.descriptor_extra(version))
    files.append(_file(DESCRIPTOR, urls.descriptor(version), descriptor))
    files.append(_file(ZIP, urls.archive(version), formats.zip_download(version, contents)))
    return files


def _file(kind: str, url: str, download: formats.Download, resource: Resource | None = None) -> DownloadFile:
    return DownloadFile(kind, url, len(download.body), hashlib.sha256(download.body).hexdigest(), resource)
