"""The DCAT catalogue: the same graph in three syntaxes, every published
dataset and download described in English and Welsh, and conformance to
DCAT-AP 3.0.1 checked with its SHACL shapes (mandatory, recommended, and the
full shapes with their range checks)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, SH

from portal import queries
from portal.extensions import session

SHAPES = Path(__file__).parent / "data" / "dcat-ap-3.0.1"
# Open namespaces: pytest probes module globals, which closed ones warn about.
DCAT = Namespace(str(ns.DCAT))
XSD = Namespace(str(ns.XSD))
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"
CATALOG = URIRef("http://localhost/catalog.ttl#catalog")
DEMONSTRATION = {"maturity-scores", "response-rates"}
# The portal's publisher out of the box (the PUBLISHER_* settings): the portal itself.
PORTAL = {"en": {"Wales local government data portal"}, "cy": {"Porth data llywodraeth leol Cymru"}}
AUDIT_OFFICE = {"en": {"Wales Audit Office"}, "cy": {"Swyddfa Archwilio Cymru"}}
SYNTAXES = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
            "rdf": ("application/rdf+xml", "xml")}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "zip": "application/zip",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "ods": "application/vnd.oasis.opendocument.spreadsheet"}
FILE_TYPES = {"csv": "CSV", "json": "JSON", "zip": "ZIP", "xlsx": "XLSX", "ods": "ODS"}
OGL_IN_CKAN = URIRef("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"
# What each package says it covers: Neath Port Talbot alone where only it is covered.
PLACES = {"councils": "W92000004", "maturity-framework": "W92000004", "data-tool-response-rates": "W06000012",
          "council-findings": "W06000012", "good-practice-case-studies": "K02000001",
          "public-attitudes-survey": "W92000004", "maturity-scores": "W92000004", "response-rates": "W92000004"}


def fetch(client, syntax: str = "ttl") -> Graph:
    response = client.get(f"/catalog.{syntax}")
    assert response.status_code == 200
    mediatype, rdflib_format = SYNTAXES[syntax]
    assert response.mimetype == mediatype
    return Graph().parse(data=response.data, format=rdflib_format)


@pytest.fixture(scope="module")
def published(published_app):
    """name -> (latest version, first version), straight from the database."""
    with published_app.app_context():
        db = session()
        latest = queries.latest_versions(db)
        result = {}
        for version in latest:
            history = queries.version_history(db, version.dataset.name)
            result[version.dataset.name] = (version, history[-1])
        return result


@pytest.fixture(scope="module")
def graph(published_app) -> Graph:
    return fetch(published_app.test_client())


def languages(graph: Graph, node, predicate) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for literal in graph.objects(node, predicate):
        assert isinstance(literal, Literal) and literal.language in ("en", "cy"), literal
        found.setdefault(literal.language, set()).add(str(literal))
    return found


def dataset_node(graph: Graph, name: str):
    nodes = list(graph.subjects(DCTERMS.identifier, Literal(name)))
    assert len(nodes) == 1
    return nodes[0]


@pytest.mark.parametrize("syntax", ["jsonld", "rdf"])
def test_every_syntax_is_the_same_graph(client, graph, syntax):
    assert isomorphic(fetch(client, syntax), graph)


def test_catalog(graph, published):
    assert (CATALOG, RDF.type, DCAT.Catalog) in graph
    assert languages(graph, CATALOG, DCTERMS.title) == {
        "en": {"Wales local government data"}, "cy": {"Data llywodraeth leol Cymru"}}
    assert set(languages(graph, CATALOG, DCTERMS.description)) == {"en", "cy"}
    publisher = graph.value(CATALOG, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    # the portal's publisher, not the report's author
    assert languages(graph, publisher, FOAF.name) == PORTAL
    assert graph.value(publisher, FOAF.homepage) == URIRef("http://localhost/en/")
    assert graph.value(publisher, FOAF.mbox) is None  # PUBLISHER_EMAIL is not set
    for service in graph.objects(CATALOG, DCAT.service):
        assert graph.value(service, DCTERMS.publisher) == publisher
    assert graph.value(CATALOG, FOAF.homepage) == URIRef("http://localhost/en/")
    assert set(graph.objects(CATALOG, DCTERMS.language)) == {URIRef(EU + "language/ENG"),
                                                             URIRef(EU + "language/CYM")}
    assert graph.value(CATALOG, DCTERMS.license) == OGL_IN_CKAN
    newest = max(version.published_utc for version, _first in published.values())
    assert graph.value(CATALOG, DCTERMS.modified).toPython() == newest.replace(microsecond=0)
    datasets = set(graph.objects(CATALOG, DCAT.dataset))
    assert len(datasets) == len(published) == 8
    assert {str(graph.value(d, DCTERMS.identifier)) for d in datasets} == set(published)


def test_every_dataset_in_both_languages(graph, published):
    for name, (version, first) in published.items():
        node = dataset_node(graph, name)
        assert node == URIRef(f"http://localhost/datasets/{name}")
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert languages(graph, node, DCTERMS.title) == {"en": {version.title_en}, "cy": {version.title_cy}}
        assert languages(graph, node, DCTERMS.description) == {
            "en": {version.description_en}, "cy": {version.description_cy}}
        assert languages(graph, node, DCAT.keyword) == {"en": set(version.keywords_en),
                                                        "cy": set(version.keywords_cy)}
        assert graph.value(node, DCTERMS.issued).toPython() == first.published_utc.replace(microsecond=0)
        assert graph.value(node, DCTERMS.modified).toPython() == version.published_utc.replace(microsecond=0)
        assert graph.value(node, OWL.versionInfo) == Literal(str(version.number))
        assert set(graph.objects(node, DCAT.landingPage)) == {
            URIRef(f"http://localhost/{lang}/datasets/{name}/") for lang in ("en", "cy")}
        assert graph.value(node, DCAT.theme) == URIRef(EU + "data-theme/GOVE")
        assert graph.value(node, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
        assert list(graph.objects(node, DCTERMS.spatial)) == [URIRef(GEOGRAPHY + PLACES[name])]
        period = graph.value(node, DCTERMS.temporal)
        assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
        assert (str(graph.value(period, DCAT.startDate)), str(graph.value(period, DCAT.endDate))) == (
            "2018-01-01", "2018-12-31")
        assert graph.value(period, DCAT.startDate).datatype == XSD.date
        # the package's licence, by the URI CKAN's licence register gives it
        assert version.descriptor["licenses"][0]["name"] == "OGL-UK-3.0"
        assert graph.value(node, DCTERMS.license) == OGL_IN_CKAN
        contact = graph.value(node, DCAT.contactPoint)
        assert (contact, RDF.type, VCARD.Organization) in graph and (contact, RDF.type, VCARD.Kind) in graph
        # the portal's publisher publishes and answers for every dataset
        assert languages(graph, contact, VCARD.fn) == PORTAL
        assert graph.value(contact, VCARD.hasURL) == URIRef("http://localhost/en/about/#publisher")
        assert graph.value(contact, VCARD.hasEmail) is None  # PUBLISHER_EMAIL is not set
        assert graph.value(node, DCTERMS.publisher) == graph.value(CATALOG, DCTERMS.publisher)
        creators = list(graph.objects(node, DCTERMS.creator))
        assert len(creators) == 1
        if version.demonstration:
            continue  # see test_demonstration_data_is_never_credited_to_the_audit_office
        # the report's author made the report's figures
        assert languages(graph, creators[0], FOAF.name) == AUDIT_OFFICE, name
        assert graph.value(creators[0], FOAF.homepage) == URIRef("https://www.audit.wales/")
        assert creators[0] != graph.value(CATALOG, DCTERMS.publisher)


def test_places_are_named_in_both_languages(graph):
    names = {"W92000004": {"en": {"Wales"}, "cy": {"Cymru"}},
             "W06000012": {"en": {"Neath Port Talbot"}, "cy": {"Castell-nedd Port Talbot"}},
             "K02000001": {"en": {"United Kingdom"}, "cy": {"Y Deyrnas Unedig"}}}
    for code, labels in names.items():
        place = URIRef(GEOGRAPHY + code)
        assert (place, RDF.type, DCTERMS.Location) in graph
        assert languages(graph, place, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")) == labels
        assert graph.value(place, DCAT.bbox).datatype == URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")


def test_demonstration_data_is_never_credited_to_the_audit_office(graph, published):
    """Synthetic datasets are made and published by the portal's publisher;
    only the datasets taken from the report credit the Wales Audit Office,
    as their creator."""
    audit_office = {"Wales Audit Office", "Swyddfa Archwilio Cymru", "mailto:info@audit.wales",
                    "https://www.audit.wales/"}
    for name, (version, _first) in published.items():
        if not version.demonstration:
            continue
        node = dataset_node(graph, name)
        agents = [graph.value(node, predicate) for predicate in (DCTERMS.publisher, DCTERMS.creator,
                                                                 DCAT.contactPoint)]
        assert graph.value(node, DCTERMS.rightsHolder) is None
        for agent in agents:
            assert agent is not None
            said = {str(o) for _p, o in graph.predicate_objects(agent)}
            assert not said & audit_office, (name, agent, said)
        assert languages(graph, agents[0], FOAF.name) == PORTAL
        assert agents[1] == agents[0]  # the publisher made them


def test_the_audit_office_publishes_nothing_here(graph):
    """The Wales Audit Office is the creator of the report's datasets only:
    never the publisher of the catalogue, a dataset or a service, nor a
    contact point."""
    names = {"Wales Audit Office", "Swyddfa Archwilio Cymru"}
    for predicate, name_predicate in ((DCTERMS.publisher, FOAF.name), (DCAT.contactPoint, VCARD.fn)):
        agents = set(graph.objects(None, predicate))
        assert agents
        for agent in agents:
            assert not {str(o) for o in graph.objects(agent, name_predicate)} & names, agent
            assert not {str(o) for _p, o in graph.predicate_objects(agent)} & {
                "mailto:info@audit.wales", "https://www.audit.wales/"}, agent


def test_the_publisher_is_a_setting(published_app, client, published):
    """Another publisher in the settings: the catalogue (kept pages made
    again), every dataset and its own document name it, with its address and
    home page; the report's datasets are still the Wales Audit Office's work."""
    saved = {key: published_app.config[key] for key in
             ("PUBLISHER_EN", "PUBLISHER_CY", "PUBLISHER_URL", "PUBLISHER_EMAIL")}
    fetch(client)  # the page for the default publisher is kept
    published_app.config.update(PUBLISHER_EN="Example Council", PUBLISHER_CY="Cyngor Enghreifftiol",
                                PUBLISHER_URL="https://example.wales/", PUBLISHER_EMAIL="data@example.wales")
    try:
        documents = [fetch(client)] + [
            Graph().parse(data=client.get(f"/datasets/{name}.ttl").data, format="turtle")
            for name in ("maturity-scores", "councils")]
        for graph in documents:
            for name, (version, _first) in published.items():
                nodes = list(graph.subjects(DCTERMS.identifier, Literal(name)))
                if not nodes:
                    continue
                node = nodes[0]
                publisher = graph.value(node, DCTERMS.publisher)
                assert languages(graph, publisher, FOAF.name) == {
                    "en": {"Example Council"}, "cy": {"Cyngor Enghreifftiol"}}
                assert graph.value(publisher, FOAF.homepage) == URIRef("https://example.wales/")
                assert graph.value(publisher, FOAF.mbox) == URIRef("mailto:data@example.wales")
                contact = graph.value(node, DCAT.contactPoint)
                assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:data@example.wales")
                assert languages(graph, contact, VCARD.fn) == {
                    "en": {"Example Council"}, "cy": {"Cyngor Enghreifftiol"}}
                creator = graph.value(node, DCTERMS.creator)
                if version.demonstration:
                    assert creator == publisher
                else:
                    assert languages(graph, creator, FOAF.name) == AUDIT_OFFICE
        catalog = documents[0]
        assert languages(catalog, catalog.value(CATALOG, DCTERMS.publisher), FOAF.name)["en"] == {
            "Example Council"}
    finally:
        published_app.config.update(saved)
    again = fetch(client)
    assert languages(again, again.value(CATALOG, DCTERMS.publisher), FOAF.name) == PORTAL


def test_demonstration_datasets_say_so(graph, published):
    synthetic = URIRef(EU + "dataset-type/SYNTHETIC_DATA")
    assert {name for name, (version, _first) in published.items() if version.demonstration} == DEMONSTRATION
    for name in published:
        node = dataset_node(graph, name)
        descriptions = languages(graph, node, DCTERMS.description)
        if name in DEMONSTRATION:
            assert list(graph.objects(node, DCTERMS.type)) == [synthetic]
            assert next(iter(descriptions["en"])).startswith("DEMONSTRATION DATA: ")
            assert next(iter(descriptions["cy"])).startswith("DATA ENGHREIFFTIOL: ")
        else:
            assert list(graph.objects(node, DCTERMS.type)) == []
            assert "DEMONSTRATION" not in next(iter(descriptions["en"]))
    assert set(languages(graph, synthetic, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))) == {
        "en", "cy"}


def test_every_download_is_a_distribution(client, graph, published):
    """CSV (English and Welsh headings), JSON and spreadsheets (English and
    Welsh) of every resource, the descriptor and the zip, at pinned URLs, with
    the byte size and hash of what the URL serves."""
    for name, (version, _first) in published.items():
        node = dataset_node(graph, name)
        distributions = list(graph.objects(node, DCAT.distribution))
        pinned = f"http://localhost/datasets/{name}/versions/{version.number}/"
        expected = {pinned + f"{folder}{r.name}.{fmt}" for r in version.resources
                    for folder, formats in (("", ("csv", "json", "xlsx", "ods")), ("cy/", ("csv", "xlsx", "ods")))
                    for fmt in formats}
        expected |= {pinned + "datapackage.json", pinned + f"{name}.zip"}
        assert len(distributions) == len(expected) == 7 * len(version.resources) + 2
        assert {str(graph.value(d, DCAT.downloadURL)) for d in distributions} == expected
        for distribution in distributions:
            url = str(graph.value(distribution, DCAT.downloadURL))
            assert graph.value(distribution, DCAT.accessURL) == URIRef(url)
            extension = "zip" if url.endswith(".zip") else url.rsplit(".", 1)[1]
            body = client.get(url.removeprefix("http://localhost")).data
            size = graph.value(distribution, DCAT.byteSize)
            assert size.datatype == XSD.nonNegativeInteger and int(size) == len(body) > 0
            checksum = graph.value(distribution, SPDX.checksum)
            assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
            assert graph.value(distribution, DCAT.mediaType) == URIRef(
                "http://www.iana.org/assignments/media-types/" + MEDIA_TYPES[extension])
            assert graph.value(distribution, DCTERMS.format) == URIRef(
                EU + "file-type/" + FILE_TYPES[extension])
            assert graph.value(distribution, DCTERMS.license) == graph.value(node, DCTERMS.license)
            assert graph.value(distribution, DCTERMS.issued).toPython() == version.published_utc.replace(
                microsecond=0)
            titles = languages(graph, distribution, DCTERMS.title)
            assert set(titles) == {"en", "cy"}
        csv_titles = {str(t) for d in distributions for t in graph.objects(d, DCTERMS.title)
                      if str(graph.value(d, DCAT.downloadURL)).endswith(".csv")}
        assert csv_titles == {f"{r.title_en} (CSV)" for r in version.resources} | {
            f"{r.title_cy} (CSV)" for r in version.resources} | {
            f"{r.title_en} (CSV, Welsh column headings)" for r in version.resources} | {
            f"{r.title_cy} (CSV, penawdau colofnau Cymraeg)" for r in version.resources}


def test_csv_distributions_conform_to_their_table_schema(client, graph, published):
    table_schema = URIRef("https://specs.frictionlessdata.io/table-schema/")
    for name, (version, _first) in published.items():
        for distribution in graph.objects(dataset_node(graph, name), DCAT.distribution):
            url = str(graph.value(distribution, DCAT.downloadURL))
            standards = set(graph.objects(distribution, DCTERMS.conformsTo))
            if not url.endswith(".csv"):
                assert all(str(s).startswith("https://specs.frictionlessdata.io/data-package") for s in standards)
                continue
            resource = url.rsplit("/", 1)[1].removesuffix(".csv")
            schema = URIRef(f"http://localhost/api/v1/datasets/{name}/versions/{version.number}"
                            f"/resources/{resource}/schema")
            assert standards == {schema}
            assert (schema, DCTERMS.conformsTo, table_schema) in graph
            served = client.get(str(schema).removeprefix("http://localhost"))
            assert served.status_code == 200
            fields = [field["name"] for field in served.get_json()["fields"]]
            if "/cy/" not in url:
                header = client.get(url.removeprefix("http://localhost")).data.decode().splitlines()[0]
                assert header.split(",") == fields


def test_the_apis_are_data_services(graph, published):
    services = {str(graph.value(s, DCAT.endpointURL)): s for s in graph.objects(CATALOG, DCAT.service)}
    assert set(services) == {"http://localhost/api/v1/", "http://localhost/api/3/action/"}
    v1 = services["http://localhost/api/v1/"]
    assert graph.value(v1, DCAT.endpointDescription) == URIRef("http://localhost/api/v1/openapi.json")
    for service in services.values():
        assert (service, RDF.type, DCAT.DataService) in graph
        assert set(languages(graph, service, DCTERMS.title)) == {"en", "cy"}
        assert graph.value(service, DCAT.endpointDescription) is not None
        assert {str(d) for d in graph.objects(service, DCAT.servesDataset)} == {
            f"http://localhost/datasets/{name}" for name in published}


def shapes_graph(shapes: str) -> Graph:
    """The shapes; in the full shapes of the 3.0.1 release, dcat:DataServiceShape
    lists two property shapes that the file never defines (pyshacl refuses
    them), so those two references are left out."""
    graph = Graph().parse(SHAPES / shapes)
    for shape, prop in list(graph.subject_objects(SH.property)):
        if (prop, SH.path, None) not in graph:
            graph.remove((shape, SH.property, prop))
    return graph


def violations(graph: Graph, shapes: str) -> list[tuple[str, str, str]]:
    """(severity, focus node, path) of every result of ``shapes`` on ``graph``."""
    _conforms, report, _text = pyshacl.validate(graph, shacl_graph=shapes_graph(shapes), inference="none")
    return sorted((str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[1],
                   str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
                  for r in report.subjects(RDF.type, SH.ValidationResult))


def test_conforms_to_dcat_ap_mandatory_shapes(graph):
    assert violations(graph, "shapes.ttl") == []


def test_conforms_to_dcat_ap_recommended_shapes(graph):
    assert violations(graph, "shapes_recommended.ttl") == []


def test_conforms_to_dcat_ap_full_shapes_with_range_checks(graph):
    assert violations(graph, "dcat-ap-SHACL.ttl") == []


def test_empty_catalogue_is_still_valid(app):
    graph = fetch(app.test_client())
    assert list(graph.objects(CATALOG, DCAT.dataset)) == []
    assert violations(graph, "shapes.ttl") == []


def test_machine_errors_are_problem_json(client):
    response = client.get("/catalog.xml")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


# -- a catalogue in pages -------------------------------------------------------------------

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


@pytest.fixture(scope="module")
def paged_app(published_app):
    """The published portal, three datasets to a page of the catalogue."""
    from tests.conftest import make_app
    return make_app(published_app.config["DATABASE_URL"], Path(published_app.config["INSTANCE_PATH"]),
                    CATALOG_PAGE_SIZE=3)


def test_a_large_catalogue_comes_in_pages_linked_with_hydra(paged_app, published):
    client = paged_app.test_client()
    seen, pages = set(), []
    url = "/catalog.ttl"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page = Graph().parse(data=response.data, format="turtle")
        pages.append(page)
        datasets = {str(page.value(d, DCTERMS.identifier)) for d in page.objects(CATALOG, DCAT.dataset)}
        assert 1 <= len(datasets) <= 3 and not datasets & seen
        seen |= datasets
        node = next(page.subjects(RDF.type, HYDRA.PagedCollection))
        assert page.value(node, HYDRA.totalItems).toPython() == 8
        assert page.value(node, HYDRA.itemsPerPage).toPython() == 3
        assert str(page.value(node, HYDRA.firstPage)) == "http://localhost/catalog.ttl?page=1"
        assert str(page.value(node, HYDRA.lastPage)) == "http://localhost/catalog.ttl?page=3"
        following = page.value(node, HYDRA.nextPage)
        url = str(following).removeprefix("http://localhost") if following else None
    assert seen == set(published) and len(pages) == 3
    # every page says when the whole catalogue was issued and modified
    newest = max(version.published_utc for version, _first in published.values())
    assert {page.value(CATALOG, DCTERMS.modified).toPython() for page in pages} == {newest.replace(microsecond=0)}
    assert violations(pages[1], "shapes.ttl") == []
    assert violations(pages[1], "dcat-ap-SHACL.ttl") == []


def test_catalogue_pages_are_made_once_and_kept_for_every_worker(paged_app):
    from portal.model import CatalogDocument
    client = paged_app.test_client()
    first = client.get("/catalog.jsonld?page=2")
    with paged_app.app_context():
        kept = session().query(CatalogDocument).count()
    again = client.get("/catalog.jsonld?page=2")
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    with paged_app.app_context():
        assert session().query(CatalogDocument).count() == kept


@pytest.mark.parametrize("query, status", [("page=0", 400), ("page=x", 400), ("page=1&page=2", 400),
                                           ("page=4", 404), ("page=99999999999", 400)])
def test_bad_catalogue_pages(paged_app, query, status):
    response = paged_app.test_client().get(f"/catalog.rdf?{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
