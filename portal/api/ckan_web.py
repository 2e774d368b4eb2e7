"""CKAN's web paths, so links that harvesters and CKAN's clients build work:

* ``/dataset/<id or name>``, ``/dataset/<id>/resource/<resource id>``,
  ``/organization/<name>``, ``/group/<name>`` (and ``/dataset/``, ...) redirect
  to the portal's own pages, in the visitor's language (their last choice,
  else ``Accept-Language``, else English);
  ``/dataset/<id>/resource/<resource id>/download/<file>`` to the file;
* ``/datastore/dump/<resource id>``: the rows, as ckanext-datastore's dump
  gives them. ``format`` is ``csv`` (the default), ``tsv``, ``json`` or
  ``xml``; ``bom=true`` starts the file with a UTF-8 byte-order mark (for CSV,
  the portal's CSV for Excel). Without other parameters the CSV is the
  published file itself, from the artefact store (the file the resource's
  ``hash`` is of); otherwise, and for the other formats, the rows are
  streamed from the database in CKAN's shapes (``_id`` first), with CKAN's
  ``q``, ``filters``, ``fields``, ``sort``, ``offset`` and ``limit``.
  Bad parameters are a 400 naming each, as CKAN's dump answers.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ElementTree, SubElement

from flask import Blueprint, Response, abort, redirect, request, stream_with_context, url_for
from werkzeug.datastructures import MultiDict

from portal import datastore, queries
from portal.api import ckan_datastore, ckan_dicts
from portal.api.ckan_params import ValidationError, boolean, integer, string, string_list
from portal.extensions import session
from portal.i18n import negotiate
from portal.model import DatasetVersion, Resource
from portal.publish import artefacts as built
from portal.web import artefacts
from portal.web.downloads import resource_url

bp = Blueprint("ckan_web", __name__)

DUMP_FORMATS = ("csv", "tsv", "json", "xml")
DUMP_PARAMETERS = {"format", "bom", "offset", "limit", "filters", "q", "distinct", "plain", "language",
                   "fields", "sort"}
SEARCH_PARAMETERS = DUMP_PARAMETERS - {"format", "bom"}
MEDIATYPES = {"csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
              "json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
BOM = "\ufeff"
CHUNK = datastore.CHUNK


def _redirect(endpoint: str, **values: Any) -> Response:
    response = redirect(url_for(endpoint, lang=negotiate(), **values), code=302)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _version(key: str) -> DatasetVersion:
    version = ckan_dicts.find_version(session(), key)
    if version is None:
        abort(404, f"No dataset with the name or id {key!r} is published.")
    return version


@bp.get("/dataset/", strict_slashes=False)
@bp.get("/organization/", strict_slashes=False)
@bp.get("/group/", strict_slashes=False)
def catalogue():
    return _redirect("pages.catalogue")


@bp.get("/dataset/<key>", strict_slashes=False)
def dataset(key: str):
    return _redirect("pages.dataset", name=_version(key).dataset.name)


def _resource(key: str, resource_key: str) -> tuple[DatasetVersion, Resource, str]:
    version = _version(key)
    found = ckan_dicts.find_resource_entry(session(), resource_key)
    if found is None or found[0].dataset_id != version.dataset_id:
        abort(404, f"Dataset {version.dataset.name!r} has no resource {resource_key!r}.")
    return found


@bp.get("/dataset/<key>/resource/<resource_key>", strict_slashes=False)
def resource(key: str, resource_key: str):
    version, found, _fmt = _resource(key, resource_key)
    return _redirect("pages.dataset", name=version.dataset.name, _resource=found.name)


@bp.get("/dataset/<key>/resource/<resource_key>/download/<path:filename>")
def resource_download(key: str, resource_key: str, filename: str):
    version, found, fmt = _resource(key, resource_key)
    return redirect(resource_url(version, found, fmt), code=302)


@bp.get("/organization/<key>", strict_slashes=False)
def organization(key: str):
    org = ckan_dicts.organization()
    if key not in (org.name, org.id):
        abort(404, f"No organization {key!r}; the organization is {org.name!r}.")
    return _redirect("pages.catalogue")


@bp.get("/group/<key>", strict_slashes=False)
def group(key: str):
    themes = {theme for version in _latest() for theme in ckan_dicts.themes(version)}
    theme = next((t for t in themes if key in (t, ckan_dicts.group_id(t))), None)
    if theme is None:
        abort(404, f"No group {key!r}; the groups are: {', '.join(sorted(themes))}.")
    return _redirect("pages.catalogue", theme=theme)


def _latest() -> list[DatasetVersion]:
    return queries.latest_versions(session())


# -- the DataStore dump ----------------------------------------------------------------

@bp.get("/datastore/dump/<resource_key>")
def dump(resource_key: str):
    args = request.args
    try:
        data = _arguments(args)
        fmt = string(data, "format", "csv").strip().lower() or "csv"
        if fmt not in DUMP_FORMATS:
            raise ValidationError.one("format", f"Value must be one of {list(DUMP_FORMATS)}")
        bom = boolean(data, "bom")
        offset = integer(data, "offset", 0) or 0
        limit = integer(data, "limit")
        if offset > datastore.MAX_OFFSET:
            raise ValidationError.one("offset", f"Must be at most {datastore.MAX_OFFSET}")
    except ValidationError as error:
        _bad(error)
    found = ckan_dicts.find_resource(session(), resource_key)
    if found is None:
        abort(404, f"DataStore resource not found: {resource_key!r}.")
    version, resource = found
    if fmt == "csv" and not (set(data) & SEARCH_PARAMETERS):
        name = built.variant("csv").name(resource) if bom else built.csv_name(resource)
        return artefacts.send(artefacts.stored(version, name), version)
    query, names = _query(resource, data)
    table = datastore.Table(resource)
    try:
        datastore.check(table, query)
    except datastore.QueryError as error:
        _bad(ValidationError.one(ckan_datastore.parameter_of(error, table), error.message))
    fields = ckan_datastore.field_dicts(resource, [datastore.ROW_ID, *names])
    rows = datastore.iterate(session(), resource, query)
    window = itertools.islice(rows, offset, None if limit is None else offset + limit)
    body = WRITERS[fmt](window, rows, fields)
    response = Response(stream_with_context(_with_bom(body, bom)), headers={
        "Content-Type": MEDIATYPES[fmt],
        "Content-Disposition": f'attachment; filename="{ckan_dicts.resource_id(version.dataset.name, resource.name)}.{fmt}"'})
    response.last_modified = version.published_utc
    return response


def _arguments(args: MultiDict) -> dict[str, Any]:
    """The query string as CKAN's dump reads it: each parameter once, unknown ones ignored."""
    data = {}
    for key in DUMP_PARAMETERS:
        values = args.getlist(key)
        if len(values) > 1 and key != "fields":
            raise ValidationError.one(key, "Give this parameter once")
        if values:
            data[key] = values[0] if len(values) == 1 else values
    return data


def _query(resource: Resource, data: dict[str, Any]) -> tuple[datastore.RowQuery, list[str]]:
    table = datastore.Table(resource)
    try:
        filters = ckan_datastore.read_filters(data)
        q = ckan_datastore.text_query(data)
        fields = string_list(data, "fields", split=",")
        sort, descending = ckan_datastore.row_sort(ckan_datastore.sort_text(data))
        if boolean(data, "distinct"):
            raise ValidationError.one("distinct", "Distinct rows are not supported here")
        boolean(data, "plain", True)
        string(data, "language")
        if fields is not None:
            fields = [name for name in fields if name != datastore.ROW_ID] or None
        try:
            query = datastore.RowQuery(
                filters=[ckan_datastore.make_filter(table, name, value) for name, value in filters.items()],
                q=q, sort=table.parse_sort(sort) if sort else [],
                fields=table.parse_fields(fields) if fields else None,
                row_ids=True, rows_descending=descending)
        except datastore.QueryError as error:
            raise ValidationError.one(ckan_datastore.parameter_of(error, table), error.message) from None
    except ValidationError as error:
        _bad(error)
    return query, query.fields or table.names


def _bad(error: ValidationError):
    abort(400, "\n".join(f"{key}: {' '.join(messages)}" for key, messages in error.errors.items()))


def _with_bom(chunks: Iterator[str], bom: bool) -> Iterator[str]:
    if bom:
        yield BOM
    yield from chunks


def _closing(window: Iterator[dict[str, Any]], rows) -> Iterator[dict[str, Any]]:
    try:
        yield from window
    finally:
        rows.close()  # the query's cursor, at once, also when a client hangs up


def _delimited(delimiter: str):
    def write(window, rows, fields: list[dict[str, Any]]) -> Iterator[str]:
        names = [f["id"] for f in fields]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(names)
        for row in _closing(window, rows):
            writer.writerow([datastore.csv_value(row, name) for name in names])
            if buffer.tell() >= CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    return write


def _json(window, rows, fields: list[dict[str, Any]]) -> Iterator[str]:
    """CKAN's JSON dump: ``{"fields": [...], "records": [[...], ...]}``."""
    names = [f["id"] for f in fields]
    parts = ['{\n  "fields": %s,\n  "records": [' % json.dumps(fields, ensure_ascii=False, separators=(",", ":"))]
    size = len(parts[0])
    for index, row in enumerate(_closing(window, rows)):
        text = (",\n    " if index else "\n    ") + json.dumps([row.get(name) for name in names],
                                                            ensure_ascii=False, separators=(",", ":"))
        parts.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]}\n")
    yield "".join(parts)


XML_NAME_RULES = [(re.compile(r"^(\d*xml\d*|\d+)", re.I), ""), (re.compile(r"\s+"), "_"),
                  (re.compile(r"[^\w_.-]", re.U), ""), (re.compile(r"^[\d.-]+"), "")]


def _xml_names(columns: list[str]) -> dict[str, str]:
    """Element names for columns, by CKAN's XML writer's rules."""
    names: dict[str, str] = {}
    for column in columns:
        element = unicodedata.normalize("NFC", column)
        for rule, replacement in XML_NAME_RULES:
            element = rule.sub(replacement, element)
        unique, suffix = element, 0
        while unique in names.values():
            unique, suffix = f"{element}_{suffix}", suffix + 1
        names[column] = unique
    return names


def _xml_node(parent: Element, tag: str, value: Any, key: Any = None) -> None:
    element = SubElement(parent, tag)
    if value is None:
        element.attrib["xsi:nil"] = "true"
    elif isinstance(value, (list, dict)):
        for item_key, item in (enumerate(value) if isinstance(value, list) else value.items()):
            _xml_node(element, "value", item, item_key)
    else:
        element.text = datastore.csv_value({"v": value}, "v")
    if key is not None:
        element.attrib["key"] = str(key)


def _xml(window, rows, fields: list[dict[str, Any]]) -> Iterator[str]:
    """CKAN's XML dump: ``<data>``, a ``<row _id="n">`` per row, an element per field."""
    columns = [f["id"] for f in fields if f["id"] != datastore.ROW_ID]
    names = _xml_names(columns)
    buffer = io.BytesIO()
    buffer.write(b'<data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
    for row in _closing(window, rows):
        root = Element("row", {"_id": str(row[datastore.ROW_ID])})
        for column in columns:
            _xml_node(root, names[column], row.get(column))
        ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=False)
        buffer.write(b"\n")
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().decode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    buffer.write(b"</data>\n")
    yield buffer.getvalue().decode("utf-8")


WRITERS = {"csv": _delimited(","), "tsv": _delimited("\t"), "json": _json, "xml": _xml}
