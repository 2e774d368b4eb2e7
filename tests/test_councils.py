"""Council pages: index, profiles with charts that match their tables, the
comparison, suppression and demonstration labels."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.test_pages import Page

SVG = "{http://www.w3.org/2000/svg}"


def html(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def svg_of(text: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group(0))


def table_rows(text: str, caption_id: str) -> list[list[str]]:
    table = re.search(rf'<caption id="{caption_id}".*?</table>', text, re.S).group(0)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


@pytest.mark.parametrize("lang, expected", [("en", "Isle of Anglesey"), ("cy", "Ynys Môn")])
def test_index_lists_the_22_councils_in_the_page_language(client, lang, expected):
    page = Page(html(client, f"/{lang}/councils/"))
    links = [a for a in page.links if re.fullmatch(rf"/{lang}/councils/[a-z-]+/", a.get("href", ""))]
    assert len({a["href"] for a in links}) == 22
    assert len(links) == 44  # the list, and the table of every council at once
    assert expected in page.text


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_profile_chart_matches_its_table(client, lang):
    text = html(client, f"/{lang}/councils/neath-port-talbot/")
    svg = svg_of(text)
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert ("Castell-nedd Port Talbot" if lang == "cy" else "Neath Port Talbot") in title.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    values = [t.text for t in svg.iter(f"{SVG}text") if "value" in (t.get("class") or "")]
    rows = table_rows(text, "maturity-table-caption")
    assert len(rows) == 7
    from_table = [cell.split(" ")[0] for row in rows for cell in row[1:]]
    assert values == from_table  # same figures, same order: characteristic by characteristic
    assert "Demonstration data" in text or "Data enghreifftiol" in text


def test_suppressed_figures_are_marked_with_the_reason_one_click_away(client):
    text = html(client, "/en/councils/vale-of-glamorgan/")  # suppressed by both rules
    assert "[c]" in text
    assert 'href="/en/about/#suppression"' in text
    assert "fewer than the threshold" in text and "to protect another figure" in text
    about = html(client, "/en/about/")
    assert 'id="suppression"' in about


def test_npt_shows_the_reported_rates_and_the_findings(client):
    text = html(client, "/en/councils/neath-port-talbot/")
    reported = text[text.index("As the Wales Audit Office reported"):]
    for figures in (("76", "38", "50%"), ("63", "19", "30%"), ("139", "57", "41%")):
        assert all(f">{value}<" in reported for value in figures)
    assert "The Authority needs a clear data vision." in text
    welsh = html(client, "/cy/councils/neath-port-talbot/")
    assert "Gweledigaeth, arweinyddiaeth a diwylliant" in welsh or "Gweledigaeth" in welsh


def test_a_council_without_findings_has_no_findings_section(client):
    assert 'id="findings"' not in html(client, "/en/councils/cardiff/")


def test_unknown_council_is_404(client):
    html(client, "/en/councils/atlantis/", 404)
    html(client, "/cy/councils/W06000007/", 404)  # there is no W06000007


def test_compare_five_councils_in_a_table(client):
    text = html(client, "/en/councils/compare/?council=cardiff&council=powys&council=conwy&council=gwynedd"
                        "&council=newport")
    rows = table_rows(text, "compare-caption")
    assert len(rows) == 7 and all(len(row) == 7 for row in rows)


def test_compare_two_to_four(client):
    text = html(client, "/en/councils/compare/?council=cardiff&council=powys&council=neath-port-talbot")
    svg = svg_of(text)
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["Cardiff", "Powys", "Neath Port Talbot", "Wales"]
    rows = table_rows(text, "compare-caption")
    assert len(rows) == 7 and all(len(row) == 5 for row in rows)
    values = [t.text for t in svg.iter(f"{SVG}text") if "value" in (t.get("class") or "")]
    assert values == [cell.split(" ")[0] for row in rows for cell in row[1:]]


@pytest.mark.parametrize("query", ["council=cardiff", "council=a&council=b", "council=cardiff&council=cardiff",
                                   "council=cardiff&council=<script>alert(1)</script>"])
def test_compare_refuses_bad_choices_with_a_page(client, query):
    text = html(client, f"/en/councils/compare/?{query}", 400)
    assert "Choose at least 2 councils to compare." in text
    assert "<script>alert" not in text
    welsh = html(client, f"/cy/councils/compare/?{query}", 400)
    assert 'lang="cy"' in welsh
