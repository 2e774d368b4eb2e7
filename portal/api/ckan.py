"""A CKAN-compatible Action API: ``/api/3/action/<action>`` and ``/api/action/<action>``.

Requests and answers follow ``ckan/views/api.py`` (CKAN 2.10 to 2.12), so CKAN's
own clients (``ckanapi``) and harvesters work unchanged:

* parameters come from the query string (GET; JSON-encoded values where CKAN
  expects structures) or a JSON object body (POST);
* answers are ``{"help": <URL>, "success": true, "result": ...}``;
* failures are ``{"help", "success": false, "error": {"__type", ...}}`` with
  CKAN's statuses: 404 Not Found Error, 409 Validation Error (messages per
  parameter), 403 Authorization Error (CKAN's write actions), 400 Search Query
  Error, 500 Internal Server Error; an unknown action or an unreadable body is
  CKAN's 400 whose body is the JSON string ``"Bad request - ..."``;
* everything under ``/api/3/`` and ``/api/action/`` (unknown paths and
  methods too) answers in that envelope, never problem+json, with CORS open.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from portal.api import ckan_actions
from portal.api.ckan_datastore import Links, link_arguments
from portal.api.ckan_params import (
    ActionError,
    Gone,
    NotAuthorized,
    NotFound,
    SearchQueryError,
    ValidationError,
    check_text,
)
from portal.errors import DATABASE_DETAIL, DATABASE_ERRORS, RETRY_AFTER, database_unavailable, withdrawn_detail
from portal.extensions import session

bp = Blueprint("ckan_api", __name__, url_prefix="/api")

API_VERSION = 3
MAX_BODY = 256 * 1024
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ALLOWED = "GET, HEAD, POST, OPTIONS"
ERROR_TYPES = {400: "Bad Request", 403: "Authorization Error", 404: "Not Found Error",
               405: "Method Not Allowed", 409: "Validation Error", 413: "Request Entity Too Large",
               500: "Internal Server Error", 503: "Service Unavailable"}


def help_url(name: str | None = None) -> str:
    return url_for("ckan_api.action", logic_function="help_show", name=name, _external=True)


def _finish(status: int, body: Any) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Content-Type"] = "application/json;charset=utf-8"
    return response


def bad_request(message: str) -> Response:
    """CKAN's ``_finish_bad_request``: the body is a JSON string, not an envelope."""
    return _finish(400, f"Bad request - {message}")


def failure(status: int, error: dict[str, Any], name: str | None = None) -> Response:
    return _finish(status, {"help": help_url(name), "success": False, "error": error})


def envelope_for(error: ActionError, name: str) -> Response:
    if isinstance(error, ValidationError):
        return failure(409, {**error.errors, "__type": "Validation Error"}, name)
    if isinstance(error, NotFound):
        message = "Not found" + (f": {error.message}" if error.message else "")
        return failure(404, {"__type": "Not Found Error", "message": message}, name)
    if isinstance(error, Gone):
        withdrawal = error.withdrawal
        return failure(410, {"__type": "Gone", "message": withdrawn_detail(withdrawal),
                             "reason": {"en": withdrawal.reason_en, "cy": withdrawal.reason_cy},
                             "withdrawn_at": withdrawal.withdrawn_at.isoformat()}, name)
    if isinstance(error, NotAuthorized):
        message = "Access denied" + (f": {error.message}" if error.message else "")
        return failure(403, {"__type": "Authorization Error", "message": message}, name)
    if isinstance(error, SearchQueryError):
        return failure(400, {"__type": "Search Query Error",
                             "message": f"Search Query is invalid: {(error.message,)!r}"}, name)
    raise error


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-CKAN-API-Key"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    response = failure(status, {"__type": ERROR_TYPES.get(status, error.name),
                                "message": error.description or error.name})
    if status == 405:
        response.headers["Allow"] = ALLOWED
    return response


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error in the CKAN API on %s", request.path)
    return failure(500, {"__type": "Internal Server Error", "message": "Internal Server Error"})


def _database_error(error: Exception) -> Response:
    if not database_unavailable(error):
        return _unexpected(error)
    response = failure(503, {"__type": ERROR_TYPES[503], "message": DATABASE_DETAIL})
    response.headers["Retry-After"] = RETRY_AFTER
    return response


for _error_class in DATABASE_ERRORS:
    bp.register_error_handler(_error_class, _database_error)


@bp.route("/3", strict_slashes=False)
def version() -> Response:
    """CKAN's ``get_api``: the API version."""
    return _finish(200, {"version": API_VERSION})


@bp.route("/3/action/<logic_function>", methods=METHODS, provide_automatic_options=False,
          endpoint="action")
@bp.route("/action/<logic_function>", methods=METHODS, provide_automatic_options=False,
          endpoint="action_unversioned")
def action(logic_function: str) -> Response:
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOWED})
    if request.method not in ("GET", "HEAD", "POST"):
        response = failure(405, {"__type": "Method Not Allowed",
                                 "message": f"Use GET or POST, not {request.method}"}, logic_function)
        response.headers["Allow"] = ALLOWED
        return response
    function = ckan_actions.ACTIONS.get(logic_function)
    if function is None:
        if logic_function in ckan_actions.WRITE_ACTIONS:
            if request.method != "POST":
                return bad_request("JSON Error: Invalid request. Please use POST method for your request")
            return envelope_for(NotAuthorized(f"this portal publishes through its own publishing "
                                              f"service, not {logic_function}"), logic_function)
        return bad_request(f"Action name not known: {logic_function}")
    if (request.content_length or 0) > MAX_BODY:
        return failure(413, {"__type": ERROR_TYPES[413],
                             "message": f"The request body is larger than {MAX_BODY} bytes"}, logic_function)
    request.max_content_length = MAX_BODY  # bodies sent without a length, too
    try:
        data = request_data()
    except ValueError as error:
        return bad_request(f"JSON Error: {error}")
    data.pop("callback", None)
    context = ckan_actions.Context(
        session=session(), secret=current_app.config["SECRET_KEY"],
        site_url=url_for("service.root", _external=True).rstrip("/"),
        links=Links(request.path, list(request.args.items(multi=True)) if request.method != "POST"
                    else link_arguments(data)))
    try:
        check_text(data)
        result = function(context, data)
    except ActionError as error:
        return envelope_for(error, logic_function)
    return _finish(200, {"help": help_url(logic_function), "success": True, "result": result})


@bp.route("/3/<path:rest>", methods=METHODS, provide_automatic_options=False)
@bp.route("/action/", methods=METHODS, provide_automatic_options=False, endpoint="no_action",
          strict_slashes=False)
@bp.route("/3/action/", methods=METHODS, provide_automatic_options=False, endpoint="no_action_3",
          strict_slashes=False)
def unknown(rest: str = "") -> Response:
    """Anything else under the API answers in CKAN's envelope."""
    return failure(404, {"__type": "Not Found Error", "message": "Not found"})


def request_data() -> dict[str, Any]:
    """CKAN's ``_get_request_data``: a dict from the query string (GET) or the
    body (POST: a JSON object, or a form); ValueError when it cannot be read."""
    data: Any
    if request.method == "POST" and request.form:
        values = list(request.form.values())
        if len(values) == 1 and values[0] in ("1", ""):
            data = _decode(next(iter(request.form.keys())))
        else:
            data = _mixed(request.form)
    elif request.method == "POST" and request.get_data(cache=True):
        if request.mimetype == "multipart/form-data":
            raise ValueError("File uploads are not accepted")
        data = _decode(request.get_data(cache=True, as_text=False))
    else:
        data = _mixed(request.args)
    if not isinstance(data, dict):
        shown = repr(data)[:200]
        raise ValueError(f"Request data JSON decoded to {shown} but it needs to be a dictionary.")
    return data


def _decode(raw: str | bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ValueError(f"Error decoding JSON data. Error: {error}") from None


def _mixed(values: MultiDict[str, str]) -> dict[str, Any]:
    """A key given once is a string; a key given more than once, a list."""
    return {key: items[0] if len(items) == 1 else items for key, items in values.to_dict(flat=False).items()}
