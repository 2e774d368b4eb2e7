"""Which pages the sitemap lists: every GET rule of the ``pages`` blueprint, and
of any other blueprint serving pages under ``/<lang>/``, in every language,
with its arguments filled from the data.

A rule whose only argument besides ``lang`` is ``name`` is listed once per
published dataset. A page with other arguments registers what to fill them
with, where its blueprint is defined::

    register_sitemap_values("pages.council", lambda: [{"slug": s} for s in slugs()])

The callable runs inside the request for /sitemap.xml (so it may use the
database session) and returns mappings of argument values, or
:class:`SitemapValues` to give a ``lastmod`` as well. A rule with arguments
nobody can fill is left out.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from werkzeug.routing import Rule

from portal import queries
from portal.extensions import session
from portal.feeds.sitemap import PageUrls

BLUEPRINT = "pages"


@dataclass(frozen=True)
class SitemapValues:
    values: Mapping[str, Any] = field(default_factory=dict)
    lastmod: datetime | None = None


ValuesSource = Callable[[], Iterable[Mapping[str, Any] | SitemapValues]]
_sources: dict[str, ValuesSource] = {}


def register_sitemap_values(endpoint: str, source: ValuesSource) -> None:
    """List ``endpoint`` in the sitemap once for each item ``source()`` yields."""
    _sources[endpoint] = source


def sitemap_pages() -> list[PageUrls]:
    """Every page the sitemap lists, with its URL in each language."""
    languages = list(current_app.config["LANGUAGES"])
    pages: list[PageUrls] = []
    for rule in current_app.url_map.iter_rules():
        if not _is_page(rule):
            continue
        arguments = rule.arguments - {"lang"} - set(rule.defaults or {})
        for item in _values(rule.endpoint, arguments):
            if set(item.values) != arguments:
                continue
            in_languages = languages if "lang" in rule.arguments else [None]
            urls = {lang or languages[0]: url_for(rule.endpoint, **item.values,
                                                  **({"lang": lang} if lang else {}), _external=True)
                    for lang in in_languages}
            pages.append(PageUrls(urls, item.lastmod, current_app.config["BABEL_DEFAULT_LOCALE"]))
    return pages


# Pages for the publisher's staff, behind sign-in: not for search engines.
PRIVATE = ("admin.",)


def _is_page(rule: Rule) -> bool:
    if rule.endpoint.startswith(PRIVATE):
        return False
    return ((rule.endpoint.startswith(BLUEPRINT + ".") or "lang" in rule.arguments)
            and "GET" in (rule.methods or set()) and not rule.build_only and rule.redirect_to is None)


def _values(endpoint: str, arguments: set[str]) -> list[SitemapValues]:
    if endpoint in _sources:
        return [item if isinstance(item, SitemapValues) else SitemapValues(item)
                for item in _sources[endpoint]()]
    if not arguments:
        return [SitemapValues()]
    if arguments == {"name"}:
        return [SitemapValues({"name": v.dataset.name}, v.published_utc)
                for v in queries.latest_versions(session())]
    return []


def _newest_publication() -> list[SitemapValues]:
    """The home page and the catalogue change whenever a dataset is published."""
    versions = queries.latest_versions(session())
    return [SitemapValues({}, max((v.published_utc for v in versions), default=None))]


def _every_version() -> list[SitemapValues]:
    db = session()
    return [SitemapValues({"name": v.dataset.name, "number": h.number}, h.published_utc)
            for v in queries.latest_versions(db) for h in queries.version_history(db, v.dataset.name)]


register_sitemap_values("pages.home", _newest_publication)
register_sitemap_values("pages.catalogue", _newest_publication)
register_sitemap_values("pages.dataset_version", _every_version)
