"""Downloads of every published version: datapackage.json, CSV (``?bom=1``:
for Excel), JSON, spreadsheets (XLSX, ODS) and zip, for the latest version
and pinned under ``/versions/<n>/``."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request, stream_with_context, url_for
from werkzeug.datastructures import MultiDict

from portal import datastore
from portal.extensions import session
from portal.model import DatasetVersion, Resource
from portal.publish import artefacts as built, formats, spreadsheets
from portal.web import artefacts, http, rowargs
from portal.web.lookup import resource_or_404, version_or_404

bp = Blueprint("downloads", __name__, url_prefix="/datasets")

FORMATS = ("csv", "json", *spreadsheets.FORMATS)
BOM = "bom"  # ?bom=1: the CSV for Excel (as CKAN's datastore dump offers it)


def resource_url(version: DatasetVersion, resource: Resource, fmt: str = "csv") -> str:
    """The pinned, absolute URL of a resource file."""
    return url_for("downloads.pinned_resource", name=version.dataset.name, number=version.number,
                   resource=resource.name, fmt=fmt, _external=True)


def _send(download: formats.Download, version: DatasetVersion, inline: bool = False) -> Response:
    response = Response(download.body, mimetype=None)
    response.last_modified = version.published_utc
    response.headers["Content-Type"] = download.mediatype
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{download.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _descriptor(version: DatasetVersion) -> Response:
    landing = url_for("pages.catalogue", lang="en", _external=True)
    download = formats.descriptor_download(
        version, lambda res: resource_url(version, res), extra={"homepage": landing})
    return _send(download, version, inline=True)


def _file(version: DatasetVersion, resource_name: str, fmt: str) -> Response:
    if fmt not in FORMATS:
        abort(404, f"Unknown format {fmt!r}; resources are offered as {', '.join(FORMATS)}.")
    resource = resource_or_404(version, resource_name)
    excel, args = _excel(fmt)
    if rowargs.is_row_query(args):
        if fmt in spreadsheets.FORMATS:
            abort(400, "Spreadsheets hold the whole table; filtered downloads are offered as CSV and JSON.")
        return _filtered(version, resource, fmt, args, excel)
    if fmt == "json":
        return _stored(version, built.json_name(resource))
    if fmt == "csv" and not excel:
        return _stored(version, built.csv_name(resource))
    return _stored(version, built.variant(fmt).name(resource))


def _excel(fmt: str) -> tuple[bool, MultiDict]:
    """Whether ``?bom=`` asks for the CSV for Excel, and the other parameters."""
    args = request.args.copy()
    values = args.poplist(BOM)
    if not values:
        return False, args
    if fmt != "csv":
        abort(400, f"{BOM}: the byte-order mark is offered on CSV downloads only.")
    if len(values) > 1 or values[0].lower() not in ("1", "true", "0", "false"):
        abort(400, f"{BOM}: must be given once, as 1 (a CSV for Excel) or 0.")
    return values[0].lower() in ("1", "true"), args


def _stored(version: DatasetVersion, name: str) -> Response:
    return artefacts.send(artefacts.stored(version, name), version)


def _filtered(version: DatasetVersion, resource: Resource, fmt: str, args: MultiDict,
              excel: bool = False) -> Response:
    """The rows a query string selects (the same parameters as the dataset
    page's preview), every page of them, streamed."""
    table = datastore.Table(resource)
    try:
        query, _page = rowargs.parse(table, args, paged=False)
        datastore.check(table, query)  # before streaming starts
    except datastore.QueryError as exc:
        abort(400, f"{exc.parameter}: {exc.message}")
    stem = f"{formats.file_stem(version, resource.name)}-filtered{'-excel' if excel else ''}"
    if fmt == "csv":
        rows = datastore.csv_export(session(), resource, query)
        body = stream_with_context(spreadsheets.excel_chunks(rows) if excel else rows)
        mediatype = formats.CSV_MEDIATYPE
    else:
        body = stream_with_context(_json_array(datastore.iterate(session(), resource, query), table.names))
        mediatype = formats.JSON_MEDIATYPE
    response = Response(body, headers={"Content-Type": mediatype,
                                       "Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
    response.last_modified = version.published_utc
    return http.query_etag(response, resource.sha256)


def _json_array(rows, names):
    """A JSON array of the rows, in chunks of about 64 KiB."""
    parts, size = ["["], 1
    try:
        for index, row in enumerate(rows):
            text = ("," if index else "") + "\n" + json.dumps({name: row.get(name) for name in names},
                                                              ensure_ascii=False)
            parts.append(text)
            size += len(text)
            if size >= datastore.CHUNK:
                yield "".join(parts)
                parts, size = [], 0
    finally:
        rows.close()  # the query's cursor, at once, also when a client hangs up
    parts.append("\n]\n")
    yield "".join(parts)


def _welsh(version: DatasetVersion, resource_name: str, fmt: str = "csv") -> Response:
    """The CSV with Welsh column headings (the field titles in Welsh), or the
    Welsh spreadsheet."""
    resource = resource_or_404(version, resource_name)
    excel, _args = _excel(fmt)
    if fmt == "csv" and not excel:
        return _stored(version, built.welsh_name(resource))
    return _stored(version, built.variant(fmt, "cy").name(resource))


@bp.get("/<name>/cy/<resource>.csv")
def welsh_csv(name: str, resource: str):
    return _welsh(version_or_404(name, None), resource)


@bp.get("/<name>/versions/<int:number>/cy/<resource>.csv")
def pinned_welsh_csv(name: str, number: int, resource: str):
    return _welsh(version_or_404(name, number), resource)


@bp.get("/<name>/cy/<resource>.<any(xlsx, ods):fmt>")
def welsh_spreadsheet(name: str, resource: str, fmt: str):
    return _welsh(version_or_404(name, None), resource, fmt)


@bp.get("/<name>/versions/<int:number>/cy/<resource>.<any(xlsx, ods):fmt>")
def pinned_welsh_spreadsheet(name: str, number: int, resource: str, fmt: str):
    return _welsh(version_or_404(name, number), resource, fmt)


def _zip(version: DatasetVersion) -> Response:
    return _stored(version, built.zip_name(version))


@bp.get("/<name>/datapackage.json")
def descriptor(name: str):
    return _descriptor(version_or_404(name, None))


@bp.get("/<name>/versions/<int:number>/datapackage.json")
def pinned_descriptor(name: str, number: int):
    return _descriptor(version_or_404(name, number))


@bp.get("/<name>/<resource>.<fmt>")
def resource(name: str, resource: str, fmt: str):
    return _file(version_or_404(name, None), resource, fmt)


@bp.get("/<name>/versions/<int:number>/<resource>.<fmt>")
def pinned_resource(name: str, number: int, resource: str, fmt: str):
    if fmt == "zip":
        return pinned_archive(name, number, resource)
    return _file(version_or_404(name, number), resource, fmt)


@bp.get("/<name>.zip")
def archive(name: str):
    return _zip(version_or_404(name, None))


def pinned_archive(name: str, number: int, stem: str):
    """``/datasets/<name>/versions/<n>/<name>.zip``."""
    if stem != name:
        abort(404, f"The archive of version {number} is {name}.zip.")
    return _zip(version_or_404(name, number))


def pinned_archive_url(version: DatasetVersion) -> str:
    return url_for("downloads.pinned_resource", name=version.dataset.name, number=version.number,
                   resource=version.dataset.name, fmt="zip", _external=True)
