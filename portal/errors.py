"""Errors: problem+json (RFC 9457) on machine URLs, translated pages elsewhere.

Never a traceback: unexpected exceptions are logged and answered with a 500
in the same two forms.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, SecurityError

from portal.db import unavailable
from portal.i18n import negotiate
from portal.storage import StoreUnavailable

MACHINE_PREFIXES = ("/datasets/", "/api/", "/health", "/catalog.", "/feeds/", "/sitemap.xml", "/robots.txt")
PROBLEM_MEDIATYPE = "application/problem+json"

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("You need to sign in"),
    403: _l("You cannot do that with your account"),
    404: _l("Page not found"),
    405: _l("That method is not allowed here"),
    413: _l("The file is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("This is not available at the moment"),
}
EXPLANATIONS = {
    400: _l("Check the address or the form and try again."),
    404: _l("If you typed the web address, check it is correct. "
            "If you followed a link, the page may have moved."),
    405: _l("This address does not accept that kind of request."),
    401: _l("Sign in with an account of the publisher's staff, then try again."),
    403: _l("Only an administrator can do this. Ask one if you need it done."),
    413: _l("The upload is larger than the portal accepts. Nothing was published or changed."),
    429: _l("Wait a few minutes, then try again."),
    500: _l("The problem has been recorded. Please try again later."),
    503: _l("A service the portal depends on cannot be reached. Please try again in a minute."),
}
UNTRUSTED_HOST = _l("This site is not available at that web address.")
# Headers an error carries that its answer must keep (a 416's Content-Range, ...).
KEPT_HEADERS = ("Content-Range", "Retry-After", "Allow", "WWW-Authenticate")
RETRY_AFTER = "30"
# The errors that may mean the database is unavailable (see database_unavailable).
DATABASE_ERRORS = (DBAPIError, PoolTimeout)
DATABASE_DETAIL = "The database cannot be reached at the moment; try again shortly."


def is_machine_request() -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def problem(status: int, title: str, detail: str, **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MEDIATYPE
    return response


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(refuse_nul_in_path)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(StoreUnavailable, handle_store_unavailable)
    for error_class in DATABASE_ERRORS:
        app.register_error_handler(error_class, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def refuse_nul_in_path(_endpoint: str | None, values: dict | None) -> None:
    """No URL segment holds a NUL character (PostgreSQL refuses one in any
    value compared): whatever it names is not found."""
    for name, value in (values or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise NotFound(f"No {name} holding a NUL character exists.")


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if is_machine_request():
        response = problem(status, error.name, error.description or error.name)
    else:
        response = _page(status)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in error.get_headers():
        if name in KEPT_HEADERS:
            response.headers[name] = value
    return response


CSRF_EXPLANATION = _l("The form had expired, or did not come from this site. Go back, reload the page "
                      "and send the form again. Nothing was changed.")


def handle_csrf_error(_error: CSRFError):
    """A form without a valid CSRF token: a 400 page saying so."""
    _choose_language()
    return make_response(render_template("errors/error.html", status=400, title=TITLES[400],
                                         explanation=CSRF_EXPLANATION), 400)


def handle_untrusted_host(_error: SecurityError):
    """A Host the portal does not answer to (TRUSTED_HOSTS, from PORTAL_BASE_URL
    and PORTAL_TRUSTED_HOSTS): a 400 that repeats no host and links nowhere,
    since no URL can be built for such a request."""
    if is_machine_request():
        return problem(400, "Bad Request", "The Host header names no host this portal serves.")
    _choose_language()
    return make_response(render_template("errors/plain.html", status=400, title=TITLES[400],
                                         explanation=UNTRUSTED_HOST), 400)


def handle_store_unavailable(error: StoreUnavailable):
    """The artefact store cannot be reached (or lost a file): a clear 503 and
    a log line, never a half file with a 200."""
    current_app.logger.error("Artefact store unavailable on %s: %s", request.path, error)
    return _unavailable("The file store cannot be reached at the moment; try again shortly.")


def handle_database_error(error: Exception):
    """The database is unreachable, silent, too slow or its file is gone: a
    503 with Retry-After, soon (see portal.db); any other database error is
    a fault, answered as one."""
    if not database_unavailable(error):
        return handle_unexpected_error(error)
    return _unavailable(DATABASE_DETAIL)


def database_unavailable(error: Exception) -> bool:
    """Whether ``error`` means the database is unavailable; if so, it is logged."""
    if not unavailable(error):
        return False
    current_app.logger.error("Database unavailable on %s: %s", request.path, str(error).splitlines()[0])
    return True


def _unavailable(detail: str):
    if is_machine_request():
        response = problem(503, "Service Unavailable", detail)
    else:
        response = _page(503)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_unexpected_error(error: Exception):
    current_app.logger.exception("Unhandled error on %s", request.path)
    if is_machine_request():
        return problem(500, InternalServerError().name, "An unexpected error occurred; it has been logged.")
    return _page(500)


def _page(status: int):
    shown = status if status in TITLES else 400 if 400 <= status < 500 else 500
    _choose_language()
    return make_response(render_template("errors/error.html", status=status, title=TITLES[shown],
                                         explanation=EXPLANATIONS[shown]), status)


def _choose_language() -> None:
    """An error page's language: its URL's, else the visitor's."""
    if not (request.view_args or {}).get("lang"):
        prefix = request.path.split("/")[1]
        g.lang = prefix if prefix in current_app.config["LANGUAGES"] else negotiate()
