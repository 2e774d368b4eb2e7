"""The content pages: framework, good practice, about and method, accessibility
statement, privacy notice and changelog, in both languages, from the real data."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from portal import queries
from portal.model import DatasetVersion
from tests.test_pages import Page

CONTENT_PAGES = ["/{lang}/framework/", "/{lang}/good-practice/", "/{lang}/good-practice/data-mill-north/",
                 "/{lang}/about/", "/{lang}/accessibility/", "/{lang}/privacy/", "/{lang}/changelog/"]
LANGUAGES = ["en", "cy"]


class Structure(HTMLParser):
    """Headings, tables, elements by class and attributes, for structural checks."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[int] = []
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def with_class(self, name: str) -> list[tuple[str, dict]]:
        return [(tag, attrs) for tag, attrs in self.tags if name in attrs.get("class", "").split()]

    def elements(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]


def fetch(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    return html, Page(html), Structure(html)


def rows(app, dataset, resource):
    with app.app_context():
        from portal.extensions import session
        return queries.dataset_rows(session(), dataset, resource)


def latest(app, name):
    with app.app_context():
        from portal.extensions import session
        version = queries.latest_version(session(), name)
        return {"number": version.number, "descriptor": version.descriptor,
                "title_en": version.title_en, "title_cy": version.title_cy}


@pytest.mark.parametrize("template", CONTENT_PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_content_page_language_structure_and_alternates(client, template, lang):
    url = template.format(lang=lang)
    html, page, structure = fetch(client, url)
    assert page.lang == lang
    # one h1, and headings never skip a level
    assert structure.headings.count(1) == 1 and structure.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(structure.headings, structure.headings[1:])), structure.headings
    # every table has a caption and scoped headers
    assert html.count("<table") == html.count("<caption")
    for th in structure.elements("th"):
        assert th.get("scope") in ("col", "row")
    # reciprocal alternates and a switch to the same page in the other language
    assert page.alternates["en"] == "http://localhost" + template.format(lang="en")
    assert page.alternates["cy"] == "http://localhost" + template.format(lang="cy")
    # no script needed: the pages carry none
    assert "<script" not in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_framework_shows_characteristics_levels_and_themes(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/framework/")
    characteristics = rows(published_app, "maturity-framework", "characteristics")
    levels = rows(published_app, "maturity-framework", "levels")
    themes = rows(published_app, "maturity-framework", "themes")
    assert len(characteristics) == 7 and len(levels) == 21 and len(themes) == 4
    text = " ".join(page.text)
    for characteristic in characteristics:
        assert characteristic[f"name_{lang}"] in page.text
        assert characteristic["id"] in page.ids  # the anchor other pages link to
    assert len(structure.with_class("level-descriptor")) == 21
    for level in levels:
        assert " ".join(level[f"descriptor_{lang}"].split()) in text
    for theme in themes:
        assert theme[f"name_{lang}"] in page.text
        assert " ".join(theme[f"summary_{lang}"].split()) in text
    other = "en" if lang == "cy" else "cy"
    assert levels[0][f"descriptor_{other}"] not in text
    # the characteristic names are row headers, the levels column headers
    row_headers = [th for th in structure.elements("th") if th.get("scope") == "row"]
    assert {th["id"] for th in row_headers} == {c["id"] for c in characteristics}
    assert len([th for th in structure.elements("th") if th.get("scope") == "col"]) == 4


def test_welsh_framework_is_welsh(client):
    _html, page, _structure = fetch(client, "/cy/framework/")
    assert "Arweinyddiaeth" in page.text
    assert "Leadership" not in page.text


def listed_case_studies(structure: Structure) -> list[str]:
    return [attrs["id"].removeprefix("case-study-") for _tag, attrs in structure.with_class("case-study")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_good_practice_lists_all_six_case_studies(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/good-practice/")
    studies = rows(published_app, "good-practice-case-studies", "case-studies")
    assert len(studies) == 6
    assert listed_case_studies(structure) == [s["id"] for s in sorted(studies, key=lambda s: s["position"])]
    for study in studies:
        assert study[f"heading_{lang}"] in page.text
    # a labelled select in a plain GET form with a submit button
    form = structure.elements("form")[0]
    assert form.get("method", "get").lower() == "get"
    select = structure.elements("select")[0]
    assert select["name"] == "characteristic"
    assert any(label.get("for") == select["id"] for label in structure.elements("label"))
    assert any(button.get("type") == "submit" for button in structure.elements("button"))
    # the filters are links too
    hrefs = {a.get("href") for a in page.links}
    assert f"/{lang}/good-practice/?characteristic=open-data" in hrefs
    if lang == "en":
        assert "6 case studies" in page.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_filtering_by_open_data_gives_data_mill_north(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/good-practice/?characteristic=open-data")
    assert listed_case_studies(structure) == ["data-mill-north"]
    study = next(s for s in rows(published_app, "good-practice-case-studies", "case-studies")
                 if s["id"] == "data-mill-north")
    assert study[f"heading_{lang}"] in page.text
    selected = [attrs for tag, attrs in structure.tags if tag == "option" and "selected" in attrs]
    assert [attrs["value"] for attrs in selected] == ["open-data"]
    current = [a["href"] for a in page.links if a.get("aria-current") == "page" and "?" in a["href"]]
    assert current == [f"/{lang}/good-practice/?characteristic=open-data"]
    if lang == "en":
        assert "1 case study illustrates Open Data" in page.text


def test_filter_counts_use_plural_forms(client):
    _html, page, structure = fetch(client, "/en/good-practice/?characteristic=data-protection")
    assert listed_case_studies(structure) == ["carmarthenshire-digital-transformation", "conwy-denbighshire-psb"]
    assert "2 case studies illustrate Data Protection" in page.text
    _html, page, structure = fetch(client, "/en/good-practice/?characteristic=corporate-standards")
    assert listed_case_studies(structure) == []
    assert "0 case studies illustrate Corporate Standards" in page.text


def test_empty_filter_shows_everything(client):
    _html, _page, structure = fetch(client, "/en/good-practice/?characteristic=")
    assert len(listed_case_studies(structure)) == 6


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("value", ["no-such-thing", "Open-Data", "<script>alert(1)</script>"])
def test_unknown_characteristic_is_400(client, lang, value):
    response = client.get(f"/{lang}/good-practice/", query_string={"characteristic": value})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert Page(html).lang == lang
    assert "<script>alert(1)</script>" not in html


def test_html_in_parameters_is_escaped(client):
    payload = '"><script>alert(1)</script>'
    for url in ("/en/framework/", "/en/about/", "/cy/changelog/", "/en/good-practice/data-mill-north/"):
        response = client.get(url, query_string={"q": payload})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
    response = client.get("/en/good-practice/%3Cscript%3Ealert(1)%3C%2Fscript%3E/")
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_case_study_page(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/good-practice/london-fire-brigade-dynamic-cover-tool/")
    study = next(s for s in rows(published_app, "good-practice-case-studies", "case-studies")
                 if s["id"] == "london-fire-brigade-dynamic-cover-tool")
    text = " ".join(page.text)
    for column in ("heading", "organisation", "place", "summary", "outcomes"):
        assert " ".join(study[f"{column}_{lang}"].split()) in text, column
    # the characteristics it illustrates, linked to the framework anchors
    hrefs = [a.get("href") for a in page.links]
    assert f"/{lang}/framework/#data-driven-decisions" in hrefs
    assert f"/{lang}/framework/#data-analytics" in hrefs
    assert f"/{lang}/framework/#open-data" not in hrefs
    # the source: the report, Part 3
    source = latest(published_app, "good-practice-case-studies")["descriptor"]["sources"][0]
    if lang == "en":
        assert source["title"] in text and "Part 3" in text
    else:
        assert source["translations"]["cy"]["title"] in text and "Rhan 3" in text
    assert f"/{lang}/datasets/good-practice-case-studies/" in hrefs


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unknown_case_study_is_404(client, lang):
    response = client.get(f"/{lang}/good-practice/no-such-case-study/")
    assert response.status_code == 404
    assert Page(response.get_data(as_text=True)).lang == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_about_page_explains_the_method_and_suppression(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/about/")
    text = " ".join(page.text)
    assert "suppression" in page.ids
    anonymisation = latest(published_app, "maturity-scores")["descriptor"]["anonymisation"]
    k = anonymisation["threshold"]
    assert re.search(rf"\b{k}\b", text)
    assert "[c]" in text
    for rule in anonymisation["rules"]:
        description = rule["description"] if lang == "en" else rule["translations"]["cy"]["description"]
        assert " ".join(description.split()) in text
    # the level 3 aspiration for open data, from the framework in the page's language
    aspiration = next(row for row in rows(published_app, "maturity-framework", "levels")
                      if row["characteristic_id"] == "open-data" and row["level"] == 3)
    assert " ".join(aspiration[f"descriptor_{lang}"].split()) in text
    if lang == "en":
        assert ("Open Data is made available in real time and a wide range of organisations use the "
                "information to develop new opportunities.") in text
        assert "6 December 2018" in text
    # demonstration datasets are named and linked
    hrefs = [a.get("href") for a in page.links]
    assert f"/{lang}/datasets/maturity-scores/" in hrefs
    # the licence, in the page's language
    ogl = ("http://www.nationalarchives.gov.uk/doc/open-government-licence-cymraeg/version/3/" if lang == "cy"
           else "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
    assert any(a.get("href") == ogl and a.get("rel") == "license" for a in structure.elements("a")
               if a.get("href") == ogl)
    # the changelog and a pinned citation
    assert f"/{lang}/changelog/" in hrefs
    assert any(re.match(rf"http://localhost/{lang}/datasets/[a-z-]+/versions/\d+/$", h or "")
               for h in hrefs)


# The portal's publisher out of the box (the PUBLISHER_* settings), and the report's author.
PUBLISHER = {"en": "Wales local government data portal", "cy": "Porth data llywodraeth leol Cymru"}
AUDIT_OFFICE_CONTACT = ("info@audit.wales", "post@archwilio.cymru", "029 2032 0500", "Cathedral Road",
                        "Heol y Gadeirlan", "audit.wales", "archwilio.cymru")
EXAMPLE = {"PUBLISHER_EN": "Example Council", "PUBLISHER_CY": "Cyngor Enghreifftiol",
           "PUBLISHER_URL": "https://example.wales/", "PUBLISHER_EMAIL": "data@example.wales"}


def contact_block(html: str) -> str:
    """The contact details the page gives: its address and the list after it."""
    found = re.search(r'<address class="contact">(.*?)</address>\s*(<ul class="contact-methods">.*?</ul>)?'
                      r'\s*(<p>.*?</p>)?', html, re.S)
    assert found, "no contact details"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))).strip()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["accessibility", "privacy"])
def test_the_sites_contact_is_its_publisher(client, published_app, lang, path):
    """The site is run by the portal's publisher: the accessibility statement
    and the privacy notice give its contact details (from the settings), never
    the Wales Audit Office's."""
    html = client.get(f"/{lang}/{path}/").get_data(as_text=True)
    assert html.count('<address class="contact">') == 1
    block = contact_block(html)
    assert block.startswith(PUBLISHER[lang])
    assert ("No contact address has been set" if lang == "en" else "Nid oes cyfeiriad cyswllt") in block
    assert not any(detail in html for detail in AUDIT_OFFICE_CONTACT), path
    saved = {key: published_app.config[key] for key in EXAMPLE}
    published_app.config.update(EXAMPLE)
    try:
        html = client.get(f"/{lang}/{path}/").get_data(as_text=True)
    finally:
        published_app.config.update(saved)
    block = contact_block(html)
    name = "Cyngor Enghreifftiol" if lang == "cy" else "Example Council"
    assert block.startswith(name) and "data@example.wales" in block and "https://example.wales/" in block
    assert 'href="mailto:data@example.wales"' in html and 'href="https://example.wales/"' in html
    assert "No contact address" not in block and "Nid oes cyfeiriad cyswllt" not in block
    assert not any(detail in html for detail in AUDIT_OFFICE_CONTACT), path


@pytest.mark.parametrize("lang", LANGUAGES)
def test_accessibility_statement(client, lang):
    html, page, structure = fetch(client, f"/{lang}/accessibility/")
    text = " ".join(page.text)
    hrefs = [a.get("href") for a in page.links]
    # problems are reported to the portal's publisher, who runs the site
    assert (f"contact the publisher, {PUBLISHER['en']}, using the details above" if lang == "en"
            else f"cysylltwch â'r cyhoeddwr, {PUBLISHER['cy']}, gan ddefnyddio'r manylion uchod") in text
    assert "https://www.w3.org/TR/WCAG22/" in hrefs
    assert "https://www.equalityadvisoryservice.com/" in hrefs
    assert re.search(r"\b2026\b", text)  # the preparation date
    if lang == "en":
        for heading in ("How accessible this website is", "Enforcement procedure", "Compliance status",
                        "Preparation of this accessibility statement"):
            assert heading in page.text
        assert "axe-core" in text and "keyboard" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_notice(client, lang):
    html, page, structure = fetch(client, f"/{lang}/privacy/")
    text = " ".join(page.text)
    assert "lang" in page.text  # the one cookie, by name
    assert "365" in text
    # run by the portal's publisher, whose contact it gives
    assert (f"This portal is run by its publisher, {PUBLISHER['en']}," if lang == "en"
            else f"Caiff y porth hwn ei redeg gan ei gyhoeddwr, {PUBLISHER['cy']},") in text
    hrefs = [a.get("href") for a in page.links]
    assert f"/{lang}/about/#suppression" in hrefs
    if lang == "en":
        assert "UK GDPR" in text and "analytics" in text
        assert "respondent-level" in text


def all_versions(app) -> list[tuple[str, int, bool, str, str]]:
    with app.app_context():
        from portal.extensions import session
        from sqlalchemy import select
        return [(v.dataset.name, v.number, v.demonstration, v.changelog_en, v.changelog_cy)
                for v in session().scalars(select(DatasetVersion).order_by(
                    DatasetVersion.published_at.desc(), DatasetVersion.id.desc()))]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_changelog_lists_every_publication(client, published_app, lang):
    html, page, structure = fetch(client, f"/{lang}/changelog/")
    versions = all_versions(published_app)
    entries = structure.with_class("change")
    assert len(entries) == len(versions) > 0
    assert [attrs["id"] for _tag, attrs in entries] == [f"{name}-{number}" for name, number, *_ in versions]
    hrefs = [a.get("href") for a in page.links]
    text = " ".join(page.text)
    for name, number, demonstration, changelog_en, changelog_cy in versions:
        assert f"/{lang}/datasets/{name}/" in hrefs
        assert f"/datasets/{name}/versions/{number}/datapackage.json" in hrefs
        assert " ".join((changelog_cy if lang == "cy" else changelog_en).split()) in text
    demo = sum(1 for v in versions if v[2])
    assert demo > 0
    assert len(structure.with_class("tag-demo")) == demo
    # dates in machine-readable form too
    assert len(structure.elements("time")) == len(versions)


def test_changelog_dates_are_localised(client, published_app):
    with published_app.app_context():
        from portal.extensions import session
        version = queries.latest_versions(session())[0]
        published = version.published_utc
    from babel.dates import format_date
    english = " ".join(fetch(client, "/en/changelog/")[1].text)
    welsh = " ".join(fetch(client, "/cy/changelog/")[1].text)
    assert format_date(published, "long", locale="en_GB") in english
    assert format_date(published, "long", locale="cy") in welsh


@pytest.mark.parametrize("lang", LANGUAGES)
def test_content_pages_remember_the_language(published_app, lang):
    client = published_app.test_client()
    response = client.get(f"/{lang}/framework/")
    assert f"lang={lang}" in response.headers.get("Set-Cookie", "")


def test_case_studies_are_in_the_sitemap(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for lang in LANGUAGES:
        assert f"http://localhost/{lang}/good-practice/data-mill-north/" in body
        assert f"http://localhost/{lang}/framework/" in body
