"""The catalogue as a DCAT-AP 3.0.1 graph, with English and Welsh literals.

Every published dataset (its latest version) is a ``dcat:Dataset`` whose IRI
is its own address, ``/datasets/<name>`` (which answers RDF to an RDF client
and the page to a browser); a pinned version is
``/datasets/<name>/versions/<n>``. Each of its downloads (CSV, the CSV with
Welsh headings, JSON and spreadsheets of every resource, the datapackage.json
and the zip, all at their pinned URLs) is a ``dcat:Distribution``; the JSON
API and the CKAN Action API are ``dcat:DataService``s serving every dataset.
Other nodes the portal mints are hash IRIs under the catalogue document's URL;
everything else uses the EU and IANA vocabularies DCAT-AP recommends, and the
licence URIs of CKAN's licence register, so that CKAN harvesters
(ckanext-dcat) recognise them.

Who is credited (as :mod:`portal.attribution` rules): the portal's publisher
(the ``PUBLISHER_*`` settings) is the ``dct:publisher`` of the catalogue, of
every dataset and of the data services, and every dataset's contact point;
``dct:creator`` is who made the figures: the Wales Audit Office for the
datasets taken from its report, the portal's publisher for demonstration
data. Demonstration datasets also carry ``dct:type`` dataset-type
``SYNTHETIC_DATA`` (EU dataset-type authority table) and a description that
starts with the DEMONSTRATION DATA note; nothing credits them to the Wales
Audit Office.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from portal import attribution, coverage
from portal.feeds.files import CSV, CSV_CY, DESCRIPTOR, JSON, ODS, ODS_CY, XLSX, XLSX_CY, ZIP, DownloadFile
from portal.model import DatasetVersion, Resource

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# DCAT 3 terms missing from rdflib's closed DCAT namespace.
DCAT_VERSION = URIRef(f"{DCAT}version")
DCAT_HAS_CURRENT_VERSION = URIRef(f"{DCAT}hasCurrentVersion")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"

LANGUAGES = {"en": URIRef(EU + "language/ENG"), "cy": URIRef(EU + "language/CYM")}
THEME_SCHEME = URIRef(EU + "data-theme")
THEME = URIRef(EU + "data-theme/GOVE")
PUBLIC = URIRef(EU + "access-right/PUBLIC")
STABLE = URIRef(EU + "planned-availability/STABLE")
SYNTHETIC = URIRef(EU + "dataset-type/SYNTHETIC_DATA")
NATIONAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/NationalAuthority")
ATTRIBUTION = URIRef("http://purl.org/adms/licencetype/Attribution")
DATA_PACKAGE = URIRef("https://specs.frictionlessdata.io/data-package/")
TABLE_SCHEMA = URIRef("https://specs.frictionlessdata.io/table-schema/")
OPENAPI = URIRef("https://spec.openapis.org/oas/v3.0.3")
CKAN_API = URIRef("https://docs.ckan.org/en/2.10/api/")
# Wales, by its GSS code (ONS statistical geography).
WALES = URIRef(coverage.WALES.uri)

OGL = {"path": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
       "title": "Open Government Licence v3.0",
       "translations": {"cy": {"title": "Trwydded Llywodraeth Agored v3.0",
                               "path": "http://www.nationalarchives.gov.uk/doc/"
                                       "open-government-licence-cymraeg/version/3/"}}}
# Licences whose ADMS licence type is known, by their Data Package name.
LICENCE_TYPES = {"OGL-UK-3.0": ATTRIBUTION}
# The URI CKAN's licence register gives a licence (ckan.model.license), by its
# Data Package name: ckanext-dcat finds a dataset's license_id by this URI.
CKAN_LICENCE_URIS = {
    "OGL-UK-3.0": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "CC0-1.0": "http://www.opendefinition.org/licenses/cc-zero",
    "ODC-BY-1.0": "http://www.opendefinition.org/licenses/odc-by",
    "ODbL-1.0": "http://www.opendefinition.org/licenses/odc-odbl",
    "PDDL-1.0": "http://www.opendefinition.org/licenses/odc-pddl",
}

Bilingual = tuple[str, str]
CATALOG_TITLE: Bilingual = ("Wales local government data", "Data llywodraeth leol Cymru")
CATALOG_DESCRIPTION: Bilingual = (
    "Open data from the Wales Audit Office study Local government use of data (2018), on how "
    "Wales' 22 councils use data, published in Welsh and English as versioned Frictionless "
    "Data Packages.",
    "Data agored o astudiaeth Swyddfa Archwilio Cymru, Defnydd llywodraeth leol o ddata (2018), am "
    "sut mae 22 cyngor Cymru yn defnyddio data, a gyhoeddir yn Gymraeg ac yn Saesneg fel Pecynnau "
    "Data Frictionless â fersiynau.",
)
LABELS: dict[URIRef, Bilingual] = {
    THEME: ("Government and public sector", "Llywodraeth a'r sector cyhoeddus"),
    SYNTHETIC: ("Synthetic data", "Data synthetig"),
    STABLE: ("Stable", "Sefydlog"),
    NATIONAL_AUTHORITY: ("National authority", "Awdurdod cenedlaethol"),
    ATTRIBUTION: ("Attribution", "Priodoliad"),
}
SERVICE_KEYWORDS = {"en": ("API", "open data"), "cy": ("API", "data agored")}
THEME_SCHEME_TITLE: Bilingual = ("Data theme", "Thema data")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
FILE_TYPES = {CSV: ("CSV", "text/csv"), CSV_CY: ("CSV", "text/csv"), JSON: ("JSON", "application/json"),
              XLSX: ("XLSX", XLSX_TYPE), XLSX_CY: ("XLSX", XLSX_TYPE), ODS: ("ODS", ODS_TYPE),
              ODS_CY: ("ODS", ODS_TYPE), DESCRIPTOR: ("JSON", "application/json"), ZIP: ("ZIP", "application/zip")}
# How a resource's download is named after the resource's title, by kind.
RESOURCE_FILE_LABELS: dict[str, Bilingual] = {
    CSV: ("CSV", "CSV"),
    CSV_CY: ("CSV, Welsh column headings", "CSV, penawdau colofnau Cymraeg"),
    JSON: ("JSON", "JSON"),
    XLSX: ("Excel spreadsheet, English", "taenlen Excel, Saesneg"),
    XLSX_CY: ("Excel spreadsheet, Welsh", "taenlen Excel, Cymraeg"),
    ODS: ("OpenDocument spreadsheet, English", "taenlen OpenDocument, Saesneg"),
    ODS_CY: ("OpenDocument spreadsheet, Welsh", "taenlen OpenDocument, Cymraeg"),
}
# The language of a download's headings and labels, where it has only one.
FILE_LANGUAGES = {CSV_CY: "cy", XLSX: "en", XLSX_CY: "cy", ODS: "en", ODS_CY: "cy"}
FILE_TITLES: dict[str, Bilingual] = {
    DESCRIPTOR: ("Data package descriptor (datapackage.json)", "Disgrifydd y pecyn data (datapackage.json)"),
    ZIP: ("Whole data package (zip)", "Y pecyn data cyfan (zip)"),
}
FILE_DESCRIPTIONS: dict[str, Bilingual] = {
    DESCRIPTOR: ("Metadata of version {n} of this dataset: a Frictionless Data Package descriptor with "
                 "the table schemas and links to the CSV files.",
                 "Metadata fersiwn {n} o'r set ddata hon: disgrifydd Pecyn Data Frictionless gyda "
                 "sgemâu'r tablau a dolenni i'r ffeiliau CSV."),
    ZIP: ("Version {n} of this dataset as a zip file holding the descriptor and every CSV file; it is "
          "itself a valid data package.",
          "Fersiwn {n} o'r set ddata hon fel ffeil zip sy'n cynnwys y disgrifydd a phob ffeil CSV; mae'n "
          "becyn data dilys ynddi'i hun."),
}


@dataclass(frozen=True)
class Syntax:
    rdflib_format: str
    mediatype: str


SYNTAXES = {
    "ttl": Syntax("turtle", "text/turtle"),
    "jsonld": Syntax("json-ld", "application/ld+json"),
    "rdf": Syntax("xml", "application/rdf+xml"),
}
# Media types of RDF a client may ask for, the portal's preference first.
SYNTAXES_BY_PREFERENCE = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/json"]


@dataclass(frozen=True)
class CatalogEntry:
    """A published dataset: its latest version (or, in a version's own
    document, that version), when its first version was published, and the
    downloads of the version."""

    version: DatasetVersion
    first_published: datetime
    files: Sequence[DownloadFile]


@dataclass(frozen=True)
class Service:
    """An API serving the datasets: ``endpoint`` its root URL,
    ``description`` the URL of its machine-readable description (OpenAPI) or
    documentation, ``standard`` what it conforms to."""

    key: str
    title: Bilingual
    description_text: Bilingual
    endpoint: str
    description: str
    standard: URIRef
    documentation: str | None = None


@dataclass(frozen=True)
class CatalogUrls:
    """``document``: the catalogue's own URL, under which the portal's nodes are
    minted as hash IRIs; ``homepage``: the portal's home page;
    ``landing_page(version, language)``: a dataset's page; ``dataset(name,
    number)``: a dataset's IRI (``number`` None: the dataset, else a pinned
    version); ``schema(version, resource)``: a resource's Table Schema;
    ``about(language)``: the page saying who publishes the site and how to
    contact them (and who makes the demonstration data);
    ``services``: the APIs serving the datasets."""

    document: str
    homepage: str
    landing_page: Callable[[DatasetVersion, str], str]
    dataset: Callable[[str, int | None], str]
    schema: Callable[[DatasetVersion, Resource], str]
    about: Callable[[str], str]
    services: Sequence[Service] = ()


@dataclass(frozen=True)
class Paging:
    """One page of a catalogue too large for one document, described with
    Hydra as ckanext-dcat pages its catalogue (and its harvesters follow):
    ``url(n)`` is page n's address."""

    page: int
    per_page: int
    total: int
    url: Callable[[int], str]

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.per_page))


def catalog_graph(entries: Sequence[CatalogEntry], urls: CatalogUrls,
                  span: tuple[datetime, datetime] | None = None, paging: Paging | None = None,
                  publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER) -> Graph:
    """The catalogue (or, with ``paging``, one page of it); ``span`` is when
    the whole catalogue was first and last published to; ``publisher`` the
    portal's publisher."""
    graph = _graph()
    catalog = _minted(urls, "catalog")
    agent = publisher
    publisher = _publisher(graph, urls, agent)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _bilingual(graph, catalog, DCTERMS.title, CATALOG_TITLE)
    _bilingual(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.license, _licence(graph, OGL, "OGL-UK-3.0")))
    graph.add((catalog, FOAF.homepage, _typed(graph, URIRef(urls.homepage), FOAF.Document)))
    graph.add((catalog, DCTERMS.spatial, _place(graph, coverage.WALES)))
    graph.add((catalog, DCAT.themeTaxonomy, _theme_scheme(graph)))
    _languages(graph, catalog)
    if span is None and entries:
        span = (min(e.first_published for e in entries), max(e.version.published_utc for e in entries))
    if span is not None:
        graph.add((catalog, DCTERMS.issued, _moment(span[0])))
        graph.add((catalog, DCTERMS.modified, _moment(span[1])))
    if paging is not None and paging.total > paging.per_page:
        _hydra(graph, paging)
    datasets = [_dataset(graph, entry, urls, agent) for entry in entries]
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, dataset))
    for service in urls.services:
        graph.add((catalog, DCAT.service, _service(graph, urls, service, agent, datasets)))
    return graph


def dataset_graph(entry: CatalogEntry, urls: CatalogUrls, pinned: bool = False,
                  publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER) -> Graph:
    """One dataset's own document: the dataset (``pinned``: the version,
    with its IRI under ``/versions/<n>``), its distributions, and the APIs
    serving it; ``publisher`` the portal's publisher."""
    graph = _graph()
    dataset = _dataset(graph, entry, urls, publisher, pinned)
    for service in urls.services:
        _service(graph, urls, service, publisher, [dataset])
    return graph


def _hydra(graph: Graph, paging: Paging) -> None:
    node = URIRef(paging.url(paging.page))
    graph.bind("hydra", HYDRA)
    graph.add((node, RDF.type, HYDRA.PagedCollection))
    graph.add((node, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    graph.add((node, HYDRA.itemsPerPage, Literal(paging.per_page, datatype=XSD.integer)))
    graph.add((node, HYDRA.firstPage, Literal(paging.url(1))))
    graph.add((node, HYDRA.lastPage, Literal(paging.url(paging.last))))
    if paging.page < paging.last:
        graph.add((node, HYDRA.nextPage, Literal(paging.url(paging.page + 1))))
    if paging.page > 1:
        graph.add((node, HYDRA.previousPage, Literal(paging.url(paging.page - 1))))


def serialize(graph: Graph, syntax: str) -> bytes:
    """``graph`` in one of :data:`SYNTAXES` (ttl, jsonld, rdf), UTF-8."""
    options = {"auto_compact": True} if syntax == "jsonld" else {}
    return graph.serialize(format=SYNTAXES[syntax].rdflib_format, encoding="utf-8", **options)


def _graph() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD),
                              ("owl", OWL), ("skos", SKOS), ("adms", ADMS), ("dcatap", DCATAP),
                              ("spdx", SPDX), ("gsp", GSP), ("xsd", XSD), ("hydra", HYDRA)):
        graph.bind(prefix, namespace, override=True)
    return graph


def _dataset(graph: Graph, entry: CatalogEntry, urls: CatalogUrls, publisher: attribution.Agent,
             pinned: bool = False) -> URIRef:
    version = entry.version
    name = version.dataset.name
    dataset = URIRef(urls.dataset(name, version.number if pinned else None))
    licence = _version_licence(graph, version)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    for attribute, predicate in (("title", DCTERMS.title), ("description", DCTERMS.description)):
        _bilingual(graph, dataset, predicate, (version.text(attribute, "en"), version.text(attribute, "cy")))
    for language in LANGUAGES:
        for keyword in version.text("keywords", language):
            graph.add((dataset, DCAT.keyword, Literal(keyword, lang=language)))
        page = _typed(graph, URIRef(urls.landing_page(version, language)), FOAF.Document)
        graph.add((dataset, DCAT.landingPage, page))
        graph.add((page, DCTERMS.language, LANGUAGES[language]))
    _bilingual(graph, dataset, ADMS.versionNotes, (version.changelog_en, version.changelog_cy))
    graph.add((dataset, DCTERMS.identifier, Literal(name)))
    graph.add((dataset, ADMS.identifier, _identifier(graph, dataset, name)))
    # the portal's publisher publishes and answers for every dataset; who made
    # it: the report's author for the report's figures, the portal's publisher
    # for demonstration data (never the Wales Audit Office)
    graph.add((dataset, DCTERMS.publisher, _publisher(graph, urls, publisher)))
    graph.add((dataset, DCAT.contactPoint, _contact_point(graph, urls, publisher)))
    for creator in attribution.creators(version.descriptor or {}, version.demonstration, publisher):
        graph.add((dataset, DCTERMS.creator, _creator(graph, urls, creator, publisher)))
    if version.demonstration:
        graph.add((dataset, DCTERMS.type, _concept(graph, SYNTHETIC)))
    graph.add((dataset, DCTERMS.license, licence))
    graph.add((dataset, DCTERMS.issued, _moment(entry.first_published)))
    graph.add((dataset, DCTERMS.modified, _moment(version.published_utc)))
    graph.add((dataset, DCAT.theme, _concept(graph, THEME, THEME_SCHEME)))
    graph.add((dataset, DCTERMS.accessRights, _typed(graph, PUBLIC, DCTERMS.RightsStatement)))
    for place in coverage.places(version.descriptor):
        graph.add((dataset, DCTERMS.spatial, _place(graph, place)))
    period = coverage.period(version.descriptor)
    if period is not None:
        graph.add((dataset, DCTERMS.temporal, _period(graph, dataset, period)))
    graph.add((dataset, OWL.versionInfo, Literal(str(version.number))))
    graph.add((dataset, DCAT_VERSION, Literal(str(version.number))))
    if pinned:
        graph.add((dataset, DCTERMS.isVersionOf, URIRef(urls.dataset(name, None))))
    else:
        graph.add((dataset, DCAT_HAS_CURRENT_VERSION, URIRef(urls.dataset(name, version.number))))
    _languages(graph, dataset)
    for file in entry.files:
        graph.add((dataset, DCAT.distribution, _distribution(graph, urls, version, file, licence)))
    return dataset


def _identifier(graph: Graph, dataset: URIRef, name: str) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, ADMS.Identifier))
    graph.add((node, SKOS.notation, Literal(str(dataset), datatype=XSD.anyURI)))
    return node


def _period(graph: Graph, dataset: URIRef, period: coverage.Period) -> URIRef:
    node = URIRef(f"{dataset}#period")
    graph.add((node, RDF.type, DCTERMS.PeriodOfTime))
    graph.add((node, DCAT.startDate, Literal(period.start, datatype=XSD.date)))
    graph.add((node, DCAT.endDate, Literal(period.end, datatype=XSD.date)))
    return node


def _distribution(graph: Graph, urls: CatalogUrls, version: DatasetVersion, file: DownloadFile,
                  licence: URIRef) -> URIRef:
    resource = file.resource
    suffix = f"{resource.name}-{file.kind}" if resource is not None else file.kind
    node = URIRef(f"{urls.dataset(version.dataset.name, version.number)}#distribution-{suffix}")
    file_type, mediatype = FILE_TYPES[file.kind]
    graph.add((node, RDF.type, DCAT.Distribution))
    if resource is not None:
        english, welsh = RESOURCE_FILE_LABELS[file.kind]
        _bilingual(graph, node, DCTERMS.title, (f"{resource.title_en} ({english})", f"{resource.title_cy} ({welsh})"))
        _bilingual(graph, node, DCTERMS.description, (resource.description_en, resource.description_cy))
        if file.kind in (CSV, CSV_CY):
            schema = _typed(graph, URIRef(urls.schema(version, resource)), DCTERMS.Standard)
            graph.add((node, DCTERMS.conformsTo, schema))
            graph.add((schema, DCTERMS.conformsTo, _typed(graph, TABLE_SCHEMA, DCTERMS.Standard)))
    else:
        _bilingual(graph, node, DCTERMS.title, FILE_TITLES[file.kind])
        english, welsh = FILE_DESCRIPTIONS[file.kind]
        _bilingual(graph, node, DCTERMS.description,
                   (english.format(n=version.number), welsh.format(n=version.number)))
        graph.add((node, DCTERMS.conformsTo, _typed(graph, DATA_PACKAGE, DCTERMS.Standard)))
    url = URIRef(file.url)
    graph.add((node, DCAT.downloadURL, url))
    graph.add((node, DCAT.accessURL, url))
    graph.add((node, DCAT.mediaType, _typed(graph, URIRef(IANA + mediatype), DCTERMS.MediaType)))
    graph.add((node, DCTERMS.format, _typed(graph, URIRef(EU + "file-type/" + file_type),
                                            DCTERMS.MediaTypeOrExtent)))
    graph.add((node, DCAT.byteSize, Literal(file.byte_size, datatype=XSD.nonNegativeInteger)))
    graph.add((node, SPDX.checksum, _checksum(graph, file.sha256)))
    graph.add((node, DCTERMS.license, licence))
    graph.add((node, DCTERMS.issued, _moment(version.published_utc)))
    graph.add((node, DCATAP.availability, _concept(graph, STABLE)))
    if file.kind in FILE_LANGUAGES:
        language = LANGUAGES[FILE_LANGUAGES[file.kind]]
        graph.add((node, DCTERMS.language, _typed(graph, language, DCTERMS.LinguisticSystem)))
    else:
        _languages(graph, node)
    return node


def _service(graph: Graph, urls: CatalogUrls, service: Service, publisher: attribution.Agent,
             datasets: Sequence[URIRef]) -> URIRef:
    node = _minted(urls, f"service-{service.key}")
    graph.add((node, RDF.type, DCAT.DataService))
    _bilingual(graph, node, DCTERMS.title, service.title)
    _bilingual(graph, node, DCTERMS.description, service.description_text)
    graph.add((node, DCAT.endpointURL, URIRef(service.endpoint)))
    graph.add((node, DCAT.endpointDescription, URIRef(service.description)))
    graph.add((node, DCTERMS.conformsTo, _typed(graph, service.standard, DCTERMS.Standard)))
    if service.documentation:
        graph.add((node, FOAF.page, _typed(graph, URIRef(service.documentation), FOAF.Document)))
    for language, keywords in SERVICE_KEYWORDS.items():
        for keyword in keywords:
            graph.add((node, DCAT.keyword, Literal(keyword, lang=language)))
    graph.add((node, DCTERMS.publisher, _publisher(graph, urls, publisher)))
    graph.add((node, DCAT.contactPoint, _contact_point(graph, urls, publisher)))
    graph.add((node, DCTERMS.license, _licence(graph, OGL, "OGL-UK-3.0")))
    graph.add((node, DCTERMS.accessRights, _typed(graph, PUBLIC, DCTERMS.RightsStatement)))
    graph.add((node, DCAT.theme, _concept(graph, THEME, THEME_SCHEME)))
    for dataset in datasets:
        graph.add((node, DCAT.servesDataset, dataset))
    return node


def _publisher(graph: Graph, urls: CatalogUrls, publisher: attribution.Agent) -> URIRef:
    """The portal's publisher: its home page is its own (``PUBLISHER_URL``),
    else the portal's."""
    node = _minted(urls, "publisher")
    _agent(graph, node, publisher, URIRef(publisher.url or urls.homepage))
    graph.add((node, DCTERMS.type, _concept(graph, NATIONAL_AUTHORITY)))
    if publisher.email:
        graph.add((node, FOAF.mbox, URIRef(f"mailto:{publisher.email}")))
    return node


def _creator(graph: Graph, urls: CatalogUrls, creator: attribution.Agent,
             publisher: attribution.Agent) -> URIRef:
    """Who made a dataset's figures: the portal's publisher, or an author a
    package names (the report's: the Wales Audit Office)."""
    if creator == publisher:
        return _publisher(graph, urls, publisher)
    if attribution.is_report_author(creator.name_en):
        node = _minted(urls, "report-author")
        _agent(graph, node, attribution.REPORT_AUTHOR, URIRef(attribution.REPORT_AUTHOR.url))
        graph.add((node, DCTERMS.type, _concept(graph, NATIONAL_AUTHORITY)))
        return node
    node = _minted(urls, "creator-" + re.sub(r"[^a-z0-9]+", "-", creator.name_en.lower()).strip("-"))
    _agent(graph, node, creator, URIRef(creator.url) if creator.url else None)
    return node


def _agent(graph: Graph, node: URIRef, agent: attribution.Agent, homepage: URIRef | None) -> None:
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    _bilingual(graph, node, FOAF.name, (agent.name_en, agent.name_cy))
    if homepage is not None:
        graph.add((node, FOAF.homepage, _typed(graph, homepage, FOAF.Document)))


def _contact_point(graph: Graph, urls: CatalogUrls, publisher: attribution.Agent) -> URIRef:
    """The portal's publisher: its e-mail address (``PUBLISHER_EMAIL``) if
    set, and the part of the About page saying how to contact it."""
    node = _minted(urls, "contact-point")
    graph.add((node, RDF.type, VCARD.Kind))
    graph.add((node, RDF.type, VCARD.Organization))
    _bilingual(graph, node, VCARD.fn, (publisher.name_en, publisher.name_cy))
    if publisher.email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{publisher.email}")))
    graph.add((node, VCARD.hasURL, URIRef(f"{urls.about('en')}#publisher")))
    return node


def _version_licence(graph: Graph, version: DatasetVersion) -> URIRef:
    licences = version.descriptor.get("licenses") or [OGL]
    return _licence(graph, licences[0], version.license_name)


def _licence(graph: Graph, licence: dict, name: str) -> URIRef:
    """The licence, by the URI CKAN's licence register knows it by where it
    has one (the package's own URL is then a page of it)."""
    uri = CKAN_LICENCE_URIS.get(name, licence["path"])
    node = _typed(graph, URIRef(uri), DCTERMS.LicenseDocument)
    welsh = licence.get("translations", {}).get("cy", {})
    _bilingual(graph, node, DCTERMS.title, (licence["title"], welsh.get("title", licence["title"])))
    for page in (licence["path"], welsh.get("path")):
        if page and page != uri:
            graph.add((node, FOAF.page, _typed(graph, URIRef(page), FOAF.Document)))
    if name in LICENCE_TYPES:
        graph.add((node, DCTERMS.type, _concept(graph, LICENCE_TYPES[name])))
    return node


def _place(graph: Graph, place: coverage.Place) -> URIRef:
    node = _typed(graph, URIRef(place.uri), DCTERMS.Location)
    graph.set((node, SKOS.prefLabel, Literal(place.title_en, lang="en")))
    graph.add((node, SKOS.prefLabel, Literal(place.title_cy, lang="cy")))
    graph.set((node, SKOS.notation, Literal(place.code)))
    if place.bbox_wkt:
        graph.set((node, DCAT.bbox, Literal(place.bbox_wkt, datatype=GSP.wktLiteral)))
    if place.centroid_wkt:
        graph.set((node, DCAT.centroid, Literal(place.centroid_wkt, datatype=GSP.wktLiteral)))
    return node


def _theme_scheme(graph: Graph) -> URIRef:
    _typed(graph, THEME_SCHEME, SKOS.ConceptScheme)
    _bilingual(graph, THEME_SCHEME, DCTERMS.title, THEME_SCHEME_TITLE)
    return THEME_SCHEME


def _concept(graph: Graph, concept: URIRef, scheme: URIRef | None = None) -> URIRef:
    _typed(graph, concept, SKOS.Concept)
    _bilingual(graph, concept, SKOS.prefLabel, LABELS[concept])
    if scheme is not None:
        graph.add((concept, SKOS.inScheme, scheme))
    return concept


def _languages(graph: Graph, node: URIRef) -> None:
    for language in LANGUAGES.values():
        graph.add((node, DCTERMS.language, _typed(graph, language, DCTERMS.LinguisticSystem)))


def _checksum(graph: Graph, sha256: str) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, SPDX.Checksum))
    graph.add((node, SPDX.algorithm, _typed(graph, SPDX.checksumAlgorithm_sha256, SPDX.ChecksumAlgorithm)))
    graph.add((node, SPDX.checksumValue, Literal(sha256, datatype=XSD.hexBinary)))
    return node


def _typed(graph: Graph, node: URIRef, rdf_type: URIRef) -> URIRef:
    graph.add((node, RDF.type, rdf_type))
    return node


def _bilingual(graph: Graph, node: URIRef, predicate: URIRef, texts: Bilingual) -> None:
    for language, text in zip(LANGUAGES, texts):
        graph.add((node, predicate, Literal(text, lang=language)))


def _moment(moment: datetime) -> Literal:
    return Literal(moment.replace(microsecond=0), datatype=XSD.dateTime)


def _minted(urls: CatalogUrls, fragment: str) -> URIRef:
    return URIRef(f"{urls.document}#{fragment}")
