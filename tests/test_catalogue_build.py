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
