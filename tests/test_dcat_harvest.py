"""DCAT as harvesters take it: every dataset's IRI resolves (RDF by content
negotiation, the page for a browser), each dataset has its own RDF document
(also for a pinned version), and CKAN's own DCAT parser (ckanext-dcat's
RDFParser, run from .venv-ckan: ``make install-ckan``) reads the right
licence, contact, period and place for every dataset."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import namespace as ns
from rdflib.namespace import DCTERMS, RDF

from portal import queries
from portal.extensions import session
from tests.test_dcat import GEOGRAPHY, PLACES, SYNTAXES, violations

CKAN_PYTHON = Path(__file__).parent.parent / ".venv-ckan" / "bin" / "python"
PARSE = Path(__file__).parent / "ckan_dcat_parse.py"
DCAT = Namespace(str(ns.DCAT))
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
AUDIT_OFFICE = ("Wales Audit Office", "Swyddfa Archwilio Cymru")
PORTAL = ("Wales local government data portal", "Porth data llywodraeth leol Cymru")


@pytest.fixture(scope="module")
def versions(published_app) -> dict:
    """name -> latest version, straight from the database."""
    with published_app.app_context():
        return {v.dataset.name: v for v in queries.latest_versions(session())}


def iri(name: str, number: int | None = None) -> str:
    return f"http://localhost/datasets/{name}" + (f"/versions/{number}" if number else "")


@pytest.mark.parametrize("syntax", list(SYNTAXES))
def test_each_dataset_has_its_own_rdf_document(client, versions, syntax):
    mediatype, rdflib_format = SYNTAXES[syntax]
    for name, version in versions.items():
        response = client.get(f"/datasets/{name}.{syntax}")
        assert response.status_code == 200 and response.mimetype == mediatype
        graph = Graph().parse(data=response.data, format=rdflib_format)
        assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {URIRef(iri(name))}
        assert graph.value(URIRef(iri(name)), DCTERMS.title) is not None
        assert graph.value(URIRef(iri(name)), DCAT.hasCurrentVersion) == URIRef(iri(name, version.number))
        assert len(list(graph.objects(URIRef(iri(name)), DCAT.distribution))) == 7 * len(version.resources) + 2


def test_a_datasets_document_says_what_the_catalogue_says_of_it(client, versions):
    catalogue = Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    for name in versions:
        own = Graph().parse(data=client.get(f"/datasets/{name}.ttl").data, format="turtle")
        node = URIRef(iri(name))
        assert named(own, node) == named(catalogue, node)
        for distribution in own.objects(node, DCAT.distribution):
            assert named(own, distribution) == named(catalogue, distribution)


def named(graph: Graph, node) -> set:
    """What ``graph`` says of ``node``, blank nodes left out."""
    return {(p, o) for p, o in graph.predicate_objects(node) if not isinstance(o, BNode)}


def test_a_datasets_document_conforms_to_dcat_ap(client):
    for name in ("maturity-scores", "council-findings"):
        graph = Graph().parse(data=client.get(f"/datasets/{name}.ttl").data, format="turtle")
        for shapes in ("shapes.ttl", "shapes_recommended.ttl", "dcat-ap-SHACL.ttl"):
            assert violations(graph, shapes) == [], (name, shapes)


def test_a_pinned_version_has_its_own_iri_and_document(client, versions):
    name = "councils"
    number = versions[name].number
    for syntax, (mediatype, rdflib_format) in SYNTAXES.items():
        response = client.get(f"/datasets/{name}/versions/{number}.{syntax}")
        assert response.status_code == 200 and response.mimetype == mediatype
        graph = Graph().parse(data=response.data, format=rdflib_format)
        node = URIRef(iri(name, number))
        assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {node}
        assert graph.value(node, DCTERMS.isVersionOf) == URIRef(iri(name))
        assert str(graph.value(node, URIRef(f"{DCAT}version"))) == str(number)
    negotiated = client.get(f"/datasets/{name}/versions/{number}", headers={"Accept": "text/turtle"})
    assert negotiated.status_code == 200 and negotiated.mimetype == "text/turtle"
    page = client.get(f"/datasets/{name}/versions/{number}", headers={"Accept": BROWSER})
    assert page.status_code == 303 and page.location.endswith(f"/en/datasets/{name}/versions/{number}/")


def test_every_dataset_iri_in_the_catalogue_resolves_to_rdf(client):
    catalogue = Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    datasets = set(catalogue.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 8
    for dataset in datasets:
        for syntax, (mediatype, rdflib_format) in SYNTAXES.items():
            response = client.get(str(dataset).removeprefix("http://localhost"), headers={"Accept": mediatype})
            assert response.status_code == 200 and response.mimetype == mediatype
            assert "Accept" in response.headers["Vary"]
            graph = Graph().parse(data=response.data, format=rdflib_format)
            assert (dataset, RDF.type, DCAT.Dataset) in graph


@pytest.mark.parametrize("accept, language, page", [
    (BROWSER, "cy,en;q=0.5", "/cy/datasets/councils/"),
    (BROWSER, "en-GB", "/en/datasets/councils/"),
    (None, None, "/en/datasets/councils/"),
    ("text/html;q=0.9,text/turtle;q=0.5", "cy", "/cy/datasets/councils/"),
])
def test_a_browser_at_a_dataset_iri_goes_to_its_page(client, accept, language, page):
    headers = {key: value for key, value in (("Accept", accept), ("Accept-Language", language)) if value}
    response = client.get("/datasets/councils", headers=headers)
    assert response.status_code == 303
    assert response.location.endswith(page)
    assert {"Accept", "Accept-Language"} <= set(response.headers["Vary"].replace(" ", "").split(","))


@pytest.mark.parametrize("path, accept", [("/datasets/no-such-dataset", "text/turtle"),
                                          ("/datasets/no-such-dataset.jsonld", None),
                                          ("/datasets/councils/versions/999.ttl", None),
                                          ("/datasets/councils/versions/999", "text/turtle")])
def test_unknown_datasets_and_versions_are_404_problems(client, path, accept):
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_an_unknown_dataset_iri_in_a_browser_is_a_404(client):
    response = client.get("/datasets/no-such-dataset", headers={"Accept": BROWSER})
    assert response.status_code == 404


# -- CKAN's harvester ---------------------------------------------------------------------

def ckan_parse(document: bytes, profile: str, rdf_format: str) -> dict[str, dict]:
    """The datasets ckanext-dcat's RDFParser makes of ``document``, by the
    identifier, with their extras as a dict."""
    if not CKAN_PYTHON.exists():
        pytest.fail("CKAN and ckanext-dcat are not installed: run `make install-ckan`")
    result = subprocess.run([str(CKAN_PYTHON), str(PARSE), profile, rdf_format], input=document,
                            capture_output=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    datasets = {}
    for line in result.stdout.decode().splitlines():
        dataset = json.loads(line)
        dataset["extras"] = {extra["key"]: extra["value"] for extra in dataset.get("extras", [])}
        datasets[dataset["extras"]["identifier"]] = dataset
    return datasets


def check_harvested(harvested: dict, versions: dict) -> None:
    assert set(harvested) == set(versions)
    for name, dataset in harvested.items():
        version = versions[name]
        extras = dataset["extras"]
        assert dataset["license_id"] == "uk-ogl", name
        assert dataset["title"] in (version.title_en, version.title_cy)
        assert extras["uri"] == iri(name)
        assert (extras["temporal_start"], extras["temporal_end"]) == ("2018-01-01", "2018-12-31"), name
        assert extras["spatial_uri"] == GEOGRAPHY + PLACES[name], name
        assert json.loads(extras["spatial_bbox"])["type"] == "Polygon"
        # the portal's publisher publishes every dataset and is its contact
        assert extras["contact_name"] in PORTAL
        assert extras["contact_url"] == "http://localhost/en/about/#publisher"
        assert "contact_email" not in extras  # PUBLISHER_EMAIL is not set
        assert extras["publisher_name"] in PORTAL, name
        if version.demonstration:
            assert extras["creator_name"] in PORTAL, name
            assert not any(office in str(value) for value in extras.values() for office in AUDIT_OFFICE
                           if not str(value).startswith(("How ", "DEMONSTRATION", "DATA ")))
        else:
            # the report's author made the report's figures
            assert extras["creator_name"] in AUDIT_OFFICE, name
            assert extras["creator_url"] == "https://www.audit.wales/", name
        downloads = {resource["url"] for resource in dataset["resources"]}
        assert len(downloads) == 7 * len(version.resources) + 2


@pytest.mark.parametrize("profile", ["euro_dcat_ap_3", "euro_dcat_ap_2"])
def test_ckan_harvests_the_catalogue(client, versions, profile):
    check_harvested(ckan_parse(client.get("/catalog.ttl").data, profile, "turtle"), versions)


@pytest.mark.parametrize("profile", ["euro_dcat_ap_3", "euro_dcat_ap_2"])
def test_ckan_harvests_each_dataset_document(client, versions, profile):
    harvested = {}
    for name in versions:
        harvested.update(ckan_parse(client.get(f"/datasets/{name}.jsonld").data, profile, "json-ld"))
    check_harvested(harvested, versions)
