"""What a resource's values mean to a reader, read from its Table Schema:
which columns hold a code's label in each language, the labels of a field's
codes, and the distinct values of a field to choose from.

A code's labels come, in this order, from:

- the field's ``categories`` (Table Schema 2: ``[{"value", "label"}]``, with
  the Welsh labels in ``translations.cy.categories``);
- columns of the same row: ``<field>_en``/``_cy``, or, for a field ending in
  ``_code`` or ``_id``, ``<stem>_name_en``/``_cy`` or ``<stem>_en``/``_cy``;
  for the resource's own one-field primary key, its first such pair
  (``gss_code`` is labelled by ``name_en``/``name_cy``);
- the resource it refers to (``foreignKeys`` in the package, or
  ``externalReference`` to another package), where the referenced field's
  labels are found by the rule above.

Distinct values are read through the field's index and bounded: a "loose
index scan" (one index seek for each value, at most MAX_OPTIONS + 1 of them)
on tables big enough to have indexes, one pass over smaller ones; past
MAX_OPTIONS values there are too many to list. Published tables never
change, so what is found is kept (bounded) per table. Nothing here knows
about Flask.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from portal import datastore, queries, rowstore
from portal.model import Resource

LANGUAGES = ("en", "cy")
MAX_OPTIONS = 100  # a field with more distinct values is filtered by typing one
CODE_SUFFIXES = ("_code", "_id")
CODE_TYPES = ("string", "integer", "year")


@dataclass(frozen=True)
class Reference:
    package: str | None  # None: a resource of the same version
    resource: str
    field: str


@dataclass
class FieldInfo:
    name: str
    type: str
    title: dict[str, str]
    language: str | None = None  # the language of a column of a label pair
    labels_in_row: dict[str, str] | None = None  # language -> column holding this code's label
    categories: dict[str, dict[str, str]] | None = None  # value -> language -> label
    reference: Reference | None = None
    enum: list | None = None
    label_of: str | None = None  # for a label column: the code it labels

    @property
    def labelled(self) -> bool:
        return bool(self.labels_in_row or self.categories or self.reference)

    @property
    def pickable(self) -> bool:
        """Filtered by choosing one of its values (else by a condition)."""
        return self.type == "boolean" or bool(self.enum) or self.labelled

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "number", "year")


@dataclass
class Option:
    value: Any
    labels: dict[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or str(self.value)


def label_pairs(schema: dict) -> dict[str, dict[str, str]]:
    """Columns that hold the same thing in each language: base -> language -> name."""
    names = {f["name"] for f in schema.get("fields", []) if f.get("type", "string") == "string"}
    pairs = {}
    for f in schema.get("fields", []):
        base, _, suffix = f["name"].rpartition("_")
        if suffix == "en" and base and all(f"{base}_{lang}" in names for lang in LANGUAGES):
            pairs[base] = {lang: f"{base}_{lang}" for lang in LANGUAGES}
    return pairs


def row_labels(schema: dict, name: str) -> dict[str, str] | None:
    """The columns of the same row holding field ``name``'s label in each language."""
    pairs = label_pairs(schema)
    candidates = [name]
    for suffix in CODE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            candidates += [f"{stem}_name", stem]
    for base in candidates:
        if base in pairs:
            return pairs[base]
    if schema.get("primaryKey") in ([name], name) and pairs:
        return next(iter(pairs.values()))
    return None


def _categories(spec: dict) -> dict[str, dict[str, str]] | None:
    categories = spec.get("categories")
    if not isinstance(categories, list) or not all(isinstance(c, dict) and "value" in c for c in categories):
        return None
    welsh = ((spec.get("translations") or {}).get("cy") or {}).get("categories") or []
    welsh_labels = {str(c.get("value")): c.get("label") for c in welsh if isinstance(c, dict)}
    return {str(c["value"]): {"en": str(c.get("label", c["value"])),
                              "cy": str(welsh_labels.get(str(c["value"])) or c.get("label", c["value"]))}
            for c in categories}


def _reference(schema: dict, spec: dict) -> Reference | None:
    external = spec.get("externalReference")
    if isinstance(external, dict) and {"package", "resource", "field"} <= external.keys():
        return Reference(str(external["package"]), str(external["resource"]), str(external["field"]))
    for key in schema.get("foreignKeys") or []:
        fields = key.get("fields")
        reference = key.get("reference") or {}
        target = reference.get("fields")
        if fields in ([spec["name"]], spec["name"]) and target and reference.get("resource"):
            return Reference(None, str(reference["resource"]), target[0] if isinstance(target, list) else target)
    return None


def describe(resource: Resource) -> dict[str, FieldInfo]:
    """What each field of ``resource`` is, for reading: in schema order."""
    schema = resource.table_schema
    titles = {f.name: {"en": f.title_en, "cy": f.title_cy} for f in resource.fields}
    pairs = label_pairs(schema)
    languages = {name: lang for pair in pairs.values() for lang, name in pair.items()}
    infos: dict[str, FieldInfo] = {}
    for spec in schema.get("fields", []):
        name = spec["name"]
        kind = spec.get("type", "string")
        info = FieldInfo(name, kind, titles.get(name, {"en": name, "cy": name}), languages.get(name))
        if kind in CODE_TYPES and name not in languages:
            info.categories = _categories(spec)
            info.labels_in_row = None if info.categories else row_labels(schema, name)
            if not (info.categories or info.labels_in_row):
                info.reference = _reference(schema, spec)
            enum = (spec.get("constraints") or {}).get("enum")
            info.enum = list(enum) if isinstance(enum, list) and len(enum) <= MAX_OPTIONS else None
        infos[name] = info
    for info in infos.values():
        for column in (info.labels_in_row or {}).values():
            infos[column].label_of = info.name
    return infos


def default_columns(infos: dict[str, FieldInfo], lang: str, primary_key: Iterable[str] = ()) -> list[str]:
    """What a reader sees first: labels in ``lang`` rather than codes (a code
    labelled in the same row is left out, unless it is the resource's own
    one-field key) and not the other language's copy of a column."""
    key = list(primary_key)
    shown = []
    for name, info in infos.items():
        if info.language and info.language != lang:
            continue
        if info.labels_in_row and key != [name]:
            continue
        shown.append(name)
    return shown or list(infos)


# -- labels of values -----------------------------------------------------------------

def referenced(session: Session, resource: Resource, reference: Reference) -> Resource | None:
    """The published resource ``reference`` names (the latest version of another package)."""
    if reference.package is None:
        return queries.find_resource(resource.version, reference.resource)
    version = queries.latest_version(session, reference.package)
    return queries.find_resource(version, reference.resource) if version else None


def value_labels(session: Session, resource: Resource, info: FieldInfo,
                 values: Iterable[Any]) -> dict[Any, dict[str, str]]:
    """Labels of some values of a code field labelled elsewhere than in its
    own row (categories or a reference); at most a page's worth of values."""
    wanted = [v for v in dict.fromkeys(values) if v is not None][:datastore.MAX_LIMIT]
    if info.categories:
        return {v: info.categories[str(v)] for v in wanted if str(v) in info.categories}
    if not info.reference or not wanted:
        return {}
    target = referenced(session, resource, info.reference)
    if target is None:
        return {}
    labels = row_labels(target.table_schema, info.reference.field)
    table = datastore.row_table(session, target)
    if labels is None or info.reference.field not in table.kinds:
        return {}
    key = table.column(info.reference.field)
    statement = (select(key, *[table.column(labels[lang]) for lang in LANGUAGES])
                 .where(table.present(info.reference.field), key.in_(wanted))
                 .limit(10 * len(wanted)))
    found: dict[Any, dict[str, str]] = {}
    for code, *texts in session.execute(statement):
        found.setdefault(code, {lang: text for lang, text in zip(LANGUAGES, texts) if text})
    return found


def options(session: Session, resource: Resource, info: FieldInfo) -> list[Option] | None:
    """The values of field ``info`` to choose from, with their labels, in the
    schema's order for an ``enum`` or ``categories``, else in code order (see
    :func:`by_label`); None when there are more than MAX_OPTIONS (then a value
    is typed)."""
    if info.type == "boolean":
        return [Option(True), Option(False)]
    if info.labels_in_row:
        found = _distinct(session, resource, info.name, tuple(sorted(info.labels_in_row.items())))
        if found is None:
            return None
        result = [Option(value, {lang: text for lang, text in zip(LANGUAGES, texts) if text})
                  for value, *texts in found]
    else:
        if info.enum is not None:
            values = info.enum
        elif info.categories:
            values = list(info.categories)
        else:
            found = _distinct(session, resource, info.name, ())
            if found is None:
                return None
            values = [value for value, in found]
        labels = value_labels(session, resource, info, values)
        result = [Option(value, labels.get(value, {})) for value in values]
    if info.enum is not None:
        position = {str(value): i for i, value in enumerate(info.enum)}
        result.sort(key=lambda o: position.get(str(o.value), len(position)))
    return result


def by_label(found: list[Option], lang: str) -> list[Option]:
    """Options in the order of their labels in ``lang`` (accents aside)."""
    return sorted(found, key=lambda o: (rowstore.normalise(o.label(lang)), str(o.value)))


_DISTINCT: dict[tuple, list[tuple] | None] = {}
_DISTINCT_KEPT = 1024


def _distinct(session: Session, resource: Resource, name: str,
              labels: tuple[tuple[str, str], ...]) -> list[tuple] | None:
    """The distinct values (with labels) of a published table, which never
    changes: found once per process, for at most _DISTINCT_KEPT fields."""
    key = (resource.table_name, session.get_bind().dialect.name, name, labels)
    if key not in _DISTINCT:
        found = sorted((tuple(row) for row in session.execute(distinct_statement(session, resource, name,
                                                                                 dict(labels)))),
                       key=lambda row: row[0])
        if len(_DISTINCT) >= _DISTINCT_KEPT:
            _DISTINCT.pop(next(iter(_DISTINCT)))
        _DISTINCT[key] = None if len(found) > MAX_OPTIONS else found
    return _DISTINCT[key]


def distinct_statement(session: Session, resource: Resource, name: str, labels: dict[str, str]):
    """At most MAX_OPTIONS + 1 distinct values of field ``name`` (the first in
    its order), each with a row's ``labels`` columns (by language, as LANGUAGES orders
    them). An indexed table is read by one index seek per value: a loose
    index scan, written as a recursive query that both databases run."""
    table = datastore.row_table(session, resource)
    column = table.column(name)
    label_columns = [labels[lang] for lang in LANGUAGES if lang in labels]
    if resource.row_count < rowstore.INDEXED_FROM:  # no indexes: one pass over a small table
        return (select(column, *[func.min(table.column(c)) for c in label_columns])
                .where(column.is_not(None)).group_by(column).order_by(column).limit(MAX_OPTIONS + 1))
    # nulls are left out by present(), so the column alone orders (and SQLite's
    # index on (column IS NULL, column) still serves the order, without a sort)
    order = [column.asc()]
    first = select(column).where(table.present(name)).order_by(*order).limit(1).scalar_subquery()
    values = select(first.label("v"), literal(1).label("n")).cte("distinct_values", recursive=True)
    following = (select(column).where(table.present(name), column > values.c.v).order_by(*order)
                 .limit(1).scalar_subquery())
    values = values.union_all(select(following, values.c.n + 1)
                              .where(values.c.v.is_not(None), values.c.n <= MAX_OPTIONS))
    # a label from the value's first row, found by the same index (PostgreSQL's
    # holds the row number after the value; SQLite's ends with the rowid)
    first_row = [column.asc(), table.table.c[rowstore.ROW].asc()] if table.dialect == "postgresql" else []
    texts = [select(table.column(c)).where(table.present(name), column == values.c.v).order_by(*first_row)
             .limit(1).scalar_subquery() for c in label_columns]
    return select(values.c.v, *texts).where(values.c.v.is_not(None))
