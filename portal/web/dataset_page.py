"""What the dataset page shows: the preview table of one resource (filters,
sort and paging as plain links and forms), the citation, the JSON-LD."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort, current_app, request
from werkzeug.datastructures import MultiDict

from portal import attribution, datastore, queries
from portal.extensions import session
from portal.model import DatasetVersion, Resource
from portal.web import rowargs, search_engines
from portal.web.urls import query_url, this_url

ADD = ("_add_field", "_add_op", "_add_value")


@dataclass
class Column:
    name: str
    title: str
    type: str
    sort: str | None  # "ascending" / "descending" when sorted on
    sort_url: str


@dataclass
class Preview:
    resource: Resource
    columns: list[Column]
    rows: list[dict]
    total: int
    page: int
    pages: int
    size: int
    filters: list[tuple[str, str, str]]  # key, value, URL without it
    q: str
    csv_url: str
    json_url: str
    error: datastore.QueryError | None = None
    estimated: bool = False  # the total is an estimate (a search matching many rows)

    def page_url(self, page: int) -> str:
        return this_url(_args(_page=str(page)))


def _args(**changes) -> MultiDict:
    args = MultiDict(request.args)
    for key, value in changes.items():
        args.poplist(key)
        if value is not None:
            args.add(key, value)
    if args.get("_page") == "1":
        args.poplist("_page")
    return args


def added_filter_url() -> str | None:
    """The canonical URL when the "add a filter" form was sent, else None."""
    if not any(key in request.args for key in ADD):
        return None
    args = _args(_page=None, **{key: None for key in ADD})
    name, op, value = (request.args.get(key, "").strip() for key in ADD)
    if name:
        args.add(name if op in ("", "exact") else f"{name}__{op}", value)
    return this_url(args)


def preview(version: DatasetVersion, lang: str) -> Preview:
    name = request.args.get("_resource") or version.resources[0].name
    resource = queries.find_resource(version, name)
    if resource is None:
        abort(404)
    table = datastore.Table(resource)
    fields = {f.name: f for f in resource.fields}
    error = None
    try:
        query, page = rowargs.parse(table, request.args)
        query.markers = True
        result = datastore.run(session(), resource, query, current_app.config["SECRET_KEY"])
    except datastore.QueryError as exc:
        error = exc
        query, page = datastore.RowQuery(limit=20), 1
        result = datastore.run(session(), resource, query, current_app.config["SECRET_KEY"])
    pages = max(1, math.ceil(result.total / query.limit))
    if page > pages and not result.total_estimated:
        abort(404)
    sorted_on = dict(query.sort)
    columns = []
    for field_name in table.names:
        descending = sorted_on.get(field_name)
        next_sort = field_name if descending in (None, True) else f"-{field_name}"
        columns.append(Column(field_name, fields[field_name].text("title", lang), table.types[field_name],
                              None if descending is None else ("descending" if descending else "ascending"),
                              this_url(_args(_sort=next_sort, _page=None))))
    filters = []
    for key, value in rowargs.filters_of(request.args):
        remaining = MultiDict(request.args)
        remaining.setlist(key, [v for v in request.args.getlist(key) if v != value])
        remaining.poplist("_page")
        filters.append((key, value, this_url(remaining)))
    download = [(key, value) for key, value in request.args.items(multi=True)
                if key not in ("_page", "_size", "_resource")]
    endpoint = "downloads.pinned_resource"
    common = {"name": version.dataset.name, "number": version.number, "resource": resource.name}
    return Preview(resource, columns, result.rows if not error else [], result.total if not error else 0,
                   page, pages, query.limit, filters, query.q,
                   query_url(endpoint, download, **common, fmt="csv"),
                   query_url(endpoint, download, **common, fmt="json"), error,
                   result.total_estimated and not error)


def citation(version: DatasetVersion, lang: str, url: str) -> attribution.Citation:
    return attribution.citation(version, lang, url, attribution.publisher(current_app.config))


def json_ld(version: DatasetVersion, first_published, landing: dict[str, str]) -> dict:
    """schema.org Dataset, as search engines read it, in the page's language."""
    return search_engines.dataset(version, first_published, landing)


