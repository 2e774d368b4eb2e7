"""Loading publishes immutable, numbered versions, and is idempotent."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal import queries
from portal.config import DATASETS_PATH
from portal.model import DatasetVersion, ImmutableError
from portal.publish.service import load_path
from tests.helpers import copy_datasets, replace_in, snapshot

EXPECTED = {"councils", "maturity-framework", "data-tool-response-rates", "council-findings",
            "good-practice-case-studies", "public-attitudes-survey"}


def test_load_publishes_every_real_package_as_version_1(runner, db):
    result = runner.invoke(args=["portal", "load", str(DATASETS_PATH)])
    assert result.exit_code == 0, result.output
    for name in EXPECTED:
        assert f"{name}: published version 1" in result.output
    db.rollback()
    assert {v.dataset.name for v in queries.latest_versions(db)} >= EXPECTED
    councils = queries.latest_version(db, "councils")
    assert councils.number == 1
    assert (councils.changelog_en, councils.changelog_cy) == ("First publication.", "Cyhoeddiad cyntaf.")
    assert councils.resources[0].row_count == 22
    assert len(queries.resource_rows(db, councils.resources[0])) == 22


def test_loading_the_same_content_twice_creates_no_new_version(runner, db):
    assert runner.invoke(args=["portal", "load", str(DATASETS_PATH)]).exit_code == 0
    before = snapshot(db)
    result = runner.invoke(args=["portal", "load", str(DATASETS_PATH)])
    assert result.exit_code == 0, result.output
    assert "councils: unchanged (version 1 has the same content)" in result.output
    assert snapshot(db) == before


def test_changed_content_becomes_version_2_and_version_1_stays(runner, db, app, tmp_path):
    packages = copy_datasets(tmp_path)
    assert runner.invoke(args=["portal", "load", str(packages)]).exit_code == 0
    client = app.test_client()
    v1_csv = client.get("/datasets/councils/councils.csv").data

    replace_in(packages / "councils" / "councils.csv", "Isle of Anglesey", "Anglesey")
    result = runner.invoke(args=["portal", "load", str(packages / "councils"),
                                 "--changelog-en", "Shorter name for Anglesey.",
                                 "--changelog-cy", "Enw byrrach i Ynys Môn."])
    assert result.exit_code == 0, result.output
    assert "councils: published version 2" in result.output

    db.rollback()
    history = queries.version_history(db, "councils")
    assert [v.number for v in history] == [2, 1]
    assert history[0].changelog_cy == "Enw byrrach i Ynys Môn."
    assert history[0].published_at >= history[1].published_at
    assert b"Anglesey" in client.get("/datasets/councils/councils.csv").data
    assert b"Isle of Anglesey" not in client.get("/datasets/councils/councils.csv").data
    assert client.get("/datasets/councils/versions/1/councils.csv").data == v1_csv
    assert client.get("/datasets/councils/versions/2/councils.csv").status_code == 200


def test_published_versions_cannot_be_changed(db, app):
    load_path(db, DATASETS_PATH / "councils")
    version = db.scalar(select(DatasetVersion))
    version.title_en = "Something else"
    with pytest.raises(ImmutableError):
        db.flush()
    db.rollback()
    db.delete(db.scalar(select(DatasetVersion)))
    with pytest.raises(ImmutableError):
        db.flush()


def test_a_failure_midway_leaves_nothing_behind(db, app, monkeypatch):
    """If writing the rows fails, the dataset and version rows are rolled back too."""
    from portal.publish import service

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_add_resource", broken)
    before = snapshot(db)
    with pytest.raises(RuntimeError):
        load_path(db, DATASETS_PATH / "councils", now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert snapshot(db) == before
