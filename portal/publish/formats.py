"""Names, media types and the ``datapackage.json`` of a published version.

The descriptor is small and carries absolute URLs, so it is made per request;
every other download is built once at publication (see
:mod:`portal.publish.artefacts`). URLs are supplied by the caller (the web
layer), so nothing here knows about Flask.
"""
from __future__ import annotations

import copy
import json
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
    body = json_bytes(descriptor(version, resource_url, extra))
    return Download(body, JSON_MEDIATYPE, f"{file_stem(version)}-datapackage.json")


def json_bytes(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
