"""Frictionless checks a large package's rows in a process of its own while
the load stages the package, and the commit waits for its verdict: a
package it finds invalid is never published, whatever stage the load had
reached, and its report says what frictionless found."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from portal import queries
from portal.config import DATASETS_PATH
from portal.packages.reader import Background, read_package
from portal.publish.service import load_path
from tests.helpers import copy_datasets, replace_in, snapshot


def _row_tables(db) -> set[str]:
    db.rollback()
    return {name for name in inspect(db.get_bind()).get_table_names() if name.startswith("rows_")}


@pytest.fixture
def background():
    pool = Background.process(from_bytes=0)
    yield pool
    pool.shutdown()


def test_a_large_package_comes_back_before_its_rows_are_checked(background):
    content, report = read_package(DATASETS_PATH / "councils", background=background)
    assert content is not None and content.pending is not None
    assert content.settle(report) and report.valid
    assert content.pending is None


def test_a_small_package_is_checked_at_once(background):
    small = Background(background.executor, from_bytes=10 ** 9)
    content, report = read_package(DATASETS_PATH / "councils", background=small)
    assert content is not None and content.pending is None and report.valid


def test_the_background_finds_what_the_foreground_finds(tmp_path, background):
    packages = copy_datasets(tmp_path)
    replace_in(packages / "councils" / "councils.csv", "W06000002", "X06000002")
    foreground_content, foreground = read_package(packages / "councils")
    content, report = read_package(packages / "councils", background=background)
    assert foreground_content is None and not foreground.valid
    assert content is not None  # not known yet
    assert not content.settle(report)
    assert [(p.file, p.message, p.row, p.field, p.code) for p in report.problems] == \
        [(p.file, p.message, p.row, p.field, p.code) for p in foreground.problems]


def test_a_valid_package_checked_in_the_background_is_published(db, app):
    loaded = load_path(db, DATASETS_PATH / "data-tool-response-rates", background_from=0)
    assert [(r.status, r.version) for r in loaded] == [("published", 1)]
    version = queries.latest_version(db, "data-tool-response-rates")
    resource = next(r for r in version.resources if r.name == "response-rates")
    published = (DATASETS_PATH / "data-tool-response-rates" / "response-rates.csv").read_bytes()
    assert resource.row_count == published.count(b"\n") - 1
    assert app.test_client().get("/datasets/data-tool-response-rates/response-rates.csv").data == published


def test_rows_readable_but_invalid_are_staged_then_refused_before_the_commit(db, app, tmp_path):
    """A code breaking its pattern reads and stores well: only frictionless
    sees it, after the rows are in their table. Nothing is published."""
    packages = copy_datasets(tmp_path)
    replace_in(packages / "councils" / "councils.csv", "W06000002", "X06000002")
    before, tables = snapshot(db), _row_tables(db)
    loaded = load_path(db, packages / "councils", background_from=0)
    assert [r.status for r in loaded] == ["invalid"]
    problems = loaded[0].report.problems
    assert [(p.row, p.field, p.code) for p in problems] == [(3, "gss_code", "constraint-error")]
    assert snapshot(db) == before
    assert _row_tables(db) == tables
    assert app.test_client().get("/datasets/councils").status_code == 404


def test_rows_that_cannot_even_be_read_are_reported_as_frictionless_finds_them(db, app, tmp_path):
    packages = copy_datasets(tmp_path)
    replace_in(packages / "data-tool-response-rates" / "response-rates.csv", ",76,38,50", ",76,thirty-eight,50")
    before = snapshot(db)
    loaded = load_path(db, packages / "data-tool-response-rates", background_from=0)
    assert [r.status for r in loaded] == ["invalid"]
    problems = loaded[0].report.problems
    assert [(p.row, p.field, p.code) for p in problems] == [(2, "responded", "type-error")]
    assert snapshot(db) == before


def test_one_invalid_package_holds_back_the_others_loaded_with_it(db, app, tmp_path):
    packages = copy_datasets(tmp_path)
    replace_in(packages / "councils" / "councils.csv", "W06000002", "X06000002")
    before = snapshot(db)
    loaded = {r.name: r.status for r in load_path(db, packages, background_from=0)}
    assert loaded["councils"] == "invalid"
    assert set(loaded.values()) == {"invalid", "not-published"}
    assert snapshot(db) == before
