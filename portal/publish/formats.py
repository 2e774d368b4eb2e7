"""Download artefacts for a published version, built from what the database holds.

URLs are supplied by the caller (the web layer), so nothing here knows about
Flask. Every artefact is a pure function of the version, so its bytes never
change once published: caches may keep them for ever.
"""
from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from portal.model import DatasetVersion, Resource

CSV_MEDIATYPE = "text/csv; charset=utf-8"
JSON_MEDIATYPE = "application/json"
ZIP_MEDIATYPE = "application/zip"
# A fixed timestamp for zip members, so the same version always zips to the same bytes.
ZIP_DATE = (2018, 12, 6, 0, 0, 0)


@dataclass(frozen=True)
class Download:
    body: bytes
    mediatype: str
    filename: str


def file_stem(version: DatasetVersion, resource: str | None = None) -> str:
    """``<dataset>[-<resource>]-v<number>``: names every downloaded file."""
    parts = [version.dataset.name] + ([resource] if resource and resource != version.dataset.name else [])
    return "-".join(parts) + f"-v{version.number}"


def descriptor(version: DatasetVersion, resource_url: Callable[[Resource], str],
               extra: dict | None = None) -> dict:
    """The published ``datapackage.json``: the source descriptor, with the
    version, its publication time, and for each resource its URL, size and hash."""
    d = copy.deepcopy(version.descriptor)
    d["version"] = str(version.number)
    d["created"] = version.published_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    d.update(extra or {})
    by_name = {r.name: r for r in version.resources}
    for res in d["resources"]:
        published = by_name[res["name"]]
        res["path"] = resource_url(published)
        res["bytes"] = published.byte_size
        res["hash"] = f"sha256:{published.sha256}"
    return d


def descriptor_download(version: DatasetVersion, resource_url: Callable[[Resource], str],
                        extra: dict | None = None) -> Download:
    body = _json_bytes(descriptor(version, resource_url, extra))
    return Download(body, JSON_MEDIATYPE, f"{file_stem(version)}-datapackage.json")


def csv_download(version: DatasetVersion, resource: Resource, content: bytes) -> Download:
    return Download(content, CSV_MEDIATYPE, f"{file_stem(version, resource.name)}.csv")


def json_download(version: DatasetVersion, resource: Resource, rows: list[dict]) -> Download:
    """An array of objects with typed values, in the schema's field order."""
    names = [f["name"] for f in resource.table_schema["fields"]]
    ordered = [{name: row.get(name) for name in names} for row in rows]
    return Download(_json_bytes(ordered), JSON_MEDIATYPE, f"{file_stem(version, resource.name)}.json")


def zip_download(version: DatasetVersion, contents: dict[str, bytes]) -> Download:
    """The descriptor (with relative paths) and every CSV file, itself a valid package."""
    def member(resource: Resource) -> str:
        return f"{resource.name}.csv"

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write(archive, "datapackage.json", _json_bytes(descriptor(version, member)))
        for resource in version.resources:
            _write(archive, member(resource), contents[resource.name])
    return Download(buffer.getvalue(), ZIP_MEDIATYPE, f"{file_stem(version)}.zip")


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
