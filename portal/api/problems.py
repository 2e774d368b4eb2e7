"""Errors of the JSON API as RFC 9457 problem details (``application/problem+json``),
with a specific ``detail`` for every 4xx and, where query parameters were
wrong, an ``errors`` member naming each one.

flask-smorest's own error handler (a JSON shape of its own, registered on the
whole application) is replaced: the API's blueprints answer their errors here,
and the application's handler in :mod:`portal.errors` answers the rest (unknown
URLs, methods, unexpected failures) in the same shape.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_smorest
from flask import Response, request
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from portal.datastore import CursorError, QueryError
from portal.errors import Withdrawn, problem
from portal.search import SearchError

UNKNOWN_FIELD = "Unknown field."


class Parser(FlaskParser):
    """Query parameters that fail validation are a 400, and undeclared ones are refused."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE,
                                   "querystring": RAISE}


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register_error_handler(HTTPException, _http_error)
        self.register_error_handler(QueryError, _query_error)
        self.register_error_handler(SearchError, _query_error)
        self.before_request(_refuse_nul)


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested messages ({"query": {"limit": [...]}}) as {parameter: [message, ...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key in ("query", "querystring", "json", "view_args") and not prefix:
                name = ""
            elif isinstance(key, int):
                name = prefix  # an item of a repeated parameter: report the parameter
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for param, texts in flatten(value, name).items():
                flat.setdefault(param, []).extend(texts)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            for param, texts in flatten(item, prefix).items():
                flat.setdefault(param, []).extend(texts)
    else:
        text = "unknown parameter" if messages == UNKNOWN_FIELD else str(messages)
        flat.setdefault(prefix or "request", []).append(text)
    return flat


def bad_request(errors: dict[str, list[str]]) -> Response:
    detail = "; ".join(f"{param}: {', '.join(text.rstrip('.') for text in texts)}"
                       for param, texts in errors.items())
    return problem(400, "Bad Request", detail, errors=errors)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 400 and "messages" in data:
        return bad_request(flatten(data["messages"]))
    response = problem(status, error.name, error.description or error.name,
                       **(error.members() if isinstance(error, Withdrawn) else {}))
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _query_error(error: QueryError | SearchError) -> Response:
    if isinstance(error, CursorError):  # no such page (as Django REST framework answers it)
        return problem(404, "Not Found", str(error), errors={error.parameter: [str(error)]})
    return bad_request({error.parameter: [str(error)]})


def _refuse_nul() -> Response | None:
    """No parameter may hold a NUL character (nor may a URL segment: see
    portal.errors.refuse_nul_in_path): a 400 naming each one."""
    bad = sorted({key for key, value in request.args.items(multi=True) if "\x00" in key + value})
    if bad:
        return bad_request({key: ["must not contain a NUL character"] for key in bad})
    return None
