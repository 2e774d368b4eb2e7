"""URLs carrying a query string: "this page with other parameters".

A query string is encoded here, apart from ``url_for``'s arguments. Given to
``url_for`` as keyword arguments, a visitor's parameter named like one of the
rule's own arguments (``lang``, ``name``, ``number``) or like one of
``url_for``'s (``endpoint``, ``_anchor``, ``_scheme``, ``_method``,
``_external``) would change the URL built, or fail to build it at all.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Union
from urllib.parse import urlencode

from flask import Flask, request, url_for
from werkzeug.datastructures import MultiDict

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
