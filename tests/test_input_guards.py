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
