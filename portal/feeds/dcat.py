"""The catalogue as a DCAT-AP 3.0.1 graph, with English and Welsh literals.

Every published dataset (its latest version) is a ``dcat:Dataset``; each of
its downloads (CSV and JSON of every resource, the datapackage.json and the
zip, all at their pinned URLs) is a ``dcat:Distribution``. Nodes the portal
mints are hash IRIs under the catalogue document's URL; everything else uses
the EU and IANA vocabularies DCAT-AP recommends.

Demonstration datasets carry ``dct:type`` dataset-type ``SYNTHETIC_DATA``
(EU dataset-type authority table) and a description that starts with the
DEMONSTRATION DATA note.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from portal.feeds.files import CSV, DESCRIPTOR, JSON, ZIP, DownloadFile
from portal.model import DatasetVersion
from portal.vocabulary import WALES_CODE, place_name, spatial

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
# DCAT 3 terms missing from rdflib's closed DCAT namespace.
DCAT_VERSION = URIRef(f"{DCAT}version")
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
# Wales, by its GSS code (ONS statistical geography).
WALES = URIRef("http://statistics.data.gov.uk/id/statistical-geography/W92000004")
WALES_BBOX = "POLYGON((-5.7 51.3, -2.6 51.3, -2.6 53.5, -5.7 53.5, -5.7 51.3))"
WALES_CENTROID = "POINT(-3.767 52.331)"

OGL = {"path": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
       "title": "Open Government Licence v3.0",
       "translations": {"cy": {"title": "Trwydded Llywodraeth Agored v3.0",
                               "path": "http://www.nationalarchives.gov.uk/doc/"
                                       "open-government-licence-cymraeg/version/3/"}}}
# Licences whose ADMS licence type is known, by their Data Package name.
LICENCE_TYPES = {"OGL-UK-3.0": ATTRIBUTION}

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
PUBLISHER_NAME: Bilingual = ("Wales Audit Office", "Swyddfa Archwilio Cymru")
PUBLISHER_HOMEPAGE = URIRef("https://www.audit.wales/")
CONTACT_EMAIL = URIRef("mailto:info@audit.wales")
LABELS: dict[URIRef, Bilingual] = {
    THEME: ("Government and public sector", "Llywodraeth a'r sector cyhoeddus"),
    SYNTHETIC: ("Synthetic data", "Data synthetig"),
    WALES: ("Wales", "Cymru"),
}
THEME_SCHEME_TITLE: Bilingual = ("Data theme", "Thema data")

FILE_TYPES = {CSV: ("CSV", "text/csv"), JSON: ("JSON", "application/json"),
              DESCRIPTOR: ("JSON", "application/json"), ZIP: ("ZIP", "application/zip")}
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


@dataclass(frozen=True)
class CatalogEntry:
    """A published dataset: its latest version, when its first version was
    published, and the downloads of the latest version."""

    version: DatasetVersion
    first_published: datetime
    files: Sequence[DownloadFile]


@dataclass(frozen=True)
class CatalogUrls:
    """``document``: the catalogue's own URL, under which the portal's nodes are
    minted as hash IRIs; ``homepage``: the portal's home page;
    ``landing_page(version, language)``: a dataset's page."""

    document: str
    homepage: str
    landing_page: Callable[[DatasetVersion, str], str]


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
                  span: tuple[datetime, datetime] | None = None, paging: Paging | None = None) -> Graph:
    """The catalogue (or, with ``paging``, one page of it); ``span`` is when
    the whole catalogue was first and last published to."""
    graph = _graph()
    catalog = _minted(urls, "catalog")
    publisher = _publisher(graph, urls)
    contact = _contact_point(graph, urls)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _bilingual(graph, catalog, DCTERMS.title, CATALOG_TITLE)
    _bilingual(graph, catalog, DCTERMS.description, CATALOG_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.license, _licence(graph, OGL, "OGL-UK-3.0")))
    graph.add((catalog, FOAF.homepage, URIRef(urls.homepage)))
    graph.add((catalog, DCTERMS.spatial, _wales(graph)))
    graph.add((catalog, DCAT.themeTaxonomy, _theme_scheme(graph)))
    _languages(graph, catalog)
    if span is None and entries:
        span = (min(e.first_published for e in entries), max(e.version.published_utc for e in entries))
    if span is not None:
        graph.add((catalog, DCTERMS.issued, _moment(span[0])))
        graph.add((catalog, DCTERMS.modified, _moment(span[1])))
    if paging is not None and paging.total > paging.per_page:
        _hydra(graph, paging)
    for entry in entries:
        dataset = _dataset(graph, entry, urls, publisher, contact)
        graph.add((catalog, DCAT.dataset, dataset))
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
                              ("spdx", SPDX), ("gsp", GSP), ("xsd", XSD)):
        graph.bind(prefix, namespace, override=True)
    return graph


def _dataset(graph: Graph, entry: CatalogEntry, urls: CatalogUrls, publisher: URIRef,
             contact: URIRef) -> URIRef:
    version = entry.version
    name = version.dataset.name
    dataset = _minted(urls, f"dataset-{name}")
    licence = _version_licence(graph, version)
    graph.add((dataset, RDF.type, DCAT.Dataset))
    for attribute, predicate in (("title", DCTERMS.title), ("description", DCTERMS.description)):
        _bilingual(graph, dataset, predicate, (version.text(attribute, "en"), version.text(attribute, "cy")))
    for language in LANGUAGES:
        for keyword in version.text("keywords", language):
            graph.add((dataset, DCAT.keyword, Literal(keyword, lang=language)))
        page = URIRef(urls.landing_page(version, language))
        graph.add((dataset, DCAT.landingPage, page))
        graph.add((page, RDF.type, FOAF.Document))
        graph.add((page, DCTERMS.language, LANGUAGES[language]))
    _bilingual(graph, dataset, ADMS.versionNotes, (version.changelog_en, version.changelog_cy))
    graph.add((dataset, DCTERMS.identifier, Literal(name)))
    graph.add((dataset, DCTERMS.publisher, publisher))
    graph.add((dataset, DCAT.contactPoint, contact))
    graph.add((dataset, DCTERMS.license, licence))
    graph.add((dataset, DCTERMS.issued, _moment(entry.first_published)))
    graph.add((dataset, DCTERMS.modified, _moment(version.published_utc)))
    graph.add((dataset, DCAT.theme, _concept(graph, THEME, THEME_SCHEME)))
    graph.add((dataset, DCTERMS.accessRights, _typed(graph, PUBLIC, DCTERMS.RightsStatement)))
    for place in spatial(version.descriptor):
        graph.add((dataset, DCTERMS.spatial, _place(graph, place)))
    graph.add((dataset, OWL.versionInfo, Literal(str(version.number))))
    graph.add((dataset, DCAT_VERSION, Literal(str(version.number))))
    _languages(graph, dataset)
    if version.demonstration:
        graph.add((dataset, DCTERMS.type, _concept(graph, SYNTHETIC)))
    for file in entry.files:
        graph.add((dataset, DCAT.distribution, _distribution(graph, urls, version, file, licence)))
    return dataset


def _distribution(graph: Graph, urls: CatalogUrls, version: DatasetVersion, file: DownloadFile,
                  licence: URIRef) -> URIRef:
    resource = file.resource
    suffix = f"{resource.name}-{file.kind}" if resource is not None else file.kind
    node = _minted(urls, f"distribution-{version.dataset.name}-v{version.number}-{suffix}")
    file_type, mediatype = FILE_TYPES[file.kind]
    graph.add((node, RDF.type, DCAT.Distribution))
    if resource is not None:
        _bilingual(graph, node, DCTERMS.title,
                   (f"{resource.title_en} ({file_type})", f"{resource.title_cy} ({file_type})"))
        _bilingual(graph, node, DCTERMS.description, (resource.description_en, resource.description_cy))
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
    graph.add((node, DCATAP.availability, STABLE))
    _languages(graph, node)
    return node


def _publisher(graph: Graph, urls: CatalogUrls) -> URIRef:
    node = _minted(urls, "publisher")
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    _bilingual(graph, node, FOAF.name, PUBLISHER_NAME)
    graph.add((node, DCTERMS.type, NATIONAL_AUTHORITY))
    graph.add((node, FOAF.homepage, PUBLISHER_HOMEPAGE))
    return node


def _contact_point(graph: Graph, urls: CatalogUrls) -> URIRef:
    node = _minted(urls, "contact-point")
    graph.add((node, RDF.type, VCARD.Organization))
    _bilingual(graph, node, VCARD.fn, PUBLISHER_NAME)
    graph.add((node, VCARD.hasEmail, CONTACT_EMAIL))
    graph.add((node, VCARD.hasURL, PUBLISHER_HOMEPAGE))
    return node


def _version_licence(graph: Graph, version: DatasetVersion) -> URIRef:
    licences = version.descriptor.get("licenses") or [OGL]
    return _licence(graph, licences[0], version.license_name)


def _licence(graph: Graph, licence: dict, name: str) -> URIRef:
    node = _typed(graph, URIRef(licence["path"]), DCTERMS.LicenseDocument)
    welsh = licence.get("translations", {}).get("cy", {})
    _bilingual(graph, node, DCTERMS.title, (licence["title"], welsh.get("title", licence["title"])))
    if welsh.get("path"):
        graph.add((node, FOAF.page, URIRef(welsh["path"])))
    if name in LICENCE_TYPES:
        graph.add((node, DCTERMS.type, LICENCE_TYPES[name]))
    return node


def _wales(graph: Graph) -> URIRef:
    _typed(graph, WALES, DCTERMS.Location)
    _bilingual(graph, WALES, SKOS.prefLabel, LABELS[WALES])
    graph.set((WALES, DCAT.bbox, Literal(WALES_BBOX, datatype=GSP.wktLiteral)))
    graph.set((WALES, DCAT.centroid, Literal(WALES_CENTROID, datatype=GSP.wktLiteral)))
    return WALES


def _place(graph: Graph, place: dict) -> URIRef:
    """Wales, or another area the dataset covers, by its GSS code."""
    if place["code"] == WALES_CODE:
        return _wales(graph)
    area = URIRef(f"http://statistics.data.gov.uk/id/statistical-geography/{place['code']}")
    _typed(graph, area, DCTERMS.Location)
    _bilingual(graph, area, SKOS.prefLabel, (place_name(place, "en"), place_name(place, "cy")))
    return area


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
    graph.add((node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
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
