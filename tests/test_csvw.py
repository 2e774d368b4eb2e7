"""CSV on the Web metadata beside every published CSV, read by a CSVW
processor nobody here wrote (the ``csvw`` package) and by pandas as the
dataset page tells its readers to."""
from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest
import requests
from csvw import CSVW

NUMERIC = ["respondents", "level_1_count", "level_2_count", "level_3_count", "level_1_share",
           "level_2_share", "level_3_share", "mean_level", "median_level"]


def published_csvs(client) -> list[tuple[str, str, dict]]:
    """(dataset, resource, its schema) for every published resource."""
    out = []
    for name in client.get("/api/3/action/package_list").get_json()["result"]:
        for resource in client.get(f"/datasets/{name}/datapackage.json").get_json()["resources"]:
            out.append((name, resource["name"], resource["schema"]))
    return out


def link_target(response) -> str:
    links = [value for value in response.headers.getlist("Link") if 'rel="describedby"' in value]
    assert len(links) == 1, response.headers.getlist("Link")
    assert 'type="application/csvm+json"' in links[0]
    return re.match(r"<([^>]+)>", links[0]).group(1)


@pytest.mark.parametrize("welsh", [False, True])
@pytest.mark.parametrize("prefix", ["", "/versions/1"])
def test_every_csv_names_its_metadata(client, prefix, welsh):
    for name, resource, schema in published_csvs(client):
        path = f"/datasets/{name}{prefix}/{'cy/' if welsh else ''}{resource}.csv"
        response = client.get(path)
        assert response.status_code == 200
        target = link_target(response)
        assert target == f"http://localhost{path}-metadata.json"
        metadata = client.get(target.removeprefix("http://localhost"))
        assert metadata.status_code == 200
        assert metadata.mimetype == "application/csvm+json"
        doc = metadata.get_json()
        assert doc["url"] == f"http://localhost{path}"
        assert doc["null"] == schema.get("missingValues", [""])
        columns = doc["tableSchema"]["columns"]
        assert [c["name"] for c in columns] == [f["name"] for f in schema["fields"]]
        for column, field in zip(columns, schema["fields"]):
            titles = {t["@language"]: t["@value"] for t in column["dc:title"]}
            assert titles == {"en": field["title"], "cy": field["translations"]["cy"]["title"]}
            if welsh:
                assert column["titles"] == field["translations"]["cy"]["title"]
            else:
                assert column["titles"]["en"] == field["title"]
                assert column["titles"]["cy"] == field["translations"]["cy"]["title"]


def test_datatypes_follow_the_table_schema(client):
    doc = client.get("/datasets/maturity-scores/scores.csv-metadata.json").get_json()
    types = {c["name"]: c["datatype"] for c in doc["tableSchema"]["columns"]}
    assert types["respondents"] == {"base": "integer", "minimum": 0}
    assert types["mean_level"]["base"] == "number"
    assert types["suppressed"] == {"base": "boolean", "format": "true|false"}
    assert types["area_name_cy"] == "string"
    assert doc["null"] == ["", "[c]"]
    assert doc["tableSchema"]["primaryKey"] == ["area_code", "characteristic_id", "respondent_group"]


def test_demonstration_data_is_labelled_in_its_metadata(client):
    scores = client.get("/datasets/maturity-scores/scores.csv-metadata.json").get_json()
    comments = {c["@language"]: c["@value"] for c in scores["rdfs:comment"]}
    assert comments["en"].startswith("Demonstration data") and comments["cy"].startswith("Data enghreifftiol")
    real = client.get("/datasets/data-tool-response-rates/response-rates.csv-metadata.json").get_json()
    assert "rdfs:comment" not in real


@pytest.mark.parametrize("welsh", [False, True])
def test_a_csvw_processor_reads_every_csv_typed(client, live_server, welsh):
    """The processor finds the metadata from the CSV's URL, validates the
    file against it, and reads [c] and empty cells as nulls, numbers as numbers."""
    for name, resource, schema in published_csvs(client):
        url = f"{live_server}/datasets/{name}/{'cy/' if welsh else ''}{resource}.csv"
        processor = CSVW(url, validate=True)
        assert processor.is_valid, url
        assert str(processor.tablegroup.tables[0].url) == url
        rows = [row["describes"][0] for row in processor.to_json()["tables"][0]["row"]]
        assert len(rows) == len(client.get(f"/datasets/{name}/{resource}.json").get_json())
        if name == "maturity-scores":
            suppressed = [r for r in rows if r["suppressed"] is True]
            shown = [r for r in rows if r["suppressed"] is False]
            assert suppressed and shown
            assert all("respondents" not in r for r in suppressed)  # null: no value at all
            assert all(isinstance(r["respondents"], int) for r in shown)
            assert all(isinstance(r["mean_level"], (int, float)) for r in shown)


def test_the_page_shows_the_lines_that_read_it(client):
    page = html.unescape(client.get("/en/datasets/maturity-scores/").get_data(as_text=True))
    assert 'scores = pd.read_csv("http://localhost/datasets/maturity-scores/versions/1/scores.csv", '\
           'keep_default_na=False, na_values=["", "[c]"])' in page
    assert 'read.csv("http://localhost/datasets/maturity-scores/versions/1/scores.csv", '\
           'na.strings = c("", "[c]"), encoding = "UTF-8")' in page
    welsh = html.unescape(client.get("/cy/datasets/maturity-scores/").get_data(as_text=True))
    assert "na_values=[\"\", \"[c]\"]" in welsh and "Darllen y ffeiliau CSV" in welsh


def test_pandas_reads_numbers_as_numbers_with_the_pages_line(client):
    body = client.get("/datasets/maturity-scores/versions/1/scores.csv").data
    naive = pd.read_csv(io.BytesIO(body))
    assert not any(pd.api.types.is_numeric_dtype(naive[name]) for name in NUMERIC)  # "[c]" makes them text
    frame = pd.read_csv(io.BytesIO(body), keep_default_na=False, na_values=["", "[c]"])
    for name in NUMERIC:
        assert pd.api.types.is_numeric_dtype(frame[name]), name
    shown = frame[~frame["suppressed"]]
    assert frame["respondents"].sum() == shown["respondents"].sum() > 0
    assert frame["area_name_cy"].str.contains("Ynys Môn").any()


def test_variants_and_filtered_files_name_no_metadata(client):
    for path in ("/datasets/maturity-scores/scores.csv?bom=1", "/datasets/maturity-scores/scores.csv?respondent_group=officer",
                 "/datasets/maturity-scores/scores.json", "/datasets/maturity-scores/scores.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not [v for v in response.headers.getlist("Link") if "describedby" in v], path


@pytest.mark.parametrize("path, status", [
    ("/datasets/maturity-scores/scores.csv-metadata.json?x=1", 400),
    ("/datasets/maturity-scores/nothing.csv-metadata.json", 404),
    ("/datasets/nothing/scores.csv-metadata.json", 404),
    ("/datasets/maturity-scores/versions/99/scores.csv-metadata.json", 404),
    ("/datasets/maturity-scores/versions/1/cy/nothing.csv-metadata.json", 404),
])
def test_bad_metadata_requests(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_metadata_is_served_over_http_with_caching(live_server):
    latest = requests.get(f"{live_server}/datasets/maturity-scores/scores.csv-metadata.json", timeout=10)
    pinned = requests.get(f"{live_server}/datasets/maturity-scores/versions/1/scores.csv-metadata.json", timeout=10)
    assert latest.status_code == pinned.status_code == 200
    assert "immutable" in pinned.headers["Cache-Control"]
    assert latest.json()["url"].endswith("/datasets/maturity-scores/scores.csv")
    assert pinned.json()["url"].endswith("/datasets/maturity-scores/versions/1/scores.csv")
