"""sitemap.xml lists every page in both languages, with hreflang alternates;
robots.txt points to it."""
from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree

import pytest
import requests

from portal import queries
from portal.extensions import session
from portal.web import sitemap

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def latest(published_app) -> dict[str, dt.datetime]:
    """name -> publication of the latest version."""
    with published_app.app_context():
        return {v.dataset.name: v.published_utc for v in queries.latest_versions(session())}


def fetch(client) -> dict[str, tuple[dict[str, str], str | None]]:
    """loc -> ({hreflang: href}, lastmod) of every <url>."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    urls = {}
    for url in root.findall(f"{SITEMAP}url"):
        loc = url.findtext(f"{SITEMAP}loc")
        assert loc not in urls
        alternates = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
                      if link.get("rel") == "alternate"}
        urls[loc] = (alternates, url.findtext(f"{SITEMAP}lastmod"))
    return urls


def test_every_page_in_both_languages(client, latest):
    urls = fetch(client)
    datasets = {loc for loc in urls if re.search(r"/datasets/[^/]+/$", loc)}
    assert datasets == {f"http://localhost/{lang}/datasets/{name}/"
                        for name in latest for lang in ("en", "cy")}
    assert len(datasets) == 2 * len(latest) == 16
    versions = {loc for loc in urls if "/versions/" in loc}
    assert versions == {f"http://localhost/{lang}/datasets/{name}/versions/1/"
                        for name in latest for lang in ("en", "cy")}
    for path in ("/en/", "/cy/", "/en/datasets/", "/cy/datasets/"):
        assert f"http://localhost{path}" in urls
    for loc, (alternates, _lastmod) in urls.items():
        assert set(alternates) == {"en", "cy", "x-default"}
        assert alternates["x-default"] == alternates["en"]
        assert loc in alternates.values()
        for href in alternates.values():
            assert urls[href][0] == alternates  # each language lists the same set
        response = client.get(loc.removeprefix("http://localhost"))
        assert response.status_code == 200
        # the sitemap says what the page's own hreflang links say, x-default included
        assert dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">',
                               response.get_data(as_text=True))) == alternates


def test_lastmod_where_known(client, latest):
    urls = fetch(client)
    for name, published in latest.items():
        for lang in ("en", "cy"):
            lastmod = urls[f"http://localhost/{lang}/datasets/{name}/"][1]
            assert dt.datetime.fromisoformat(lastmod) == published.replace(microsecond=0)
            lastmod = urls[f"http://localhost/{lang}/datasets/{name}/versions/1/"][1]
            assert dt.datetime.fromisoformat(lastmod) == published.replace(microsecond=0)
    newest = max(latest.values()).replace(microsecond=0)
    assert dt.datetime.fromisoformat(urls["http://localhost/en/datasets/"][1]) == newest
    assert dt.datetime.fromisoformat(urls["http://localhost/cy/"][1]) == newest


def fixed_pages(app) -> set[str]:
    """Every page URL whose only argument is the language, but the admin pages (behind sign-in)."""
    return {f"http://localhost{rule.rule.replace('<lang(en,cy):lang>', lang)}"
            for rule in app.url_map.iter_rules()
            if rule.arguments == {"lang"} and "GET" in rule.methods and not rule.endpoint.startswith("admin.")
            for lang in ("en", "cy")}


def test_admin_pages_are_not_listed(client):
    assert not [loc for loc in fetch(client) if "/admin/" in loc]


def test_empty_portal_lists_its_fixed_pages(app):
    urls = fetch(app.test_client())
    assert set(urls) == fixed_pages(app)
    assert {"http://localhost/en/", "http://localhost/cy/datasets/"} <= set(urls)
    assert urls["http://localhost/en/datasets/"][1] is None  # nothing published yet


def test_pages_register_values_for_their_arguments(app, monkeypatch):
    monkeypatch.setattr(sitemap, "_sources", dict(sitemap._sources))
    app.add_url_rule("/<lang(en,cy):lang>/councils/<slug>/", endpoint="pages.council",
                     view_func=lambda lang, slug: slug)
    app.add_url_rule("/<lang(en,cy):lang>/unlisted/<code>/", endpoint="pages.unlisted",
                     view_func=lambda lang, code: code)
    moment = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    sitemap.register_sitemap_values("pages.council", lambda: [
        {"slug": "cardiff"}, sitemap.SitemapValues({"slug": "powys"}, moment)])
    urls = fetch(app.test_client())
    assert set(urls) - fixed_pages(app) == {f"http://localhost/{lang}/councils/{slug}/"
                                            for lang in ("en", "cy") for slug in ("cardiff", "powys")}
    assert urls["http://localhost/cy/councils/cardiff/"] == (
        {"en": "http://localhost/en/councils/cardiff/", "cy": "http://localhost/cy/councils/cardiff/",
         "x-default": "http://localhost/en/councils/cardiff/"}, None)
    assert urls["http://localhost/en/councils/powys/"][1] == "2026-03-01T00:00:00+00:00"
    assert not [loc for loc in urls if "/unlisted/" in loc]


def test_robots_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).splitlines() == [
        "User-agent: *", "Allow: /", "", "Sitemap: http://localhost/sitemap.xml"]


def test_robots_over_http(live_server):
    response = requests.get(f"{live_server}/robots.txt", timeout=10)
    assert response.status_code == 200
    assert f"Sitemap: {live_server}/sitemap.xml" in response.text
    assert requests.get(f"{live_server}/sitemap.xml", timeout=10).status_code == 200
