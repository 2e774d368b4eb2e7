"""Each published tabular resource's rows in a table of its own.

One typed column per Table Schema field, ``_row`` (the row's number in the
published file, the primary key), ``_missing`` (the missing-value markers a
row's cells held, such as "[c]", so that CSV output writes them back),
``_line`` (the row as a line of CSV, as the portal writes every CSV of its
rows: a filtered export of whole rows is then these lines, joined), and an
index for every field in both sort directions, nulls last. Full-text search
uses the database's own machinery: an FTS5 table on SQLite, a ``tsvector``
column with a GIN index on PostgreSQL (as CKAN's datastore keeps
``_full_text``), both over the same normalised tokens (lower case,
diacritics removed), so that "gwyr" finds "Gŵyr" on both.

The data never changes after publication, so indexes cost only load time:
rows are inserted in batches (``COPY`` on PostgreSQL) and the indexes built
afterwards. Table names are made from the resource's id and a random token,
never from anything a publisher wrote. Nothing here knows about Flask.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (BigInteger, Boolean, Column, Connection, Date, Double, Integer, MetaData,
                        Table, Text, bindparam, cast, func, inspect, literal_column, select, text, type_coerce)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

MISSING = "_missing"
ROW = "_row"
LINE = "_line"
FULL_TEXT = "_full_text"
BATCH = 5_000
# Below this many rows a table is scanned faster than it is indexed.
INDEXED_FROM = 2_000
# Kinds of column a Table Schema type is kept in.
INTEGER_TYPES = {"integer": "integer", "year": "integer"}
KINDS = {"integer": "integer", "year": "integer", "number": "number", "boolean": "boolean",
         "date": "date", "object": "json", "array": "json", "geojson": "json", "geopoint": "json",
         "any": "json"}
NOT_TEXT = {"integer", "number", "boolean"}  # kinds that full-text search does not read
INT64 = (-(2 ** 63), 2 ** 63 - 1)
# PostgreSQL keeps a row in one 8 kB page: 8,160 bytes at most, with its
# header; fixed-width values take their width, aligned to it.
MAX_ROW_BYTES = 8160
FIXED_WIDTHS = {"integer": 8, "number": 8, "date": 4, "boolean": 1}
TABLE_NAME = re.compile(r"^rows_[0-9]+_[0-9a-f]{8}$")
TOKEN = re.compile(r"[^\W_]+")
# PostgreSQL's tsvector holds a lexeme of at most 2,047 bytes (250
# characters are fewer) and less than 1 MB of lexemes and their offsets.
MAX_LEXEME = 250
MAX_LEXEMES_BYTES = 512 * 1024


class StoreError(RuntimeError):
    """Rows that the store cannot hold, or a table that cannot be made."""


def kind_of(field_type: str | None) -> str:
    return KINDS.get(field_type or "string", "string")


def full_row_bytes(kinds: Iterable[str]) -> int:
    """The fewest bytes a row with every field filled takes in PostgreSQL:
    the header with its null bitmap, ``_row``, fixed-width values aligned,
    and a byte (at least) for each text, JSON, ``_line`` and ``_full_text`` value."""
    kinds = list(kinds)
    size = _aligned(23 + (len(kinds) + 4 + 7) // 8, 8) + 4
    for kind in kinds:
        width = FIXED_WIDTHS.get(kind)
        size = _aligned(size, width) + width if width else size + 1
    return _aligned(size + 2, 8)  # and a byte (at least) for _line


def _aligned(size: int, alignment: int) -> int:
    return -(-size // alignment) * alignment


def new_table_name(resource_id: int) -> str:
    return f"rows_{resource_id}_{secrets.token_hex(4)}"


def normalise(value: str) -> str:
    """Lower case, diacritics removed: how text is indexed and searched."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.lru_cache(maxsize=65_536)
def _cached_tokens(value: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(normalise(value)))


def tokens(value: str) -> list[str]:
    """The words of ``value`` as they are indexed and searched (values repeat
    a great deal in a table, so each is worked out once). ASCII text has no
    diacritics, and its case folds as ``lower()`` does: it is split at once."""
    if value.isascii():
        return TOKEN.findall(value.lower())
    return list(_cached_tokens(value)) if len(value) <= 200 else TOKEN.findall(normalise(value))


# -- CSV ----------------------------------------------------------------------------------

def csv_number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def csv_value(data: dict[str, Any], name: str) -> str:
    """A cell as every CSV of the portal writes it: a suppressed or missing
    cell as its marker, booleans as ``true``/``false``, JSON as JSON."""
    value = data.get(name)
    if value is None:
        return (data.get(MISSING) or {}).get(name, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return csv_number(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class LineWriter:
    """Rows as lines of CSV (``\\n`` ended, quoted where needed), one at a time."""

    def __init__(self, names: list[str]):
        self.names = names
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def cells(self, cells: list[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()

    def line(self, row: dict[str, Any]) -> str:
        """``row``'s line: the one its :data:`LINE` key holds, when an
        earlier writer of the same fields set it."""
        line = row.get(LINE)
        return line if line is not None else self.cells([csv_value(row, name) for name in self.names])


def lexemes(words: Iterable[str]) -> list[str]:
    """``words`` as PostgreSQL's ``tsvector`` holds them: each once, none
    longer than it allows (such a "word" is no word anyone searches for),
    and no more in all than it allows."""
    kept: dict[str, None] = {}
    size = 0
    for word in words:
        if len(word) <= MAX_LEXEME and word not in kept:
            size += len(word.encode("utf-8")) + 1
            if size > MAX_LEXEMES_BYTES:
                break
            kept[word] = None
    return list(kept)


@dataclass(frozen=True)
class FieldColumn:
    name: str
    kind: str
    position: int


class RowTable:
    """The table of one resource, described by its Table Schema."""

    def __init__(self, table_name: str, schema: dict, dialect: str):
        if not TABLE_NAME.match(table_name):
            raise StoreError(f"not a row table name: {table_name!r}")
        self.name = table_name
        self.dialect = dialect
        self.fields = [FieldColumn(f["name"], kind_of(f.get("type")), i)
                       for i, f in enumerate(schema["fields"])]
        self.kinds = {f.name: f.kind for f in self.fields}
        self.text_fields = [f.name for f in self.fields if f.kind not in NOT_TEXT]
        metadata = MetaData()
        columns = [Column(ROW, Integer, primary_key=True, autoincrement=False)]
        columns += [Column(f.name, self._type(f.kind)) for f in self.fields]
        columns.append(Column(MISSING, Text))
        columns.append(Column(LINE, Text))
        if dialect == "postgresql":
            columns.append(Column(FULL_TEXT, TSVECTOR))
        self.table = Table(table_name, metadata, *columns)
        self.fts_name = f"{table_name}_fts"
        self._stores = [_STORE[f.kind] for f in self.fields]
        self._lines = LineWriter([f.name for f in self.fields])

    def _type(self, kind: str):
        if kind == "integer":
            return BigInteger()
        if kind == "number":
            return Double()
        if kind == "boolean":
            return Boolean(create_constraint=False)
        if kind == "date":
            return Date()
        if self.dialect == "postgresql":
            return Text(collation="C")  # code-point order, as on SQLite
        return Text()

    def column(self, name: str):
        return self.table.c[name]

    # -- ordering, nulls last in both directions ----------------------------------------
    def null_flag(self, name: str):
        """``(column IS NULL)``: the leading key of SQLite's indexes, which
        cannot say NULLS LAST."""
        return type_coerce(self.column(name).is_(None), Integer)

    def order_terms(self, name: str, descending: bool) -> list:
        column = self.column(name)
        if self.dialect == "sqlite":
            return [self.null_flag(name).asc(), column.desc() if descending else column.asc()]
        return [(column.desc() if descending else column.asc()).nulls_last()]

    def present(self, name: str):
        """A condition that the field has a value, written so SQLite's
        expression index can use it."""
        if self.dialect == "sqlite":
            return self.null_flag(name) == 0
        return self.column(name).is_not(None)

    # -- values -------------------------------------------------------------------------
    def to_columns(self, number: int, row: dict[str, Any]) -> tuple:
        """The row as the table's columns, in order: ``_row``, the fields,
        ``_missing``, ``_line``, then its full-text words (a column on
        PostgreSQL; on SQLite they go to the FTS5 table instead)."""
        values: list[Any] = [number]
        words: list[str] = []
        for f, store in zip(self.fields, self._stores):
            value = row.get(f.name)
            if value is None:
                values.append(None)
                continue
            values.append(store(f, value, number))
            if f.kind not in NOT_TEXT:
                words.extend(tokens(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)))
        markers = row.get(MISSING)
        values.append(json.dumps(markers, ensure_ascii=False, separators=(",", ":")) if markers else None)
        values.append(self._lines.line(row))
        values.append(" ".join(lexemes(words) if self.dialect == "postgresql" else words))
        return tuple(values)

    def from_columns(self, record, names: Iterable[str] | None = None, markers: bool = True) -> dict[str, Any]:
        mapping = record._mapping if hasattr(record, "_mapping") else record
        row: dict[str, Any] = {}
        for name in (names if names is not None else self.kinds):
            row[name] = _read_value(self.kinds[name], mapping[name])
        if markers and mapping.get(MISSING):
            row[MISSING] = json.loads(mapping[MISSING])
        return row

    def select_columns(self, names: Iterable[str] | None = None) -> list:
        names = list(names if names is not None else self.kinds)
        return [self.table.c[ROW]] + [self.table.c[n] for n in names] + [self.table.c[MISSING]]

    # -- full text ----------------------------------------------------------------------
    def matches(self, q: str, many: bool = False, also: Iterable = (), window: tuple[int, int] | None = None):
        """Rows whose text fields hold, for every word of ``q``, a word that
        begins with it. Punctuation alone is no word, and finds nothing.
        ``many``: the matches are known to be many, so that a page is found
        soon by testing rows in order (PostgreSQL); ``also``: the query's other
        conditions, which narrow the matches collected otherwise; ``window``
        (SQLite, when nothing else filters or sorts): ``(after, count)``, only
        the first ``count`` matches after row ``after`` are wanted, so only
        they are collected from the FTS5 table, in its rowid order."""
        words = tokens(q)
        if not words or not self.text_fields:
            return literal_column("1") == 0
        if self.dialect == "postgresql":
            # the words as lexemes, quoted, each a prefix: no parser comes between
            query = " & ".join(f"'{word}':*" for word in words)
            matching = self.table.c[FULL_TEXT].op("@@")(cast(bindparam("fts_query", query), TSQUERY))
            if many:
                return matching
            # the matching rows' numbers, found through the GIN index first:
            # else, for a page in row order, the planner may walk the rows in
            # order testing each, which is slow when the matches are few or late
            return self.table.c[ROW] == func.any(func.array(select(self.table.c[ROW]).where(matching, *also)
                                                            .scalar_subquery()))
        found = self._fts_matches(words)
        if window is not None:
            after, count = window
            rowid = literal_column("rowid", Integer)
            found = found.where(rowid > after).order_by(rowid).limit(count)
        return self.table.c[ROW].in_(found)

    def match_count(self, q: str):
        """The number of rows ``q`` matches, counted in the FTS5 table alone
        (SQLite), without reading the rows; None where there is no such table."""
        words = tokens(q)
        if self.dialect != "sqlite" or not words or not self.text_fields:
            return None
        return self._fts_matches(words).with_only_columns(func.count())

    def _fts_matches(self, words: list[str]):
        expression = " ".join(f'"{word}"*' for word in words)
        return (select(literal_column("rowid")).select_from(text(f'"{self.fts_name}"'))
                .where(literal_column(f'"{self.fts_name}"').op("MATCH")(bindparam("fts_query", expression))))


def _integer_refusal(value: Any) -> str | None:
    if type(value) is not int or not INT64[0] <= value <= INT64[1]:
        return "is beyond a 64-bit integer"
    return None


def _number_refusal(value: Any) -> str | None:
    try:
        finite = math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):  # such as Decimal("sNaN")
        finite = False
    return None if finite else "is not a finite number"


def _text_refusal(value: Any) -> str | None:
    return "holds a NUL character" if isinstance(value, str) and "\x00" in value else None


JSON_REFUSAL = "holds a value JSON cannot carry (NaN, an infinity or a lone surrogate)"


def _json_refusal(value: Any) -> str | None:
    try:
        _json_text(value)
    except (TypeError, ValueError, UnicodeEncodeError):
        return JSON_REFUSAL
    return None


def _json_text(value: Any) -> str:
    text_value = json.dumps(value, ensure_ascii=False, allow_nan=False)
    text_value.encode("utf-8")
    return text_value


# Why a column of each kind cannot hold a value (not null), or None when it can.
REFUSALS = {"integer": _integer_refusal, "number": _number_refusal, "string": _text_refusal,
            "json": _json_refusal}


def _refuse(f: FieldColumn, value: Any, number: int, reason: str) -> StoreError:
    return StoreError(f"row {number}, field {f.name}: {value!r} {reason}")


def _store_integer(f: FieldColumn, value: Any, number: int) -> int:
    if reason := _integer_refusal(value):
        raise _refuse(f, value, number, reason)
    return value


def _store_number(f: FieldColumn, value: Any, number: int) -> float:
    if reason := _number_refusal(value):
        raise _refuse(f, value, number, reason)
    return float(value)


def _store_text(f: FieldColumn, value: Any, number: int) -> str:
    text_value = value if isinstance(value, str) else str(value)
    if reason := _text_refusal(text_value):
        raise StoreError(f"row {number}, field {f.name}: the text {reason}")
    return text_value


def _store_json(f: FieldColumn, value: Any, number: int) -> str:
    try:
        return _json_text(value)
    except (TypeError, ValueError, UnicodeEncodeError):
        raise _refuse(f, value, number, JSON_REFUSAL) from None


# Values as the database driver takes them: dates as ISO text, which both
# SQLite (as SQLAlchemy's Date keeps them) and PostgreSQL's COPY read.
_STORE = {
    "integer": _store_integer,
    "number": _store_number,
    "boolean": lambda f, value, number: bool(value),
    "date": lambda f, value, number: value if isinstance(value, str) else value.isoformat(),
    "json": _store_json,
    "string": _store_text,
}


def _read_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else value
    if kind == "json":
        return json.loads(value)
    if kind == "boolean":
        return bool(value)
    if kind == "number":
        return float(value)
    return value


# -- writing ------------------------------------------------------------------------------

def create(connection: Connection, table: RowTable) -> None:
    """Create the (empty) table; refuse when the name is taken."""
    if inspect(connection).has_table(table.name):
        raise StoreError(f"a table named {table.name} exists already; the row store will not reuse it")
    table.table.create(connection)
    if table.dialect == "sqlite" and table.text_fields:
        connection.exec_driver_sql(
            f'CREATE VIRTUAL TABLE "{table.fts_name}" USING fts5(words, content=\'\', '
            f"tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')")


def insert(connection: Connection, table: RowTable, rows: Iterable[dict[str, Any]],
           progress=None, start: int = 1) -> int:
    """Insert every row, numbered from ``start``, in batches; returns how
    many. ``progress(n)`` is called after each batch with the rows written so
    far. ``rows`` must not read from the same connection (on PostgreSQL the
    rows go in one COPY, which holds the connection until it ends). Rows the
    database refuses raise :class:`StoreError`."""
    try:
        if table.dialect == "postgresql":
            return _copy(connection, table, rows, progress, start)
        return _executemany(connection, table, rows, progress, start)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise StoreError(f"the database refused the rows: {exc}".strip()) from exc


def _executemany(connection: Connection, table: RowTable, rows: Iterable[dict[str, Any]], progress,
                 start: int) -> int:
    names = [ROW] + [f.name for f in table.fields] + [MISSING, LINE]
    columns = ", ".join(f'"{name}"' for name in names)
    statement = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})'
    fts = f'INSERT INTO "{table.fts_name}"(rowid, words) VALUES (?, ?)' if table.text_fields else None
    cursor = connection.connection.driver_connection.cursor()
    batch: list[tuple] = []
    written = 0

    def flush() -> None:
        cursor.executemany(statement, [values[:-1] for values in batch])
        if fts:
            cursor.executemany(fts, [(values[0], values[-1]) for values in batch])
        batch.clear()

    for written, row in enumerate(rows, start=1):
        batch.append(table.to_columns(start + written - 1, row))
        if len(batch) >= BATCH:
            flush()
            if progress:
                progress(written)
    if batch:
        flush()
    if progress:
        progress(written)
    return written


def _copy(connection: Connection, table: RowTable, rows: Iterable[dict[str, Any]], progress,
          start: int) -> int:
    names = [ROW] + [f.name for f in table.fields] + [MISSING, LINE, FULL_TEXT]
    columns = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    written = 0
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for written, row in enumerate(rows, start=1):
            copy.write_row(table.to_columns(start + written - 1, row))
            if progress and written % BATCH == 0:
                progress(written)
    if progress:
        progress(written)
    return written


def build_indexes(connection: Connection, table: RowTable, row_count: int,
                  indexed_from: int | None = None) -> bool:
    """An index per field and direction (nulls last), the full-text index, and
    the planner's statistics: after the rows, which is much faster. A table
    of fewer than ``indexed_from`` rows is read whole faster than through an
    index, and gets none. True when indexes were made."""
    if row_count < (INDEXED_FROM if indexed_from is None else indexed_from):
        return False
    quoted = f'"{table.name}"'
    for f in table.fields:
        column = f'"{f.name}"'
        if table.dialect == "sqlite":
            connection.exec_driver_sql(
                f'CREATE INDEX "{table.name}_{f.position}a" ON {quoted} (({column} IS NULL), {column})')
            connection.exec_driver_sql(
                f'CREATE INDEX "{table.name}_{f.position}d" ON {quoted} (({column} IS NULL), {column} DESC)')
        else:
            connection.exec_driver_sql(
                f'CREATE INDEX "{table.name}_{f.position}a" ON {quoted} ({column} ASC NULLS LAST, "{ROW}")')
            connection.exec_driver_sql(
                f'CREATE INDEX "{table.name}_{f.position}d" ON {quoted} ({column} DESC NULLS LAST, "{ROW}")')
    if table.dialect == "postgresql":
        if table.text_fields:
            connection.exec_driver_sql(f'CREATE INDEX "{table.name}_fts" ON {quoted} USING gin ("{FULL_TEXT}")')
    connection.exec_driver_sql(f"ANALYZE {quoted}")
    return True


def vacuum(engine, table_names: Iterable[str]) -> None:
    """After publication (outside its transaction), on PostgreSQL: mark the
    new tables' pages all-visible, so counts read the indexes alone."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in table_names:
            if TABLE_NAME.match(name):
                connection.exec_driver_sql(f'VACUUM (ANALYZE) "{name}"')


def drop(connection: Connection, table_name: str) -> None:
    if not TABLE_NAME.match(table_name):
        raise StoreError(f"not a row table name: {table_name!r}")
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table_name}_fts"')
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table_name}"')


# -- reading ------------------------------------------------------------------------------

def read(session: Session, table: RowTable, batch: int = 2_000) -> Iterator[dict[str, Any]]:
    """Every row in file order, with markers, fetched in batches."""
    statement = (select(*table.select_columns()).order_by(table.table.c[ROW])
                 .execution_options(yield_per=batch))
    for record in session.execute(statement):
        yield table.from_columns(record)


def distinct_values(session: Session, table: RowTable, name: str) -> set[str]:
    column = table.column(name)
    return {str(_read_value(table.kinds[name], value))
            for value in session.scalars(select(column).where(column.is_not(None)).distinct())}
