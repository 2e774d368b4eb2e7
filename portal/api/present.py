"""Model objects and rows as the API's documents (plain dicts that the
response schemas dump), and the links between pages. Needs a request context
(for absolute URLs); knows nothing of the database."""
from __future__ import annotations

import math
from typing import Any

from flask import request, url_for

from portal.model import DatasetVersion, Resource
from portal.web.downloads import pinned_archive_url, resource_url
from portal.web.urls import this_url


def text(obj: Any, attribute: str) -> dict[str, str]:
    """``{"en": ..., "cy": ...}`` of a bilingual attribute of a model object."""
    return {"en": obj.text(attribute, "en"), "cy": obj.text(attribute, "cy")}


def pair(row: dict[str, Any], stem: str) -> dict[str, str]:
    """``{"en": row[stem_en], "cy": row[stem_cy]}`` of a bilingual pair of columns."""
    return {"en": row.get(f"{stem}_en") or "", "cy": row.get(f"{stem}_cy") or ""}


def dataset_url(name: str) -> str:
    return url_for("api-datasets.dataset", name=name, _external=True)


def version_url(name: str, number: int) -> str:
    return url_for("api-datasets.version", name=name, number=number, _external=True)


def downloads(version: DatasetVersion) -> dict[str, str]:
    return {"datapackage": url_for("downloads.pinned_descriptor", name=version.dataset.name,
                                   number=version.number, _external=True),
            "zip": pinned_archive_url(version)}


def dataset_summary(version: DatasetVersion) -> dict[str, Any]:
    return {
        "name": version.dataset.name,
        "version": version.number,
        "published": version.published_utc,
        "title": text(version, "title"),
        "description": text(version, "description"),
        "demonstration": version.demonstration,
        "themes": list(version.descriptor.get("themes", [])),
        "url": dataset_url(version.dataset.name),
        "downloads": downloads(version),
    }


def resource_links(version: DatasetVersion, resource: Resource) -> dict[str, str]:
    where = {"name": version.dataset.name, "number": version.number, "resource": resource.name,
             "_external": True}
    return {
        "csv": resource_url(version, resource, "csv"),
        "json": resource_url(version, resource, "json"),
        "schema": url_for("api-datasets.pinned_schema", **where),
        "rows": url_for("api-datasets.pinned_rows", **where),
        "rows_csv": url_for("api-datasets.pinned_rows_csv", **where),
    }


def resource_document(version: DatasetVersion, resource: Resource) -> dict[str, Any]:
    return {
        "name": resource.name,
        "title": text(resource, "title"),
        "description": text(resource, "description"),
        "format": resource.format,
        "mediatype": resource.mediatype,
        "bytes": resource.byte_size,
        "hash": f"sha256:{resource.sha256}",
        "rows": resource.row_count,
        "fields_": [{"name": f.name, "type": f.type, "title": text(f, "title"),
                     "description": text(f, "description")} for f in resource.fields],
        "links": resource_links(version, resource),
    }


def version_document(version: DatasetVersion) -> dict[str, Any]:
    """One version with its resources and both languages' metadata."""
    descriptor = version.descriptor
    return {
        **dataset_summary(version),
        "keywords": {"en": list(version.keywords_en), "cy": list(version.keywords_cy)},
        "changelog": text(version, "changelog"),
        "licenses": list(descriptor.get("licenses", [])),
        "sources": list(descriptor.get("sources", [])),
        "anonymisation": descriptor.get("anonymisation"),
        "resources": [resource_document(version, r) for r in version.resources],
    }


def dataset_document(latest: DatasetVersion, history: list[DatasetVersion]) -> dict[str, Any]:
    """The latest version, and every version, newest first."""
    name = latest.dataset.name
    return {**version_document(latest),
            "versions": [{"number": v.number, "published": v.published_utc, "changelog": text(v, "changelog"),
                          "url": version_url(name, v.number)} for v in history]}


# -- paging -------------------------------------------------------------------------

def link(**changes: Any) -> str:
    """This request's URL with some query parameters replaced (None removes one)."""
    pairs = [(key, value) for key, value in request.args.items(multi=True) if key not in changes]
    pairs += [(key, str(value)) for key, value in changes.items() if value is not None]
    return this_url(pairs, external=True)


def paged(items: list[Any], total: int, page: int, per_page: int, **extra: Any) -> dict[str, Any]:
    """A page of a list: the items, counts, and links to the neighbouring pages."""
    pages = max(1, math.ceil(total / per_page))
    return {
        "total": total, "page": page, "per_page": per_page, "pages": pages,
        "next": link(page=page + 1) if page < pages else None,
        "prev": link(page=min(page - 1, pages)) if page > 1 else None,
        "items": items, **extra,
    }


def sliced(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """``paged`` for a list held in memory."""
    start = (page - 1) * per_page
    return paged(items[start:start + per_page], len(items), page, per_page)
