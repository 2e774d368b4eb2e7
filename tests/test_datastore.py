"""The row query engine, on the published maturity scores (nulls included)."""
from __future__ import annotations

import pytest

from portal import datastore, queries
from portal.datastore import QueryError, RowQuery, Table

SECRET = "test-secret"


@pytest.fixture
def scores(published_app):
    with published_app.app_context():
        from portal.extensions import session
        db = session()
        version = queries.latest_version(db, "maturity-scores")
        yield db, version.resources[0]


def all_pages(db, resource, query: RowQuery) -> list[dict]:
    rows = []
    while True:
        page = datastore.run(db, resource, query, SECRET)
        rows += page.rows
        if not page.next_cursor:
            return rows
        query.cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["respondents", "-respondents", "-mean_level,area_code",
                                  "suppressed,-level_3_share,characteristic_id", "area_name_cy"])
def test_cursor_pages_give_the_same_rows_as_one_page(scores, sort):
    db, resource = scores
    table = Table(resource)
    keys = table.parse_sort(sort)
    whole = datastore.run(db, resource, RowQuery(sort=keys, limit=1000), SECRET).rows
    paged = all_pages(db, resource, RowQuery(sort=keys, limit=37))
    assert paged == whole and len(whole) == 483
    by_offset = [row for offset in range(0, 483, 50)
                 for row in datastore.run(db, resource, RowQuery(sort=keys, limit=50, offset=offset), SECRET).rows]
    assert by_offset == whole


def test_nulls_sort_last_both_ways(scores):
    db, resource = scores
    table = Table(resource)
    for spec in ("respondents", "-respondents"):
        rows = datastore.run(db, resource, RowQuery(sort=table.parse_sort(spec), limit=1000), SECRET).rows
        values = [row["respondents"] for row in rows]
        present = [v for v in values if v is not None]
        assert values == present + [None] * (len(values) - len(present))
        assert present == sorted(present, reverse=spec.startswith("-"))


def test_filters(scores):
    db, resource = scores
    table = Table(resource)

    def total(*filters):
        return datastore.run(db, resource, RowQuery(filters=[table.parse_filter(k, v) for k, v in filters]),
                             SECRET).total

    assert total(("area_code", ["W06000012"])) == 21
    assert total(("area_code", ["W06000012", "W06000015"])) == 42
    assert total(("suppressed", ["true"])) + total(("suppressed", ["false"])) == 483
    assert total(("respondents", [""])) == total(("suppressed", ["true"]))
    assert total(("respondents__not", [""])) == total(("suppressed", ["false"]))
    assert total(("mean_level__gte", ["2"]), ("respondent_group", ["all"])) == sum(
        1 for row in queries.resource_rows(db, resource)
        if row["respondent_group"] == "all" and (row["mean_level"] or 0) >= 2)
    assert total(("area_code", ["1 OR 1=1"])) == 0
    assert total(("area_name_en", ["'; DROP TABLE datasets;--"])) == 0
    assert datastore.run(db, resource, RowQuery(q="castell-nedd"), SECRET).total == 21
    assert datastore.run(db, resource, RowQuery(q="100%_"), SECRET).total == 0


@pytest.mark.parametrize("key, values, parameter, message", [
    ("colour", ["red"], "colour", "unknown field 'colour'"),
    ("respondents", ["ten"], "respondents", "respondents holds integer values: 'ten' is not a whole number"),
    ("mean_level", ["nan"], "mean_level", "is not a number"),
    ("suppressed", ["maybe"], "suppressed", "is not true or false"),
    ("respondents__about", ["3"], "respondents__about", "unknown operator 'about'"),
    ("respondents__gt", ["1", "2"], "respondents__gt", "takes one value"),
    ("respondents__gt", [""], "respondents__gt", "needs a value"),
    ("area_code", ["x" * 501], "area_code", "longer than 500"),
])
def test_bad_filters_name_the_parameter(scores, key, values, parameter, message):
    with pytest.raises(QueryError) as caught:
        Table(scores[1]).parse_filter(key, values)
    assert caught.value.parameter == parameter and message in caught.value.message


def test_tampered_or_foreign_cursors_are_refused(scores):
    db, resource = scores
    table = Table(resource)
    query = RowQuery(sort=table.parse_sort("-respondents"), limit=10)
    cursor = datastore.run(db, resource, query, SECRET).next_cursor
    for bad in (cursor[:-1] + ("0" if cursor[-1] != "0" else "1"), "x" + cursor, "nonsense", "a.b"):
        with pytest.raises(QueryError, match="cursor"):
            datastore.run(db, resource, RowQuery(sort=query.sort, limit=10, cursor=bad), SECRET)
    with pytest.raises(QueryError, match="another query"):
        datastore.run(db, resource, RowQuery(sort=table.parse_sort("respondents"), limit=10, cursor=cursor), SECRET)
    with pytest.raises(QueryError, match="not valid"):
        datastore.run(db, resource, RowQuery(sort=query.sort, limit=10, cursor=cursor), "another-secret")


@pytest.mark.parametrize("limit, offset, cursor, parameter", [
    (0, 0, None, "limit"), (1001, 0, None, "limit"), (10, -1, None, "offset"), (10, 10**8, None, "offset"),
    (10, 5, "abc", "cursor"),
])
def test_paging_limits(scores, limit, offset, cursor, parameter):
    db, resource = scores
    with pytest.raises(QueryError) as caught:
        datastore.run(db, resource, RowQuery(limit=limit, offset=offset, cursor=cursor), SECRET)
    assert caught.value.parameter == parameter


def test_csv_writes_markers_back(scores):
    db, resource = scores
    table = Table(resource)
    query = RowQuery(filters=[table.parse_filter("suppressed", ["true"])])
    lines = "".join(datastore.csv_stream(datastore.iterate(db, resource, query), table.names)).splitlines(True)
    assert lines[0].startswith("area_code,")
    assert all(",[c],[c],[c],[c]," in line for line in lines[1:])
    from portal.extensions import store
    with store().open(resource.sha256) as handle:
        original = handle.read().decode()
    assert set(lines[1:]) <= set(line + "\n" for line in original.splitlines())


def test_a_search_matching_many_rows_has_an_estimated_total_on_postgresql(scores, monkeypatch):
    """Past ESTIMATE_FROM expected matches, PostgreSQL's planner estimates the
    total of a search (an exact count reads every match); the rows, their
    order and the cursor chain stay exact, and nothing else is estimated."""
    db, resource = scores
    table = Table(resource)
    exact = datastore.run(db, resource, RowQuery(q="castell-nedd", limit=1000), SECRET)
    assert (exact.total, exact.total_estimated, len(exact.rows)) == (21, False, 21)
    monkeypatch.setattr(datastore, "ESTIMATE_FROM", 0)
    for sort in ([], table.parse_sort("-respondents")):
        page = datastore.run(db, resource, RowQuery(q="castell-nedd", sort=sort, limit=5), SECRET)
        postgres = db.get_bind().dialect.name == "postgresql"
        assert page.total_estimated is postgres
        assert 1 <= page.total <= resource.row_count if postgres else page.total == 21
        assert all_pages(db, resource, RowQuery(q="castell-nedd", sort=sort, limit=5)) == \
            datastore.run(db, resource, RowQuery(q="castell-nedd", sort=sort, limit=1000), SECRET).rows
    filtered = datastore.run(db, resource, RowQuery(filters=[table.parse_filter("area_code", ["W06000012"])]), SECRET)
    assert (filtered.total, filtered.total_estimated) == (21, False)


@pytest.mark.parametrize("batch", [1, 7, 2_000])
@pytest.mark.parametrize("spec", [{}, {"suppressed": ["true"]}, {"respondent_group": ["officer"]}])
def test_an_export_of_whole_rows_is_their_stored_lines_in_any_batch(scores, batch, spec):
    """Whole rows are exported from the lines stored at publication: the same
    bytes as formatting each row's typed values, whatever the batch size."""
    db, resource = scores
    table = Table(resource)
    query = RowQuery(filters=[table.parse_filter(k, v) for k, v in spec.items()], sort=[("mean_level", True)])
    exported = "".join(datastore.csv_export(db, resource, query, batch=batch))
    assert exported == "".join(datastore.csv_stream(datastore.iterate(db, resource, query), table.names))
    assert exported.count("\n") == 1 + datastore.total(db, table, query)[0] > 1
    some = RowQuery(filters=query.filters, sort=query.sort, fields=table.names[::-1])
    assert "".join(datastore.csv_export(db, resource, some, batch=batch)) == "".join(
        datastore.csv_stream(datastore.iterate(db, resource, some), some.fields))
