"""The download files of a published version, with their sizes and hashes,
as recorded when they were built."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.model import DatasetVersion, Resource
from portal.publish import artefacts, formats

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


# The descriptor's size and hash depend on the site's address, so they are
# computed (cheaply: it holds no rows) and kept per process; every other file's
# come from the artefacts recorded at publication.
_DESCRIPTORS: dict[tuple[str, str, str], tuple[int, str]] = {}
_DESCRIPTORS_MAX = 4096


def download_files(session: Session, version: DatasetVersion, urls: DownloadUrls) -> list[DownloadFile]:
    """Every download of ``version``: CSV and JSON of each resource, then the
    descriptor and the zip."""
    stored = {artefact.name: artefact for artefact in version.artefacts}
    files: list[DownloadFile] = []
    for resource in version.resources:
        for kind, name in ((CSV, artefacts.csv_name(resource)), (JSON, artefacts.json_name(resource))):
            artefact = stored[name]
            files.append(DownloadFile(kind, urls.resource(version, resource, kind), artefact.byte_size,
                                      artefact.sha256, resource))
    key = (version.content_hash, version.published_utc.isoformat(), urls.descriptor(version))
    if key not in _DESCRIPTORS:
        if len(_DESCRIPTORS) >= _DESCRIPTORS_MAX:
            _DESCRIPTORS.clear()
        body = formats.descriptor_download(version, lambda res: urls.resource(version, res, CSV),
                                           extra=urls.descriptor_extra(version)).body
        _DESCRIPTORS[key] = (len(body), hashlib.sha256(body).hexdigest())
    size, digest = _DESCRIPTORS[key]
    files.append(DownloadFile(DESCRIPTOR, urls.descriptor(version), size, digest))
    archive = stored[artefacts.zip_name(version)]
    files.append(DownloadFile(ZIP, urls.archive(version), archive.byte_size, archive.sha256))
    return files
