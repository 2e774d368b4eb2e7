"""Who made each figure, who publishes it, and the label that travels with it:
citations, datapackage.json, charts, captions, titles and the site banner, in
both languages, on the real published portal."""
from __future__ import annotations

import html as htmllib
import re
from xml.etree import ElementTree

import pytest

from portal import attribution, queries, textmetrics
from portal.charts import WIDTH, Series, bar_chart_canvas
from portal.config import DATASETS_PATH
from portal.extensions import session
from portal.publish.service import load_path

LANGUAGES = ["en", "cy"]
SVG = "{http://www.w3.org/2000/svg}"
PUBLISHER = {"en": "Wales local government data portal", "cy": "Porth data llywodraeth leol Cymru"}
AUDIT_OFFICE = ("Wales Audit Office", "Swyddfa Archwilio Cymru")


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def flags(published_app) -> dict[str, bool]:
    """Every published dataset: is its latest version demonstration data?"""
    with published_app.app_context():
        found = {v.dataset.name: v.demonstration for v in queries.latest_versions(session())}
    assert any(found.values()) and not all(found.values())
    return found


def citation_of(page: str) -> str:
    return htmllib.unescape(re.search(r'<textarea id="citation"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def names_audit_office(text: str) -> bool:
    return any(name in text for name in AUDIT_OFFICE)


# -- citations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_citations_credit_who_made_the_data(client, flags, lang):
    for name, demonstration in flags.items():
        page = get(client, f"/{lang}/datasets/{name}/")
        citation = citation_of(page)
        creators = citation.split(". ")[0]
        if demonstration:
            # made by the portal's publisher, never credited to the Audit Office
            assert creators == PUBLISHER[lang], (name, citation)
            assert ("synthetic figures made by" if lang == "en" else "ffigurau synthetig a wnaed gan") in citation
            made_by = re.search(r"<dt>(?:Made by|Gwnaed gan)</dt>\s*<dd>(.*?)</dd>", page, re.S).group(1)
            assert made_by.startswith(PUBLISHER[lang])
        else:
            assert creators.startswith(AUDIT_OFFICE[lang == "cy"]), (name, citation)
        # the period the data cover, the publication date and who published them
        assert ("data for 2018" if lang == "en" else "data ar gyfer 2018") in citation
        assert re.search(r"(Publisher|Cyhoeddwr): " + re.escape(PUBLISHER[lang]) + r"; (published|cyhoeddwyd) "
                         r"\d{1,2} \w+ 20\d\d\.",
                         citation), citation
        assert citation.rstrip().endswith(f"/{lang}/datasets/{name}/versions/1/")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_about_and_dataset_pages_cite_alike(client, lang):
    about = get(client, f"/{lang}/about/")
    examples = [htmllib.unescape(re.sub(r"<[^>]+>", "", p))
                for p in re.findall(r'<p class="source-citation">(.*?)</p>', about, re.S)]
    assert len(examples) == 2  # a real dataset and a demonstration one
    for example in examples:
        name = re.search(r"/datasets/([a-z-]+)/versions/1/$", example).group(1)
        assert example == citation_of(get(client, f"/{lang}/datasets/{name}/versions/1/"))
    # the publisher is named, with how to reach it and the report's author set apart
    assert 'id="publisher"' in about and PUBLISHER[lang] in about


# -- datapackage.json ------------------------------------------------------------------------------

def test_datapackages_never_credit_demonstration_data_to_the_audit_office(client, flags):
    for name, demonstration in flags.items():
        descriptor = client.get(f"/datasets/{name}/datapackage.json").get_json()
        contributors = descriptor["contributors"]
        authors = [c["title"] for c in contributors if c["role"] == "author"]
        if demonstration:
            assert [c["translations"]["cy"]["title"] for c in contributors] == [PUBLISHER["cy"]]
            assert authors == [PUBLISHER["en"]], name
            assert not any(names_audit_office(c["title"]) for c in contributors), name
            # the figures' source is the portal, with its method; the report only for the framework
            made = [s for s in descriptor["sources"] if not names_audit_office(s.get("publisher", ""))]
            assert made and made[0]["publisher"] == PUBLISHER["en"]
            assert "fixed seed" in made[0]["locator"] and "hedyn sefydlog" in made[0]["translations"]["cy"]["locator"]
            report = [s for s in descriptor["sources"] if names_audit_office(s.get("publisher", ""))]
            assert all(s["locator"].startswith("Cited for the framework only") for s in report)
        else:
            assert authors == ["Wales Audit Office"], name


def test_bundled_packages_name_the_report_author(flags):
    import json
    for folder in sorted(p for p in DATASETS_PATH.iterdir() if (p / "datapackage.json").is_file()):
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        assert descriptor["demonstration"] is False
        assert descriptor["contributors"][0] == attribution.REPORT_AUTHOR.contributor("author")


def test_a_demonstration_package_naming_the_audit_office_is_not_credited_to_it():
    """Whatever a demonstration package says, the Audit Office is never its author."""
    descriptor = {"contributors": [attribution.REPORT_AUTHOR.contributor("author")],
                  "sources": [{"title": "x", "publisher": "Wales Audit Office", "date": "2018-12-06"}]}
    publisher = attribution.DEFAULT_PUBLISHER
    assert attribution.creators(descriptor, True, publisher) == [publisher]
    assert attribution.creators(descriptor, False, publisher) == [attribution.REPORT_AUTHOR]


# -- who runs the site ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_publisher_named_on_every_page_and_dataset_page(client, flags, lang):
    for path in ("", "councils/", "datasets/", "framework/", "about/"):
        page = get(client, f"/{lang}/{path}")
        assert f'<a href="/{lang}/about/#publisher">{PUBLISHER[lang]}</a>' in page, path
    for name in flags:
        page = get(client, f"/{lang}/datasets/{name}/")
        block = re.search(r'<dl class="publication" id="publication">(.*?)</dl>', page, re.S).group(1)
        terms = re.findall(r"<dt>(.*?)</dt>", block)
        assert terms == (["Published by", "Contact", "Made by", "Period covered", "Date published"] if lang == "en"
                         else ["Cyhoeddwyd gan", "Cysylltu", "Gwnaed gan", "Cyfnod dan sylw", "Dyddiad cyhoeddi"])
        assert PUBLISHER[lang] in block and "2018" in block


@pytest.mark.parametrize("lang", LANGUAGES)
def test_banner_while_the_published_scores_are_demonstration_data(client, lang):
    for path in ("", "councils/", "datasets/councils/", "about/"):
        assert 'id="demonstration-banner"' in get(client, f"/{lang}/{path}"), path
    assert 'id="demonstration-banner"' not in get(client, f"/{lang}/no-such-page", 404)


def load_real_datasets(app) -> None:
    """Every package in datasets/ (real data only), in an app context of its
    own: requests must not share one (and its ``g``) with the loading."""
    with app.app_context():
        assert all(result.status == "published" for result in load_path(session(), DATASETS_PATH))


def test_no_banner_without_demonstration_scores(app):
    """Real datasets only (no maturity scores yet): nothing to warn about."""
    load_real_datasets(app)
    client = app.test_client()
    for lang in LANGUAGES:
        page = get(client, f"/{lang}/")
        assert 'id="demonstration-banner"' not in page
        assert PUBLISHER[lang] in page


def test_publisher_is_a_setting(app):
    load_real_datasets(app)
    app.config.update(PUBLISHER_EN="Example Council", PUBLISHER_CY="Cyngor Enghreifftiol",
                      PUBLISHER_EMAIL="data@example.wales")
    client = app.test_client()
    page = get(client, "/cy/datasets/councils/")
    assert "Cyngor Enghreifftiol" in page and "mailto:data@example.wales" in page
    assert "Cyhoeddwr: Cyngor Enghreifftiol;" in citation_of(page)


# -- the label travels with the figure ------------------------------------------------------------

def svgs(page: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(match) for match in re.findall(r"<svg.*?</svg>", page, re.S)]


def drawn_text(svg: ElementTree.Element, role: str) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if role in (t.get("class") or "").split()]


def check_fits(svg: ElementTree.Element) -> None:
    """Every label, measured with the font the chart names first, inside the
    chart; category labels clear of the bars."""
    width = float(svg.get("viewBox").split()[2])
    assert svg.get("font-family").startswith("'DejaVu Sans'")
    base = float(svg.get("font-size"))
    bars = min(float(line.get("x1")) for line in svg.iter(f"{SVG}line") if line.get("class") == "grid")
    for text in svg.iter(f"{SVG}text"):
        size = float(text.get("font-size") or base)
        measured = textmetrics.width(text.text, size, text.get("font-weight") == "bold")
        x = float(text.get("x"))
        left = {"start": x, "middle": x - measured / 2, "end": x - measured}[text.get("text-anchor") or "start"]
        assert 0 <= left and left + measured <= width, (text.text, left, measured, width)
        if "category" in text.get("class"):
            assert left + measured <= bars, text.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_chart_of_synthetic_data_carries_its_labels(client, published_app, lang):
    with published_app.app_context():
        slugs = [row["slug"] for row in queries.dataset_rows(session(), "councils", "councils")]
    pages = [f"/{lang}/councils/{slug}/" for slug in slugs]
    pages.append(f"/{lang}/councils/compare/?council=cardiff&council=neath-port-talbot&council=powys"
                 "&council=rhondda-cynon-taf")
    for path in pages:
        page = get(client, path)
        charts = svgs(page)
        assert charts, path
        for svg in charts:
            assert drawn_text(svg, "mark") == [attribution.DEMO_MARK], path
            title = " ".join(drawn_text(svg, "chart-title"))
            assert title == svg.find(f"{SVG}title").text, path
            source = " ".join(drawn_text(svg, "source"))
            assert source.startswith("Source: demonstration data made by " + PUBLISHER["en"] if lang == "en"
                                     else f"Ffynhonnell: data enghreifftiol a wnaed gan y porth ({PUBLISHER['cy']})"), source
            assert not names_audit_office(source.split(";")[0])
            check_fits(svg)
        # the page title and the table say so too
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert ("demonstration data" if lang == "en" else "data enghreifftiol") in title, path
        assert re.search(r'<caption id="(maturity-table|compare)-caption">.*?class="mark mark-demo"', page, re.S)


def test_welsh_labels_are_not_cut():
    """The longest Welsh characteristic, in the old chart a 200-unit column cut
    to "ata cwsmeriaid integredig", now fits: measured, and wrapped if need be."""
    label = "Data cwsmeriaid integredig"
    assert textmetrics.width(label, 13, True) > 192  # wider than the old label column
    long_names = [label, "Penderfyniadau sy'n cael eu llywio gan ddata a thystiolaeth gadarn bob amser",
                  "Cyngor Bwrdeistref Sirol Castell-nedd Port Talbot a Chyngor Sir Ynys Môn gyda'i gilydd"]
    markup, canvas = bar_chart_canvas("c", "Lefel aeddfedrwydd gymedrig: " + long_names[2], "d", long_names,
                                      [Series(name, [2.5, None, 3]) for name in long_names[1:]],
                                      source="Ffynhonnell: " + " ".join(long_names), demonstration=True)
    assert all(0 <= label.left and label.right <= WIDTH for label in canvas.labels)
    drawn = " ".join(label.text for label in canvas.labels if label.role == "category")
    assert label in drawn  # whole, on one line when it fits
    assert "Penderfyniadau" in drawn and "gadarn" in drawn  # long ones wrapped, nothing dropped
    check_fits(ElementTree.fromstring(str(markup)))


def test_real_figures_carry_no_mark():
    markup, canvas = bar_chart_canvas("c", "Title", "d", ["A"], [Series("S", [2])], source="Source: report")
    assert not [label for label in canvas.labels if label.role == "mark"]
    assert attribution.DEMO_MARK not in str(markup)


# -- captions and the Neath Port Talbot response rates ----------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
def test_npt_response_rates_appear_once_the_reports(client, lang):
    page = get(client, f"/{lang}/councils/neath-port-talbot/")
    section = page[page.index('id="responses"'):page.index('id="compare"')]
    captions = re.findall(r"<caption>(.*?)</caption>", section, re.S)
    assert len(captions) == 1 and 'class="mark mark-real"' in captions[0]
    for figures in (("76", "38", "50%"), ("63", "19", "30%"), ("139", "57", "41%")):
        assert all(f">{value}<" in section.replace("\u00a0", "") for value in figures)
    # other councils show the synthetic rates, marked as such where they stand
    cardiff = get(client, f"/{lang}/councils/cardiff/")
    section = cardiff[cardiff.index('id="responses"'):cardiff.index('id="compare"')]
    captions = re.findall(r"<caption>(.*?)</caption>", section, re.S)
    assert len(captions) == 1 and 'class="mark mark-demo"' in captions[0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_preview_tables_are_marked_where_they_stand(client, flags, lang):
    for name, demonstration in flags.items():
        page = get(client, f"/{lang}/datasets/{name}/")
        caption = re.search(r'<caption id="preview-caption">(.*?)</caption>', page, re.S).group(1)
        assert f'class="mark mark-{"demo" if demonstration else "real"}"' in caption, name
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert (("demonstration data" if lang == "en" else "data enghreifftiol") in title) == demonstration


def test_charts_of_every_council_or_nothing_still_fit():
    """All 22 councils and Wales in one chart (long Welsh names in the legend),
    and a council whose every figure is suppressed."""
    import csv
    names = [row["name_cy"] for row in csv.DictReader((DATASETS_PATH / "councils" / "councils.csv").open(
        encoding="utf-8"))] + ["Cymru"]
    characteristics = ["Arweinyddiaeth", "Data cwsmeriaid integredig", "Penderfyniadau a yrrir gan ddata"]
    every = [Series(name, [1 + (i % 3), None, 2.25]) for i, name in enumerate(names)]
    none = [Series(name, [None] * 3) for name in ("Swyddogion", "Aelodau etholedig", "Pob ymatebydd")]
    for series in (every, none):
        markup, canvas = bar_chart_canvas("c", "Teitl", "d", characteristics, series,
                                          source="Ffynhonnell", demonstration=True)
        assert all(0 <= label.left and label.right <= WIDTH for label in canvas.labels)
        assert [label.text for label in canvas.labels if label.role == "legend"] == [s.label for s in series]
        check_fits(ElementTree.fromstring(str(markup)))
