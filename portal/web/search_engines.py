"""What search engines read in a page's head: the canonical URL, whether to
index the page, and schema.org JSON-LD (a ``Dataset`` on each dataset page, a
``DataCatalog`` on the catalogue), in the page's language.

A dataset page with a query string (a sorted, filtered or paged preview, or
any other parameter) is a view of the dataset page: it is ``noindex`` and
names the dataset page as canonical, so only the page itself is indexed.
"""
from __future__ import annotations

from flask import Flask, current_app, request, url_for

from portal import attribution, coverage
from portal.feeds import dcat
from portal.i18n import alternates, current_language
from portal.model import DatasetVersion
from portal.extensions import session
from portal.publish import artefacts
from portal.publish.formats import CSV_MEDIATYPE, JSON_MEDIATYPE

# Pages whose query string only changes what the page shows of one dataset.
DATASET_PAGES = ("pages.dataset", "pages.dataset_version")
SCHEMA_ORG = "https://schema.org/"
SPREADSHEETS = (("xlsx", dcat.XLSX_TYPE), ("ods", dcat.ODS_TYPE))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(page_head=page_head, data_catalog_json_ld=data_catalog)


def page_head() -> dict:
    """``canonical``: this page's canonical URL (None outside the language
    prefixes); ``noindex``: whether search engines should leave it out."""
    links = alternates()
    if not links:
        return {"canonical": None, "noindex": False}
    lang = current_language()
    variant = request.endpoint in DATASET_PAGES and bool(request.query_string)
    if variant:
        canonical = url_for(request.endpoint, **(request.view_args or {}), _external=True)
    else:
        canonical = links[lang]
    return {"canonical": canonical, "noindex": variant}


def _text(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "cy" else pair[0]


def _catalog_reference(lang: str) -> dict:
    return {"@type": "DataCatalog", "@id": url_for("pages.catalogue", lang=lang, _external=True),
            "name": _text(dcat.CATALOG_TITLE, lang),
            "url": url_for("pages.catalogue", lang=lang, _external=True)}


def _publisher(lang: str) -> dict:
    """The portal's publisher (the ``PUBLISHER_*`` settings): its own home
    page and address where they are set."""
    publisher = attribution.publisher(current_app.config)
    found = {"@type": "Organization", "name": publisher.name(lang),
             "url": publisher.url or url_for("pages.home", lang=lang, _external=True)}
    if publisher.email:
        found["email"] = publisher.email
    return found


def _creator(agent: attribution.Agent, lang: str) -> dict:
    if attribution.is_report_author(agent.name_en):
        agent = attribution.REPORT_AUTHOR
    found = {"@type": "Organization", "name": agent.name(lang)}
    if agent.url:
        found["url"] = agent.url
    return found


def data_catalog() -> dict:
    """schema.org ``DataCatalog`` of the catalogue page, in its language."""
    lang = current_language()
    return {
        "@context": SCHEMA_ORG,
        **_catalog_reference(lang),
        "description": _text(dcat.CATALOG_DESCRIPTION, lang),
        "inLanguage": lang,
        "publisher": _publisher(lang),
        "license": dcat.OGL["path"] if lang == "en" else dcat.OGL["translations"]["cy"]["path"],
        "sameAs": url_for("pages.catalogue", lang="cy" if lang == "en" else "en", _external=True),
        "spatialCoverage": _place(coverage.WALES, lang),
    }


def _place(place: coverage.Place, lang: str) -> dict:
    found = {"@type": "Place", "name": place.title(lang), "identifier": place.code, "sameAs": place.uri}
    if place.bbox:
        west, south, east, north = place.bbox
        found["geo"] = {"@type": "GeoShape", "box": f"{south} {west} {north} {east}"}
    return found


def dataset(version: DatasetVersion, first_published, landing: dict[str, str]) -> dict:
    """schema.org ``Dataset`` of a dataset page, in the page's language: its
    name, description, keywords and URL in that language; the other
    language's page as ``sameAs``; the portal's publisher as publisher of
    every dataset and creator of demonstration data, the report's author as
    creator of what comes from its report."""
    lang = current_language()
    other = "en" if lang == "cy" else "cy"
    d = version.descriptor
    name = version.dataset.name
    pinned = {"name": name, "number": version.number, "_external": True}
    downloads = [("application/zip", url_for("downloads.pinned_resource", resource=name, fmt="zip", **pinned)),
                 ("application/json", url_for("downloads.pinned_descriptor", **pinned))]
    for resource in version.resources:
        # a large table's spreadsheets are listed once built, as on the page
        ready = () if artefacts.pending(session(), version, resource) else SPREADSHEETS
        for fmt, mediatype in (("csv", CSV_MEDIATYPE), ("json", JSON_MEDIATYPE), *ready):
            downloads.append((mediatype.split(";")[0], url_for(
                "downloads.pinned_resource", resource=resource.name, fmt=fmt, **pinned)))
    publisher = _publisher(lang)
    site = attribution.publisher(current_app.config)
    creators = [publisher if agent == site else _creator(agent, lang)
                for agent in attribution.creators(d or {}, version.demonstration, site)]
    creator = creators[0] if len(creators) == 1 else creators
    licence = d["licenses"][0]
    if request.endpoint == "pages.dataset_version":  # this version's own page
        identifier = url_for("feeds.version_resource", name=name, number=version.number, _external=True)
        pages = {code: url_for("pages.dataset_version", lang=code, name=name, number=version.number,
                               _external=True) for code in (lang, other)}
    else:
        identifier = url_for("feeds.dataset_resource", name=name, _external=True)
        pages = landing
    found = {
        "@context": SCHEMA_ORG,
        "@type": "Dataset",
        "@id": identifier,
        "name": version.text("title", lang),
        "alternateName": version.text("title", other),
        "description": version.text("description", lang),
        "url": pages[lang],
        "sameAs": pages[other],
        "identifier": name,
        "version": str(version.number),
        "keywords": list(version.text("keywords", lang)),
        "inLanguage": ["en", "cy"],
        "isAccessibleForFree": True,
        "license": (licence.get("translations", {}).get("cy", {}).get("path") or licence["path"]
                    if lang == "cy" else licence["path"]),
        "creator": creator,
        "publisher": publisher,
        "datePublished": first_published.date().isoformat(),
        "dateModified": version.published_utc.isoformat(),
        "spatialCoverage": [_place(place, lang) for place in coverage.places(d)],
        "includedInDataCatalog": _catalog_reference(lang),
        "citation": [_source_title(source, lang) for source in d.get("sources", [])],
        "distribution": [{"@type": "DataDownload", "encodingFormat": fmt, "contentUrl": url}
                         for fmt, url in downloads],
        "variableMeasured": [field.text("title", lang) for resource in version.resources
                             for field in resource.fields],
    }
    period = coverage.period(d)
    if period is not None:
        found["temporalCoverage"] = period.iso
    return found


def _source_title(source: dict, lang: str) -> str:
    if lang == "cy":
        return source.get("translations", {}).get("cy", {}).get("title") or source["title"]
    return source["title"]
