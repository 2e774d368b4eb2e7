"""``datastore_search``: CKAN's DataStore search over a resource's rows, run by
:mod:`portal.datastore` (which checks every field name and binds every value).

Follows ckanext-datastore: ``filters`` (a JSON object of field: value or
[values]), ``q`` (text anywhere in the row's text fields), ``fields``, ``sort``
(``"a asc, b desc"``), ``limit`` (default 100; larger than
:data:`portal.datastore.MAX_LIMIT` is capped, as CKAN caps at its
``rows_max``), ``offset``, ``include_total`` and ``records_format`` (objects,
lists, csv, tsv). As in CKAN, every row has ``_id`` (its number in the
published file, from 1), the rows come in ``_id`` order unless sorted otherwise
(``_id desc`` reverses it), and field types are the DataStore's (``int8``,
``numeric``, ``text``, ``date``, ``timestamp``, ``bool``, ...).

``datastore_info`` answers with the fields (data dictionary and schema) and,
in ``meta``, the row count and sizes of the published file.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from portal import datastore, rowstore
from portal.api import ckan_dicts
from portal.datastore import ROW_ID
from portal.api.ckan_params import (
    NotFound,
    ValidationError,
    boolean,
    integer,
    json_value,
    natural,
    refuse_unexpected,
    required_string,
    string,
    string_list,
)
from portal.model import Resource

PARAMETERS = {"resource_id", "id", "filters", "q", "full_text", "plain", "language", "limit", "offset",
              "fields", "sort", "distinct", "include_total", "total_estimation_threshold",
              "records_format", "callback"}
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
MAX_VALUES_PER_FILTER = 100


@dataclass(frozen=True)
class Links:
    """Where the request was made, for ``_links`` (CKAN builds them from the URL)."""
    path: str
    arguments: Sequence[tuple[str, str]]

    def at(self, offset: int | None) -> str:
        arguments = [(key, value) for key, value in self.arguments if key != "offset"]
        if offset is not None:
            arguments.append(("offset", str(offset)))
        return f"{self.path}?{urlencode(arguments)}" if arguments else self.path


def datastore_search(session: Session, data: dict[str, Any], links: Links, secret: str) -> dict[str, Any]:
    refuse_unexpected(data, PARAMETERS)
    key = required_string(data, "resource_id", "id")
    filters = read_filters(data)
    q = text_query(data)
    fields = string_list(data, "fields", split=",")
    row_ids = fields is None or ROW_ID in fields
    if fields is not None:
        fields = [name for name in fields if name != ROW_ID]
        if not fields:
            fields = None if row_ids else fields
    sort, rows_descending = row_sort(sort_text(data))
    limit = min(natural(data, "limit", datastore.DEFAULT_LIMIT), datastore.MAX_LIMIT)
    offset = natural(data, "offset", 0)
    include_total = boolean(data, "include_total", True)
    records_format = string(data, "records_format", "objects")
    if records_format not in RECORDS_FORMATS:
        raise ValidationError.one("records_format", f"Value must be one of {list(RECORDS_FORMATS)}")
    if boolean(data, "distinct", False):
        raise ValidationError.one("distinct", "Distinct rows are not supported here")
    boolean(data, "plain", True)
    string(data, "language")
    integer(data, "total_estimation_threshold")

    found = ckan_dicts.find_resource(session, key)
    if found is None:
        raise NotFound(f'Resource "{key}" was not found.')
    version, resource = found
    table = datastore.Table(resource)
    try:
        query = datastore.RowQuery(
            filters=[make_filter(table, name, value) for name, value in filters.items()], q=q,
            sort=table.parse_sort(sort) if sort else [],
            fields=table.parse_fields(fields) if fields is not None else None,
            limit=max(limit, 1), offset=offset, row_ids=row_ids, rows_descending=rows_descending)
        if limit == 0:
            datastore.check_paging(1, offset, None)
            matched, estimated = datastore.total(session, table, query)
            page = datastore.Page([], matched, offset, 0, None, query.fields or table.names, estimated)
        else:
            page = datastore.run(session, resource, query, secret)
    except datastore.QueryError as error:
        raise ValidationError.one(parameter_of(error, table), error.message) from None

    result: dict[str, Any] = {
        "include_total": include_total,
        "limit": limit,
        "offset": offset,
        "records_format": records_format,
        "resource_id": ckan_dicts.resource_id(version.dataset.name, resource.name),
        "total_estimation_threshold": None,
    }
    for name in ("filters", "q", "sort"):
        if data.get(name) not in (None, ""):
            result[name] = filters if name == "filters" else data[name]
    names = ([ROW_ID] if row_ids else []) + list(page.fields)
    result["fields"] = field_dicts(resource, names)
    result["records"] = _records(page.rows, names, records_format)
    result["_links"] = {"start": links.at(None), "next": links.at(offset + limit)}
    if include_total:
        result["total"] = page.total
        result["total_was_estimated"] = page.total_estimated
    return result


def field_dicts(resource: Resource, names: list[str]) -> list[dict[str, Any]]:
    """``{id, type, info}`` per field; ``info`` is CKAN's data dictionary (label,
    notes) with the Welsh beside it."""
    described = {f.name: f for f in resource.fields}
    types = {f["name"]: f.get("type", "string") for f in resource.table_schema["fields"]}
    dicts = []
    for name in names:
        if name == ROW_ID:
            dicts.append({"id": ROW_ID, "type": ckan_dicts.ROW_ID_TYPE})
            continue
        entry: dict[str, Any] = {"id": name, "type": ckan_dicts.datastore_type(types[name])}
        if name in described:
            f = described[name]
            entry["info"] = {"label": f.title_en, "notes": f.description_en,
                             "label_cy": f.title_cy, "notes_cy": f.description_cy}
        dicts.append(entry)
    return dicts


def read_filters(data: dict[str, Any]) -> dict[str, Any]:
    filters = json_value(data, "filters", "Cannot parse JSON")
    if filters is None or filters == "":
        return {}
    if not isinstance(filters, dict):
        raise ValidationError.one("filters", "Must be a JSON object of field names and values")
    if len(filters) > datastore.MAX_FILTERS:
        raise ValidationError.one("filters", f"At most {datastore.MAX_FILTERS} filters")
    return filters


def make_filter(table: datastore.Table, name: str, value: Any) -> datastore.Filter:
    if name not in table.types:
        raise ValidationError.one("filters", f'invalid value "{name}": no such field; '
                                             f"the fields are: {', '.join(table.names)}")
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_VALUES_PER_FILTER:
        raise ValidationError.one("filters", f"At most {MAX_VALUES_PER_FILTER} values for {name}")
    return table.parse_filter(name, values)


def text_query(data: dict[str, Any]) -> str:
    """``q`` (or ``full_text``) as text; CKAN's per-field form ``{"field": "text"}`` is refused."""
    for name in ("q", "full_text"):
        value = data.get(name)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, dict):
            raise ValidationError.one(name, "Searching by field is not supported here: give the text "
                                            "as a string, or use filters")
    return string(data, "q") or string(data, "full_text")


def sort_text(data: dict[str, Any]) -> str:
    raw = data.get("sort")
    if isinstance(raw, list):
        items = string_list(data, "sort") or []
        return ", ".join(items).replace('"', "")
    return string(data, "sort", max_length=500).replace('"', "")


def row_sort(text: str) -> tuple[str, bool]:
    """CKAN's sort may name ``_id``: the rows' own order. What follows it
    cannot change the order (every ``_id`` differs), so it is dropped; the sort
    before it is the table's, and ``_id desc`` reverses the final order."""
    kept = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if words and words[0].lstrip("-") == ROW_ID:
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise ValidationError.one("sort", f"Cannot read the sort {part!r}")
            descending = words[0].startswith("-") or (len(words) == 2 and words[1].lower() == "desc")
            return ", ".join(kept), descending
        if part:
            kept.append(part)
    return ", ".join(kept), False


INFO_PARAMETERS = {"id", "resource_id", "include_meta", "include_fields_schema", "callback"}
NATIVE_TYPES = {"int8": "bigint", "int4": "integer", "numeric": "numeric", "text": "text", "date": "date",
                "timestamp": "timestamp without time zone", "bool": "boolean", "time": "time without time zone",
                "json": "json"}


def datastore_info(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """CKAN's ``datastore_info``: the fields (without ``_id``) with their data
    dictionary (``info``) and ``schema``, and ``meta`` about the table."""
    refuse_unexpected(data, INFO_PARAMETERS)
    key = required_string(data, "id", "resource_id")
    include_meta = boolean(data, "include_meta", True)
    include_schema = boolean(data, "include_fields_schema", True)
    found = ckan_dicts.find_resource(session, key)
    if found is None:
        raise NotFound(f'Resource/Alias "{key}" was not found.')
    version, resource = found
    fields = field_dicts(resource, [f["name"] for f in resource.table_schema["fields"]])
    if include_schema:
        primary = resource.table_schema.get("primaryKey") or []
        keys = {primary} if isinstance(primary, str) else set(primary)
        indexed = resource.row_count >= rowstore.INDEXED_FROM
        for position, entry in enumerate(fields):
            entry["schema"] = {"native_type": NATIVE_TYPES.get(entry["type"], entry["type"]),
                               "notnull": entry["id"] in keys,
                               "index_name": f"{resource.table_name}_{position}a" if indexed else None,
                               "is_index": indexed, "uniquekey": False}
    info: dict[str, Any] = {"fields": fields}
    if include_meta:
        info["meta"] = {"id": ckan_dicts.resource_id(version.dataset.name, resource.name),
                        "count": resource.row_count, "table_type": "BASE TABLE",
                        "size": resource.byte_size, "aliases": [f"{version.dataset.name}.{resource.name}"]}
    return info


def parameter_of(error: datastore.QueryError, table: datastore.Table) -> str:
    """CKAN's name for the parameter a query error is about."""
    name = error.parameter.partition("__")[0]
    return "filters" if name in table.types else error.parameter


def _records(rows: list[dict[str, Any]], names: list[str], records_format: str) -> Any:
    if records_format == "objects":
        return rows
    if records_format == "lists":
        return [[row.get(name) for name in names] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
    for row in rows:
        writer.writerow([datastore.csv_value(row, name) for name in names])
    return buffer.getvalue()


def link_arguments(data: dict[str, Any]) -> list[tuple[str, str]]:
    """A request's parameters as query-string pairs (JSON for structured values)."""
    pairs = []
    for key, value in data.items():
        if isinstance(value, str):
            pairs.append((key, value))
        else:
            pairs.append((key, json.dumps(value, ensure_ascii=False)))
    return pairs
