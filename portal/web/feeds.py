"""Machine surfaces describing the catalogue: DCAT (Turtle, JSON-LD, RDF/XML),
Atom feeds of new and changed datasets, sitemap.xml and robots.txt."""
from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal import attribution, queries
from portal.db import unavailable
from portal.errors import problem
from portal.extensions import session
from portal.feeds import atom, dcat, files, sitemap as sitemap_xml
from portal.i18n import negotiate
from portal.model import CatalogDocument, Dataset, DatasetVersion, Resource
from portal.web.downloads import pinned_archive_url, resource_url
from portal.web.sitemap import sitemap_pages

bp = Blueprint("feeds", __name__)

log = logging.getLogger("portal.feeds")
# What the graph looks like; part of every kept catalogue page's key, so that
# pages kept before a change of the graph are made again.
GRAPH_FORMAT = 3


def _file_url(version: DatasetVersion, resource: Resource, fmt: str, lang: str) -> str:
    if lang == "en":
        return resource_url(version, resource, fmt)
    endpoint = "downloads.pinned_welsh_csv" if fmt == "csv" else "downloads.pinned_welsh_spreadsheet"
    return url_for(endpoint, name=version.dataset.name, number=version.number, resource=resource.name,
                   **({} if fmt == "csv" else {"fmt": fmt}), _external=True)


DOWNLOAD_URLS = files.DownloadUrls(
    resource=_file_url,
    descriptor=lambda version: url_for("downloads.pinned_descriptor", name=version.dataset.name,
                                       number=version.number, _external=True),
    archive=pinned_archive_url,
    # What downloads.descriptor adds to the served datapackage.json.
    descriptor_extra=lambda version: {"homepage": url_for("pages.catalogue", lang="en", _external=True)},
)


def _landing_page(version: DatasetVersion, lang: str) -> str:
    return url_for("pages.dataset", lang=lang, name=version.dataset.name, _external=True)


def _dataset_iri(name: str, number: int | None) -> str:
    if number is None:
        return url_for("feeds.dataset_resource", name=name, _external=True)
    return url_for("feeds.version_resource", name=name, number=number, _external=True)


def _services() -> list[dcat.Service]:
    return [
        dcat.Service(
            "api-v1", ("Wales local government data: JSON API", "Data llywodraeth leol Cymru: API JSON"),
            ("Every published dataset's metadata, versions, Table Schemas and rows (filtered, sorted, "
             "paged; as JSON or CSV), described by an OpenAPI document.",
             "Metadata, fersiynau, Sgemâu Tabl a rhesi (wedi'u hidlo, eu trefnu, fesul tudalen; fel JSON "
             "neu CSV) pob set ddata a gyhoeddwyd, wedi'u disgrifio gan ddogfen OpenAPI."),
            url_for("api-datasets.index", _external=True),
            url_for("v1-api-docs.openapi_json", _external=True), dcat.OPENAPI,
            url_for("pages.api_docs", lang="en", _external=True)),
        dcat.Service(
            "ckan", ("Wales local government data: CKAN Action API",
                     "Data llywodraeth leol Cymru: API Gweithredu CKAN"),
            ("The datasets and their rows through CKAN's Action API (package_list, package_show, "
             "package_search, datastore_search, ...), for CKAN's clients and harvesters.",
             "Y setiau data a'u rhesi drwy API Gweithredu CKAN (package_list, package_show, "
             "package_search, datastore_search, ...), ar gyfer cleientiaid a chynaeafwyr CKAN."),
            url_for("ckan_api.no_action_3", _external=True), str(dcat.CKAN_API), dcat.CKAN_API),
    ]


def catalog_urls() -> dcat.CatalogUrls:
    """Every URL the DCAT graph names, for this site."""
    return dcat.CatalogUrls(
        document=url_for("feeds.catalog", syntax="ttl", _external=True),
        homepage=url_for("pages.home", lang="en", _external=True),
        landing_page=_landing_page, dataset=_dataset_iri,
        schema=lambda version, resource: url_for(
            "api-datasets.pinned_schema", name=version.dataset.name, number=version.number,
            resource=resource.name, _external=True),
        about=lambda lang: url_for("content.about", lang=lang, _external=True),
        services=_services())


def _send(body: bytes | str, mediatype: str) -> Response:
    response = Response(body, mimetype=None)
    response.headers["Content-Type"] = f"{mediatype}; charset=utf-8"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/catalog.<any(ttl, jsonld, rdf):syntax>")
def catalog(syntax: str):
    """The DCAT catalogue; past ``CATALOG_PAGE_SIZE`` datasets, in pages
    (``?page=n``) linked with Hydra. Each page is made once for the catalogue
    as it stands and kept in the database for every worker."""
    db = session()
    per_page = current_app.config["CATALOG_PAGE_SIZE"]
    total = queries.count_datasets(db)
    page = _page_number(max(1, -(-total // per_page)))
    state = queries.publication_state(db)
    document = url_for("feeds.catalog", syntax="ttl", _external=True)
    # the publisher (a setting) is in every page: a page kept for another is made again
    publisher = attribution.publisher(current_app.config)
    key_state = hashlib.sha256(repr((state, per_page, GRAPH_FORMAT, publisher)).encode()).hexdigest()
    key = hashlib.sha256(f"{key_state}|{syntax}|{page}|{document}".encode()).hexdigest()
    kept = db.get(CatalogDocument, key)
    if kept is not None:
        body = kept.body
    else:
        body = _catalog_page(db, syntax, page, per_page, total, state)
        _keep(db, CatalogDocument(key=key, state=key_state, body=body))
    response = _send(body, dcat.SYNTAXES[syntax].mediatype)
    if state[3] is not None:
        response.last_modified = state[3]
    return response


def build_catalogue(app) -> list[str]:
    """Make and keep the first page of the DCAT catalogue in every syntax, for
    the catalogue as it now stands, as a request would (called after a
    publication). Only with PORTAL_BASE_URL: without it, absolute URLs come
    from each request's host, so no page can be made ahead for them."""
    if not app.config.get("PORTAL_BASE_URL"):
        return []
    client = app.test_client()
    made = []
    for syntax in dcat.SYNTAXES:
        if client.get(f"/catalog.{syntax}").status_code == 200:
            made.append(syntax)
    return made


def _page_number(last: int) -> int:
    values = request.args.getlist("page")
    if not values:
        return 1
    if len(values) > 1 or not values[0].isdigit() or not 1 <= int(values[0]) <= 1_000_000:
        abort(problem(400, "Bad Request", "The query parameter 'page' must be given once, as a whole "
                      "number from 1.", **{"invalid-params": [{"name": "page", "reason": "must be 1 or more"}]}))
    if int(values[0]) > last:
        abort(problem(404, "Not Found", f"The catalogue has {last} page(s)."))
    return int(values[0])


def _catalog_page(db, syntax: str, page: int, per_page: int, total: int, state) -> bytes:
    versions = queries.latest_versions_page(db, (page - 1) * per_page, per_page)
    first = queries.first_publications(db, [version.dataset_id for version in versions])
    entries = [dcat.CatalogEntry(version, first[version.dataset_id],
                                 files.download_files(db, version, DOWNLOAD_URLS)) for version in versions]
    urls = catalog_urls()
    paging = dcat.Paging(page, per_page, total,
                         lambda n: url_for("feeds.catalog", syntax=syntax, page=n, _external=True))
    span = (state[2], state[3]) if state[2] is not None else None
    return dcat.serialize(dcat.catalog_graph(entries, urls, span, paging,
                                             attribution.publisher(current_app.config)), syntax)


# -- each dataset's own IRI and document -------------------------------------------------

# What an RDF client may ask for at a dataset's IRI, in order of preference on a tie.
RDF_MEDIATYPES = {syntax.mediatype: name for name, syntax in dcat.SYNTAXES.items()}
RDF_MEDIATYPES["application/json"] = "jsonld"


def _dataset_document(name: str, number: int | None, syntax: str) -> Response:
    db = session()
    version = queries.get_version(db, name, number)
    if version is None:
        what = f"version {number} of dataset {name!r}" if number else f"dataset {name!r}"
        abort(404, f"No {what} is published.")
    first = queries.first_publications(db, [version.dataset_id])[version.dataset_id]
    entry = dcat.CatalogEntry(version, first, files.download_files(db, version, DOWNLOAD_URLS))
    graph = dcat.dataset_graph(entry, catalog_urls(), pinned=number is not None,
                               publisher=attribution.publisher(current_app.config))
    response = _send(dcat.serialize(graph, syntax), dcat.SYNTAXES[syntax].mediatype)
    response.last_modified = version.published_utc
    return response


def _negotiate(name: str, number: int | None) -> Response:
    """A dataset's IRI: RDF to a client that asks for it (Turtle, JSON-LD or
    RDF/XML by ``Accept``), else a redirect to the dataset's page in the
    visitor's language."""
    offered = [*dcat.SYNTAXES_BY_PREFERENCE, "text/html"]
    best = request.accept_mimetypes.best_match(offered, default="text/html")
    if best in RDF_MEDIATYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]:
        response = _dataset_document(name, number, RDF_MEDIATYPES[best])
    else:
        if queries.get_version(session(), name, number) is None:
            abort(404)
        lang = negotiate()
        page = (url_for("pages.dataset", lang=lang, name=name) if number is None
                else url_for("pages.dataset_version", lang=lang, name=name, number=number))
        response = redirect(page, code=303)
        response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept", "Accept-Language", "Cookie"))
    return response


@bp.get("/datasets/<name>")
def dataset_resource(name: str):
    return _negotiate(name, None)


@bp.get("/datasets/<name>/versions/<int:number>")
def version_resource(name: str, number: int):
    return _negotiate(name, number)


@bp.get("/datasets/<name>.<any(ttl, jsonld, rdf):syntax>")
def dataset_rdf(name: str, syntax: str):
    """The dataset (its latest version) as DCAT, in one syntax."""
    return _dataset_document(name, None, syntax)


@bp.get("/datasets/<name>/versions/<int:number>.<any(ttl, jsonld, rdf):syntax>")
def version_rdf(name: str, number: int, syntax: str):
    """Version ``number`` of the dataset as DCAT."""
    return _dataset_document(name, number, syntax)


# Milliseconds a request waits on SQLite to keep a page while another
# process writes (a long publication): past that, the page is served unkept.
KEEP_WAIT_MS = 200


def _keep(db, document: CatalogDocument) -> None:
    """Keep a page (another worker may have kept the same one first), and drop
    pages of earlier states of the catalogue. A page the database cannot take
    now (SQLite, while a publication writes) is served all the same, and made
    again by a later request."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    if sqlite:  # (read before this request writes anything: SQLite's own setting)
        waits = db.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        db.connection().exec_driver_sql(f"PRAGMA busy_timeout = {KEEP_WAIT_MS}")
    try:
        db.execute(delete(CatalogDocument).where(CatalogDocument.state != document.state))
        db.add(document)
        db.commit()
    except IntegrityError:
        db.rollback()
    except DBAPIError as exc:
        if not unavailable(exc):
            raise
        db.rollback()
        log.warning("catalogue page not kept, the database is busy: %s", exc.orig)
    finally:
        if sqlite:
            db.connection().exec_driver_sql(f"PRAGMA busy_timeout = {int(waits)}")


def _language() -> str:
    """The feed's language: ``?lang=cy`` for Welsh, English by default."""
    languages = current_app.config["LANGUAGES"]
    values = request.args.getlist("lang")
    if not values:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if len(values) == 1 and values[0] in languages:
        return values[0]
    allowed = " or ".join(languages)
    abort(problem(400, "Bad Request", f"The query parameter 'lang' must be given once, as {allowed}.",
                  **{"invalid-params": [{"name": "lang", "reason": f"must be {allowed}"}]}))


def _feed_url(lang: str, name: str | None) -> str:
    args = {} if lang == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": lang}
    if name is None:
        return url_for("feeds.datasets_feed", **args, _external=True)
    return url_for("feeds.dataset_feed", name=name, **args, _external=True)


def _feed(lang: str, published: list[atom.Published], dataset: DatasetVersion | None) -> Response:
    name = dataset.dataset.name if dataset else None
    page = (_landing_page(dataset, lang) if dataset
            else url_for("pages.catalogue", lang=lang, _external=True))
    links = atom.FeedLinks(
        self_url=_feed_url(lang, name), page=page,
        translations={other: _feed_url(other, name)
                      for other in current_app.config["LANGUAGES"] if other != lang},
        landing_page=lambda version: _landing_page(version, lang),
        descriptor=DOWNLOAD_URLS.descriptor)
    return _send(atom.build_feed(published, lang, links, dataset, attribution.publisher(current_app.config)),
                 atom.MEDIATYPE)


def _published(history: list[DatasetVersion]) -> list[atom.Published]:
    """``history`` newest first, each version with the one before it."""
    return [atom.Published(version, history[i + 1] if i + 1 < len(history) else None)
            for i, version in enumerate(history)]


def _entries(db, name: str) -> tuple[list, list[DatasetVersion]]:
    """Every publication of dataset ``name`` (withdrawn ones too: they were
    published) and every withdrawal, with its history newest first."""
    history = queries.version_history(db, name, include_withdrawn=True)
    entries: list = _published(history)
    for withdrawal in queries.withdrawals(db, name):
        entries.append(atom.Withdrawn(withdrawal, withdrawal.version or history[0]))
    return entries, history


def _newest_first(entries: list) -> list:
    return sorted(entries, key=lambda item: (atom.moment(item), isinstance(item, atom.Withdrawn),
                                             item.version.id), reverse=True)


@bp.get("/feeds/datasets.atom")
def datasets_feed():
    """Every publication and withdrawal, newest first."""
    lang = _language()
    db = session()
    names = db.scalars(select(Dataset.name).where(Dataset.versions.any()).order_by(Dataset.name))
    return _feed(lang, _newest_first([item for name in list(names) for item in _entries(db, name)[0]]), None)


@bp.get("/feeds/datasets/<name>.atom")
def dataset_feed(name: str):
    lang = _language()
    entries, history = _entries(session(), name)
    if not history:
        abort(404, f"No dataset named {name!r} is published.")
    return _feed(lang, _newest_first(entries), history[0])


@bp.get("/sitemap.xml")
def sitemap():
    return _send(sitemap_xml.sitemap(sitemap_pages()), sitemap_xml.MEDIATYPE)


@bp.get("/robots.txt")
def robots():
    return _send(sitemap_xml.robots(url_for("feeds.sitemap", _external=True)), "text/plain")
