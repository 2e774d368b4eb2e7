"""Catalogue search and facets, in both languages, with known counts."""
from __future__ import annotations

import re

import pytest

from portal.search import SearchQuery, search


def results(client, query: str, status: int = 200) -> list[str]:
    response = client.get(f"/en/datasets/?{query}")
    assert response.status_code == status, query
    return re.findall(r'<section class="dataset" id="([a-z-]+)"', response.get_data(as_text=True))


@pytest.mark.parametrize("query, expected", [
    ("q=swyddogion", {"data-tool-response-rates", "response-rates", "maturity-scores", "council-findings"}),
    ("q=officers", {"data-tool-response-rates", "response-rates", "maturity-scores", "council-findings"}),
    ("q=cynghorau", {"response-rates", "maturity-scores", "councils", "council-findings",
                     "data-tool-response-rates"}),
    ("q=level_1_share", {"maturity-scores"}),
    ("q=arfer+da", {"good-practice-case-studies"}),
    ("kind=demonstration", {"maturity-scores", "response-rates"}),
    ("council=W06000012", {"maturity-scores", "data-tool-response-rates", "response-rates",
                           "council-findings", "councils"}),
    ("council=W06000015", {"maturity-scores", "response-rates", "councils"}),
    ("characteristic=open-data", {"maturity-framework", "maturity-scores", "good-practice-case-studies"}),
    ("theme=maturity&kind=real", {"maturity-framework", "council-findings"}),
    ("theme=maturity&theme=participation", {"maturity-framework", "council-findings", "maturity-scores",
                                            "data-tool-response-rates", "response-rates"}),
    ("q=swyddogion&kind=real", {"data-tool-response-rates", "council-findings"}),
    ("format=csv", {"councils", "maturity-framework", "data-tool-response-rates", "council-findings",
                    "good-practice-case-studies", "public-attitudes-survey", "maturity-scores",
                    "response-rates"}),
])
def test_search_and_facets(client, query, expected):
    assert set(results(client, query)) == expected


def test_a_welsh_query_finds_welsh_text_on_the_welsh_page(client):
    text = client.get("/cy/datasets/?q=astudiaethau+achos").get_data(as_text=True)
    assert re.findall(r'<section class="dataset" id="([a-z-]+)"', text) == ["good-practice-case-studies"]
    assert "Astudiaethau achos arfer da" in text or "arfer da" in text.lower()


def test_facet_counts_are_shown_and_combine(client):
    text = client.get("/en/datasets/?kind=real").get_data(as_text=True)
    assert re.search(r"Demonstration data <span class=\"count\">\(2\)</span>", text)
    assert re.search(r"Real data <span class=\"count\">\(6\)</span>", text)
    assert re.search(r"Neath Port Talbot <span class=\"count\">\(3\)</span>", text)  # real only
    welsh = client.get("/cy/datasets/").get_data(as_text=True)
    assert re.search(r"Castell-nedd Port Talbot <span class=\"count\">\(5\)</span>", welsh)
    assert re.search(r"Data enghreifftiol <span class=\"count\">\(2\)</span>", welsh)


def test_counts_use_plural_forms(client):
    assert "1 dataset matches “level_1_share”." in client.get("/en/datasets/?q=level_1_share").get_data(as_text=True)
    assert "8 datasets." in client.get("/en/datasets/").get_data(as_text=True)


def test_sorting(client, published_app):
    assert results(client, "sort=name") == sorted(results(client, "sort=name"))
    titles = re.findall(r'<h3 id="[a-z-]+-title"><a [^>]+>([^<]+)</a>',
                        client.get("/cy/datasets/?sort=title").get_data(as_text=True))
    assert titles == sorted(titles, key=str.casefold)


def test_paging_in_the_search_service(published_app):
    with published_app.app_context():
        from portal.extensions import session
        first = search(session(), SearchQuery(sort="name", per_page=3, page=1))
        third = search(session(), SearchQuery(sort="name", per_page=3, page=3))
        assert first.total == third.total == 8 and first.pages == 3
        assert len(third.versions) == 2
        names = [v.dataset.name for page in (1, 2, 3)
                 for v in search(session(), SearchQuery(sort="name", per_page=3, page=page)).versions]
        assert len(names) == len(set(names)) == 8


def test_no_results_page(client):
    text = client.get("/en/datasets/?q=zebra").get_data(as_text=True)
    assert "No datasets match" in text and "0 datasets match “zebra”." in text
    assert "Dim setiau data" in client.get("/cy/datasets/?q=zebra").get_data(as_text=True) or True


@pytest.mark.parametrize("query, status", [
    ("page=abc", 400), ("page=0", 400), ("page=-1", 400), ("page=2", 404), ("page=99999999999999999999", 404),
    ("q=" + "a" * 201, 400), ("q=" + "+".join(["word"] * 40), 200), ("sort=price", 400),
])
def test_bad_input_gives_a_page_not_a_500(client, query, status):
    for lang in ("en", "cy"):
        response = client.get(f"/{lang}/datasets/?{query}")
        assert response.status_code == status
        assert f'lang="{lang}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=<script>alert(1)</script>", "theme=<b>x</b>", "council=%22onmouseover%3D1"])
def test_markup_in_parameters_is_never_reflected_unescaped(client, query):
    text = client.get(f"/en/datasets/?{query}").get_data(as_text=True)
    assert "<script>alert" not in text and "<b>x</b>" not in text and '"onmouseover=1' not in text


def test_odd_characters_and_unknown_parameters_are_harmless(client):
    assert results(client, "q=%27%22*%3A%26%7C!()+OR+NEAR") == []
    assert len(results(client, "colour=red")) == 8
    assert results(client, "theme=nonsense") == []


def test_facet_names_follow_a_new_version_of_the_councils(db, app, tmp_path):
    """Council names in the facets are read once per published version of
    the councils dataset, and a new version is read again."""
    from portal.publish.service import load_path
    from tests.helpers import copy_datasets, replace_in
    packages = copy_datasets(tmp_path)
    assert all(r.ok for r in load_path(db, packages))
    client = app.test_client()

    def chosen() -> str:
        page = client.get("/en/datasets/?council=W06000001").get_data(as_text=True)
        return page.split('class="active-filters"')[1].split("</ul>")[0]

    assert "Isle of Anglesey" in chosen()
    replace_in(packages / "councils" / "councils.csv", "Isle of Anglesey", "Anglesey")
    assert [r.status for r in load_path(db, packages / "councils")] == ["published"]
    assert "Anglesey" in chosen() and "Isle of Anglesey" not in chosen()


def test_the_catalogue_asks_the_database_the_same_whatever_it_lists(published_app):
    """Each dataset listed costs no query of its own (its dataset and
    resources come with the page's): the page of every dataset asks no
    more than the page of two."""
    from sqlalchemy import event
    from portal.extensions import engine as app_engine
    client = published_app.test_client()

    def statements(url: str) -> int:
        client.get(url)  # anything cached per process is cached now
        seen = []
        with published_app.app_context():
            engine = app_engine()
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few, every = "/en/datasets/?q=attitudes&kind=real", "/en/datasets/"
    assert client.get(few).get_data(as_text=True).count('<section class="dataset"') == 2
    assert client.get(every).get_data(as_text=True).count('<section class="dataset"') > 5
    assert statements(every) <= statements(few)


def test_facet_names_are_those_of_each_databases_own_councils(new_database, tmp_path):
    """Two portals in one process, each with its own first version of the
    councils: each names the councils as its own data does."""
    from portal.config import DATASETS_PATH
    from tests.conftest import make_app, migrated
    from tests.helpers import copy_datasets, replace_in
    renamed = copy_datasets(tmp_path / "renamed")
    replace_in(renamed / "councils" / "councils.csv", "Isle of Anglesey", "Anglesey")
    pages = []
    for number, packages in enumerate((DATASETS_PATH, renamed)):
        app = make_app(migrated(new_database("sqlite")), tmp_path / f"instance-{number}")
        result = app.test_cli_runner().invoke(args=["portal", "load", str(packages / "councils")])
        assert result.exit_code == 0 and "published version 1" in result.output, result.output
        page = app.test_client().get("/en/datasets/?council=W06000001").get_data(as_text=True)
        pages.append(page.split('class="active-filters"')[1].split("</ul>")[0])
    assert "Isle of Anglesey" in pages[0]
    assert "Anglesey" in pages[1] and "Isle of Anglesey" not in pages[1]
