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
CSV_CY, XLSX, ODS, XLSX_CY, ODS_CY = (artefacts.CSV_CY, artefacts.XLSX, artefacts.ODS, artefacts.XLSX_CY,
                                      artefacts.ODS_CY)
# The downloads of a resource, by kind: (format, language of the headings).
RESOURCE_KINDS = {CSV: ("csv", "en"), CSV_CY: ("csv", "cy"), JSON: ("json", "en"), XLSX: ("xlsx", "en"),
                  XLSX_CY: ("xlsx", "cy"), ODS: ("ods", "en"), ODS_CY: ("ods", "cy")}


@dataclass(frozen=True)
class DownloadFile:
    """One download of a version: ``kind`` is one of :data:`RESOURCE_KINDS`
    (per resource), descriptor (datapackage.json) or zip."""

    kind: str
    url: str
    byte_size: int
    sha256: str
    resource: Resource | None = None


@dataclass(frozen=True)
class DownloadUrls:
    """Pinned absolute URLs of a version's downloads, and the extra properties
    the served descriptor carries (they change its bytes). ``resource(version,
    resource, fmt, lang)``: a resource's file in a format (csv, json, xlsx,
    ods), with its headings in a language."""

    resource: Callable[[DatasetVersion, Resource, str, str], str]
    descriptor: Callable[[DatasetVersion], str]
    archive: Callable[[DatasetVersion], str]
    descriptor_extra: Callable[[DatasetVersion], dict]


# The descriptor's size and hash depend on the site's address, so they are
# computed (cheaply: it holds no rows) and kept per process; every other file's
# come from the artefacts recorded at publication.
_DESCRIPTORS: dict[tuple[str, str, str], tuple[int, str]] = {}
_DESCRIPTORS_MAX = 4096


def download_files(session: Session, version: DatasetVersion, urls: DownloadUrls) -> list[DownloadFile]:
    """Every download of ``version``: of each resource, the CSV, the CSV with
    Welsh headings, the JSON and the spreadsheets (where they were built), then
    the descriptor and the zip."""
    stored = {artefact.name: artefact for artefact in version.artefacts}
    files: list[DownloadFile] = []
    for resource in version.resources:
        for kind, (fmt, lang) in RESOURCE_KINDS.items():
            artefact = stored.get(_artefact_name(resource, kind))
            if artefact is None:
                continue
            files.append(DownloadFile(kind, urls.resource(version, resource, fmt, lang), artefact.byte_size,
                                      artefact.sha256, resource))
    key = (version.content_hash, version.published_utc.isoformat(), urls.descriptor(version))
    if key not in _DESCRIPTORS:
        if len(_DESCRIPTORS) >= _DESCRIPTORS_MAX:
            _DESCRIPTORS.clear()
        body = formats.descriptor_download(version, lambda res: urls.resource(version, res, "csv", "en"),
                                           extra=urls.descriptor_extra(version)).body
        _DESCRIPTORS[key] = (len(body), hashlib.sha256(body).hexdigest())
    size, digest = _DESCRIPTORS[key]
    files.append(DownloadFile(DESCRIPTOR, urls.descriptor(version), size, digest))
    archive = stored[artefacts.zip_name(version)]
    files.append(DownloadFile(ZIP, urls.archive(version), archive.byte_size, archive.sha256))
    return files


def _artefact_name(resource: Resource, kind: str) -> str:
    if kind == CSV:
        return artefacts.csv_name(resource)
    if kind == JSON:
        return artefacts.json_name(resource)
    if kind == CSV_CY:
        return artefacts.welsh_name(resource)
    fmt, lang = RESOURCE_KINDS[kind]
    return artefacts.variant(fmt, lang).name(resource)
