"""Untrusted Host headers: with PORTAL_BASE_URL set, every absolute URL the
portal prints comes from it, whatever Host a request names; a Host that is
neither its host nor one of PORTAL_TRUSTED_HOSTS is refused with a 400 that
repeats nothing of it."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.config import ConfigurationError, load_settings
from portal.model import CatalogDocument
from tests.conftest import make_app

BASE = "https://data.example.wales"
EVIL = "evil.example"
ALIAS = "alias.example"  # a trusted host other than the base URL's

# Every surface that prints absolute URLs (and a few that print none).
PAGES = ["/en/", "/cy/", "/en/datasets/", "/cy/datasets/?theme=councils", "/en/datasets/councils/",
         "/cy/datasets/councils/versions/1/?gss_code=W06000012", "/en/councils/", "/cy/councils/flintshire/",
         "/en/about/", "/en/accessibility/", "/en/changelog/", "/en/api/", "/en/good-practice/"]
MACHINE = [
    "/datasets/councils/datapackage.json", "/datasets/councils/versions/1/datapackage.json",
    "/api/v1/", "/api/v1/datasets?per_page=2", "/api/v1/datasets/councils", "/api/v1/datasets/councils/versions/1",
    "/api/v1/datasets/councils/resources/councils/rows?limit=2", "/api/v1/councils?per_page=2",
    "/api/v1/councils/W06000012", "/api/v1/characteristics", "/api/v1/case-studies?per_page=2",
    "/api/v1/openapi.json",
    "/api/3/action/package_show?id=councils", "/api/3/action/package_search?rows=2",
    "/api/3/action/current_package_list_with_resources?limit=2", "/api/3/action/resource_show?id=councils.councils",
    "/api/3/action/datastore_search?resource_id=councils.councils&limit=2", "/api/3/action/status_show",
    "/api/3/action/site_read", "/api/3/action/organization_show?id=wales-local-government-data-portal",
    "/api/3/action/group_list?all_fields=true", "/api/3/action/no_such_action",
    "/catalog.ttl", "/catalog.jsonld", "/catalog.rdf", "/feeds/datasets.atom", "/feeds/datasets.atom?lang=cy",
    "/feeds/datasets/councils.atom", "/sitemap.xml", "/robots.txt", "/health",
]
OTHER = ["/", "/en/no-such-page/", "/datasets/no-such-dataset/datapackage.json", "/static/portal.css"]
SURFACES = PAGES + MACHINE + OTHER
STATUS = {"/": 302, "/en/no-such-page/": 404, "/datasets/no-such-dataset/datapackage.json": 404,
          "/api/3/action/no_such_action": 400}


@pytest.fixture(scope="module")
def based_app(published_app):
    """The published portal (same database and files) served at BASE."""
    return make_app(published_app.config["DATABASE_URL"], Path(published_app.instance_path),
                    PORTAL_BASE_URL=BASE, PORTAL_TRUSTED_HOSTS=f"{ALIAS}, 127.0.0.1")


def everything(response) -> str:
    """The status line, headers and body, as a client or cache would see them."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return f"{response.status}\n{headers}\n\n{response.get_data(as_text=True)}"


@pytest.mark.parametrize("url", SURFACES)
def test_an_unknown_host_is_refused_and_never_repeated(based_app, url):
    with based_app.test_client() as client:
        response = client.get(url, headers={"Host": EVIL})
        assert response.status_code == 400
        assert EVIL not in everything(response)
        if url.startswith(("/en/", "/cy/", "/static/")) or url == "/":
            assert response.mimetype == "text/html"
        else:
            assert response.mimetype == "application/problem+json"
            assert response.json["status"] == 400


@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", f"data.example.wales.{EVIL}", f"{EVIL}@data.example.wales"])
def test_every_form_of_an_unknown_host_is_refused(based_app, host):
    response = based_app.test_client().get("/api/v1/datasets/councils", headers={"Host": host})
    assert response.status_code == 400 and EVIL not in everything(response)


def test_the_refusal_is_a_translated_page(based_app):
    client = based_app.test_client()
    welsh = client.get("/cy/datasets/", headers={"Host": EVIL})
    assert welsh.status_code == 400 and '<html lang="cy">' in welsh.text
    assert "Nid yw'r wefan hon ar gael yn y cyfeiriad gwe hwnnw." in welsh.text
    english = client.get("/", headers={"Host": EVIL, "Accept-Language": "en"})
    assert "This site is not available at that web address." in english.text


@pytest.mark.parametrize("host", ["data.example.wales", ALIAS, f"{ALIAS}:8080", "127.0.0.1:5000"])
@pytest.mark.parametrize("url", SURFACES)
def test_absolute_urls_come_from_the_base_url_whatever_the_host(based_app, url, host):
    with based_app.test_client() as client:  # over plain http: the links are https all the same
        response = client.get(url, headers={"Host": host})
        assert response.status_code == STATUS.get(url, 200)
        seen = everything(response)
        for other in (ALIAS, "127.0.0.1", "localhost", "http://data.example.wales"):
            assert other not in seen, other
        assert (BASE + "/" in seen) == (url not in NO_ABSOLUTE_URLS), url


# Surfaces that print no absolute URL at all.
NO_ABSOLUTE_URLS = {"/health", "/api/v1/openapi.json", "/api/3/action/no_such_action", "/", "/en/no-such-page/",
                    "/datasets/no-such-dataset/datapackage.json", "/static/portal.css"}


def test_catalogue_pages_are_kept_once_whatever_the_host(based_app):
    """The DCAT pages kept in the database are keyed on the base URL: a new
    Host neither makes a page again nor keeps another copy."""
    client = based_app.test_client()
    first = client.get("/catalog.jsonld", headers={"Host": "data.example.wales"})
    with based_app.app_context():
        from portal.extensions import session
        count = session().scalar(select(func.count()).select_from(CatalogDocument))
    for host in (ALIAS, f"{ALIAS}:8443", "127.0.0.1"):
        again = client.get("/catalog.jsonld", headers={"Host": host})
        assert again.data == first.data
    with based_app.app_context():
        assert session().scalar(select(func.count()).select_from(CatalogDocument)) == count


def test_without_a_base_url_urls_follow_the_host_as_before(client):
    """Development and tests: any Host, and links built from it."""
    response = client.get("/api/v1/datasets/councils", headers={"Host": "portal.test:8000"})
    assert response.status_code == 200
    assert response.json["url"].startswith("http://portal.test:8000/")


@pytest.mark.parametrize("value", ["data.example.wales", "https://data.example.wales/portal", "ftp://data.example.wales",
                                   "https://data.example.wales:99999", "https://user@data.example.wales",
                                   "https://data.example.wales/?q=1"])
def test_a_base_url_that_is_not_scheme_and_host_is_refused(tmp_path, value):
    with pytest.raises(ConfigurationError, match="PORTAL_BASE_URL must be"):
        load_settings({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "PORTAL_BASE_URL": value})


def test_trusted_hosts_are_the_base_urls_and_those_added(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                              "PORTAL_BASE_URL": "https://Data.Example.Wales:8443/",
                              "PORTAL_TRUSTED_HOSTS": " alias.example, .internal.example ,"})
    assert settings["PORTAL_BASE_URL"] == "https://data.example.wales:8443"
    assert settings["SERVER_NAME"] == "data.example.wales:8443" and settings["PREFERRED_URL_SCHEME"] == "https"
    assert settings["TRUSTED_HOSTS"] == ["data.example.wales", "alias.example", ".internal.example"]
    with pytest.raises(ConfigurationError, match="PORTAL_TRUSTED_HOSTS must be host names"):
        load_settings({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "PORTAL_TRUSTED_HOSTS": "https://a.example"})
