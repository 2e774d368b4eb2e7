"""The JSON API under /api/v1/: known values from the published datasets,
search and facets, row queries (filters, sort, fields, offset and cursor
pages, CSV), and a specific problem+json answer to every bad request."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlsplit

import pytest

from portal.config import DATASETS_PATH

API = "/api/v1"
RATES = f"{API}/datasets/data-tool-response-rates/resources/response-rates"
SCORES = f"{API}/datasets/maturity-scores/resources/scores"
PUBLISHED = sorted(p.parent.name for p in DATASETS_PATH.glob("*/datapackage.json")) + [
    "maturity-scores", "response-rates"]


def get(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status >= 400:
        assert response.mimetype == "application/problem+json", url
        body = response.get_json()
        assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
        assert body["detail"] and "<" not in body["detail"]
        return body
    assert response.mimetype == "application/json"
    return response.get_json()


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def bad(client, url: str, parameter: str, status: int = 400) -> dict:
    """A 400 whose detail and errors name ``parameter``."""
    body = get(client, url, status)
    assert parameter in body["detail"], body
    assert parameter in body.get("errors", {}), body
    return body


def test_index_links_everything(client):
    index = get(client, f"{API}/")
    for link in index.values():
        get(client, local(link))


def test_openapi_document(client):
    spec = get(client, f"{API}/openapi.json")
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/datasets", "/datasets/{name}", "/datasets/{name}/versions/{number}",
                 "/datasets/{name}/resources/{resource}/schema", "/datasets/{name}/resources/{resource}/rows",
                 "/datasets/{name}/resources/{resource}/rows.csv",
                 "/datasets/{name}/versions/{number}/resources/{resource}/rows",
                 "/councils", "/councils/{code}", "/characteristics", "/characteristics/{id}",
                 "/case-studies", "/case-studies/{id}"):
        assert API + path in paths, path
    per_page = next(p for p in paths[f"{API}/datasets"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    limit = next(p for p in paths[f"{API}/datasets/{{name}}/resources/{{resource}}/rows"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]


# -- datasets --------------------------------------------------------------------------

def test_search_lists_every_dataset_with_facets(client):
    page = get(client, f"{API}/datasets?per_page=100")
    assert page["total"] == len(PUBLISHED) and page["pages"] == 1
    assert sorted(item["name"] for item in page["items"]) == sorted(PUBLISHED)
    assert page["next"] is None and page["prev"] is None
    kinds = {f["value"]: f["count"] for f in page["facets"]["kind"]}
    assert kinds == {"real": len(PUBLISHED) - 2, "demonstration": 2}
    council = {f["value"]: f for f in page["facets"]["council"]}["W06000012"]
    assert council["label"] == {"en": "Neath Port Talbot", "cy": "Castell-nedd Port Talbot"}


def test_search_in_welsh_and_combined_facets(client):
    found = get(client, f"{API}/datasets?q=cyngor")
    assert found["total"] >= 1 and found["items"]
    assert "councils" in {item["name"] for item in found["items"]}
    both = get(client, f"{API}/datasets?theme=participation&kind=real")
    assert [item["name"] for item in both["items"]] == ["data-tool-response-rates"]
    either = get(client, f"{API}/datasets?theme=participation&theme=maturity&kind=demonstration&sort=name")
    assert [item["name"] for item in either["items"]] == ["maturity-scores", "response-rates"]


def test_search_pages_follow_next_links(client):
    names, url = [], f"{API}/datasets?per_page=3&sort=name"
    while url:
        page = get(client, local(url))
        assert page["per_page"] == 3 and len(page["items"]) <= 3
        names += [item["name"] for item in page["items"]]
        url = page["next"]
    assert names == sorted(PUBLISHED)
    last = get(client, f"{API}/datasets?per_page=3&sort=name&page=3")
    assert last["prev"].endswith("page=2") and last["next"] is None
    assert get(client, f"{API}/datasets?page=99")["items"] == []


def test_dataset_with_versions_resources_and_downloads(client):
    dataset = get(client, f"{API}/datasets/data-tool-response-rates")
    assert dataset["version"] == 1
    assert dataset["title"]["cy"] and dataset["title"]["en"] and dataset["description"]["cy"]
    assert [v["number"] for v in dataset["versions"]] == [1]
    assert dataset["licenses"][0]["name"] == "OGL-UK-3.0"
    (resource,) = dataset["resources"]
    assert resource["name"] == "response-rates" and resource["rows"] == 3
    assert resource["fields"][0]["title"]["cy"]
    for url in (*dataset["downloads"].values(), resource["links"]["csv"], resource["links"]["json"]):
        assert client.get(local(url)).status_code == 200, url
    table_schema = get(client, local(resource["links"]["schema"]))
    assert table_schema["primaryKey"] == ["council_code", "recipient_group"]
    pinned = get(client, f"{API}/datasets/data-tool-response-rates/versions/1")
    assert pinned == {key: value for key, value in dataset.items() if key != "versions"}


def test_table_schema_is_the_published_one(client):
    source = json.loads((DATASETS_PATH / "councils" / "datapackage.json").read_text(encoding="utf-8"))
    served = get(client, f"{API}/datasets/councils/resources/councils/schema")
    expected = source["resources"][0]["schema"]["fields"]
    assert [f["name"] for f in served["fields"]] == [f["name"] for f in expected]
    assert get(client, f"{API}/datasets/councils/versions/1/resources/councils/schema") == served


@pytest.mark.parametrize("url, detail", [
    (f"{API}/datasets/no-such-dataset", "no-such-dataset"),
    (f"{API}/datasets/councils/versions/2", "no version 2"),
    (f"{API}/datasets/councils/versions/99999999999999999999999", "not found"),
    (f"{API}/datasets/councils/versions/0", "not found"),
    (f"{API}/datasets/councils/versions/one", "not found"),
    (f"{API}/datasets/councils/resources/nope/rows", "nope"),
    (f"{API}/datasets/councils/versions/3/resources/councils/schema", "no version 3"),
    (f"{API}/datasets/%00", "No name"),
    (f"{API}/councils/W06999999", "W06999999"),
    (f"{API}/councils/nowhere", "nowhere"),
    (f"{API}/characteristics/courage", "courage"),
    (f"{API}/case-studies/nope", "nope"),
    (f"{API}/no-such-thing", "not found"),
])
def test_unknown_things_are_404_problems(client, url, detail):
    assert detail.lower() in get(client, url, 404)["detail"].lower()


def test_other_methods_are_405_problems(client):
    response = client.post(f"{API}/datasets")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


# -- bad parameters -----------------------------------------------------------------------

@pytest.mark.parametrize("query, parameter", [
    ("colour=red", "colour"),
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("per_page=ten", "per_page"),
    ("page=-1", "page"),
    ("page=1.5", "page"),
    ("page=99999999999999999999", "page"),
    ("theme=weather", "theme"),
    ("council=Cardiff", "council"),
    ("sort=random", "sort"),
    ("lang=fr", "lang"),
    ("q=" + "x" * 201, "q"),
    ("q=a%00b", "q"),
])
def test_bad_search_parameters(client, query, parameter):
    bad(client, f"{API}/datasets?{query}", parameter)


@pytest.mark.parametrize("url, parameter", [
    (f"{API}/councils?limit=5", "limit"),
    (f"{API}/characteristics?page=0", "page"),
    (f"{API}/case-studies?per_page=1000", "per_page"),
    (f"{API}/case-studies?characteristics=open-data", "characteristics"),
    (f"{API}/?format=yaml", "format"),
    (f"{API}/datasets/councils?lang=cy", "lang"),
    (f"{API}/datasets/councils/versions/1?download=1", "download"),
    (f"{API}/datasets/councils/resources/councils/schema?x=1", "x"),
    (f"{API}/councils/W06000012?fields=name", "fields"),
    (f"{API}/characteristics/open-data?level=3", "level"),
    (f"{API}/case-studies/data-mill-north?lang=cy", "lang"),
])
def test_bad_list_parameters(client, url, parameter):
    bad(client, url, parameter)


@pytest.mark.parametrize("query, parameter", [
    ("limit=abc", "limit"),
    ("limit=0", "limit"),
    ("limit=-5", "limit"),
    ("limit=1001", "limit"),
    ("limit=1e3", "limit"),
    ("offset=-1", "offset"),
    ("offset=99999999999", "offset"),
    ("offset=1.5", "offset"),
    ("colour=red", "colour"),
    ("invited__gt=many", "invited__gt"),
    ("invited=12abc", "invited"),
    ("invited=1 OR 1=1", "invited"),
    ("invited__between=1", "invited__between"),
    ("sort=-colour", "sort"),
    ("sort=invited%20up", "sort"),
    ("sort=--invited", "sort"),
    ("fields=%20,%20", "fields"),
    ("invited=%205", "invited"),
    ("invited=" + "&invited=".join(["1"] * 101), "invited"),
    ("fields=council_code,colour", "fields"),
    ("q=" + "x" * 201, "q"),
    ("council_code=W06%00", "council_code"),
])
def test_bad_row_parameters(client, query, parameter):
    bad(client, f"{RATES}/rows?{query}", parameter)
    if parameter not in ("limit", "offset", "cursor"):
        bad(client, f"{RATES}/rows.csv?{query}", parameter)


def test_a_sort_naming_a_field_again_orders_by_its_first_mention(client):
    twice = get(client, f"{RATES}/rows?sort=invited,-invited,%20recipient_group%20DESC")
    assert [row["invited"] for row in twice["rows"]] == [63, 76, 139]
    assert twice["rows"] == get(client, f"{RATES}/rows?sort=invited")["rows"]


def test_a_search_may_hold_any_number_of_words_within_its_length(client):
    assert get(client, f"{API}/datasets?q=" + "+".join(["zzqx"] * 40))["total"] == 0
    assert get(client, f"{API}/datasets?q=" + "+".join(["data"] * 40))["total"] > 0


@pytest.mark.parametrize("value", ["1 OR 1=1", "'; DROP TABLE datasets;--", "\" OR \"\"=\"", "%", "_"])
def test_sql_fragments_are_only_values(client, value):
    rows = client.get(f"{RATES}/rows", query_string={"council_code": value})
    assert rows.status_code == 200 and rows.get_json()["total"] == 0
    searched = client.get(f"{RATES}/rows", query_string={"q": value}).get_json()
    # full text: words only; punctuation alone finds nothing, and is never a wildcard
    assert searched["total"] == 0
    assert client.get(f"{API}/datasets", query_string={"q": value}).status_code == 200
    assert get(client, f"{API}/datasets?per_page=100")["total"] == len(PUBLISHED)


def test_tampered_and_foreign_cursors_are_refused(client):
    first = get(client, f"{SCORES}/rows?limit=5&sort=area_code")
    cursor = first["next_cursor"]
    encoded, signature = cursor.rsplit(".", 1)
    tampered = encoded[:-2] + ("AA" if encoded[-2:] != "AA" else "BB") + "." + signature
    # a cursor this query was not given names no page: 404, as Django REST framework answers
    for url in (f"{SCORES}/rows?limit=5&sort=area_code&cursor={tampered}",
                f"{SCORES}/rows?limit=5&sort=area_code&cursor={encoded}.{'0' * 32}",
                f"{SCORES}/rows?limit=5&sort=-area_code&cursor={cursor}",
                f"{SCORES}/rows?cursor=abc.%C3%A9", f"{SCORES}/rows?cursor=not-a-cursor"):
        bad(client, url, "cursor", 404)
    bad(client, f"{SCORES}/rows?limit=5&sort=area_code&cursor={cursor}&offset=5", "cursor")


# -- row queries ------------------------------------------------------------------------------

def test_filters_and_known_values(client):
    page = get(client, f"{RATES}/rows?council_code=W06000012&sort=invited")
    figures = [(r["invited"], r["responded"], r["percentage_responded"]) for r in page["rows"]]
    assert figures == [(63, 19, 30), (76, 38, 50), (139, 57, 41)] and page["total"] == 3
    assert get(client, f"{RATES}/rows?invited__gt=63")["total"] == 2
    assert get(client, f"{RATES}/rows?invited__gte=63&invited__lt=139")["total"] == 2
    assert get(client, f"{RATES}/rows?recipient_group=officer&recipient_group=total")["total"] == 2
    assert get(client, f"{RATES}/rows?recipient_group__not=total")["total"] == 2
    assert get(client, f"{RATES}/rows?q=aelodau")["rows"][0]["recipient_group"] == "elected_member"


def test_sort_on_several_fields_and_select_fields(client):
    page = get(client, f"{SCORES}/rows?sort=-area_code,characteristic_id,respondent_group&fields="
                       "area_code,characteristic_id,respondent_group,mean_level&limit=1000")
    assert [f["name"] for f in page["fields"]] == ["area_code", "characteristic_id", "respondent_group",
                                                    "mean_level"]
    assert all(list(row) == ["area_code", "characteristic_id", "respondent_group", "mean_level"]
               for row in page["rows"])
    keys = [(r["area_code"], r["characteristic_id"], r["respondent_group"]) for r in page["rows"]]
    assert keys == sorted(keys, key=lambda k: (-int(k[0][1:]), k[1], k[2]))
    assert page["rows"][0]["area_code"] == "W92000004"


def test_suppressed_cells_are_null(client):
    page = get(client, f"{SCORES}/rows?suppressed=true&limit=1")
    assert page["total"] > 0
    row = page["rows"][0]
    assert row["suppressed"] is True and row["mean_level"] is None and row["respondents"] is None


@pytest.mark.parametrize("order", ["", "sort=-mean_level,area_code", "sort=respondent_group,-respondents"])
def test_offset_and_cursor_pages_give_the_rows_of_one_big_page(client, order):
    query = f"area_code__not=W92000004&{order}"
    whole = get(client, f"{SCORES}/rows?{query}&limit=1000")
    assert whole["total"] == len(whole["rows"]) > 400 and whole["next"] is None

    by_offset = []
    for offset in range(0, whole["total"], 97):
        by_offset += get(client, f"{SCORES}/rows?{query}&limit=97&offset={offset}")["rows"]
    assert by_offset == whole["rows"]

    by_cursor, url = [], f"{SCORES}/rows?{query}&limit=97"
    while url:
        page = get(client, local(url))
        assert page["total"] == whole["total"]
        by_cursor += page["rows"]
        url = page["next"]
    assert by_cursor == whole["rows"]


def test_csv_holds_the_same_rows_as_json(client):
    query = ("area_code=W06000005&sort=characteristic_id,-respondent_group"
             "&fields=area_code,respondent_group,respondents,mean_level,suppressed")
    rows = get(client, f"{SCORES}/rows?{query}&limit=1000")["rows"]
    response = client.get(f"{SCORES}/rows.csv?{query}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == len(rows) == 21
    for line, row in zip(table, rows):
        assert list(line) == list(row)
        assert line["area_code"] == row["area_code"] and line["respondent_group"] == row["respondent_group"]
        assert line["respondents"] == ("[c]" if row["respondents"] is None else str(row["respondents"]))
        assert line["suppressed"] == str(row["suppressed"]).lower()
    pinned = client.get(f"{API}/datasets/maturity-scores/versions/1/resources/scores/rows.csv?{query}")
    assert pinned.data == response.data


# -- councils, characteristics, case studies --------------------------------------------------------

def test_councils(client):
    first = get(client, f"{API}/councils?per_page=5")
    assert first["total"] == 22 and first["pages"] == 5 and len(first["items"]) == 5
    codes, url = [], f"{API}/councils?per_page=5"
    while url:
        page = get(client, local(url))
        codes += [c["gss_code"] for c in page["items"]]
        url = page["next"]
    assert len(set(codes)) == 22 and all(code.startswith("W06") for code in codes)


def test_council_by_code_and_slug(client):
    council = get(client, f"{API}/councils/W06000012")
    assert council == get(client, f"{API}/councils/neath-port-talbot")
    assert council["name"] == {"en": "Neath Port Talbot", "cy": "Castell-nedd Port Talbot"}
    rates = {r["recipient_group"]: (r["invited"], r["responded"], r["percentage_responded"])
             for r in council["response_rates"]}
    assert rates == {"officer": (76, 38, 50), "elected_member": (63, 19, 30), "total": (139, 57, 41)}
    assert {r["dataset"] for r in council["response_rates"]} == {"data-tool-response-rates"}
    scores = council["maturity_scores"]
    assert len(scores) == 21 and all(s["demonstration"] for s in scores)
    characteristics = get(client, f"{API}/characteristics")["items"]
    assert {s["characteristic_id"] for s in scores} == {c["id"] for c in characteristics}
    assert council["findings"] and council["findings"][0]["text"]["cy"]


def test_council_without_reported_rates_has_demonstration_rates(client):
    council = get(client, f"{API}/councils/cardiff")
    assert council["gss_code"] == "W06000015" and council["findings"] == []
    assert {r["dataset"] for r in council["response_rates"]} == {"response-rates"}
    assert all(r["demonstration"] for r in council["response_rates"])


def test_characteristics_and_levels(client):
    listing = get(client, f"{API}/characteristics")
    assert listing["total"] == 7
    assert [c["name"]["en"] for c in listing["items"]][:2] == ["Leadership", "Corporate Standards"]
    open_data = get(client, f"{API}/characteristics/open-data")
    assert [level["level"] for level in open_data["levels"]] == [1, 2, 3]
    assert "real time" in open_data["levels"][2]["descriptor"]["en"]
    assert "data-mill-north" in {s["id"] for s in open_data["case_studies"]}


def test_case_studies_filtered_by_characteristic(client):
    everything = get(client, f"{API}/case-studies")
    assert everything["total"] == 6
    open_data = get(client, f"{API}/case-studies?characteristic=open-data")
    assert [s["id"] for s in open_data["items"]] == ["data-mill-north"]
    either = get(client, f"{API}/case-studies?characteristic=open-data&characteristic=leadership")
    assert either["total"] >= 2
    assert get(client, f"{API}/case-studies?characteristic=courage")["total"] == 0
    study = get(client, f"{API}/case-studies/data-mill-north")
    assert study["organisation"]["en"] == "Data Mill North" and "open-data" in study["characteristics"]
