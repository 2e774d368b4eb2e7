"""``/api/v1/datasets``: catalogue search, one dataset with its versions and
resources, Table Schemas, and row queries (JSON pages or streamed CSV), for the
latest version and pinned under ``/versions/<n>/``."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request, stream_with_context, url_for

from portal import datastore, queries, search
from portal.api import present, rows_openapi, schemas
from portal.api.problems import Blueprint
from portal.extensions import session
from portal.model import DatasetVersion, Resource
from portal.publish import formats
from portal.web.http import query_etag
from portal.web.lookup import published_resource_or_404, version_or_404

bp = Blueprint("api-datasets", __name__, url_prefix="/api/v1",
               description="Datasets: search, metadata and versions, Table Schemas, and row queries.")

MAX_VERSION = queries.MAX_VERSION
VERSION = f"<int(min=1, max={MAX_VERSION}):number>"
PAGING = ("limit", "offset", "cursor")


def _path(name: str, description: str, example: str | int) -> dict[str, Any]:
    return {"in": "path", "name": name, "description": description, "example": example}


NAME = _path("name", "The dataset's name.", "data-tool-response-rates")
NUMBER = _path("number", "A version number (1, 2, ...).", 1)
RESOURCE = _path("resource", "The resource's name.", "response-rates")
# Endpoints without query parameters still refuse unknown ones.
NO_PARAMETERS = bp.arguments(schemas.QueryArgs, location="query", as_kwargs=True)


@bp.route("/", parameters=[])
@NO_PARAMETERS
@bp.response(200, schemas.Index)
def index() -> dict[str, str]:
    """Where everything is"""
    def there(endpoint: str) -> str:
        return url_for(endpoint, _external=True)
    return {"openapi": there("v1-api-docs.openapi_json"), "datasets": there("api-datasets.datasets"),
            "councils": there("api-reference.councils"),
            "characteristics": there("api-reference.characteristics"),
            "case_studies": there("api-reference.case_studies")}


@bp.route("/datasets")
@bp.arguments(schemas.DatasetSearchArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.DatasetPage)
def datasets(q: str, sort: str, page: int, per_page: int, lang: str, **facets: list[str]) -> dict[str, Any]:
    """Search the catalogue

    The same search and facets as the catalogue pages: the latest version of every
    matching dataset, with counts per facet value.
    """
    query = search.SearchQuery(q=q, facets={k: v for k, v in facets.items() if v}, sort=sort, page=page,
                               per_page=per_page, language=lang)
    result = search.search(session(), query)
    items = [present.dataset_summary(v) for v in result.versions]
    return present.paged(items, result.total, page, per_page, facets=_facet_counts(result))


def _facet_counts(result: search.SearchResult) -> dict[str, list[dict[str, Any]]]:
    names = search.facet_names(session())

    def labels(facet: str, value: str) -> dict[str, str]:
        return {code: search.facet_label(facet, value, code, names) for code in ("en", "cy")}

    return {facet: [{"value": value, "count": count, "label": labels(facet, value)} for value, count in pairs]
            for facet, pairs in result.facets.items()}


@bp.route("/datasets/<name>", parameters=[NAME])
@NO_PARAMETERS
@bp.response(200, schemas.DatasetOut)
def dataset(name: str) -> dict[str, Any]:
    """One dataset: its latest version, resources and version history"""
    return present.dataset_document(version_or_404(name, None), queries.version_history(session(), name))


@bp.route(f"/datasets/<name>/versions/{VERSION}", parameters=[NAME, NUMBER])
@NO_PARAMETERS
@bp.response(200, schemas.DatasetVersionOut)
def version(name: str, number: int) -> dict[str, Any]:
    """One version of a dataset (immutable)"""
    return present.version_document(version_or_404(name, number))


@bp.route("/datasets/<name>/openapi.json", parameters=[NAME])
@NO_PARAMETERS
@bp.response(200, schemas.OpenAPIOut)
def dataset_openapi(name: str) -> Response:
    """The OpenAPI document of one dataset's row queries

    Every resource of every published version, with the filters (`<field>`, `<field>__<op>`),
    `sort` and `fields` it takes and the values each filter takes, exactly as they are checked.
    """
    latest = version_or_404(name, None)
    versions = queries.version_history(session(), name)
    from portal.api.v1 import openapi_document  # the main document: it lists this module's routes
    doc = rows_openapi.document(openapi_document(current_app), versions, latest,
                                request.url_root.rstrip("/"))
    response = jsonify(doc)
    response.last_modified = latest.published_utc
    return query_etag(response, "|".join(f"{v.number}:{v.content_hash}" for v in versions))


def _resource(name: str, number: int | None, resource: str) -> tuple[DatasetVersion, Resource]:
    return published_resource_or_404(name, number, resource)


# -- Table Schemas ---------------------------------------------------------------------

@bp.route("/datasets/<name>/resources/<resource>/schema", parameters=[NAME, RESOURCE])
@NO_PARAMETERS
@bp.response(200, schemas.TableSchemaOut)
def schema(name: str, resource: str) -> Response:
    """The Table Schema of a resource (latest version)"""
    return jsonify(_resource(name, None, resource)[1].table_schema)


@bp.route(f"/datasets/<name>/versions/{VERSION}/resources/<resource>/schema",
          parameters=[NAME, NUMBER, RESOURCE])
@NO_PARAMETERS
@bp.response(200, schemas.TableSchemaOut)
def pinned_schema(name: str, number: int, resource: str) -> Response:
    """The Table Schema of a resource of one version"""
    return jsonify(_resource(name, number, resource)[1].table_schema)


# -- row queries ---------------------------------------------------------------------------

ROWS_DOC = """

Search text fields with `q`; page with `limit` and either `offset` or `cursor` (the `next`
link continues with a keyset cursor; a cursor this query was not given answers 404). Filters
(`<field>=<value>`, or `<field>__<op>=<value>` with op one of exact, not, lt, lte, gt, gte),
`sort` and `fields` name the resource's fields: each dataset's OpenAPI document,
`/api/v1/datasets/{name}/openapi.json`, lists them for each of its resources, with the values
each takes.
"""
CSV_DOC = """

The same filters, `q`, `sort` and `fields` as the JSON rows (see each dataset's OpenAPI document,
`/api/v1/datasets/{name}/openapi.json`); every matching row, streamed as CSV (suppressed cells
carry their marker, e.g. `[c]`). `limit`, `offset` and `cursor` do not apply.
"""
CSV_RESPONSE = {"content_type": "text/csv", "schema": {"type": "string"},
                "description": "The matching rows as CSV, with a header line of field names."}


@bp.route("/datasets/<name>/resources/<resource>/rows",
          parameters=[NAME, RESOURCE])
@bp.arguments(schemas.RowPageArgs, location="query", unknown="exclude")
@bp.response(200, schemas.RowPage)
@bp.doc(description=ROWS_DOC.strip())
def rows(args: dict[str, Any], name: str, resource: str) -> dict[str, Any]:
    """Query the rows of a resource (latest version)"""
    return _rows(args, *_resource(name, None, resource))


@bp.route(f"/datasets/<name>/versions/{VERSION}/resources/<resource>/rows",
          parameters=[NAME, NUMBER, RESOURCE])
@bp.arguments(schemas.RowPageArgs, location="query", unknown="exclude")
@bp.response(200, schemas.RowPage)
@bp.doc(description=ROWS_DOC.strip())
def pinned_rows(args: dict[str, Any], name: str, number: int, resource: str) -> dict[str, Any]:
    """Query the rows of a resource of one version"""
    return _rows(args, *_resource(name, number, resource))


@bp.route("/datasets/<name>/resources/<resource>/rows.csv",
          parameters=[NAME, RESOURCE])
@bp.arguments(schemas.RowArgs, location="query", unknown="exclude")
@bp.response(200, **CSV_RESPONSE)
@bp.doc(description=CSV_DOC.strip())
def rows_csv(args: dict[str, Any], name: str, resource: str) -> Response:
    """Query the rows of a resource as CSV (latest version)"""
    return _rows_csv(args, *_resource(name, None, resource))


@bp.route(f"/datasets/<name>/versions/{VERSION}/resources/<resource>/rows.csv",
          parameters=[NAME, NUMBER, RESOURCE])
@bp.arguments(schemas.RowArgs, location="query", unknown="exclude")
@bp.response(200, **CSV_RESPONSE)
@bp.doc(description=CSV_DOC.strip())
def pinned_rows_csv(args: dict[str, Any], name: str, number: int, resource: str) -> Response:
    """Query the rows of a resource of one version as CSV"""
    return _rows_csv(args, *_resource(name, number, resource))


def _row_query(table: datastore.Table, args: dict[str, Any], fixed: tuple[str, ...]) -> datastore.RowQuery:
    """The query the parameters describe: every parameter that is not one of
    ``fixed`` filters on a field (checked against the Table Schema)."""
    query = datastore.RowQuery(q=args["q"].strip())
    for key in request.args.keys():
        if key in fixed:
            continue
        if key in PAGING:
            raise datastore.QueryError(key, "does not apply to CSV output, which holds every matching row")
        query.filters.append(table.parse_filter(key, request.args.getlist(key)))
    sort, fields = request.args.get("sort", ""), request.args.get("fields", "")
    if sort:
        query.sort = table.parse_sort(sort, strict=True)
    if fields:
        query.fields = table.parse_fields(fields, strict=True)
    return query


def _rows(args: dict[str, Any], version: DatasetVersion, resource: Resource) -> dict[str, Any]:
    table = datastore.Table(resource)
    query = _row_query(table, args, ("q", "sort", "fields", *PAGING))
    query.limit, query.offset, query.cursor = args["limit"], args["offset"], args["cursor"] or None
    page = datastore.run(session(), resource, query, current_app.config["SECRET_KEY"])
    return {
        "dataset": version.dataset.name, "version": version.number, "resource": resource.name,
        "fields_": [{"name": n, "type": table.types[n]} for n in page.fields],
        "total": page.total, **({"total_estimated": True} if page.total_estimated else {}),
        "limit": page.limit, "offset": page.offset, "next_cursor": page.next_cursor,
        "next": present.link(cursor=page.next_cursor, offset=None) if page.next_cursor else None,
        "rows": page.rows,
    }


def _rows_csv(args: dict[str, Any], version: DatasetVersion, resource: Resource) -> Response:
    table = datastore.Table(resource)
    query = _row_query(table, args, ("q", "sort", "fields"))
    datastore.check(table, query)  # every check runs before the first byte is sent
    body = stream_with_context(datastore.csv_export(session(), resource, query))
    filename = f"{formats.file_stem(version, resource.name)}-query.csv"
    response = Response(body, headers={"Content-Type": formats.CSV_MEDIATYPE,
                                       "Content-Disposition": f'attachment; filename="{filename}"'})
    response.last_modified = version.published_utc
    return query_etag(response, resource.sha256)
