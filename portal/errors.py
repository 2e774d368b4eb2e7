"""Errors: problem+json (RFC 9457) on machine URLs, translated pages elsewhere.

Never a traceback: unexpected exceptions are logged and answered with a 500
in the same two forms.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Gone, HTTPException, InternalServerError, NotFound, RequestURITooLarge, SecurityError

from portal.db import unavailable
from portal.i18n import negotiate
from portal.storage import StoreUnavailable

MACHINE_PREFIXES = ("/datasets/", "/datastore/", "/api/", "/health", "/catalog.", "/feeds/", "/sitemap.xml", "/robots.txt")
PROBLEM_MEDIATYPE = "application/problem+json"

TITLES = {
    400: _l("The request could not be understood"),
    401: _l("You need to sign in"),
    403: _l("You cannot do that with your account"),
    404: _l("Page not found"),
    405: _l("That method is not allowed here"),
    413: _l("The file is too large"),
    414: _l("That web address is too long"),
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
    414: _l("Shorten the address: choose fewer filters or a shorter search, or download the whole file."),
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
# The header by which the portal's gunicorn worker (portal.serving) marks a
# request whose request line it shortened, being too long to serve.
LONG_REQUEST_LINE = "X-Portal-Request-Line-Too-Long"
# The longest request line served (32 KiB: room for a query of many filter
# values), with or without gunicorn in front (see portal.serving).
MAX_REQUEST_LINE = 32 * 1024


class Withdrawn(Gone):
    """What a URL names was withdrawn: 410 Gone with the reason, as
    problem+json (with a ``withdrawn`` member) on machine URLs, and the
    tombstone page on pages. ``replacement``: the version that replaces it,
    if any."""

    def __init__(self, withdrawal, replacement=None):
        self.withdrawal = withdrawal
        self.replacement = replacement
        super().__init__(withdrawn_detail(withdrawal))

    def members(self) -> dict:
        w = self.withdrawal
        replaced = None
        if self.replacement is not None:
            name = self.replacement.dataset.name
            replaced = {"dataset": name, "version": self.replacement.number,
                        "url": url_for("downloads.descriptor", name=name, _external=True)}
        return {"withdrawn": {
            "dataset": w.dataset.name, "version": w.version.number if w.version is not None else None,
            "withdrawn_at": w.withdrawn_at.isoformat(), "reason": {"en": w.reason_en, "cy": w.reason_cy},
            "replaced_by": replaced}}


def withdrawn_detail(withdrawal) -> str:
    """The 410's ``detail``, in English (the reason in Welsh is beside it)."""
    what = (f"Version {withdrawal.version.number} of dataset {withdrawal.dataset.name!r}"
            if withdrawal.version is not None else f"Dataset {withdrawal.dataset.name!r}")
    return f"{what} was withdrawn on {withdrawal.withdrawn_at:%Y-%m-%d}: {withdrawal.reason_en}"


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
    app.before_request(refuse_long_request_line)
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


def refuse_long_request_line() -> None:
    """414 for a request line too long to serve: one the worker shortened
    (and marked), or one longer than the limit that reached the portal some
    other way; answered, like any error, in the format of its surface."""
    line = len(request.method) + len(request.environ.get("RAW_URI") or request.full_path) + 10
    if LONG_REQUEST_LINE in request.headers or line > MAX_REQUEST_LINE:
        g.request_line_too_long = True
        raise RequestURITooLarge(f"The request line is longer than the {MAX_REQUEST_LINE} bytes served; "
                                 "ask for fewer filters or a shorter search, or download the whole file.")


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if is_machine_request():
        response = problem(status, error.name, error.description or error.name,
                           **(error.members() if isinstance(error, Withdrawn) else {}))
    elif isinstance(error, Withdrawn):
        response = tombstone(error)
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


def tombstone(error: Withdrawn):
    """The page of something withdrawn: what it was, why it went, when, and
    what replaces it; 410."""
    _choose_language()
    withdrawal = error.withdrawal
    version = withdrawal.version
    if version is None:
        version = max(withdrawal.dataset.versions, key=lambda v: v.number)
    return make_response(render_template("errors/withdrawn.html", withdrawal=withdrawal, version=version,
                                         replacement=error.replacement), 410)


def _page(status: int):
    shown = status if status in TITLES else 400 if 400 <= status < 500 else 500
    _choose_language()
    return make_response(render_template("errors/error.html", status=status, title=TITLES[shown],
                                         explanation=EXPLANATIONS[shown], switch_url=_switch_url()), status)


def _switch_url() -> str | None:
    """The language switch of an error page whose URL matched no page: the
    same path in the other language (under /en/ or /cy/), else the other
    language's home page. A page that matched has its own (see alternates)."""
    if (request.view_args or {}).get("lang"):
        return None
    other = "en" if g.get("lang") == "cy" else "cy"
    prefix, _, rest = request.path.lstrip("/").partition("/")
    if prefix in current_app.config["LANGUAGES"] and not g.get("request_line_too_long"):
        return f"{request.script_root}/{other}/{quote(rest)}"
    return url_for("pages.home", lang=other)  # a 414 repeats nothing of its address


def _choose_language() -> None:
    """An error page's language: its URL's, else the visitor's."""
    if not (request.view_args or {}).get("lang"):
        prefix = request.path.split("/")[1]
        g.lang = prefix if prefix in current_app.config["LANGUAGES"] else negotiate()
