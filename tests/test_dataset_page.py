"""The dataset page: everything a journalist needs, and a preview whose
filters, sort and pages work as plain links, with downloads of exactly the
rows shown."""
from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest

URL = "/en/datasets/maturity-scores/"


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def preview_rows(text: str) -> list[list[str]]:
    table = re.search(r'<table class="preview">.*?</table>', text, re.S).group(0)
    body = table[table.index("<tbody>"):]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([html.unescape(re.sub(r"<span class=\"visually-hidden\">.*?</span>|<[^>]+>", "", c).strip())
                     for c in cells])
    return rows


def preview_columns(text: str) -> list[str]:
    """The field names of the preview's columns, read from their sort links."""
    head = re.search(r'<table class="preview">.*?</thead>', text, re.S).group(0)
    return [html.unescape(name) for name in re.findall(r'_sort=-?([^&#"]+)[^"]*"', head)]


def preview_dicts(text: str) -> list[dict[str, str]]:
    names = preview_columns(text)
    return [dict(zip(names, row)) for row in preview_rows(text)]


def link(text: str, label: str) -> str:
    return re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(label)}</a>', text).group(1).replace("&amp;", "&")


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_section_in_the_page_language(client, lang):
    text = page(client, f"/{lang}/datasets/data-tool-response-rates/")
    for anchor in ("downloads", "preview", "schema", "method", "cite", "history", "api"):
        assert f'id="{anchor}"' in text
    field_title = "Canran a ymatebodd" if lang == "cy" else "Percentage responded"
    assert field_title in text
    assert ("Trwydded Llywodraeth Agored v3.0" if lang == "cy" else "Open Government Licence v3.0") in text
    citation = re.search(r'<textarea id="citation"[^>]*>(.*?)</textarea>', text, re.S).group(1)
    assert "version 1" in citation or "fersiwn 1" in citation
    assert f"http://localhost/{lang}/datasets/data-tool-response-rates/versions/1/" in citation
    assert "/datasets/data-tool-response-rates/versions/1/response-rates.csv" in text
    assert "/datasets/data-tool-response-rates/cy/response-rates.csv" in text
    assert "curl" in text and "from frictionless import Package" in text


def test_json_ld_describes_the_dataset(client):
    text = page(client, "/en/datasets/councils/")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert data["@type"] == "Dataset" and data["name"] == "Councils of Wales" or data["identifier"] == "councils"
    assert data["license"].startswith("http://www.nationalarchives.gov.uk/doc/open-government-licence")
    assert data["inLanguage"] == ["en", "cy"] and data["version"] == "1"
    assert any(d["contentUrl"].endswith("/versions/1/councils.csv") for d in data["distribution"])


def test_method_and_anonymisation_notes(client):
    text = page(client, URL)
    assert "Demonstration data" in text
    assert "Primary suppression: every cell based on fewer than 10 respondents" in text
    assert re.search(r"Of 483 cells, \d+ are suppressed because fewer than 10 people answered", text)
    assert 'href="/en/about/#suppression"' in text


def test_filter_sort_and_download_exactly_this(client):
    query = "?area_code=W06000015&respondent_group=all&_sort=-mean_level"  # Cardiff: nothing suppressed
    text = page(client, URL + query)
    shown = preview_rows(text)
    assert len(shown) == 7
    assert "7 rows match." in text
    means = [float(row["mean_level"]) for row in preview_dicts(text)]
    assert means == sorted(means, reverse=True)
    csv_url = link(text, "Download exactly these rows (CSV)")
    downloaded = list(csv.DictReader(io.StringIO(client.get(csv_url).get_data(as_text=True))))
    assert [float(row["mean_level"]) for row in downloaded] == means
    every = page(client, URL + query + "".join(f"&_columns={name}" for name in downloaded[0]))
    assert [row["area_code"] for row in preview_dicts(every)] == ["W06000015"] * 7
    assert preview_columns(every) == list(downloaded[0])
    json_rows = client.get(link(text, "Download exactly these rows (JSON)")).get_json()
    assert [row["mean_level"] for row in json_rows] == means


def test_suppressed_cells_show_their_marker_in_preview_and_download(client):
    text = page(client, URL + "?suppressed=true&_size=10")
    shown = preview_rows(text)
    assert shown and all(row["respondents"] == "[c]" for row in preview_dicts(text))
    downloaded = list(csv.DictReader(io.StringIO(client.get(link(text, "Download exactly these rows (CSV)"))
                                                 .get_data(as_text=True))))
    assert downloaded and all(row["respondents"] == "[c]" for row in downloaded)


def test_paging_as_links(client):
    first = page(client, URL + "?_size=50")
    assert "Page 1 of 10." in first
    second = page(client, link(first, "Next"))
    assert "Page 2 of 10." in second
    assert preview_rows(first)[0] != preview_rows(second)[0]
    page(client, URL + "?_page=11&_size=50", 404)


def test_the_add_filter_form_redirects_to_a_plain_link(client):
    response = client.get(URL + "?_add_field=area_code&_add_op=exact&_add_value=W06000015")
    assert response.status_code == 303
    assert response.headers["Location"] == URL + "?area_code=W06000015"
    response = client.get(URL + "?area_code=W06000015&_add_field=respondents&_add_op=gte&_add_value=20")
    assert response.headers["Location"] == URL + "?area_code=W06000015&respondents__gte=20"
    text = page(client, URL + "?area_code=W06000015&respondents__gte=20")
    assert "Area name = Cardiff" in text and "Respondents ≥ 20" in text
    remove = re.search(r'<a href="([^"]+)">Remove<span class="visually-hidden"> the filter Respondents ≥ 20</span>',
                       text).group(1).replace("&amp;", "&")
    assert remove.startswith(URL + "?area_code=W06000015")
    assert "respondents__gte" not in remove


def test_another_resource_and_a_pinned_version(client):
    text = page(client, "/en/datasets/maturity-framework/?_resource=levels&characteristic_id=open-data")
    assert "3 rows match." in text
    assert "Open Data is made available in real time" in text
    page(client, "/en/datasets/maturity-framework/?_resource=nothing", 404)
    assert "version 1" in page(client, "/en/datasets/councils/versions/1/").lower()
    page(client, "/en/datasets/councils/versions/2/", 404)


@pytest.mark.parametrize("query", ["?respondents=many", "?colour=red", "?respondents__near=3", "?_evil=1",
                                   "?mean_level__gt=", "?_sort=nothing", "?_size=7", "?_page=abc"])
def test_bad_preview_parameters_give_a_400_page(client, query):
    for lang in ("en", "cy"):
        response = client.get(f"/{lang}/datasets/maturity-scores/{query}")
        assert response.status_code == 400, query
        text = response.get_data(as_text=True)
        assert 'role="alert"' in text and f'lang="{lang}"' in text


def test_markup_in_preview_parameters_is_escaped(client):
    text = client.get(URL + "?area_code=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in text


def test_welsh_labelled_csv(client):
    response = client.get("/datasets/data-tool-response-rates/cy/response-rates.csv")
    assert response.status_code == 200
    assert 'filename="data-tool-response-rates-response-rates-v1-cy.csv"' in response.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert "Canran a ymatebodd" in header and len(rows) == 3
    assert ["W06000012", "officer", "Officers", "Swyddogion", "76", "38", "50"] in rows


def test_other_language_data_is_marked_with_its_language(client):
    both = "?_columns=name_en&_columns=name_cy"
    welsh = page(client, "/cy/datasets/councils/" + both)
    assert '<td lang="en">Isle of Anglesey</td>' in welsh
    english = page(client, "/en/datasets/councils/" + both)
    assert '<td lang="cy">Ynys Môn</td>' in english


@pytest.mark.parametrize("lang, about", [("en", "About "), ("cy", "Mae tua ")])
def test_an_estimated_total_says_so(client, monkeypatch, lang, about):
    """A search whose total PostgreSQL estimates reads as an estimate; on
    SQLite every total is counted."""
    from portal import datastore
    monkeypatch.setattr(datastore, "ESTIMATE_FROM", 0)
    page = client.get(f"/{lang}/datasets/maturity-scores/?_q=castell-nedd")
    assert page.status_code == 200
    count = re.search(r'id="preview-count">(.*?)</p>', page.get_data(as_text=True), re.S).group(1)
    postgres = client.application.config["DATABASE_URL"].startswith("postgresql")
    assert (about in count) is postgres
    if not postgres:
        assert "21" in count


def test_an_estimated_total_is_marked_in_the_apis(client, monkeypatch):
    """/api/v1 marks an estimated total (and says nothing when it is exact, as
    before); CKAN's datastore_search sets total_was_estimated."""
    from portal import datastore
    rows = "/api/v1/datasets/maturity-scores/resources/scores/rows?q=castell-nedd&limit=5"
    ckan = "/api/3/action/datastore_search?resource_id=maturity-scores.scores&q=castell-nedd&limit=5"
    assert "total_estimated" not in client.get(rows).get_json()
    assert client.get(ckan).get_json()["result"]["total_was_estimated"] is False
    monkeypatch.setattr(datastore, "ESTIMATE_FROM", 0)
    postgres = client.application.config["DATABASE_URL"].startswith("postgresql")
    assert client.get(rows).get_json().get("total_estimated", False) is postgres
    assert client.get(ckan).get_json()["result"]["total_was_estimated"] is postgres
