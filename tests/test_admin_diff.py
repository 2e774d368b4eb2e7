"""The preview's comparison of rows: exact counts and samples, in memory that
does not grow with the number of rows (they are staged in the database)."""
from __future__ import annotations

import tracemalloc

from portal.db import make_engine
from portal.publishing import diff


def rows(count: int, changed: set[int] = frozenset(), skip: set[int] = frozenset(), extra: int = 0):
    for i in range(count + extra):
        if i in skip:
            continue
        yield {"id": i, "name": f"row {i}" + (" changed" if i in changed else ""), "value": i * 0.5}


def test_counts_and_samples(backend, new_database):
    engine = make_engine(new_database(backend))
    with engine.connect() as connection:
        result = diff.compare_rows(connection, rows(100), rows(100, changed={3, 50}, skip={7}, extra=2),
                                   ["id", "name", "value"], ["id"])
    assert (result["added"], result["removed"], result["changed"]) == (2, 1, 2)
    assert (result["old_rows"], result["new_rows"]) == (100, 101)
    assert result["samples"]["changed"][0]["cells"] == [{"field": "name", "old": "row 3", "new": "row 3 changed"}]
    assert [row["id"] for row in result["samples"]["added"]] == [100, 101]
    assert [row["id"] for row in result["samples"]["removed"]] == [7]
    engine.dispose()


def test_without_a_primary_key_rows_are_compared_whole(backend, new_database):
    engine = make_engine(new_database(backend))
    with engine.connect() as connection:
        result = diff.compare_rows(connection, rows(10), rows(10, changed={2}), ["id", "name", "value"], [])
    assert (result["added"], result["removed"], result["changed"]) == (1, 1, 0)
    engine.dispose()


def test_memory_does_not_grow_with_the_rows(backend, new_database):
    engine = make_engine(new_database(backend))
    peaks = []
    for count in (3_000, 30_000):
        with engine.connect() as connection:
            tracemalloc.start()
            result = diff.compare_rows(connection, rows(count), rows(count, changed={5}), ["id", "name", "value"],
                                       ["id"])
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        assert result["changed"] == 1 and result["added"] == result["removed"] == 0
    # ten times the rows, nowhere near ten times the memory: a batch at a time
    assert peaks[1] < peaks[0] * 2, peaks
    engine.dispose()


def test_formula_like_cells():
    assert diff.formula_like("=SUM(A1:A2)") and diff.formula_like("@cmd") and diff.formula_like("+x")
    assert not diff.formula_like("-12.5") and not diff.formula_like("-") and not diff.formula_like("plain")
