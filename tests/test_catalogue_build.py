"""The DCAT catalogue's first page is made at publication (with
PORTAL_BASE_URL, which fixes its URLs) and kept for every worker."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.config import DATASETS_PATH
from portal.model import CatalogDocument
from tests.conftest import make_app, migrated

BASE = "https://data.example.wales"


def kept(app) -> list[bytes]:
    with app.app_context():
        from portal.extensions import session
        return list(session().scalars(select(CatalogDocument.body)))


@pytest.mark.parametrize("base_url", [BASE, None])
def test_loading_makes_the_first_catalogue_page_in_every_syntax(backend, new_database, tmp_path, base_url):
    settings = {"PORTAL_BASE_URL": base_url} if base_url else {}
    app = make_app(migrated(new_database(backend)), tmp_path / "instance", **settings)
    result = app.test_cli_runner().invoke(args=["portal", "load", str(DATASETS_PATH / "councils")])
    assert result.exit_code == 0, result.output
    if base_url is None:  # URLs come from each request's host: nothing can be made ahead
        assert "DCAT catalogue" not in result.output and kept(app) == []
        return
    assert "DCAT catalogue: first page made (ttl, jsonld, rdf)" in result.output
    made = kept(app)
    assert len(made) == 3 and all(BASE.encode() in body for body in made)
    with app.test_client() as client:
        for syntax in ("ttl", "jsonld", "rdf"):
            response = client.get(f"/catalog.{syntax}")
            assert response.status_code == 200 and response.get_data() in made
    assert len(kept(app)) == 3  # served from what publication made, nothing added
    # a new publication makes the pages of the catalogue as it then stands
    again = app.test_cli_runner().invoke(args=["portal", "load", str(DATASETS_PATH / "maturity-framework")])
    assert again.exit_code == 0, again.output
    now = kept(app)
    assert len(now) == 3 and not set(now) & set(made)
    with app.app_context():
        from portal.extensions import session
        assert session().scalar(select(func.count(func.distinct(CatalogDocument.state)))) == 1


def test_a_page_the_database_cannot_keep_now_is_served_all_the_same(new_database, tmp_path):
    """SQLite, while another process writes (a long publication): the page
    is made and served at once, not kept; a later request keeps it."""
    import sqlite3
    import time

    from rdflib import Graph

    url = migrated(new_database("sqlite"))
    app = make_app(url, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["portal", "load", str(DATASETS_PATH / "councils")])
    assert result.exit_code == 0, result.output
    assert kept(app) == []  # no base URL: nothing made ahead
    writer = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as a publication does
    try:
        with app.test_client() as client:
            started = time.monotonic()
            response = client.get("/catalog.ttl")
            waited = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(Graph().parse(data=response.get_data(as_text=True), format="turtle")) > 10
    assert waited < 5  # not the 10 s a statement may wait for the database
    assert kept(app) == []
    with app.test_client() as client:
        assert client.get("/catalog.ttl").get_data() == response.get_data()
    assert len(kept(app)) == 1
