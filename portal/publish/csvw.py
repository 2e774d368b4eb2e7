"""CSV on the Web (W3C CSVW) metadata for each published CSV.

Served beside each CSV as ``<resource>.csv-metadata.json``, the location a
CSVW processor looks for first (``{+url}-metadata.json``), and named by a
``Link: <...>; rel="describedby"`` header on the CSV. It tells any client
what the Table Schema tells frictionless: each column's datatype, which
cells are empty (the schema's ``missingValues``, such as the suppression
marker ``[c]``), the column titles in English and Welsh, the primary key.
Made per request from the version's descriptor (small), like
``datapackage.json``; URLs come from the caller, so nothing here knows Flask.
"""
from __future__ import annotations

import re
from typing import Any

from portal.model import DatasetVersion, Resource

MEDIATYPE = "application/csvm+json"
SUFFIX = "-metadata.json"
CONTEXT = "http://www.w3.org/ns/csvw"

# Table Schema types -> CSVW (XML Schema) datatypes.
DATATYPES = {
    "string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
    "date": "date", "datetime": "datetime", "time": "time", "year": "gYear",
    "yearmonth": "gYearMonth", "duration": "duration", "object": "json", "array": "json",
    "geojson": "json", "geopoint": "string", "any": "string",
}
# strptime directives -> the Unicode date patterns CSVW uses
DATE_PATTERN = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%y": "yy"}
DEMONSTRATION = {
    "en": "Demonstration data: synthetic figures made by this portal, not results of the study.",
    "cy": "Data enghreifftiol: ffigurau synthetig a wnaed gan y porth hwn, nid canlyniadau'r astudiaeth.",
}


def _cy(node: dict) -> dict:
    return (node.get("translations") or {}).get("cy") or {}


def _both(node: dict, key: str) -> dict[str, str]:
    """``{"en": ..., "cy": ...}`` of a descriptor text, where present."""
    texts = {"en": node.get(key), "cy": _cy(node).get(key)}
    return {language: text for language, text in texts.items() if isinstance(text, str) and text}


def _date_format(fmt: str | None) -> str | None:
    """The CSVW pattern of a Table Schema date/time ``format``, or None for
    the default (ISO 8601) and ``any``."""
    if not fmt or fmt in ("default", "any"):
        return None
    pattern = fmt
    for directive, unicode_pattern in DATE_PATTERN.items():
        pattern = pattern.replace(directive, unicode_pattern)
    return None if "%" in pattern else pattern


def datatype(field: dict) -> str | dict:
    """The CSVW datatype of a Table Schema field, with its format and bounds."""
    kind = field.get("type") or "string"
    base = DATATYPES.get(kind, "string")
    spec: dict[str, Any] = {"base": base}
    constraints = field.get("constraints") or {}
    if kind == "boolean":
        trues, falses = field.get("trueValues") or ["true"], field.get("falseValues") or ["false"]
        spec["format"] = f"{trues[0]}|{falses[0]}"
    elif kind == "number" and (field.get("decimalChar", ".") != "." or field.get("groupChar")):
        spec["format"] = {"decimalChar": field.get("decimalChar", ".")}
        if field.get("groupChar"):
            spec["format"]["groupChar"] = field["groupChar"]
    elif kind in ("date", "datetime", "time"):
        pattern = _date_format(field.get("format"))
        if pattern:
            spec["format"] = pattern
    elif kind == "string" and isinstance(constraints.get("pattern"), str):
        spec["format"] = constraints["pattern"]
    if kind in ("integer", "number"):
        for name, key in (("minimum", "minimum"), ("maximum", "maximum")):
            if isinstance(constraints.get(name), (int, float)) and not isinstance(constraints[name], bool):
                spec[key] = constraints[name]
    if kind == "string":
        for name in ("minLength", "maxLength"):
            if isinstance(constraints.get(name), int):
                spec[name] = constraints[name]
    return base if len(spec) == 1 else spec


def column(field: dict, language: str) -> dict:
    """A column, named by the field. Its ``titles`` hold its header cell: in
    the canonical CSV the field name (language ``und``) beside its English
    and Welsh titles; in the Welsh-heading CSV its Welsh title, in the
    document's language (a plain string: CSVW processors match a header cell
    against such titles most reliably). ``dc:title`` gives both languages' titles in both."""
    titles = _both(field, "title")
    if language == "cy":
        header_titles: Any = titles.get("cy", field["name"])
    else:
        header_titles = {lang: title for lang, title in titles.items()}
        if field["name"] not in titles.values():
            header_titles["und"] = field["name"]
    out: dict[str, Any] = {"name": _name(field["name"]), "titles": header_titles,
                           "dc:title": [{"@value": text, "@language": lang} for lang, text in titles.items()],
                           "datatype": datatype(field)}
    descriptions = _both(field, "description")
    if descriptions:
        out["dc:description"] = [{"@value": text, "@language": lang} for lang, text in descriptions.items()]
    if (field.get("constraints") or {}).get("required") is True:
        out["required"] = True
    if field.get("missingValues") is not None:  # a field of its own (Table Schema v2)
        out["null"] = list(field["missingValues"])
    return out


def _name(name: str) -> str:
    """A CSVW column name: no leading underscore, URI-template safe."""
    cleaned = re.sub(r"[^A-Za-z0-9._~-]", lambda m: "%" + "%".join(f"{b:02X}" for b in m.group().encode()),
                     name)
    return cleaned.lstrip("_") or "column"


def metadata(version: DatasetVersion, resource: Resource, csv_url: str, language: str = "en",
             licence_url: str | None = None, described: str | None = None) -> dict:
    """The CSVW metadata document of one published CSV: the canonical one
    (``language="en"``: field names as headings) or the Welsh-heading one."""
    fields = resource.table_schema.get("fields") or []
    schema = resource.table_schema
    table_schema: dict[str, Any] = {"columns": [column(f, language) for f in fields]}
    names = {f["name"]: _name(f["name"]) for f in fields}
    key = schema.get("primaryKey")
    if isinstance(key, str):
        key = [key]
    if key and all(k in names for k in key):
        table_schema["primaryKey"] = [names[k] for k in key]
    doc: dict[str, Any] = {
        "@context": [CONTEXT, {"@language": language}],
        "url": csv_url,
        "dc:title": [{"@value": resource.title_en, "@language": "en"},
                     {"@value": resource.title_cy, "@language": "cy"}],
        "dc:description": [{"@value": resource.description_en, "@language": "en"},
                           {"@value": resource.description_cy, "@language": "cy"}],
        "dc:isPartOf": [{"@value": version.title_en, "@language": "en"},
                        {"@value": version.title_cy, "@language": "cy"}],
        "dc:hasVersion": str(version.number),
        "dc:issued": {"@value": version.published_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "@type": "xsd:dateTime"},
        "dialect": {"header": True, "encoding": "utf-8", "delimiter": ",", "doubleQuote": True},
        "null": list(schema.get("missingValues", [""])),
        "tableSchema": table_schema,
    }
    if version.demonstration:
        doc["rdfs:comment"] = [{"@value": text, "@language": lang} for lang, text in DEMONSTRATION.items()]
    if licence_url:
        doc["dc:license"] = {"@id": licence_url}
    if described:
        doc["rdfs:seeAlso"] = {"@id": described}
    return doc


def licence_url(version: DatasetVersion) -> str | None:
    """The URL of the version's first licence, when it names one."""
    for licence in version.descriptor.get("licenses") or []:
        if isinstance(licence, dict) and isinstance(licence.get("path"), str):
            return licence["path"]
    return None
