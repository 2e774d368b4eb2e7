"""What readers meet when something is wrong or empty: the GOV.UK error
summary on every form that shows errors, a language switch on every error
page, and a key characteristic without case studies saying so."""
from __future__ import annotations

import html
import re

import pytest


def get(client, url: str, status: int) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def summary_links(page: str) -> list[tuple[str, str]]:
    """The (target, message) of each problem in the error summary, which comes before the <h1>."""
    match = re.search(r'<div class="error-summary" aria-labelledby="error-summary-title" tabindex="-1" autofocus>'
                      r'.*?</ul>', page, re.S)
    assert match, "no error summary"
    assert match.start() < page.index("<h1"), "the error summary is not at the top"
    assert 'role="alert"' in match.group(0)
    return [(target, html.unescape(text))
            for target, text in re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', match.group(0))]


@pytest.mark.parametrize("lang, other, name", [("en", "cy", "Cymraeg"), ("cy", "en", "English")])
def test_every_not_found_page_has_a_language_switch(client, lang, other, name):
    page = get(client, f"/{lang}/no-such-page", 404)
    assert (f'<a class="language-switch" href="/{other}/no-such-page" hreflang="{other}" lang="{other}">'
            f"{name}</a>") in page
    assert f'<html lang="{lang}">' in page
    assert 'rel="canonical"' not in page  # a switch, not an alternate for search engines
    page = get(client, "/no-such-page", 404)  # no language in the address: the other one's home page
    assert re.search(r'<a class="language-switch" href="/(en|cy)/"', page)


@pytest.mark.parametrize("lang, message", [
    ("en", "Search with up to 200 characters."),
    ("cy", "Chwiliwch gyda hyd at 200 nod."),
])
def test_a_bad_search_gets_an_error_summary(client, lang, message):
    page = get(client, f"/{lang}/datasets/?q=" + "word " * 41, 400)
    assert summary_links(page) == [("q", message)]
    assert re.search(r'<input type="search" id="q" [^>]*aria-describedby="q-error" aria-invalid="true"', page)
    assert 'id="q-error"' in page


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_bad_comparison_gets_an_error_summary(client, lang):
    page = get(client, f"/{lang}/councils/compare/?council=cardiff", 400)
    [(target, message)] = summary_links(page)
    assert target.startswith("compare-") and f'id="{target}"' in page
    assert message in html.unescape(page[page.index('id="compare-error"'):])


@pytest.mark.parametrize("lang, empty, other", [
    ("en", "Corporate Standards: no case study illustrates it", "no other case study illustrates it"),
    ("cy", "Safonau corfforaethol: nid oes astudiaeth achos yn ei dangos",
     "nid oes astudiaeth achos arall yn ei dangos"),
])
def test_a_characteristic_without_case_studies_says_so(client, lang, empty, other):
    page = get(client, f"/{lang}/good-practice/", 200)
    assert empty in page
    assert "characteristic=corporate-standards" not in page.split("filter-links-title")[1]  # no link to nothing
    assert "characteristic=leadership" in page
    # Camden's characteristic is illustrated by no other case study: no link to a list of itself
    camden = get(client, f"/{lang}/good-practice/camden-residents-index/", 200)
    assert other in camden
    assert "/good-practice/?characteristic=" not in camden


@pytest.mark.parametrize("lang, message", [("en", "Choose a key characteristic from the list."),
                                           ("cy", "Dewiswch nodwedd allweddol o'r rhestr.")])
def test_an_unknown_characteristic_gets_an_error_summary(client, lang, message):
    page = get(client, f"/{lang}/good-practice/?characteristic=no-such-thing", 400)
    assert summary_links(page) == [("characteristic", message)]
    assert re.search(r'<select id="characteristic" name="characteristic" aria-describedby="characteristic-error"',
                     page)
