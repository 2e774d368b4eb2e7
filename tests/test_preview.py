"""The dataset page's preview as a reader uses it: values with their labels
in the page's language, a value to pick for each coded field (from a bounded
query through the field's index), a choice of columns and of page size,
numbers right-aligned and formatted alike, and bad parameters answered with
a translated error summary, never a 500."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from portal import labels, queries, rowstore
from portal.publish.service import load_path
from tests.synthetic import write_package

SCORES = "/{lang}/datasets/maturity-scores/"


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def options(page: str, picker: str) -> dict[str, str]:
    """The value -> label of a picker's <select>."""
    select = re.search(rf'<select id="pick-{picker}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no picker for {picker}"
    return {html.unescape(value): html.unescape(label) for value, label in
            re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))}


def header(page: str) -> list[str]:
    head = re.search(r'<table class="preview">.*?</thead>', page, re.S).group(0)
    return re.findall(r'_sort=-?([^&#"]+)[^"]*"', head)


def body_rows(page: str) -> list[list[str]]:
    body = re.search(r'<table class="preview">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def plain(cell: str) -> str:
    return html.unescape(re.sub(r'<span class="(visually-hidden|code)">.*?</span>|<[^>]+>', "", cell)).strip()


def column(page: str, name: str) -> list[str]:
    index = header(page).index(name)
    return [row[index] for row in body_rows(page)]


# -- labels in the page's language ----------------------------------------------------

@pytest.mark.parametrize("lang, council, officers, yes, no, reason", [
    ("cy", "Castell-nedd Port Talbot", "Swyddogion", "Ie", "Na", "Rhy ychydig o ymatebwyr"),
    ("en", "Neath Port Talbot", "Officers", "Yes", "No", "Too few respondents"),
])
def test_pickers_offer_labels_in_the_page_language(client, lang, council, officers, yes, no, reason):
    page = get(client, SCORES.format(lang=lang))
    areas = options(page, "area_code")
    assert areas["W06000012"] == council and areas[""] == ("Unrhyw un" if lang == "cy" else "Any")
    assert len(areas) == 1 + 23  # any, 22 councils and Wales: every value, none typed
    names = [label for value, label in areas.items() if value]
    assert names == sorted(names, key=rowstore.normalise)  # in the order of the page's language
    assert options(page, "respondent_group") == {"": areas[""], "officer": officers, "elected_member":
                                                 "Aelodau etholedig" if lang == "cy" else "Elected members",
                                                 "all": "Pob ymatebydd" if lang == "cy" else "All respondents"}
    assert options(page, "suppressed") == {"": areas[""], "true": yes, "false": no}
    assert options(page, "suppression_reason")["primary"] == reason
    assert options(page, "characteristic_id")["open-data"] == ("Data agored" if lang == "cy" else "Open Data")


@pytest.mark.parametrize("lang, members, yes, reason", [
    ("cy", "Aelodau etholedig", "Ie", "Rhy ychydig o ymatebwyr"),
    ("en", "Elected members", "Yes", "Too few respondents")])
def test_values_show_their_labels(client, lang, members, yes, reason):
    page = get(client, SCORES.format(lang=lang) + "?respondent_group=elected_member&suppression_reason=primary")
    shown = header(page)
    assert f"respondent_group_{lang}" in shown and "respondent_group" not in shown
    assert len(body_rows(page)) > 1
    assert {plain(cell) for cell in column(page, f"respondent_group_{lang}")} == {members}
    assert {plain(cell) for cell in column(page, "suppressed")} == {yes}
    assert set(column(page, "suppression_reason")) == {f'<data value="primary">{reason}</data>'}


def test_a_code_labelled_in_another_dataset_shows_its_label_and_code(client):
    page = get(client, "/cy/datasets/data-tool-response-rates/")
    cells = column(page, "council_code")
    assert cells and all(cell == '<data value="W06000012">Castell-nedd Port Talbot</data> '
                                 '<span class="code">W06000012</span>' for cell in cells)
    assert options(page, "council_code") == {"": "Unrhyw un", "W06000012": "Castell-nedd Port Talbot"}
    assert "Cod y cyngor = Castell-nedd Port Talbot" in get(client, "/cy/datasets/data-tool-response-rates/"
                                                                    "?council_code=W06000012")


def test_picking_values_is_a_plain_link(client):
    url = SCORES.format(lang="en")
    response = client.get(url + "?_pick_area_code=W06000012&_pick_respondent_group=&_pick_suppressed=false"
                                "&_sort=-respondents")
    assert response.status_code == 303
    assert response.headers["Location"] == url + "?_sort=-respondents&area_code=W06000012&suppressed=false"
    # "any" drops a filter; a picker left on "several values chosen" keeps them
    response = client.get(url + "?area_code=W06000012&respondent_group=all&respondent_group=officer"
                                "&_pick_area_code=&_pick_respondent_group=_keep")
    assert response.headers["Location"] == url + "?respondent_group=all&respondent_group=officer"
    page = get(client, url + "?respondent_group=all&respondent_group=officer")
    assert options(page, "respondent_group")["_keep"] == "2 values chosen"
    assert "14 rows match" not in page and "322 rows match." in page


# -- columns, page size, numbers ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "cy"])
def test_the_usual_columns_are_labels_and_figures(client, lang):
    other = "en" if lang == "cy" else "cy"
    shown = header(get(client, SCORES.format(lang=lang)))
    assert shown[:3] == [f"area_name_{lang}", f"characteristic_name_{lang}", f"respondent_group_{lang}"]
    assert not {"area_code", "characteristic_id", "respondent_group", f"area_name_{other}"} & set(shown)
    assert {"respondents", "level_1_share", "mean_level", "median_level"} <= set(shown)
    # a table keyed by its code keeps it, with the name in the page's language
    assert header(get(client, f"/{lang}/datasets/councils/")) == ["gss_code", f"name_{lang}", "slug"]


def test_choosing_columns(client):
    url = SCORES.format(lang="en")
    page = get(client, url + "?_columns=respondents&_columns=area_code&_columns=nothing&_columns=area_code")
    assert header(page) == ["area_code", "respondents"]  # in the table's order; unknown names ignored
    assert re.search(r'<input type="checkbox" id="column-area_code" name="_columns" value="area_code" checked>',
                     page)
    assert 'value="mean_level">' in page and 'value="mean_level" checked' not in page
    assert "Choose the columns (2 of 21 shown)" in page and "Show the usual columns" in page
    csv_url = re.search(r'<a href="([^"]+)" download>Download exactly these rows \(CSV\)', page).group(1)
    assert "_columns" not in csv_url
    assert header(get(client, url + "?_columns=nothing")) == header(get(client, url))


@pytest.mark.parametrize("size", [10, 50, 100])
def test_page_size(client, size):
    page = get(client, SCORES.format(lang="en") + f"?_size={size}")
    assert len(body_rows(page)) == size
    assert re.search(rf'<option value="{size}" selected>{size}</option>', page)


def test_numbers_are_right_aligned_and_formatted_alike(client):
    page = get(client, SCORES.format(lang="en") + "?suppressed=false&_size=100")
    index = header(page).index("mean_level")
    cells = [row[index] for row in body_rows(page)]
    assert cells and all(re.fullmatch(r"\d\.\d\d", cell) for cell in cells), cells[:5]
    assert re.search(r'<th scope="col" class="num"[^>]*>\s*<a [^>]*_sort=mean_level', page)
    assert re.search(r'<td class="num">\d\.\d\d</td>', page)


# -- bad parameters -------------------------------------------------------------------------

@pytest.mark.parametrize("query, target, english, welsh", [
    ("?_size=7", "preview-size", "Choose how many rows to show on a page: 10, 20, 50, 100.",
     "Dewiswch faint o resi i'w dangos ar dudalen: 10, 20, 50, 100."),
    ("?_size=lots", "preview-size", "Choose how many rows", "Dewiswch faint o resi"),
    ("?colour=red", "add-field", "This table has no column “colour”.", "Nid oes colofn “colour” yn y tabl hwn."),
    ("?respondents=many", "add-value", "Give a value for “Respondents” that it can hold: it holds whole numbers.",
     "Rhowch werth y gall “Ymatebwyr” ei ddal: mae'n dal rhifau cyfan."),
    ("?suppressed=maybe", "pick-suppressed", "it holds yes or no", "mae'n dal ie neu na"),
    ("?respondents__near=3", "add-op", "“near” is not a condition this page offers.", "Nid yw “near” yn amod"),
    ("?_sort=nothing", "preview-table", "sorted only by its own columns", "yn ôl ei golofnau ei hun"),
    ("?_evil=1", "preview-table", "“_evil” is not a setting of this page.", "Nid yw “_evil” yn un o osodiadau"),
    ("?_page=abc", "preview-table", "A page number is a whole number from 1.", "Mae rhif tudalen yn rhif cyfan"),
])
def test_bad_parameters_get_an_error_summary_in_the_page_language(client, query, target, english, welsh):
    for lang, message in (("en", english), ("cy", welsh)):
        page = html.unescape(get(client, SCORES.format(lang=lang) + query, 400))
        summary = re.search(r'<div class="error-summary".*?</div>\s*</div>', page, re.S).group(0)
        assert 'tabindex="-1"' in summary and 'role="alert"' in summary
        assert f'<a href="#{target}">' in summary and message in summary, summary
        assert f'id="{target}"' in page  # the link leads somewhere
        assert page.index("error-summary") < page.index("<h1")
        assert f'<a href="/{lang}/datasets/maturity-scores/#preview">' in page  # the whole table, a click away
        assert '<table class="preview">' not in page  # no rows that the address did not ask for


@pytest.mark.parametrize("query", ["?_columns=", "?_columns=%00", "?_pick_=x", "?_pick_nothing=1",
                                   "?_pick_area_code=" + "x" * 600, "?_size=100&_columns=mean_level&_sort=-x",
                                   "?area_code=W06000012&area_code=W06000012&_pick_area_code=_keep",
                                   "?_resource=scores&_columns=area_code&_columns=area_code"])
def test_odd_parameters_are_never_a_server_error(client, query):
    response = client.get(SCORES.format(lang="cy") + query, follow_redirects=True)
    assert response.status_code in (200, 400), (query, response.status_code)


# -- a large table: distinct values through the index, bounded ------------------------------

def big_package(folder: Path) -> Path:
    fields = [{"name": "area_code", "type": "string"}, {"name": "area_name_en", "type": "string"},
              {"name": "area_name_cy", "type": "string"}, {"name": "place_code", "type": "string"},
              {"name": "place_en", "type": "string"}, {"name": "place_cy", "type": "string"},
              {"name": "amount", "type": "integer"}]
    names = [("W06000001", "Isle of Anglesey", "Ynys Môn"), ("W06000011", "Swansea", "Abertawe"),
             ("W06000015", "Cardiff", "Caerdydd")]
    count = rowstore.INDEXED_FROM + 500
    data = [[*names[n % 3], f"P{n:05d}", f"Place {n}", f"Lle {n}", str(n * 1000)] for n in range(count)]
    return write_package(folder, "big-areas", count, fields=fields, data=data)


def test_distinct_values_of_a_large_table_come_through_its_index(app, db, tmp_path):
    results = load_path(db, big_package(tmp_path / "big-areas"))
    assert [r.status for r in results] == ["published"]
    resource = queries.find_resource(queries.latest_version(db, "big-areas"), "table")
    infos = labels.describe(resource)
    assert infos["area_code"].labels_in_row == {"en": "area_name_en", "cy": "area_name_cy"}

    found = labels.options(db, resource, infos["area_code"])
    assert [(o.value, o.label("cy")) for o in found] == [
        ("W06000001", "Ynys Môn"), ("W06000011", "Abertawe"), ("W06000015", "Caerdydd")]
    assert labels.options(db, resource, infos["place_code"]) is None  # 2,500 values: typed, not listed

    statement = labels.distinct_statement(db, resource, "area_code", infos["area_code"].labels_in_row)
    compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    if db.get_bind().dialect.name == "sqlite":
        plan = [row[-1] for row in db.execute(sql(f"EXPLAIN QUERY PLAN {compiled}"))]
        assert any("USING" in step and "INDEX" in step for step in plan), plan
        scans = [step for step in plan if step.startswith("SCAN") and resource.table_name in step
                 and "INDEX" not in step or "TEMP B-TREE" in step]  # a pass, or a sort of what it read
    else:
        plan = [row[0] for row in db.execute(sql(f"EXPLAIN {compiled}"))]
        scans = [step for step in plan if "Seq Scan" in step]
    assert not scans, plan  # never a pass over the whole table

    with app.test_client() as client:
        page = get(client, "/cy/datasets/big-areas/?_size=10")
        assert options(page, "area_code") == {"": "Unrhyw un", "W06000001": "Ynys Môn", "W06000011": "Abertawe",
                                              "W06000015": "Caerdydd"}
        assert re.search(r'<input id="pick-place_code" name="_pick_place_code" type="text"', page)  # too many
        assert '<td class="num">1,000</td>' in page  # thousands grouped
        assert header(page)[:1] == ["area_name_cy"]
