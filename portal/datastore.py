"""Queries over the rows of a tabular resource: filters checked against its
Table Schema, full-text search, sorting on several fields, field selection,
offset and keyset (cursor) pagination, totals, and CSV output that streams.

Every value reaches SQL as a bound parameter; every field name is checked
against the schema first. Nothing here knows about Flask.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, and_, func, literal, literal_column, or_, select, true, tuple_, type_coerce
from sqlalchemy.types import NullType
from sqlalchemy.orm import Session, object_session

from portal.model import Resource
from portal import rowstore
from portal.rowstore import INDEXED_FROM, MISSING, ROW, RowTable

OPERATORS = ("exact", "not", "lt", "lte", "gt", "gte")
ROW_ID = "_id"  # a row's number in the published file, as CKAN's DataStore names it
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
MAX_FILTERS = 20  # in CKAN's datastore_search (one filter per field and operator elsewhere)
MAX_VALUE_LENGTH = 500
MAX_Q_LENGTH = 200
ESTIMATE_FROM = 10_000  # searches expected to match more rows have an estimated total (PostgreSQL)
WALK_ROWS = 10_000  # a search reads up to about this many rows in order for a page (PostgreSQL)
MAX_VALUES = 100  # values of one filter (any of them)
MAX_SORT_LENGTH = 1000
MAX_FIELDS_LENGTH = 2000
RESERVED_NAMES = ("q", "sort", "fields", "limit", "offset", "cursor")  # filtered as <field>__exact
TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}
# What a filter value of each type may be, exactly (ASCII digits; no spaces):
# the API's OpenAPI documents give the same patterns (portal.api.rows_openapi).
# Numbers are finite by construction: at most 17 digits each side of the
# point and a two-digit exponent.
VALUE_PATTERNS = {
    "integer": r"[-+]?[0-9]{1,18}",
    "number": r"[-+]?([0-9]{1,17}(\.[0-9]{0,17})?|\.[0-9]{1,17})([eE][-+]?[0-9]{1,2})?",
    "boolean": "|".join("".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in word)
                        for word in sorted(TRUE_VALUES | FALSE_VALUES)),
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "datetime": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?",
}


class QueryError(ValueError):
    """A query that cannot be run; ``parameter`` names what was wrong."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def regex_literal(text: str) -> str:
    """``text`` matched literally by a regular expression read alike by
    Python and by ECMAScript (JSON Schema's ``pattern``), in Unicode mode too."""
    return "".join("\\" + ch if ch in "^$\\.*+?()[]{}|/" else ch for ch in text)


def _names_pattern(names: Iterable[str]) -> str:
    return "(" + "|".join(regex_literal(name) for name in names) + ")"


def sort_pattern(names: Iterable[str]) -> str:
    """Every ``sort`` the API takes on fields ``names``: comma-separated
    ``name``, ``-name`` or ``name asc|desc``, spaces or tabs around each;
    empty parts skipped."""
    name, space = _names_pattern(names), "[ \t]*"
    part = f"{space}(-?{name}|{name}[ \t]+([Aa][Ss][Cc]|[Dd][Ee][Ss][Cc])){space}"
    return f"^({part}|{space})(,({part}|{space}))*$"


def fields_pattern(names: Iterable[str]) -> str:
    """Every non-empty ``fields`` the API takes: names, comma-separated, at
    least one; spaces or tabs around each; empty parts skipped."""
    name = _names_pattern(names)
    item, space = f"[ \t]*{name}[ \t]*", "[ \t]*"
    return f"^({space},)*{item}(,({item}|{space}))*$"


class CursorError(QueryError):
    """A cursor this portal did not issue for this query: no such page."""

    def __init__(self, message: str):
        super().__init__("cursor", message)


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    values: tuple[Any, ...]  # several values: any of them (exact only)


@dataclass
class RowQuery:
    filters: list[Filter] = field(default_factory=list)
    q: str = ""
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    fields: list[str] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None
    markers: bool = False  # keep each row's missing-value markers (under "_missing")
    row_ids: bool = False  # give each row its number in the file, first, under ROW_ID (CKAN's "_id")
    rows_descending: bool = False  # the last sort key, the row number, descending (CKAN's "_id desc")


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    next_cursor: str | None
    fields: list[str]
    total_estimated: bool = False

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


_ROW_TABLES: dict[tuple[str, str], RowTable] = {}


def row_table(session: Session, resource: Resource) -> RowTable:
    """The table holding ``resource``'s rows. Its schema never changes, so the
    description is made once per process."""
    dialect = session.get_bind().dialect.name
    key = (resource.table_name, dialect)
    if key not in _ROW_TABLES:
        if len(_ROW_TABLES) > 4096:
            _ROW_TABLES.clear()
        _ROW_TABLES[key] = RowTable(resource.table_name, resource.table_schema, dialect)
    return _ROW_TABLES[key]


class Table:
    """A resource's schema, for checking and typing query parameters, and the
    table its rows are in."""

    def __init__(self, resource: Resource, session: Session | None = None):
        self.resource = resource
        self.rows = row_table(session or object_session(resource), resource)
        self.schema_fields = resource.table_schema["fields"]
        self.types = {f["name"]: f.get("type", "string") for f in self.schema_fields}
        self.names = [f["name"] for f in self.schema_fields]

    # -- parsing ----------------------------------------------------------------
    def check_field(self, name: str, parameter: str | None = None) -> str:
        if name not in self.types:
            raise QueryError(parameter or name, f"unknown field {name!r}; the fields are: {', '.join(self.names)}")
        return name

    def parse_value(self, name: str, raw: Any, parameter: str | None = None) -> Any:
        """A filter value as the field's type; ``None`` (or "") matches missing values."""
        parameter = parameter or name
        kind = self.types[name]
        if raw is None or raw == "":
            return None
        if not isinstance(raw, (str, int, float, bool)):
            raise QueryError(parameter, f"the value for {name} must be a single value")
        text = str(raw) if not isinstance(raw, bool) else str(raw).lower()
        if len(text) > MAX_VALUE_LENGTH:
            raise QueryError(parameter, f"the value for {name} is longer than {MAX_VALUE_LENGTH} characters")
        if "\x00" in text:
            raise QueryError(parameter, f"the value for {name} contains a NUL character")
        try:
            if kind in VALUE_PATTERNS and not re.fullmatch(VALUE_PATTERNS[kind], text):
                raise ValueError
            if kind == "integer":
                if isinstance(raw, float):
                    raise ValueError
                return int(text)
            if kind == "number":
                number = float(text)
                if not math.isfinite(number):
                    raise ValueError
                return number
            if kind == "boolean":
                if text.lower() in TRUE_VALUES:
                    return True
                if text.lower() in FALSE_VALUES:
                    return False
                raise ValueError
            if kind == "date":
                return dt.date.fromisoformat(text).isoformat()
            if kind == "datetime":
                return dt.datetime.fromisoformat(text).isoformat()
        except ValueError:
            expected = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
                        "date": "a date (YYYY-MM-DD)", "datetime": "a date and time (ISO 8601)"}[kind]
            raise QueryError(parameter, f"{name} holds {kind} values: {raw!r} is not {expected}") from None
        return str(raw)

    def parse_filter(self, key: str, raw_values: Iterable[Any]) -> Filter:
        """``field`` or ``field__op`` (ops: exact, not, lt, lte, gt, gte)."""
        name, _, op = key.partition("__")
        op = op or "exact"
        self.check_field(name, key)
        if op not in OPERATORS:
            raise QueryError(key, f"unknown operator {op!r}; operators are: {', '.join(OPERATORS)}")
        raw_values = list(raw_values)
        if len(raw_values) > MAX_VALUES:
            raise QueryError(key, f"{key} takes at most {MAX_VALUES} values")
        values = tuple(self.parse_value(name, raw, key) for raw in raw_values)
        if not values:
            raise QueryError(key, f"no value given for {key}")
        if op != "exact" and len(values) > 1:
            raise QueryError(key, f"{key} takes one value")
        if op in ("lt", "lte", "gt", "gte") and values[0] is None:
            raise QueryError(key, f"{key} needs a value")
        if op in ("lt", "lte", "gt", "gte") and self.types[name] == "boolean":
            raise QueryError(key, f"{name} is a boolean field; compare it with true or false only")
        return Filter(name, op, values)

    def _check_syntax(self, spec: str, pattern: str, parameter: str, longest: int, what: str) -> None:
        if len(spec) > longest:
            raise QueryError(parameter, f"{parameter} is longer than {longest} characters")
        if not re.fullmatch(pattern, spec):
            raise QueryError(parameter, f"{parameter} must be {what}; the fields are: {', '.join(self.names)}")

    def parse_sort(self, spec: str, parameter: str = "sort", strict: bool = False) -> list[tuple[str, bool]]:
        """``a,-b`` (a minus sign sorts descending) or ``a asc, b desc`` (CKAN);
        ``strict``: exactly :meth:`sort_pattern`, as the API documents it."""
        if strict:
            self._check_syntax(spec, sort_pattern(self.names), parameter, MAX_SORT_LENGTH,
                               "field names, comma-separated, each with - or asc/desc to choose the order")
        keys = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            words = part.split()
            if len(words) == 2 and words[1].lower() in ("asc", "desc"):
                name, descending = words[0], words[1].lower() == "desc"
            elif len(words) == 1:
                name, descending = (part[1:], True) if part.startswith("-") else (part, False)
            else:
                raise QueryError(parameter, f"cannot read the sort {part!r}")
            keys.append((self.check_field(name, parameter), descending))
        # a field named again adds nothing: the first mention orders
        return [key for index, key in enumerate(keys) if key[0] not in {name for name, _ in keys[:index]}]

    def parse_fields(self, spec: str | Iterable[str], parameter: str = "fields",
                     strict: bool = False) -> list[str]:
        if strict and isinstance(spec, str):
            self._check_syntax(spec, fields_pattern(self.names), parameter, MAX_FIELDS_LENGTH,
                               "one or more field names, comma-separated")
        names = [n.strip() for n in (spec.split(",") if isinstance(spec, str) else spec) if n and n.strip()]
        if not names:
            raise QueryError(parameter, "name at least one field")
        return [self.check_field(name, parameter) for name in names]

    # -- SQL ------------------------------------------------------------------------
    def column(self, name: str):
        return self.rows.column(name)

    def bound(self, name: str, value: Any) -> Any:
        """A parsed value as the column holds it."""
        if value is not None and self.rows.kinds[name] == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        return value


def check_paging(limit: int, offset: int, cursor: str | None) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError("offset", f"offset must be between 0 and {MAX_OFFSET}")


def check_cursor_paging(offset: int, cursor: str | None) -> None:
    """After the cursor itself is read (an unknown one is no page at all)."""
    if cursor and offset:
        raise QueryError("cursor", "give either an offset or a cursor, not both")


def _conditions(table: Table, query: RowQuery, many_matches: bool = False,
                unindexed: frozenset[str] = frozenset(), window: tuple[int, int] | None = None) -> list:
    """The query's conditions; those on the fields in ``unindexed`` written
    so that SQLite does not read them through their indexes (``+column``);
    ``window``: see :meth:`RowTable.matches`."""
    conditions = []
    for flt in query.filters:
        column = table.column(flt.field)
        has_value = table.rows.present(flt.field)
        if flt.field in unindexed:
            column = literal_column(f'+"{flt.field}"', type_=column.type)
            has_value = type_coerce(column.is_(None), Integer) == 0
        present = [table.bound(flt.field, v) for v in flt.values if v is not None]
        if flt.op == "exact":
            options = []
            if present:
                options.append(and_(has_value,
                                    column == present[0] if len(present) == 1 else column.in_(present)))
            if None in flt.values:
                options.append(column.is_(None))
            conditions.append(or_(*options))
        elif flt.op == "not":
            value = table.bound(flt.field, flt.values[0])
            conditions.append(column.is_not(None) if value is None else or_(column != value, column.is_(None)))
        else:
            operator = {"lt": "__lt__", "lte": "__le__", "gt": "__gt__", "gte": "__ge__"}[flt.op]
            conditions.append(and_(has_value,
                                   getattr(column, operator)(table.bound(flt.field, flt.values[0]))))
    if query.q:
        if len(query.q) > MAX_Q_LENGTH:
            raise QueryError("q", f"the search text is longer than {MAX_Q_LENGTH} characters")
        if "\x00" in query.q:
            raise QueryError("q", "the search text contains a NUL character")
        conditions.append(table.rows.matches(query.q, many_matches, also=list(conditions), window=window))
    return conditions


def _search_window(table: Table, query: RowQuery, cursor: dict | None) -> tuple[int, int] | None:
    """For a search alone, in row order, on SQLite: the matches a page needs
    (``(after, count)``, see :meth:`RowTable.matches`), so that only they are
    collected, not every match in the table."""
    if (table.rows.dialect != "sqlite" or not query.q or query.filters or query.sort
            or query.rows_descending):
        return None
    return (cursor["r"] if cursor else 0), query.offset + query.limit + 1


def _order(table: Table, query: RowQuery) -> list:
    order = []
    for name, descending in query.sort:
        order.extend(table.rows.order_terms(name, descending))
    row = table.rows.table.c[ROW]
    order.append(row.desc() if query.rows_descending else row.asc())
    return order


def check(table: Table, query: RowQuery) -> None:
    """Raise QueryError for what the query cannot ask, without running it."""
    _conditions(table, query)
    _order(table, query)


# Totals already counted, by table and query. A row table never changes once
# published (its name, random, is never reused), so a total counted once holds
# for good: paging through a query's results, or asking it again, counts once
# per process. Least recently used totals go first.
_TOTALS: OrderedDict[tuple[str, str, str], tuple[int, bool]] = OrderedDict()
TOTALS_KEPT = 20_000
_TOTALS_LOCK = threading.Lock()


def total(session: Session, table: Table, query: RowQuery) -> tuple[int, bool]:
    """How many rows match, and whether that is an estimate (see :func:`_count`)."""
    if not query.filters and not query.q:
        return table.resource.row_count, False  # stored at publication: no need to count
    # (with the threshold past which a search's total is estimated: it decides the answer too)
    key = (table.rows.name, table.rows.dialect,
           json.dumps([[(f.field, f.op, list(f.values)) for f in query.filters], query.q, ESTIMATE_FROM],
                      default=str))
    with _TOTALS_LOCK:
        found = _TOTALS.get(key)
        if found is not None:
            _TOTALS.move_to_end(key)
            return found
    found = _count(session, table, query)
    with _TOTALS_LOCK:
        _TOTALS[key] = found
        if len(_TOTALS) > TOTALS_KEPT:
            _TOTALS.popitem(last=False)
    return found


def _count(session: Session, table: Table, query: RowQuery) -> tuple[int, bool]:
    """How many rows match, and whether that is an estimate. Exact where
    cheap: the stored row count when nothing filters; a count through the
    indexes for filters. A search on PostgreSQL that its planner expects to
    match more than ESTIMATE_FROM rows is estimated, as CKAN's datastore does
    past its ``total_estimation_threshold``: counting it exactly reads every
    matching row from the table (GIN indexes hold no visibility)."""
    conditions = _conditions(table, query)
    if not conditions:
        return table.resource.row_count, False  # stored at publication: no need to count
    if query.q and not query.filters and (count := table.rows.match_count(query.q)) is not None:
        return session.scalar(count), False  # the search index alone: the rows are not read
    if query.q and table.rows.dialect == "postgresql":
        compiled = (select(literal_column("1")).select_from(table.rows.table)
                    .where(*_conditions(table, query, many_matches=True))
                    .compile(session.get_bind(), compile_kwargs={"render_postcompile": True}))
        plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate > ESTIMATE_FROM:
            return min(estimate, table.resource.row_count), True
    return session.scalar(select(func.count()).select_from(table.rows.table).where(*conditions)), False


def run(session: Session, resource: Resource, query: RowQuery, secret: str) -> Page:
    """One page of matching rows, the total, and a cursor for the next page."""
    table = Table(resource, session)
    check_paging(query.limit, query.offset, query.cursor)
    matched, estimated = total(session, table, query)
    # Many matches for `q` spread through the table: a page is quicker found by
    # reading rows in order and testing each than by collecting every match.
    walk = (query.offset + query.limit + 1) * table.resource.row_count <= WALK_ROWS * max(matched, 1)
    cursor = _read_cursor(query, secret) if query.cursor else None
    statement = (select(*table.rows.select_columns())
                 .where(*_conditions(table, query, many_matches=walk, unindexed=_read_in_order(table, query, matched),
                                     window=_search_window(table, query, cursor)))
                 .order_by(*_order(table, query)))
    # rows after the cursor, in parts that follow each other in the order
    parts = _after(table, query, cursor) if cursor else [true()]
    check_cursor_paging(query.offset, query.cursor)
    fetched: list = []
    for part in parts:
        wanted = query.limit + 1 - len(fetched)
        if wanted <= 0:
            break
        fetched += [(record._mapping[ROW], table.rows.from_columns(record)) for record in session.execute(
            statement.where(part).offset(query.offset).limit(wanted))]
    names = query.fields or table.names
    more = len(fetched) > query.limit
    fetched = fetched[:query.limit]
    next_cursor = _make_cursor(table, query, fetched[-1], secret) if more and fetched else None
    rows = [_project(data, names, query.markers) for _, data in fetched]
    if query.row_ids:
        rows = [{ROW_ID: number, **row} for (number, _), row in zip(fetched, rows)]
    return Page(rows, matched, query.offset, query.limit, next_cursor, names, estimated)


def _read_in_order(table: Table, query: RowQuery, matched: int) -> frozenset[str]:
    """The filtered fields SQLite should not read through their indexes, so
    that it reads a sorted page through the sort's index instead, testing
    each row: when the matches are many, the page is found after about
    ``wanted * rows / matched`` rows, where collecting every match through
    the filter's index and sorting them reads ``matched``. (PostgreSQL's
    planner weighs this itself, from its statistics.)"""
    if (table.rows.dialect != "sqlite" or len(query.sort) != 1 or query.rows_descending or query.q
            or table.resource.row_count < INDEXED_FROM):
        return frozenset()
    wanted = query.offset + query.limit + 1
    if matched * matched <= wanted * table.resource.row_count:
        return frozenset()
    return frozenset(flt.field for flt in query.filters if flt.field != query.sort[0][0])


def iterate(session: Session, resource: Resource, query: RowQuery,
            batch: int = 2_000) -> Iterator[dict[str, Any]]:
    """Every matching row (no paging), fetched in batches: constant memory."""
    table = Table(resource, session)
    statement = (select(*table.rows.select_columns()).where(*_conditions(table, query))
                 .order_by(*_order(table, query)).execution_options(yield_per=batch))
    result = session.execute(statement)
    try:
        for record in result:
            row = table.rows.from_columns(record)
            yield {ROW_ID: record._mapping[ROW], **row} if query.row_ids else row
    finally:
        result.close()  # at once, also when a client hangs up mid-way


def _project(data: dict[str, Any], names: list[str], markers: bool = False) -> dict[str, Any]:
    row = {name: data.get(name) for name in names}
    if markers and MISSING in data:
        row[MISSING] = data[MISSING]
    return row


# -- CSV ----------------------------------------------------------------------------

csv_value = rowstore.csv_value
_csv_number = rowstore.csv_number


CHUNK = 64 * 1024


def csv_stream(rows: Iterable[dict[str, Any]], names: list[str],
               header: list[str] | None = None) -> Iterator[str]:
    """CSV text in chunks of about 64 KiB (the header line first, alone),
    with suppressed cells written back as their marker; ``header`` replaces
    the field names in the first line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header or names)
    yield flush()
    try:
        for data in rows:
            writer.writerow([csv_value(data, name) for name in names])
            if buffer.tell() >= CHUNK:
                yield flush()
        rest = flush()
        if rest:
            yield rest
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


# How each kind of column's value (as the driver gives it) is written, as
# csv_value writes the typed value; kinds not here are written as they come
# (text; integers, which csv writes with str; JSON, stored as its own text).
CSV_FORMATS: dict[str, Any] = {
    "number": lambda value: _csv_number(float(value)),
    "boolean": lambda value: "true" if value else "false",
    "date": lambda value: value if isinstance(value, str) else value.isoformat(),
}


def csv_export(session: Session, resource: Resource, query: RowQuery,
               batch: int = 2_000) -> Iterator[str]:
    """Every matching row as CSV text in chunks of about 64 KiB (the header
    line first, alone), byte for byte as :func:`csv_stream` writes the rows of
    :func:`iterate`, but from the columns as fetched: no row becomes a dict,
    and a missing cell's marker is looked up only in rows that have one."""
    table = Table(resource, session)
    names = query.fields or table.names
    if names == table.names:
        yield from _whole_rows_csv(session, table, query, batch)
        return
    formats = [(i, CSV_FORMATS[table.rows.kinds[name]]) for i, name in enumerate(names)
               if table.rows.kinds[name] in CSV_FORMATS]
    # the driver's values as they come, without result processing (a SQLite
    # date stays its ISO text, a boolean 0 or 1)
    columns = [type_coerce(column, NullType()).label(column.name) for column in table.rows.select_columns(names)]
    statement = (select(*columns).where(*_conditions(table, query)).order_by(*_order(table, query))
                 .execution_options(yield_per=batch))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    result = session.execute(statement)
    try:
        for records in result.partitions(256):
            lines = []
            for record in records:
                values = list(record[1:-1])
                for i, write in formats:
                    if values[i] is not None:
                        values[i] = write(values[i])
                if None in values:
                    markers = json.loads(record[-1]) if record[-1] else {}
                    values = [markers.get(name, "") if value is None else value
                              for name, value in zip(names, values)]
                lines.append(values)
            writer.writerows(lines)
            if buffer.tell() >= CHUNK:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        rest = buffer.getvalue()
        if rest:
            yield rest
    finally:
        result.close()  # at once, also when a client hangs up mid-way


def _whole_rows_csv(session: Session, table: Table, query: RowQuery, batch: int) -> Iterator[str]:
    """Every field of the matching rows: their lines as stored at publication."""
    statement = (select(table.rows.table.c[rowstore.LINE]).where(*_conditions(table, query))
                 .order_by(*_order(table, query)))
    yield rowstore.LineWriter(table.names).cells(table.names)
    if table.rows.dialect == "sqlite":
        # SQLite's own cursor steps through the rows as they are fetched, and
        # gives the text as it is, without a row object made of each
        result = session.execute(statement)
        batches = iter(lambda: [record[0] for record in result.cursor.fetchmany(batch)], [])
    else:
        # a server-side cursor of the driver's own (constant memory), for the
        # same reason: SQLAlchemy's rows would cost more than the query
        compiled = statement.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
        result = session.connection().connection.driver_connection.cursor(
            name=f"portal_export_{secrets.token_hex(8)}")
        result.execute(str(compiled), compiled.params)
        batches = iter(lambda: [record[0] for record in result.fetchmany(batch)], [])
    try:
        chunk: list[str] = []
        size = 0
        for lines in batches:
            chunk.extend(lines)
            size += sum(map(len, lines))
            if size >= CHUNK:
                yield "".join(chunk)
                chunk.clear()
                size = 0
        if chunk:
            yield "".join(chunk)
    finally:
        result.close()  # at once, also when a client hangs up mid-way


# -- keyset pagination --------------------------------------------------------------

def _fingerprint(table: Table, query: RowQuery) -> str:
    shape = [table.resource.id, [(f.field, f.op, list(f.values)) for f in query.filters], query.q, query.sort]
    return hashlib.sha256(json.dumps(shape, default=str).encode()).hexdigest()[:16]


def _sign(payload: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()[:32]


def _make_cursor(table: Table, query: RowQuery, last, secret: str) -> str:
    row_number, data = last
    payload = json.dumps({"k": [data.get(name) for name, _ in query.sort], "r": row_number,
                          "q": _fingerprint(table, query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(payload, secret)


def _read_cursor(query: RowQuery, secret: str) -> dict:
    invalid = CursorError("the cursor is not valid: it was changed, or belongs to another query")
    try:
        encoded, signature = query.cursor.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (ValueError, AttributeError):
        raise invalid from None
    if not hmac.compare_digest(signature.encode(), _sign(payload, secret).encode()):
        raise invalid
    cursor = json.loads(payload)
    if len(cursor["k"]) != len(query.sort):
        raise invalid
    return cursor


def _after(table: Table, query: RowQuery, cursor: dict) -> list:
    """Rows strictly after the cursor in the query's order (nulls last), as
    conditions for parts that follow each other in that order."""
    if query.rows_descending:
        raise QueryError("cursor", "a cursor follows rows in ascending order only")
    if cursor["q"] != _fingerprint(table, query):
        raise CursorError("the cursor belongs to another query (its filters or sort differ)")
    # literal(): booleans must be bound values, not SQL's TRUE/FALSE constants
    keys = [(table.column(name), descending,
             None if value is None else literal(table.bound(name, value), table.column(name).type))
            for (name, descending), value in zip(query.sort, cursor["k"])]
    options = []
    for i, (column, descending, value) in enumerate(keys):
        equal_before = [earlier.is_(None) if v is None else earlier == v for earlier, _, v in keys[:i]]
        if value is None:
            continue  # nothing sorts after a null but other nulls, handled by the next key
        beyond = column < value if descending else column > value
        options.append(and_(*equal_before, or_(beyond, column.is_(None))))
    equal_all = [column.is_(None) if value is None else column == value for column, _, value in keys]
    row = table.rows.table.c[ROW]
    options.append(and_(*equal_all, row > cursor["r"]) if equal_all else row > cursor["r"])
    after = or_(*options) if options else true()
    column, descending, value = keys[0] if keys else (None, False, None)
    if table.rows.dialect != "postgresql" or value is None:
        return [after]
    # PostgreSQL does not read the OR above as a range of the sort's index, and
    # a deep page then reads every row before it. The same rows in two parts,
    # in order: those with a value, from a bound it reads as a range (with one
    # key ascending, the whole condition is one), then those without (nulls
    # sort last either way), read only when the first part runs out.
    if len(keys) == 1 and not descending:
        with_value = tuple_(column, row) > tuple_(value, literal(cursor["r"], row.type))
    else:
        with_value = and_(column <= value if descending else column >= value, after)
    return [with_value, column.is_(None)]
