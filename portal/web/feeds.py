"""Machine surfaces describing the catalogue: DCAT (Turtle, JSON-LD, RDF/XML),
Atom feeds of new and changed datasets, sitemap.xml and robots.txt."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, url_for

from portal import queries
from portal.errors import problem
from portal.extensions import session
from portal.feeds import atom, dcat, files, sitemap as sitemap_xml
from portal.model import DatasetVersion
from portal.web.downloads import pinned_archive_url, resource_url
from portal.web.sitemap import sitemap_pages

bp = Blueprint("feeds", __name__)

DOWNLOAD_URLS = files.DownloadUrls(
    resource=resource_url,
    descriptor=lambda version: url_for("downloads.pinned_descriptor", name=version.dataset.name,
                                       number=version.number, _external=True),
    archive=pinned_archive_url,
    # What downloads.descriptor adds to the served datapackage.json.
    descriptor_extra=lambda version: {"homepage": url_for("pages.catalogue", lang="en", _external=True)},
)


def _landing_page(version: DatasetVersion, lang: str) -> str:
    return url_for("pages.dataset", lang=lang, name=version.dataset.name, _external=True)


def _send(body: bytes | str, mediatype: str) -> Response:
    response = Response(body, mimetype=None)
    response.headers["Content-Type"] = f"{mediatype}; charset=utf-8"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/catalog.<any(ttl, jsonld, rdf):syntax>")
def catalog(syntax: str):
    db = session()
    entries = []
    for version in queries.latest_versions(db):
        first = queries.version_history(db, version.dataset.name)[-1]
        entries.append(dcat.CatalogEntry(version, first.published_utc,
                                         files.download_files(db, version, DOWNLOAD_URLS)))
    urls = dcat.CatalogUrls(document=url_for("feeds.catalog", syntax="ttl", _external=True),
                            homepage=url_for("pages.home", lang="en", _external=True),
                            landing_page=_landing_page)
    graph = dcat.catalog_graph(entries, urls)
    return _send(dcat.serialize(graph, syntax), dcat.SYNTAXES[syntax].mediatype)


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
    return _send(atom.build_feed(published, lang, links, dataset), atom.MEDIATYPE)


def _published(history: list[DatasetVersion]) -> list[atom.Published]:
    """``history`` newest first, each version with the one before it."""
    return [atom.Published(version, history[i + 1] if i + 1 < len(history) else None)
            for i, version in enumerate(history)]


@bp.get("/feeds/datasets.atom")
def datasets_feed():
    lang = _language()
    db = session()
    published = [item for version in queries.latest_versions(db)
                 for item in _published(queries.version_history(db, version.dataset.name))]
    published.sort(key=lambda p: (p.version.published_utc, p.version.id), reverse=True)
    return _feed(lang, published, None)


@bp.get("/feeds/datasets/<name>.atom")
def dataset_feed(name: str):
    lang = _language()
    history = queries.version_history(session(), name)
    if not history:
        abort(404, f"No dataset named {name!r} is published.")
    return _feed(lang, _published(history), history[0])


@bp.get("/sitemap.xml")
def sitemap():
    return _send(sitemap_xml.sitemap(sitemap_pages()), sitemap_xml.MEDIATYPE)


@bp.get("/robots.txt")
def robots():
    return _send(sitemap_xml.robots(url_for("feeds.sitemap", _external=True)), "text/plain")
