"""What search engines read: schema.org JSON-LD (a Dataset on every dataset
page, a DataCatalog on the catalogue), in the page's language, parsed as
JSON-LD with rdflib; and previews of a dataset (sorted, filtered, paged, any
query string) kept out of the index, canonical to the dataset page."""
from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from portal import queries
from portal.extensions import session

SDO = Namespace("https://schema.org/")
# schema.org's context, as far as these documents use it, so that parsing needs
# no network: the vocabulary, and the properties whose values are URLs.
CONTEXT = {"@vocab": str(SDO), **{term: {"@type": "@id"} for term in ("url", "sameAs", "license", "contentUrl")}}
AUDIT_OFFICE = {"Wales Audit Office", "Swyddfa Archwilio Cymru"}


@pytest.fixture(scope="module")
def versions(published_app) -> dict:
    with published_app.app_context():
        return {v.dataset.name: v for v in queries.latest_versions(session())}


def json_ld(client, url: str) -> tuple[dict, Graph]:
    """The page's JSON-LD, as written and as the graph it means."""
    response = client.get(url)
    assert response.status_code == 200, url
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.get_data(as_text=True),
                        re.S)
    assert len(blocks) == 1, url
    data = json.loads(blocks[0])
    assert data["@context"] == "https://schema.org/"
    graph = Graph().parse(data=json.dumps({**data, "@context": CONTEXT}), format="json-ld")
    return data, graph


def one(graph: Graph, rdf_type: URIRef) -> URIRef:
    nodes = list(graph.subjects(RDF.type, rdf_type))
    assert len(nodes) == 1, (rdf_type, nodes)
    return nodes[0]


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_dataset_page_has_a_schema_org_dataset_in_its_language(client, versions, lang):
    other = "cy" if lang == "en" else "en"
    for name, version in versions.items():
        page = f"http://localhost/{lang}/datasets/{name}/"
        _data, graph = json_ld(client, page.removeprefix("http://localhost"))
        dataset = one(graph, SDO.Dataset)
        assert dataset == URIRef(f"http://localhost/datasets/{name}")
        assert graph.value(dataset, SDO.name) == Literal(version.text("title", lang))
        assert graph.value(dataset, SDO.description) == Literal(version.text("description", lang))
        assert graph.value(dataset, SDO.url) == URIRef(page)
        assert graph.value(dataset, SDO.sameAs) == URIRef(f"http://localhost/{other}/datasets/{name}/")
        assert {str(k) for k in graph.objects(dataset, SDO.keywords)} == set(version.text("keywords", lang))
        assert graph.value(dataset, SDO.temporalCoverage) == Literal("2018-01-01/2018-12-31")
        catalog = graph.value(dataset, SDO.includedInDataCatalog)
        assert (catalog, RDF.type, SDO.DataCatalog) in graph
        assert graph.value(catalog, SDO.url) == URIRef(f"http://localhost/{lang}/datasets/")
        place = graph.value(dataset, SDO.spatialCoverage)
        code = "W06000012" if name in ("council-findings", "data-tool-response-rates") else None
        if code:
            assert str(graph.value(place, SDO.identifier)) == code
            assert str(graph.value(place, SDO.name)) == (
                "Castell-nedd Port Talbot" if lang == "cy" else "Neath Port Talbot")
        creators = {str(graph.value(graph.value(dataset, role), SDO.name)) for role in (SDO.creator, SDO.publisher)}
        if version.demonstration:
            assert not creators & AUDIT_OFFICE, (name, creators)
            assert creators == {"Porth data llywodraeth leol Cymru" if lang == "cy"
                                else "Wales local government data portal"}
        else:
            assert str(graph.value(graph.value(dataset, SDO.creator), SDO.name)) in AUDIT_OFFICE
            # published by the portal's publisher, with its own home page
            publisher = graph.value(dataset, SDO.publisher)
            assert str(graph.value(publisher, SDO.name)) not in AUDIT_OFFICE
            assert graph.value(publisher, SDO.url) == URIRef(f"http://localhost/{lang}/")
        downloads = {str(graph.value(d, SDO.contentUrl)) for d in graph.objects(dataset, SDO.distribution)}
        assert f"http://localhost/datasets/{name}/versions/{version.number}/{name}.zip" in downloads


def test_a_version_page_describes_that_version(client, versions):
    _data, graph = json_ld(client, "/cy/datasets/councils/versions/1/")
    dataset = one(graph, SDO.Dataset)
    assert dataset == URIRef("http://localhost/datasets/councils/versions/1")
    assert graph.value(dataset, SDO.url) == URIRef("http://localhost/cy/datasets/councils/versions/1/")
    assert str(graph.value(dataset, SDO.version)) == "1"


@pytest.mark.parametrize("lang, title", [("en", "Wales local government data"),
                                         ("cy", "Data llywodraeth leol Cymru")])
def test_the_catalogue_page_is_a_data_catalog(client, lang, title):
    _data, graph = json_ld(client, f"/{lang}/datasets/")
    catalog = one(graph, SDO.DataCatalog)
    assert str(graph.value(catalog, SDO.name)) == title
    assert graph.value(catalog, SDO.url) == URIRef(f"http://localhost/{lang}/datasets/")
    assert str(graph.value(catalog, SDO.inLanguage)) == lang
    # the datasets' pages name this catalogue as theirs
    _data, dataset_graph = json_ld(client, f"/{lang}/datasets/councils/")
    assert dataset_graph.value(one(dataset_graph, SDO.Dataset), SDO.includedInDataCatalog) == catalog


def head(client, url: str) -> tuple[int, str | None, bool]:
    """(status, canonical URL, whether the page asks not to be indexed)."""
    response = client.get(url)
    text = response.get_data(as_text=True)
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', text)
    noindex = re.search(r'<meta name="robots" content="([^"]*)">', text)
    return response.status_code, canonical and canonical.group(1), bool(noindex and "noindex" in noindex.group(1))


@pytest.mark.parametrize("query", ["_sort=-mean_level", "_page=2", "area_code=W06000012",
                                   "area_code=W06000012&respondent_group=all&_sort=mean_level", "_size=10",
                                   "_resource=scores", "q=castell", "utm_source=newsletter"])
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_previews_are_not_indexed_and_name_the_dataset_page(client, query, lang):
    for page in (f"/{lang}/datasets/maturity-scores/", f"/{lang}/datasets/maturity-scores/versions/1/"):
        status, canonical, noindex = head(client, f"{page}?{query}")
        assert status in (200, 400), (page, query, status)
        assert canonical == "http://localhost" + page and noindex, (page, query)


@pytest.mark.parametrize("url", ["/en/datasets/maturity-scores/", "/cy/datasets/councils/",
                                 "/en/datasets/councils/versions/1/", "/cy/datasets/", "/en/datasets/?q=data",
                                 "/en/"])
def test_pages_themselves_are_indexed(client, url):
    status, canonical, noindex = head(client, url)
    assert status == 200 and canonical == "http://localhost" + url and not noindex
