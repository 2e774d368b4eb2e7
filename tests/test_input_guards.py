"""Input the database cannot take (NUL characters, which PostgreSQL refuses,
and version numbers beyond its 32-bit integers) is answered with a 4xx on
every surface, never a 500."""
from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize("url", [
    f"/datasets/councils/versions/{HUGE}/datapackage.json",
    f"/datasets/councils/versions/{HUGE}/councils.csv",
    "/datasets/%00/datapackage.json",
    "/datasets/councils/councils.csv?gss_code=a%00",
    "/datasets/councils/councils.json?_q=a%00",
    "/en/datasets/%00/",
    f"/en/datasets/councils/versions/{HUGE}/",
    "/en/datasets/?theme=a%00",
    "/cy/datasets/?council=%00",
    "/en/datasets/councils/?gss_code=%00",
    "/api/v1/datasets/%00",
    f"/api/v1/datasets/councils/versions/{HUGE}",
    "/api/v1/datasets/councils/resources/councils/rows?gss_code=%00",
    "/api/v1/datasets?q=%00",
])
def test_no_server_error(client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)


# Parameters named like url_for's own arguments or the rule's: a preview's links
# are built with them in the query string, not given to url_for.
@pytest.mark.parametrize("query", ["lang=cy", "name=x", "number=1", "endpoint=x", "_anchor=x", "_scheme=x",
                                   "_method=x", "_external=1", "values=x"])
def test_dataset_page_parameters_named_like_url_arguments(client, query):
    for url in ("/en/datasets/councils/", "/en/datasets/councils/versions/1/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query, response.status_code)  # no field of that name
        assert f'hreflang="cy" href="http://localhost{url.replace("/en/", "/cy/")}?{query}"' in response.text


@pytest.mark.parametrize("url, location", [
    ("/en/datasets/councils/?_add_field=lang&_add_value=cy", "/en/datasets/councils/?lang=cy"),
    ("/cy/datasets/councils/?_anchor=x&_add_field=name&_add_op=gt&_add_value=b",
     "/cy/datasets/councils/?_anchor=x&name__gt=b"),
])
def test_added_filters_named_like_url_arguments(client, url, location):
    response = client.get(url)
    assert response.status_code == 303 and response.headers["Location"] == location


def test_catalogue_links_keep_parameters_named_like_url_arguments(client):
    response = client.get("/en/datasets/?theme=councils&_anchor=x&lang=cy")
    assert response.status_code == 200
    assert 'href="/en/datasets/?_anchor=x&amp;lang=cy"' in response.text  # "Remove Councils and areas"


def test_nul_in_a_feed_name_is_not_found(client):
    assert client.get("/feeds/datasets/%00.atom").status_code == 404


@pytest.mark.parametrize("path, mediatype", [
    ("/api/v1/datasets?q=", "application/problem+json"),
    ("/api/3/action/package_search?q=", "application/json"),
    ("/datasets/maturity-scores/scores.csv?x=", "application/problem+json"),
    ("/en/datasets/maturity-scores/?q=", "text/html"),
    ("/cy/councils/?q=", "text/html"),
])
def test_a_url_too_long_is_refused_in_its_surfaces_format_without_gunicorn_too(client, path, mediatype):
    response = client.get(path + "a" * 100_000)
    assert response.status_code == 414
    assert response.mimetype == mediatype
    assert b"aaaaaaaaaa" not in response.data
    if path.startswith("/cy/"):
        assert "Mae'r cyfeiriad gwe hwnnw'n rhy hir" in response.get_data(as_text=True)
    if "/api/3/" in path:
        assert response.get_json()["success"] is False
