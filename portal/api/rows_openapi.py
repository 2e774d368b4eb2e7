"""Each dataset's own OpenAPI document: its resources' row queries, with
every parameter those resources take, exactly as the API checks them.

The API's main document (``/api/v1/openapi.json``) describes row queries for
any resource, so it cannot list their filters, ``sort`` and ``fields``: those
name the resource's fields. This document, served at
``/api/v1/datasets/<name>/openapi.json``, has a concrete path for each
resource of each published version (latest and pinned), and a query
parameter for each filter (``<field>`` and ``<field>__<op>``) with the values
its Table Schema type takes (:data:`portal.datastore.VALUE_PATTERNS`), and
``sort``/``fields`` as the patterns :class:`portal.datastore.Table` checks.
Built from the main document (parameters, responses, components), so the two
agree; nothing here knows Flask.
"""
from __future__ import annotations

import copy
from typing import Any

from portal import datastore
from portal.model import DatasetVersion, Resource

PREFIX = "/api/v1"
ROWS = f"{PREFIX}/datasets/{{name}}/resources/{{resource}}/rows"
PINNED_ROWS = f"{PREFIX}/datasets/{{name}}/versions/{{number}}/resources/{{resource}}/rows"
ORDERING = ("lt", "lte", "gt", "gte")
STRING = {"type": "string", "maxLength": datastore.MAX_VALUE_LENGTH, "pattern": r"^[^\x00]*$"}
EMPTY = {"type": "string", "maxLength": 0}
FORMATS = {"date": "date", "datetime": "date-time"}


def value_schema(kind: str, empty: bool) -> dict[str, Any]:
    """One filter value of a field of type ``kind``; ``empty``: "" too (it
    matches missing cells)."""
    if kind in FORMATS:
        value = {"type": "string", "format": FORMATS[kind], "pattern": f"^{datastore.VALUE_PATTERNS[kind]}$"}
        return {"anyOf": [value, EMPTY]} if empty else value
    if kind in datastore.VALUE_PATTERNS:
        optional = "?" if empty else ""
        return {"type": "string", "pattern": f"^({datastore.VALUE_PATTERNS[kind]}){optional}$"}
    return dict(STRING) if empty else {**STRING, "minLength": 1}


def _filter(name: str, description: str, schema: dict, many: bool) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema, "maxItems": datastore.MAX_VALUES}
        description += " Repeat the parameter for any of several values."
        return {"in": "query", "name": name, "description": description, "required": False,
                "style": "form", "explode": True, "schema": schema}
    return {"in": "query", "name": name, "description": description, "required": False, "schema": schema}


def filter_parameters(field: dict) -> list[dict[str, Any]]:
    """The filters on one field: equal (any of several values), not equal,
    and for ordered types the four comparisons."""
    name, kind = field["name"], field.get("type") or "string"
    if "__" in name:  # `a__b=` reads as the operator b on a field a: such a field is not filterable
        return []
    title = field.get("title") or name
    empty = " An empty value matches missing cells."
    out = []
    if name not in datastore.RESERVED_NAMES:
        out.append(_filter(name, f"{title}: equal to the value.{empty}", value_schema(kind, True), True))
    out.append(_filter(f"{name}__exact", f"{title}: equal to the value.{empty}", value_schema(kind, True), True))
    out.append(_filter(f"{name}__not", f"{title}: not equal to the value.{empty}", value_schema(kind, True), False))
    if kind != "boolean":
        words = {"lt": "less than", "lte": "at most", "gt": "more than", "gte": "at least"}
        out += [_filter(f"{name}__{op}", f"{title}: {words[op]} the value.", value_schema(kind, False), False)
                for op in ORDERING]
    return out


def resource_parameters(resource: Resource, fixed: list[dict], csv: bool) -> list[dict[str, Any]]:
    """The query parameters of one resource's rows (or rows.csv)."""
    schema_fields = resource.table_schema["fields"]
    field_names = [f["name"] for f in schema_fields]
    names = ", ".join(f"`{n}`" for n in field_names)
    parameters = [copy.deepcopy(p) for p in fixed if not (csv and p["name"] in ("limit", "offset", "cursor"))]
    parameters.append({
        "in": "query", "name": "sort", "required": False,
        "description": f"Fields to sort by, comma-separated: `name` or `-name` (descending), or "
                       f"`name asc`/`name desc`. Missing values sort last. Fields: {names}.",
        "schema": {"type": "string", "maxLength": datastore.MAX_SORT_LENGTH, "pattern": datastore.sort_pattern(field_names)}})
    parameters.append({
        "in": "query", "name": "fields", "required": False,
        "description": f"Fields to return, comma-separated, in this order (default: all). Fields: {names}.",
        "schema": {"anyOf": [EMPTY, {"type": "string", "maxLength": datastore.MAX_FIELDS_LENGTH,
                                     "pattern": datastore.fields_pattern(field_names)}]}})
    for field in schema_fields:
        parameters += filter_parameters(field)
    return parameters


def document(main: dict[str, Any], versions: list[DatasetVersion], latest: DatasetVersion,
             server: str) -> dict[str, Any]:
    """The OpenAPI document of one dataset's row queries: ``main`` is the
    API's document; ``versions`` every published version (each resource's
    pinned paths), ``latest`` the one the unpinned paths serve."""
    name = latest.dataset.name
    paths: dict[str, Any] = {}

    def add(template: str, number: int | None, resource: Resource) -> None:
        for suffix in ("", ".csv"):
            generic = main["paths"][template + suffix]
            operation = copy.deepcopy(generic["get"])
            fixed = operation.pop("parameters", [])
            operation["parameters"] = resource_parameters(resource, fixed, csv=bool(suffix))
            operation["operationId"] = "_".join(
                ["rows" + ("_csv" if suffix else ""), resource.name] + ([f"v{number}"] if number else []))
            operation["summary"] = (f"{resource.title_en}: rows" + (" as CSV" if suffix else "")
                                    + (f" (version {number})" if number else " (latest version)"))
            path = template.replace("{name}", name).replace("{resource}", resource.name)
            if number is not None:
                path = path.replace("{number}", str(number))
            paths[path + suffix] = {"get": operation}

    for resource in latest.resources:
        add(ROWS, None, resource)
    for version in versions:
        for resource in version.resources:
            add(PINNED_ROWS, version.number, resource)
    info = copy.deepcopy(main["info"])
    info.update(title=f"{latest.title_en}: row queries", version=str(latest.number),
                description=(f"The row queries of the dataset `{name}` ({latest.title_en} / {latest.title_cy}), "
                             "with the filters, `sort` and `fields` each resource takes. The rest of the API "
                             f"is described in {PREFIX}/openapi.json."))
    if latest.demonstration:
        info["description"] += " Demonstration data: synthetic figures, not results of the study."
    return {"openapi": main["openapi"], "info": info, "servers": [{"url": server}],
            "paths": paths, "components": copy.deepcopy(main["components"])}
