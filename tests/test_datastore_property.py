"""The row store answers every query as a plain Python evaluation of it would.

Hypothesis makes small tables (every field type, Welsh text, empty and "[c]"
cells), publishes each one through the real publication path, then asks many
generated queries of it (filters with every operator, full-text search, sorts
on several fields, field selection, offsets, cursor chains, CSV) and compares
every answer with ``evaluate`` below, which reads the query the way the API
documents it. A few fixed tables below spell out the cases that matter most.
"""
from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import re
import string
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from portal import datastore, queries
from portal.datastore import RowQuery, Table
from portal.db import make_engine, make_sessionmaker
from portal.storage import LocalStore
from portal.migrate import upgrade
from portal.publish.service import load_path

SECRET = "test-secret"
MISSING = "_missing"
MARKER = "[c]"
TABLES = 25  # generated tables per test, each published once
TABLES_PER_DATABASE = 20
QUERIES_PER_TABLE = 15
TYPES = ("integer", "number", "boolean", "date", "string")
NOT_TEXT = ("integer", "number", "boolean")  # every other field is searched by q
COMPARISONS = ("lt", "lte", "gt", "gte")
WELSH_LETTERS = "ŵŷâêîôûëïŴŶÂÊÎÔÛ"
ALPHABET = string.ascii_letters + string.digits + string.punctuation + " " + WELSH_LETTERS
WELSH_WORDS = ("Gŵyr", "Ynys Môn", "Castell-nedd Port Talbot", "Pen-y-bont ar Ogwr", "Bro Morgannwg",
               "Caerdydd", "Sir Fôn", "GŴYR", "ŷd", "tŷ", "Llŷn", "Âr", "dŵr, tân", "O'Neill",
               '"Jr"', "gêm", "cefnogaeth", "2018", "12.5", "true", "Ŵy Ŷ")
# names a typed table or SQL could trip over, besides random snake_case ones
AWKWARD_NAMES = ("id", "row_number", "resource_id", "data", "order", "select", "group", "user",
                 "rank", "count", "offset", "limit", "text", "value", "missing", "tsv", "search")

_names = itertools.count(1)


# -- writing and publishing a package ------------------------------------------

def bilingual(en: str, cy: str) -> dict:
    return {"title": en, "description": f"{en}.",
            "translations": {"cy": {"title": cy, "description": f"{cy}."}}}


@dataclass
class Spec:
    """A table to publish: (name, type) per field, and the CSV cells row by row."""
    fields: list[tuple[str, str]]
    cells: list[list[str]]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.fields]

    @property
    def types(self) -> dict[str, str]:
        return dict(self.fields)


def publish(db, folder: Path, spec: Spec):
    """Publish ``spec`` as a new package in ``folder``; return its Resource."""
    name = f"property-table-{next(_names)}"
    package = folder / name
    package.mkdir(parents=True)
    descriptor = {
        "name": name, **bilingual("Generated table", "Tabl a gynhyrchwyd"),
        "languages": ["en", "cy"], "demonstration": True,
        "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
                      "path": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}],
        "sources": [{"title": "Generated for a test"}],
        "resources": [{
            "name": "rows", "path": "rows.csv", **bilingual("Rows", "Rhesi"),
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "profile": "tabular-data-resource",
            "schema": {"fields": [{"name": fname, "type": ftype,
                                   **bilingual(f"Field {fname}", f"Maes {fname}")}
                                  for fname, ftype in spec.fields],
                       "missingValues": ["", MARKER]},
        }],
    }
    (package / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                              encoding="utf-8")
    (package / "rows.csv").write_text(csv_text(spec.names, spec.cells), encoding="utf-8")
    results = load_path(db, package)
    assert [result.status for result in results] == ["published"], [r.report.render() for r in results]
    return queries.latest_version(db, name).resources[0]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


class Databases:
    """Fresh, migrated databases for generated tables, a new one every
    TABLES_PER_DATABASE tables: each publication reindexes the whole catalogue,
    so on one database publishing slows down with every table hypothesis tries
    (hundreds while it shrinks a failure)."""

    def __init__(self, new_url, store_folder: Path):
        self.new_url = new_url
        self.store = LocalStore(store_folder)
        self.engine = self.session = None
        self.tables = 0

    def publish(self, folder: Path, spec: Spec):
        """A session and the Resource of ``spec`` published in it."""
        if self.session is None or self.tables >= TABLES_PER_DATABASE:
            self.close()
            self.engine = make_engine(self.new_url())
            upgrade(self.engine)
            self.session = make_sessionmaker(self.engine, self.store)()
            self.tables = 0
        self.session.rollback()  # after a failed example, PostgreSQL refuses the rest of its transaction
        self.tables += 1
        return self.session, publish(self.session, folder, spec)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.engine.dispose()
        self.engine = self.session = None


@pytest.fixture
def databases(backend, new_database, tmp_path_factory):
    made = Databases(lambda: new_database(backend), tmp_path_factory.mktemp("artefacts"))
    yield made
    made.close()


# -- the reference: plain Python -------------------------------------------------

@dataclass
class Row:
    number: int  # 1.. in file order
    values: dict[str, Any]  # typed, None for a missing cell
    markers: dict[str, str]  # the cells that held "[c]"


def typed(kind: str, text: str) -> Any:
    """A CSV cell, or a raw filter value, as the field's type; "" is None."""
    if text in ("", MARKER):
        return None
    if kind == "integer":
        return int(text.strip())
    if kind == "number":
        return float(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        return text.strip()
    return text


def reference_rows(spec: Spec) -> list[Row]:
    return [Row(number, {name: typed(kind, cell) for (name, kind), cell in zip(spec.fields, cells)},
                {name: cell for name, cell in zip(spec.names, cells) if cell == MARKER})
            for number, cells in enumerate(spec.cells, start=1)]


def keeps(value: Any, op: str, targets: list[Any]) -> bool:
    if op == "exact":  # any of the values; None matches a missing value
        return any(value is None if target is None else value == target for target in targets)
    if op == "not":
        target = targets[0]
        return value is not None if target is None else (value is None or value != target)
    if value is None:
        return False
    target = targets[0]
    return {"lt": value < target, "lte": value <= target, "gt": value > target, "gte": value >= target}[op]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


def found(q: str, row: Row, types: dict[str, str]) -> bool:
    """Every word of q begins some word of the row's text fields; a q with no
    words (punctuation alone) finds nothing."""
    if q and not tokens(q):
        return False
    words = {word for name, kind in types.items() if kind not in NOT_TEXT and row.values[name] is not None
             for word in tokens(str(row.values[name]))}
    return all(any(word.startswith(term) for word in words) for term in tokens(q))


def compare(sort: list[tuple[str, bool]], a: Row, b: Row) -> int:
    for name, descending in sort:
        x, y = a.values[name], b.values[name]
        if x == y:
            continue
        if x is None:  # nulls last, ascending or descending
            return 1
        if y is None:
            return -1
        order = -1 if x < y else 1
        return -order if descending else order
    return a.number - b.number


def evaluate(rows: list[Row], types: dict[str, str], filters: list[tuple[str, str, list[str]]], q: str,
             sort: list[tuple[str, bool]]) -> list[Row]:
    """The matching rows in order. ``filters`` are (field, op, raw values)."""
    parsed = [(name, op, [typed(types[name], raw) for raw in raws]) for name, op, raws in filters]
    matching = [row for row in rows
                if all(keeps(row.values[name], op, targets) for name, op, targets in parsed)
                and found(q, row, types)]
    return sorted(matching, key=functools.cmp_to_key(functools.partial(compare, sort)))


def cell(row: Row, name: str) -> str:
    value = row.values[name]
    if value is None:
        return row.markers.get(name, "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def reference_csv(rows: list[Row], names: list[str]) -> str:
    return csv_text(names, [[cell(row, name) for name in names] for row in rows])


def view(row: dict, names: list[str]) -> tuple:
    """What a returned row says: its keys in order, each value with its type,
    and its markers for the selected fields."""
    values = tuple((key, type(value).__name__, value) for key, value in row.items() if key != MISSING)
    markers = {key: marker for key, marker in (row.get(MISSING) or {}).items() if key in names}
    return values, markers


def expected_view(row: Row, names: list[str], markers: bool) -> tuple:
    values = tuple((name, type(row.values[name]).__name__, row.values[name]) for name in names)
    return values, ({name: m for name, m in row.markers.items() if name in names} if markers else {})


# -- strategies ------------------------------------------------------------------

def decimal_text(n: int, scale: int) -> str:
    """n / 10**scale written as a person would: "12.5", "-3", "0.25"."""
    if scale == 0:
        return str(n)
    whole, fraction = divmod(abs(n), 10 ** scale)
    return f"{'-' if n < 0 else ''}{whole}.{fraction:0{scale}d}"


VALUES = {
    "integer": st.one_of(st.integers(-3, 3), st.integers(-2 ** 53, 2 ** 53)).map(str),
    "number": st.builds(decimal_text, st.one_of(st.integers(-30, 30), st.integers(-10 ** 9, 10 ** 9)),
                        st.integers(0, 3)),
    "boolean": st.sampled_from(["true", "false"]),
    "date": st.one_of(st.sampled_from([date(2018, 12, 6), date(2000, 2, 29), date(2019, 1, 1)]),
                      st.dates(min_value=date(1000, 1, 1))).map(date.isoformat),
    "string": st.one_of(st.sampled_from(WELSH_WORDS), st.text(ALPHABET, max_size=12)),
}
# values that are not missing (for filters, and for rows that would be blank)
PRESENT = {kind: values.filter(lambda text: text != MARKER) for kind, values in {
    **VALUES, "string": st.one_of(st.sampled_from(WELSH_WORDS), st.text(ALPHABET, min_size=1, max_size=12)),
}.items()}
# snake_case without "__" or a final "_": a filter key is field__operator
FIELD_NAMES = st.one_of(st.sampled_from(AWKWARD_NAMES),
                        st.from_regex(r"[a-z][a-z0-9]{0,7}(_[a-z0-9]{1,5}){0,2}", fullmatch=True))


@st.composite
def tables(draw) -> Spec:
    names = draw(st.lists(FIELD_NAMES, min_size=1, max_size=5, unique=True))
    fields = [(name, draw(st.sampled_from(TYPES))) for name in names]
    count = draw(st.one_of(st.integers(0, 6), st.integers(0, 40)))
    cells = []
    for _ in range(count):
        row = [draw(st.one_of(VALUES[kind], VALUES[kind], VALUES[kind], st.sampled_from(["", MARKER])))
               for _, kind in fields]
        if all(text in ("", MARKER) for text in row):  # a blank row is refused by the validator
            i = draw(st.integers(0, len(fields) - 1))
            row[i] = draw(PRESENT[fields[i][1]])
        cells.append(row)
    return Spec(fields, cells)


@dataclass
class QuerySpec:
    filters: list[tuple[str, list[str]]] = field(default_factory=list)  # (key, raw values) as in a URL
    q: str = ""
    sort: str = ""  # "a,-b" or "a asc, b desc"
    fields: list[str] | None = None
    markers: bool = False
    limit: int = 100
    offset: int = 0
    page_size: int = 10  # for the cursor chain


def raw_variants(kind: str, text: str) -> st.SearchStrategy[str]:
    """Other ways to write the same filter value ("12.50" for "12.5"); spaces
    around it are the forms' to strip (portal.web.rowargs), not the store's."""
    if kind == "integer":
        return st.sampled_from([text] + ([f"+{text}"] if not text.startswith("-") else []))
    if kind == "number":
        return st.sampled_from([text, text + ("0" if "." in text else ".0")])
    return st.just(text)


@st.composite
def raw_values(draw, spec: Spec, name: str, allow_empty: bool) -> str:
    kind = spec.types[name]
    present = [row[spec.names.index(name)] for row in spec.cells]
    present = sorted({text for text in present if text not in ("", MARKER)})
    choices = [PRESENT[kind]]
    if present:
        choices += [st.sampled_from(present).flatmap(lambda text: raw_variants(kind, text))] * 2
    if allow_empty:
        choices.append(st.just(""))
    return draw(st.one_of(choices))


@st.composite
def search_texts(draw, spec: Spec) -> str:
    """Words of the table (beginnings, other case, without diacritics), other
    words, punctuation alone."""
    words = sorted({word for row in spec.cells for (_, kind), text in zip(spec.fields, row)
                    if kind not in NOT_TEXT and text not in ("", MARKER)
                    for word in re.findall(r"[^\W_]+", text)})
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        if words and draw(st.integers(0, 3)):
            word = draw(st.sampled_from(words))
            start = draw(st.sampled_from([0, 0, 0, draw(st.integers(0, len(word) - 1))]))
            word = word[start:draw(st.integers(start + 1, len(word)))]
            word = draw(st.sampled_from([word, word.upper(), word.lower(), fold(word)]))
        else:
            word = draw(st.one_of(st.sampled_from(WELSH_WORDS), st.text(ALPHABET, min_size=1, max_size=8)))
        pieces.append(word)
    separators = st.sampled_from([" ", "  ", "-", ", ", "'"])
    return "".join(piece + draw(separators) for piece in pieces[:-1]) + pieces[-1]


@st.composite
def row_queries(draw, spec: Spec, full_text: bool) -> QuerySpec:
    query = QuerySpec()
    for _ in range(draw(st.integers(0, 2 if full_text else 3))):
        name = draw(st.sampled_from(spec.names))
        ops = ["exact", "not"] + ([] if spec.types[name] == "boolean" else list(COMPARISONS))
        op = draw(st.sampled_from(ops))
        key = name if op == "exact" and draw(st.booleans()) else f"{name}__{op}"
        many = draw(st.integers(1, 3)) if op == "exact" else 1
        raws = [draw(raw_values(spec, name, op in ("exact", "not"))) for _ in range(many)]
        query.filters.append((key, raws))
    if full_text:
        query.q = draw(search_texts(spec))
    keys = draw(st.permutations(spec.names))[:draw(st.integers(0, min(3, len(spec.names))))]
    directions = [draw(st.booleans()) for _ in keys]
    if draw(st.booleans()):
        query.sort = ",".join(("-" if descending else "") + key for key, descending in zip(keys, directions))
    else:
        query.sort = ", ".join(f"{key} {'desc' if descending else 'asc'}"
                               for key, descending in zip(keys, directions))
    if draw(st.booleans()):
        query.fields = draw(st.permutations(spec.names))[:draw(st.integers(1, len(spec.names)))]
    query.markers = draw(st.booleans())
    n = len(spec.cells)
    query.limit = draw(st.one_of(st.integers(1, n + 2), st.just(1000)))
    query.offset = draw(st.integers(0, n + 2))
    query.page_size = draw(st.integers(1, max(1, n)))
    return query


# -- checking one query ------------------------------------------------------------

def check(db, resource, spec: Spec, rows: list[Row], qs: QuerySpec) -> None:
    table = Table(resource)
    filters = [table.parse_filter(key, raws) for key, raws in qs.filters]
    sort = table.parse_sort(qs.sort)
    fields = qs.fields
    names = fields or spec.names
    raw_filters = [(flt.field, flt.op, raws) for flt, (_, raws) in zip(filters, qs.filters)]
    expected = evaluate(rows, spec.types, raw_filters, qs.q, sort)
    want = [expected_view(row, names, qs.markers) for row in expected]
    note(f"expected rows {[row.number for row in expected]} for {qs}")
    event("rows matched", "none" if not expected else "all" if len(expected) == len(rows) else "some")
    pages = -(-len(expected) // qs.page_size)
    event("pages in the cursor chain", str(pages) if pages < 3 else "3 or more")

    def query(**paging) -> RowQuery:
        return RowQuery(filters=filters, q=qs.q, sort=sort, fields=fields, markers=qs.markers, **paging)

    page = datastore.run(db, resource, query(limit=qs.limit, offset=qs.offset), SECRET)
    assert (page.total, page.offset, page.limit, page.fields) == (len(expected), qs.offset, qs.limit, names)
    assert [view(row, names) for row in page.rows] == want[qs.offset:qs.offset + qs.limit]
    assert (page.next_cursor is not None) == (qs.offset + qs.limit < len(expected))
    for got, row in zip(page.rows, expected[qs.offset:]):
        assert (MISSING in got) <= qs.markers
        assert (got.get(MISSING) or {}).items() <= row.markers.items()

    chained, cursor = [], None
    for _ in range(len(expected) + 1):
        page = datastore.run(db, resource, query(limit=qs.page_size, cursor=cursor), SECRET)
        assert page.total == len(expected)
        chained += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
        assert len(page.rows) == qs.page_size
    assert cursor is None, "the cursors never end"
    assert [view(row, names) for row in chained] == want

    streamed = list(datastore.iterate(db, resource, query()))
    assert [view({name: row.get(name) for name in names}, names)[0] for row in streamed] == [
        expected_view(row, names, False)[0] for row in expected]
    assert "".join(datastore.csv_stream(streamed, names)) == reference_csv(expected, names)
    assert "".join(datastore.csv_export(db, resource, query())) == reference_csv(expected, names)


@pytest.mark.parametrize("full_text", [False, True], ids=["filters-sorts-paging", "full-text"])
@settings(max_examples=TABLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_query_agrees_with_plain_python(databases, tmp_path, full_text, data):
    spec = data.draw(tables(), label="table")
    db, resource = databases.publish(tmp_path, spec)
    rows = reference_rows(spec)
    for i in range(QUERIES_PER_TABLE):
        check(db, resource, spec, rows, data.draw(row_queries(spec, full_text), label=f"query {i + 1}"))


# -- fixed cases, easy to read ----------------------------------------------------------

PLACES = Spec(
    [("name_cy", "string"), ("name_en", "string"), ("code", "integer"), ("updated", "date"),
     ("note", "string")],
    [["Gŵyr", "Gower", "1", "2018-12-06", "Penrhyn"],
     ["Ynys Môn", "Isle of Anglesey", "2", "2019-01-01", MARKER],
     ["Castell-nedd Port Talbot", "Neath Port Talbot", "3", "", "O'Neill, \"Jr\""],
     ["Bro Morgannwg", "Vale of Glamorgan", MARKER, "2020-02-29", ""],
     ["Pen-y-bont ar Ogwr", "Bridgend", "5", "2018-12-06", "ŷd â ŵy"]],
)


@pytest.mark.parametrize("q, numbers", [
    ("gwyr", [1]),  # ŵ without its circumflex
    ("GŴY", [1]),  # capital Ŵ, a beginning of the word
    ("Gŵyr", [1]),
    ("mon", [2]),  # Môn
    ("MÔN", [2]),
    ("ynys mon", [2]),
    ("talbot neath", [3]),  # words in any order
    ("port", [3]),
    ("ort", []),  # inside a word, not its beginning
    ("o'neill", [3]),
    ("yd", [5]),  # ŷd
    ("glam vale", [4]),
    ("c", [3]),  # "[c]" is a missing value, not text
    ("2018-12", [1, 5]),  # dates are text
    ("12", [1, 5]),
    ("3", []),  # integers are not searched
    ("gower 2018", [1]),  # words from different fields
    ("'", []),  # no words: nothing to find
])
def test_search_folds_welsh_letters_and_case_and_matches_word_beginnings(db, tmp_path, q, numbers):
    resource = publish(db, tmp_path, PLACES)
    assert [row.number for row in evaluate(reference_rows(PLACES), PLACES.types, [], q, [])] == numbers
    page = datastore.run(db, resource, RowQuery(q=q, fields=["name_cy"]), SECRET)
    assert [row["name_cy"] for row in page.rows] == [PLACES.cells[n - 1][0] for n in numbers]


NULLS = Spec(
    [("label", "string"), ("count", "integer"), ("share", "number"), ("day", "date"), ("flag", "boolean"),
     ("name", "string")],
    [["a", "3", "0.25", "2019-01-01", "true", "Ŵy"],
     ["b", "", "", "", "", ""],
     ["c", "-7", "12.5", "1999-12-31", "false", "gêm"],
     ["d", MARKER, MARKER, MARKER, MARKER, MARKER],
     ["e", "3", "-3", "2019-01-01", "false", "Ynys Môn"],
     ["f", "", "0.25", "", "true", ""],
     ["g", "11", "-0.5", "2000-02-29", "", "ynys"]],
)


@pytest.mark.parametrize("name, ascending", [
    ("count", "c a e g b d f"), ("share", "e g a f c b d"), ("day", "c g a e b d f"),
    ("flag", "c e a f b d g"), ("name", "e c g a b d f"),
])
def test_nulls_sort_last_both_ways_ties_by_row_number(db, tmp_path, name, ascending):
    resource = publish(db, tmp_path, NULLS)
    table = Table(resource)
    for spec in (name, f"-{name}"):
        page = datastore.run(db, resource, RowQuery(sort=table.parse_sort(spec)), SECRET)
        labels = [row["label"] for row in page.rows]
        reference = [row.values["label"] for row in evaluate(reference_rows(NULLS), NULLS.types, [], "",
                                                             table.parse_sort(spec))]
        assert labels == reference
        if spec == name:
            assert " ".join(labels) == ascending
        values = [row[name] for row in page.rows]
        present = [value for value in values if value is not None]
        assert values == present + [None] * (len(values) - len(present))
        assert present == sorted(present, reverse=spec.startswith("-"))
        nulls = labels[len(present):]
        assert nulls == sorted(nulls)


def test_markers_round_trip_to_csv(db, tmp_path):
    resource = publish(db, tmp_path, NULLS)
    table = Table(resource)
    original = csv_text(NULLS.names, NULLS.cells)
    everything = "".join(datastore.csv_stream(datastore.iterate(db, resource, RowQuery()), NULLS.names))
    assert everything == original
    some = ["name", "count", "label"]
    later = [table.parse_filter("label__gte", ["b"])]
    rows = datastore.iterate(db, resource, RowQuery(fields=some, filters=later))
    assert "".join(datastore.csv_stream(rows, some)) == csv_text(
        some, [[cells[NULLS.names.index(n)] for n in some] for cells in NULLS.cells[1:]])

    marked = datastore.run(db, resource, RowQuery(markers=True), SECRET).rows
    assert [row.get(MISSING) for row in marked] == [
        None, None, None, {n: MARKER for n in NULLS.names[1:]}, None, None, None]
    assert all(MISSING not in row for row in datastore.run(db, resource, RowQuery(), SECRET).rows)
    # "" and "[c]" are both missing values to filters
    nulls = [row["label"] for row in datastore.run(
        db, resource, RowQuery(filters=[table.parse_filter("count", [""])]), SECRET).rows]
    assert nulls == ["b", "d", "f"]
    present = [row["label"] for row in datastore.run(
        db, resource, RowQuery(filters=[table.parse_filter("count__not", [""])]), SECRET).rows]
    assert present == ["a", "c", "e", "g"]


BIG = Spec([("label", "string"), ("count", "integer")],
           [["a", str(2 ** 53)], ["b", str(-2 ** 53)], ["c", str(2 ** 31)], ["d", "1"], ["e", ""]])


def test_integers_beyond_32_bits_filter_and_sort(db, tmp_path):
    resource = publish(db, tmp_path, BIG)
    table = Table(resource)

    def labels(*filters, sort=""):
        query = RowQuery(filters=[table.parse_filter(key, [value]) for key, value in filters],
                         sort=table.parse_sort(sort))
        return "".join(row["label"] for row in datastore.run(db, resource, query, SECRET).rows)

    assert labels(sort="count") == "bdcae"
    assert labels(sort="-count") == "acdbe"
    assert labels(("count", str(2 ** 53))) == "a"
    assert labels(("count__gte", str(2 ** 31))) == "ac"
    assert labels(("count__lt", "3000000000"), ("count__not", "1")) == "bc"
