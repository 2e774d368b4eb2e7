"""Conditional requests, caching, CORS, compression and HEAD."""
from __future__ import annotations

import gzip

import pytest

LATEST = "/datasets/councils/councils.csv"
PINNED = "/datasets/councils/versions/1/councils.csv"
SURFACES = [LATEST, PINNED, "/datasets/councils/datapackage.json", "/datasets/councils.zip",
            "/datasets/maturity-scores/scores.json"]


@pytest.mark.parametrize("url", SURFACES)
def test_etag_and_last_modified_give_304(client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.data == first.data


def test_cache_control_pinned_and_latest(client):
    assert client.get(PINNED).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(LATEST).headers["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert client.get("/en/datasets/").headers["Cache-Control"] == "no-cache"
    assert client.get("/health").headers["Cache-Control"] == "no-store"


def test_cors_on_machine_surfaces_only(client):
    assert client.get(LATEST).headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/datasets/nope/datapackage.json").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/en/").headers


def test_text_is_compressed_and_validators_follow_the_encoding(client):
    url = "/datasets/maturity-scores/scores.csv"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    zipped = client.get("/datasets/councils.zip", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in zipped.headers  # already compressed


@pytest.mark.parametrize("url", SURFACES + ["/en/", "/health"])
def test_head_answers_like_get_without_a_body(client, url):
    get, head = client.get(url), client.head(url)
    assert head.status_code == get.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers.get("ETag") == get.headers.get("ETag")


@pytest.mark.parametrize("url", ["/datasets/maturity-scores/scores.csv?area_code=W06000012&_sort=-mean_level",
                                 "/datasets/maturity-scores/scores.json?suppressed=true",
                                 "/api/v1/datasets/maturity-scores/resources/scores/rows.csv?area_code=W06000012"])
def test_streamed_query_results_are_validated_too(client, url):
    first = client.get(url)
    assert first.status_code == 200 and first.is_streamed and first.get_data()
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get(url + "&respondent_group=all")
    assert other.headers["ETag"] != etag and other.get_data()
