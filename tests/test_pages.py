"""The first bilingual pages: language routing, alternates, switch, content."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

PAGES = ["/{lang}/", "/{lang}/datasets/"]


class Page(HTMLParser):
    """Just enough of a page's structure for these tests."""

    def __init__(self, html: str):
        super().__init__()
        self.lang = None
        self.alternates: dict[str, str] = {}
        self.links: list[dict] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "a":
            self.links.append(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(" ".join(data.split()))


def get_page(client, url) -> Page:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize("template", PAGES)
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_page_language_alternates_and_switch(client, template, lang):
    url = template.format(lang=lang)
    page = get_page(client, url)
    assert page.lang == lang
    other = "cy" if lang == "en" else "en"
    assert page.alternates == {
        "en": "http://localhost" + template.format(lang="en"),
        "cy": "http://localhost" + template.format(lang="cy"),
        "x-default": "http://localhost" + template.format(lang="en"),
    }
    # the other page names this one back: the pair is reciprocal
    back = get_page(client, page.alternates[other].removeprefix("http://localhost"))
    assert back.alternates[lang] == page.alternates[lang]
    # the switch leads to the same page in the other language
    switch = next(a for a in page.links if "language-switch" in (a.get("class") or ""))
    assert switch["href"] == page.alternates[other]
    assert switch["hreflang"] == other and switch["lang"] == other
    # a skip link to the main content
    skip = page.links[0]
    assert skip["href"] == "#content" and "content" in page.ids


def test_switch_keeps_the_query_string(client):
    page = get_page(client, "/en/datasets/?sort=title")
    assert page.alternates["cy"] == "http://localhost/cy/datasets/?sort=title"


@pytest.mark.parametrize("header, expected", [
    ("cy", "/cy/"), ("cy-GB,cy;q=0.9,en;q=0.8", "/cy/"), ("en-GB,en;q=0.9,cy;q=0.5", "/en/"),
    ("en-GB", "/en/"), ("fr-FR", "/en/"), (None, "/en/"),
])
def test_root_redirects_by_accept_language(client, header, expected):
    headers = {"Accept-Language": header} if header else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_root_remembers_an_explicit_choice(published_app):
    client = published_app.test_client()
    client.get("/cy/datasets/")  # the visitor chose Welsh
    response = client.get("/", headers={"Accept-Language": "en-GB,en"})
    assert response.headers["Location"] == "/cy/"
    client.get("/en/")  # and then English
    assert client.get("/", headers={"Accept-Language": "cy"}).headers["Location"] == "/en/"


@pytest.mark.parametrize("url", ["/fr/", "/fr/datasets/", "/EN/", "/cym/"])
def test_unknown_language_prefix_is_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_404_page_is_translated(client):
    welsh = client.get("/cy/no-such-page", headers={"Accept-Language": "cy"})
    assert welsh.status_code == 404
    page = Page(welsh.get_data(as_text=True))
    assert page.lang == "cy"
    assert "Heb ddod o hyd i'r dudalen" in page.text
    english = Page(client.get("/en/no-such-page").get_data(as_text=True))
    assert english.lang == "en" and "Page not found" in english.text
    outside = client.get("/fr/", headers={"Accept-Language": "cy"})
    assert Page(outside.get_data(as_text=True)).lang == "cy"


def test_home_shows_the_report_figures_in_both_languages(client):
    english = " ".join(get_page(client, "/en/").text)
    assert "41%" in english and "(57 of 139)" in english and "Neath Port Talbot" in english
    assert "36%" in english and "750 people" in english and "12%" in english
    welsh = " ".join(get_page(client, "/cy/").text)
    assert "41%" in welsh and "Castell-nedd Port Talbot" in welsh and "(57 o 139)" in welsh
    assert "36%" in welsh and "12%" in welsh and "750" in welsh


def test_catalogue_lists_every_dataset_with_its_downloads(client, published_app):
    from portal import queries
    with published_app.app_context():
        from portal.extensions import session
        versions = queries.latest_versions(session())
    for lang in ("en", "cy"):
        page = get_page(client, f"/{lang}/datasets/")
        hrefs = {a.get("href") for a in page.links}
        text = " ".join(page.text)
        for version in versions:
            name = version.dataset.name
            assert version.text("title", lang) in text
            assert f"/datasets/{name}.zip" in hrefs
            assert f"/datasets/{name}/datapackage.json" in hrefs
            assert f"/{lang}/datasets/{name}/" in hrefs
            for resource in version.resources:
                assert f"/datasets/{name}/{resource.name}.csv" in hrefs
                assert f"/datasets/{name}/{resource.name}.json" in hrefs
                assert resource.text("title", lang) in text
        for href in hrefs - {"#content"}:
            if href.startswith("/"):
                assert client.get(href).status_code == 200, href


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    # the six real datasets and the two computed from the demonstration responses
    assert response.get_json() == {"status": "ok", "database": "ok", "datasets": 8}


@pytest.mark.parametrize("lang, notice", [("en", "Demonstration data"), ("cy", "Data enghreifftiol")])
def test_demonstration_data_is_labelled_on_pages(client, lang, notice):
    catalogue = client.get(f"/{lang}/datasets/").get_data(as_text=True)
    sections = re.findall(r'<section class="dataset" id="([a-z-]+)".*?</section>', catalogue, re.S)
    labelled = {name for name in sections
                if notice in re.search(rf'id="{name}".*?</section>', catalogue, re.S).group(0)}
    assert labelled == {"maturity-scores", "response-rates"}
    home = " ".join(get_page(client, f"/{lang}/").text)
    assert notice in home


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_pages_get_a_translated_405(client, method):
    for lang in ("en", "cy"):
        response = client.open(f"/{lang}/datasets/", method=method)
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"]
        assert f'lang="{lang}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["lang=cy", "name=x", "_external=0", "_method=POST", "q=a&q=b"])
def test_any_query_parameter_name_keeps_the_page_working(client, query):
    response = client.get(f"/en/datasets/?{query}")
    assert response.status_code in (200, 400)
    page = Page(response.get_data(as_text=True))
    assert page.alternates["cy"] == f"http://localhost/cy/datasets/?{query}"
