"""The row store: a typed, indexed table per resource, full-text search that
ignores case and Welsh diacritics on both databases, refusals that name what
the store cannot hold, and downloads served from stored files."""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import event, inspect, text

from portal import datastore, queries, rowstore
from portal.datastore import RowQuery, Table
from portal.publish.service import load_path
from tests.helpers import snapshot
from tests.synthetic import FIELDS, write_package

SECRET = "test"


@pytest.fixture
def big(db, tmp_path):
    """3,000 synthetic rows: enough for the table to be indexed."""
    results = load_path(db, write_package(tmp_path / "big", "big-table", 3000))
    assert [r.status for r in results] == ["published"], results[0].report.render()
    return db, queries.latest_version(db, "big-table").resources[0]


def test_each_resource_has_a_typed_table_with_an_index_per_field_and_direction(big):
    db, resource = big
    assert rowstore.TABLE_NAME.match(resource.table_name)
    assert resource.table_name.startswith(f"rows_{resource.version_id}_")
    columns = {c["name"]: c["type"] for c in inspect(db.connection()).get_columns(resource.table_name)}
    assert list(columns)[:1] == ["_row"] and "_missing" in columns
    kinds = {name: type(kind).__name__.upper() for name, kind in columns.items()}
    assert "INT" in kinds["amount"] and kinds["day"] == "DATE" and kinds["flag"] in ("BOOLEAN", "BOOL")
    assert kinds["share"] in ("DOUBLE", "DOUBLE_PRECISION", "FLOAT", "REAL")
    indexes = set(db.scalars(text(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t" if db.bind.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = :t AND schemaname = current_schema()"),
        {"t": resource.table_name}))
    for position, _field in enumerate(FIELDS):
        assert f"{resource.table_name}_{position}a" in indexes
        assert f"{resource.table_name}_{position}d" in indexes
    assert resource.row_count == db.execute(text(f'SELECT count(*) FROM "{resource.table_name}"')).scalar()


def plan(db, resource, query: RowQuery) -> str:
    """The database's plan for one page of ``query``."""
    table = Table(resource, db)
    statement = (datastore.select(*table.rows.select_columns()).where(*datastore._conditions(table, query))
                 .order_by(*datastore._order(table, query)).limit(100))
    compiled = statement.compile(db.bind, compile_kwargs={"literal_binds": True})
    if db.bind.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    db.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.execute(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize("spec", ["amount", "-amount", "share", "-day", "place", "-code", "flag", "-flag"])
def test_sorting_on_any_field_either_way_reads_an_index(big, spec):
    db, resource = big
    table = Table(resource, db)
    shown = plan(db, resource, RowQuery(sort=table.parse_sort(spec)))
    assert "TEMP B-TREE" not in shown and "Sort" not in shown.replace("Incremental Sort", ""), shown
    assert "INDEX" in shown.upper(), shown


@pytest.mark.parametrize("key, value", [("code", "R0001234"), ("amount", "4321"),
                                        ("day", "2018-02-01")])
def test_selective_filters_read_an_index(big, key, value):
    """(A filter that most rows pass may well be answered faster by reading
    the table in order until a page is full: the planner decides, from the
    statistics gathered at publication.)"""
    db, resource = big
    table = Table(resource, db)
    shown = plan(db, resource, RowQuery(filters=[table.parse_filter(key, [value])]))
    assert "INDEX" in shown.upper() and "SCAN " + resource.table_name not in shown, shown


def page_plan(db, resource, query: RowQuery) -> tuple[str, list]:
    """SQLite's plan for one page of ``query`` as :func:`datastore.run` asks
    for it, and the page."""
    table = Table(resource, db)
    matched, _ = datastore.total(db, table, query)
    unindexed = datastore._read_in_order(table, query, matched)
    statement = (datastore.select(*table.rows.select_columns())
                 .where(*datastore._conditions(table, query, unindexed=unindexed))
                 .order_by(*datastore._order(table, query)).limit(query.limit))
    compiled = statement.compile(db.bind, compile_kwargs={"literal_binds": True})
    shown = "\n".join(str(row[-1]) for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    return shown, datastore.run(db, resource, query, SECRET).rows


@pytest.mark.parametrize("filters, sort, through", [
    ({"place": ["Gŵyr"]}, "-amount", "amount"),  # a tenth of the rows pass: read in the sort's order
    ({"place": ["Gŵyr", "Ynys Môn"]}, "share", "share"),
    ({"code": ["R0001234"]}, "-amount", "code"),  # one row passes: found through its filter's index
])
def test_a_sorted_page_of_many_matches_is_read_through_the_sorts_index_on_sqlite(big, filters, sort, through):
    """SQLite's planner collects every match through a filter's index and sorts
    them, even when the matches are many and a page is found sooner by reading
    the sort's index and testing each row: the portal tells it which to use.
    (The planner's statistics are made those of a table a hundred times the
    size, as SQLite allows, for it to plan as it does at size.)"""
    db, resource = big
    if db.bind.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner weighs this itself, from its statistics")
    for index, stat in db.execute(text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = :t"),
                                  {"t": resource.table_name}).all():
        scaled = " ".join(str(int(n) * 100 if i == 0 or int(n) > 1 else 1) for i, n in enumerate(stat.split()))
        db.execute(text("UPDATE sqlite_stat1 SET stat = :s WHERE idx = :i"), {"s": scaled, "i": index})
    db.execute(text("ANALYZE sqlite_schema"))  # read the statistics again
    table = Table(resource, db)
    query = RowQuery(filters=[table.parse_filter(k, v) for k, v in filters.items()], sort=table.parse_sort(sort),
                     limit=10)
    shown, rows = page_plan(db, resource, query)
    position = [f["name"] for f in FIELDS].index(through)
    assert "TEMP B-TREE" not in shown or through != sort.lstrip("-"), shown
    assert f"INDEX {resource.table_name}_{position}" in shown, shown
    every = [{k: v for k, v in row.items() if k != rowstore.MISSING}
             for row in datastore.iterate(db, resource, RowQuery(sort=query.sort))
             if all(datastore.csv_value(row, k) in v for k, v in filters.items())]
    assert rows == every[:query.limit] and rows


@pytest.mark.parametrize("q, expected", [("gwyr", "Gŵyr"), ("GŴYR", "Gŵyr"), ("mon", "Ynys Môn"),
                                         ("ynys mo", "Ynys Môn"), ("sir gar", "Sir Gâr")])
def test_full_text_ignores_case_and_diacritics(big, q, expected):
    db, resource = big
    page = datastore.run(db, resource, RowQuery(q=q, limit=1000), SECRET)
    assert page.total > 0 and {row["place"] for row in page.rows} == {expected}


def test_ascii_text_is_split_into_the_same_words_as_any_other():
    """ASCII text takes a shorter way to its words: the same words."""
    import random
    rnd = random.Random(20181206)
    ascii_chars = [chr(i) for i in range(128)]
    samples = ["".join(rnd.choice(ascii_chars) for _ in range(rnd.randint(0, 40))) for _ in range(5000)]
    samples += ["R0001234", "Gwyr_data-cymuned", "ABC def\tGHI", "x" * 300, "İ", "Straße"]
    for value in samples:
        assert rowstore.tokens(value) == rowstore.TOKEN.findall(rowstore.normalise(value)), value


def test_full_text_matches_words_from_their_start_in_every_text_field(big):
    db, resource = big
    every = list(datastore.iterate(db, resource, RowQuery()))
    for q in ("tŷ", "wyn", "agor", "r00001"):
        words = rowstore.tokens(q)
        expected = [row for row in every if all(
            any(token.startswith(word) for value in (row["code"], row["place"], row["note"], row["day"])
                for token in rowstore.tokens(value)) for word in words)]
        page = datastore.run(db, resource, RowQuery(q=q, limit=1000), SECRET)
        assert page.total == len(expected) > 0
        assert page.rows == [{k: v for k, v in row.items() if k != "_missing"} for row in expected][:1000]
    assert datastore.run(db, resource, RowQuery(q="--"), SECRET).total == 0  # punctuation is no word


def test_a_search_alone_on_sqlite_reads_only_the_matches_a_page_needs(big):
    """Counting reads the FTS5 table alone, and a page collects only the
    matches it shows (not every match in the table), after a cursor too."""
    db, resource = big
    if db.bind.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    every = [row for row in datastore.iterate(db, resource, RowQuery(q="agor"))]
    event.listen(db.bind, "before_cursor_execute", seen)
    try:
        first = datastore.run(db, resource, RowQuery(q="agor", limit=7, offset=2), SECRET)
        second = datastore.run(db, resource, RowQuery(q="agor", limit=7, cursor=first.next_cursor), SECRET)
    finally:
        event.remove(db.bind, "before_cursor_execute", seen)
    assert first.total == second.total == len(every) > 20
    shown = [{k: v for k, v in row.items() if k != "_missing"} for row in every]
    assert first.rows == shown[2:9] and second.rows == shown[9:16]
    counts = [s for s in statements if "count(" in s.lower()]
    pages = [s for s in statements if "count(" not in s.lower()]
    rows_table = re.compile(rf"\b{resource.table_name}\b(?!_fts)")
    assert counts and not any(rows_table.search(s) for s in counts)  # the FTS5 table only
    assert len(pages) == 2 and all("ORDER BY rowid" in s and "LIMIT" in s.split("MATCH")[1] for s in pages)


def test_a_querys_total_is_counted_once_then_kept(big):
    """The table never changes once published: paging through a query, or
    asking it again in another order, does not count its matches again."""
    db, resource = big
    table = Table(resource, db)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.lower())

    def counts() -> int:
        return sum("count(" in statement for statement in statements)

    query = RowQuery(filters=[table.parse_filter("flag", ["true"])], limit=10)
    expected = sum(1 for row in datastore.iterate(db, resource, RowQuery()) if row["flag"] is True)
    event.listen(db.bind, "before_cursor_execute", seen)
    try:
        first = datastore.run(db, resource, query, SECRET)
        assert first.total == expected > 0 and counts() == 1
        query.cursor = first.next_cursor
        assert datastore.run(db, resource, query, SECRET).total == expected
        query.cursor, query.sort, query.offset = None, [("amount", True)], 20
        assert datastore.run(db, resource, query, SECRET).total == expected
        assert counts() == 1
        other = RowQuery(filters=[table.parse_filter("flag", ["false"])], limit=10)
        assert datastore.run(db, resource, other, SECRET).total == resource.row_count - expected - sum(
            1 for row in datastore.iterate(db, resource, RowQuery()) if row["flag"] is None)
        assert counts() == 2
    finally:
        event.remove(db.bind, "before_cursor_execute", seen)


def test_unfiltered_totals_come_from_the_stored_count(big):
    db, resource = big
    assert datastore.run(db, resource, RowQuery(limit=1), SECRET).total == 3000


def test_a_filter_value_beyond_the_column_is_no_match_not_an_error(big):
    db, resource = big
    table = Table(resource, db)
    query = RowQuery(filters=[table.parse_filter("amount", ["999999999999999999"])])
    assert datastore.run(db, resource, query, SECRET).total == 0


def test_a_taken_table_name_is_refused_and_nothing_is_published(db, tmp_path, monkeypatch):
    folder = write_package(tmp_path / "p", "collides", 10)
    db.execute(text('CREATE TABLE "rows_999_abcdef01" (x integer)'))
    db.commit()
    monkeypatch.setattr(rowstore, "new_table_name", lambda _id: "rows_999_abcdef01")
    before = snapshot(db)
    results = load_path(db, folder)
    assert [r.status for r in results] == ["not-published"]
    assert "a table named rows_999_abcdef01 exists already" in results[0].report.render()
    assert snapshot(db) == before


@pytest.mark.parametrize("name, value, message", [
    ("amount", 2 ** 80, "row 7, field amount: 1208925819614629174706176 is beyond a 64-bit integer"),
    ("amount", -(2 ** 63) - 1, "row 7, field amount: -9223372036854775809 is beyond a 64-bit integer"),
    ("share", float("nan"), "row 7, field share: nan is not a finite number"),
    ("share", Decimal("-Infinity"), "row 7, field share: Decimal('-Infinity') is not a finite number"),
    ("share", Decimal("sNaN"), "row 7, field share: Decimal('sNaN') is not a finite number"),
    ("note", "a\x00b", "row 7, field note: the text holds a NUL character"),
    ("extra", {"a": float("inf")}, "row 7, field extra: {'a': inf} holds a value JSON cannot carry"),
    ("extra", ["\ud800"], "row 7, field extra: ['\\ud800'] holds a value JSON cannot carry"),
])
def test_values_the_store_cannot_hold_are_refused_by_name(name, value, message):
    """The store's own guard, behind validation's: what it cannot hold is
    refused, naming the row and field, and never written."""
    table = rowstore.RowTable("rows_1_0123abcd", {"fields": FIELDS + [{"name": "extra", "type": "object"}]},
                              "postgresql")
    assert table.to_columns(7, {"amount": 2 ** 63 - 1, "share": 0.5, "note": "a", "extra": {"a": 1}})
    with pytest.raises(rowstore.StoreError) as refused:
        table.to_columns(7, {name: value})
    assert str(refused.value).startswith(message)


def test_a_row_the_database_refuses_is_a_clear_error_and_nothing_is_published(runner, app, db, tmp_path):
    """A row too wide for a PostgreSQL page (8,160 bytes) passes validation,
    which cannot know how long text values will be once stored; the load
    refuses it with the database's reason, never with a traceback."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite holds rows of any width")
    fields = ([{"name": f"n{i}", "type": "integer"} for i in range(995)]
              + [{"name": f"t{i}", "type": "string"} for i in range(5)])
    row = [str(2 ** 62)] * 995 + [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5)]
    folder = write_package(tmp_path / "p", "too-wide", 0, fields=fields, data=[row])
    assert runner.invoke(args=["portal", "validate", str(folder)]).exit_code == 0
    before = snapshot(db)
    result = runner.invoke(args=["portal", "load", str(folder)])
    assert result.exit_code == 1, result.output
    assert "the database refused the rows: row is too big" in result.output
    assert "nothing was published" in result.output and "Traceback" not in result.output
    assert snapshot(db) == before


# -- downloads from the store --------------------------------------------------------------

URL = "/datasets/big-table/table"


@pytest.fixture
def served(app, big):
    return app.test_client()


def test_downloads_are_the_stored_files_with_their_sha256_as_etag(served, big):
    db, resource = big
    csv = served.get(f"{URL}.csv")
    assert csv.status_code == 200 and hashlib.sha256(csv.data).hexdigest() == resource.sha256
    assert csv.headers["ETag"] == f'"{resource.sha256}"'
    assert csv.headers["Content-Length"] == str(resource.byte_size)
    assert csv.headers["Accept-Ranges"] == "bytes"
    rows = json.loads(served.get(f"{URL}.json").data)
    assert len(rows) == 3000 and rows[0]["code"] == "R0000000"
    assert rows == [{k: v for k, v in row.items() if k != "_missing"}
                    for row in datastore.iterate(db, resource, RowQuery())]
    assert served.get(f"{URL}.json").data == (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()
    welsh = served.get("/datasets/big-table/cy/table.csv").data.decode()
    assert welsh.splitlines()[0] == "Maes code,Maes place,Maes amount,Maes share,Maes day,Maes flag,Maes note"


def test_range_requests_resume_a_download(served, big):
    whole = served.get(f"{URL}.csv").data
    part = served.get(f"{URL}.csv", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == whole[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    tail = served.get(f"{URL}.csv", headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == whole[-50:]
    outside = served.get(f"{URL}.csv", headers={"Range": f"bytes={len(whole) + 10}-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == f"bytes */{len(whole)}"
    pinned = served.get("/datasets/big-table/versions/1/table.json", headers={"Range": "bytes=0-0"})
    assert pinned.status_code == 206 and pinned.data == b"["


def test_a_stored_gzip_variant_for_clients_that_accept_it(served):
    plain = served.get(f"{URL}.json")
    packed = served.get(f"{URL}.json", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    assert "Accept-Encoding" in packed.headers["Vary"]
    # the same bytes every time: stored once, not compressed per request
    assert served.get(f"{URL}.json", headers={"Accept-Encoding": "gzip"}).data == packed.data
    ranged = served.get(f"{URL}.json", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert "Content-Encoding" not in ranged.headers and ranged.data == plain.data[:10]


def test_a_file_missing_from_the_store_is_a_503_not_a_partial_200(served, big, caplog):
    from portal.extensions import store
    db, resource = big
    artefact = queries.artefact(db, resource.version, "table.json")
    store().delete(artefact.sha256)
    response = served.get(f"{URL}.json")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["status"] == 503
    assert any("missing from the store" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("fields, message", [
    ([{"name": "x" * 64, "type": "string"}], "field " + "x" * 64 + ": the name is 64 characters long"),
    ([{"name": f"f{i}", "type": "string"} for i in range(1001)],
     "the schema has 1,001 fields; the limit is 1,000 fields (PACKAGE_MAX_FIELDS)"),
    ([{"name": f"f{i}", "type": "integer"} for i in range(1000)],
     "a row with every field filled takes at least 8,168 bytes in the database; PostgreSQL holds rows of "
     "at most 8,160"),
])
def test_schemas_the_store_cannot_hold_are_refused_at_validation(runner, tmp_path, fields, message):
    folder = write_package(tmp_path / "p", "wide", 0, fields=fields, data=[])
    result = runner.invoke(args=["portal", "validate", str(folder)])
    assert result.exit_code == 1
    assert message in result.output
