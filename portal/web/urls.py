"""URLs: every absolute one from PORTAL_BASE_URL when it is set, and those
carrying a query string ("this page with other parameters").

With PORTAL_BASE_URL set, Flask's SERVER_NAME (its host) builds every absolute
URL, whatever Host a request names, and each request is taken to come with
its scheme: behind a proxy that ends TLS, gunicorn sees http, yet the links
are https.

A query string is encoded here, apart from ``url_for``'s arguments. Given to
``url_for`` as keyword arguments, a visitor's parameter named like one of the
rule's own arguments (``lang``, ``name``, ``number``) or like one of
``url_for``'s (``endpoint``, ``_anchor``, ``_scheme``, ``_method``,
``_external``) would change the URL built, or fail to build it at all.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlencode

from flask import Flask, request, url_for
from werkzeug.datastructures import MultiDict

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# (key, value) pairs, a MultiDict, or a mapping of keys to a value or a list of values
Query = Union[Iterable[tuple[str, Any]], Mapping[str, Any]]


def query_url(endpoint: str, query: Query = (), /, *, external: bool = False, **values: Any) -> str:
    """The URL of ``endpoint`` with ``values`` for its arguments and ``query``
    as its query string (absolute when ``external``)."""
    url = url_for(endpoint, **values, _external=external)
    encoded = urlencode(list(MultiDict(query).items(multi=True)))
    return f"{url}?{encoded}" if encoded else url


def this_url(query: Query | None = None, /, *, external: bool = False, **changes: Any) -> str:
    """This request's URL with ``changes`` to its arguments (``lang="cy"``) and
    ``query`` as its query string (by default, this request's own)."""
    values = {**(request.view_args or {}), **changes}
    pairs = request.args.items(multi=True) if query is None else query
    return query_url(request.endpoint or "", pairs, external=external, **values)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(query_url=query_url, this_url=this_url)
    if app.config.get("PORTAL_BASE_URL"):
        app.wsgi_app = SchemeOf(app.wsgi_app, app.config["PREFERRED_URL_SCHEME"])


class SchemeOf:
    """WSGI middleware: every request as if made with ``scheme``."""

    def __init__(self, wsgi_app: WSGIApplication, scheme: str):
        self.wsgi_app = wsgi_app
        self.scheme = scheme

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.url_scheme"] = self.scheme
        return self.wsgi_app(environ, start_response)
