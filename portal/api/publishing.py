"""The write API: publishing by machine with an API token.

``POST /api/v1/datasets/<name>/versions`` takes a data package (a zip) as a
new version of ``<name>``; ``POST /api/v1/ingest`` takes data-tool responses
and invitations. Both answer ``202 Accepted`` with the URL of a job to poll
(``GET /api/v1/jobs/<id>``): the worker checks the upload, then publishes it
if it is valid, and the job then names the version's URL. Requests need
``Authorization: Bearer <token>`` (401 without a live token; 403 for a
user without a publishing role).
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request, url_for
from werkzeug.datastructures import FileStorage

from portal.anonymise import DEFAULT_THRESHOLD, ThresholdError, check_threshold
from portal.api.problems import Blueprint
from portal.errors import problem
from portal.extensions import session
from portal.model import Job
from portal.publishing import jobs, uploads
from portal.web.auth import ADMIN, EDITOR, bearer_user, by

bp = Blueprint("api-publishing", __name__, url_prefix="/api/v1",
               description="Publishing (needs an API token): upload a package or data-tool responses; "
                           "poll the job; find the version published.")

SECURITY = [{"bearerAuth": []}]
SCHEME = {"type": "http", "scheme": "bearer",
          "description": "An API token issued by an administrator on the admin pages (or with "
                         "`flask --app portal portal tokens issue`)."}
JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "kind": {"type": "string", "enum": ["package", "responses"]},
        "status": {"type": "string", "enum": ["queued", "checking", "ready", "invalid", "publish-queued",
                                              "publishing", "published", "unchanged", "failed", "discarded",
                                              "disclosive"]},
        "stage": {"type": "string"}, "done": {"type": "integer"}, "total": {"type": "integer"},
        "finished": {"type": "boolean"}, "url": {"type": "string", "format": "uri"},
        "problems": {"type": "array", "items": {"type": "object"}},
        "error": {"type": "string", "nullable": True},
        "cells_at_risk": {"type": "array", "description": "When the status is `disclosive`: the cells whose "
                          "difference from an earlier version reveals fewer respondents than the threshold.",
                          "items": {"type": "object"}},
        "versions": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "version": {"type": "integer"}, "status": {"type": "string"},
            "url": {"type": "string", "format": "uri"}}}},
    },
}
ERRORS = {"401": "UNAUTHORIZED", "403": "FORBIDDEN"}
ACCEPTED = {"202": {"description": "Accepted: the upload waits for the worker; poll the job at `Location`.",
                    "content": {"application/json": {"schema": JOB_SCHEMA}}},
            "400": "BAD_REQUEST", "413": "REQUEST_ENTITY_TOO_LARGE", **ERRORS}
CHANGELOG = {"changelog_en": {"type": "string", "description": "What changed, in English."},
             "changelog_cy": {"type": "string", "description": "What changed, in Welsh."}}


def _refused():
    """401 without a live token, 403 without a publishing role; else None."""
    user = bearer_user()
    if user is None:
        response = problem(401, "Unauthorized", "This needs a live API token: send the header "
                           "'Authorization: Bearer <token>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
        return response
    if user.role not in (ADMIN, EDITOR):
        return problem(403, "Forbidden", "This token's user may not publish.")
    return None


def _file(name: str) -> FileStorage | None:
    storage = request.files.get(name)
    return storage if storage is not None and storage.filename else None


def _changelog() -> tuple[tuple[str, str] | None, dict[str, list[str]]]:
    en = (request.form.get("changelog_en") or "").strip()
    cy = (request.form.get("changelog_cy") or "").strip()
    if bool(en) != bool(cy):
        missing = "changelog_cy" if en else "changelog_en"
        return None, {missing: ["give the changelog in both languages (changelog_en and changelog_cy)"]}
    if len(en) > 2000 or len(cy) > 2000:
        return None, {"changelog_en": ["at most 2,000 characters in each language"]}
    return ((en, cy) if en else None), {}


def job_json(job: Job) -> dict:
    body = jobs.summary(job)
    body["url"] = url_for("api-publishing.job", job_id=job.id, _external=True)
    body["problems"] = (job.report or {}).get("problems") or []
    body["anonymisation"] = (job.report or {}).get("anonymisation")
    body["versions"] = [
        {**v, "url": url_for("api-datasets.version", name=v["name"], number=v["version"], _external=True)}
        for v in (job.result or {}).get("versions", [])]
    body["cells_at_risk"] = (job.result or {}).get("cells_at_risk") or []
    body.pop("result", None)
    return body


def _accepted(job: Job, files: dict[str, FileStorage]):
    work = jobs.folder(Path(current_app.config["UPLOADS_PATH"]), job.id)
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name, storage in files.items():
            uploads.save(storage.stream, work / name, current_app.config["MAX_CONTENT_LENGTH"])
        session().commit()
    except BaseException:
        session().rollback()
        uploads.remove(work)
        raise
    body = job_json(job)
    return body, 202, {"Location": body["url"]}


@bp.route("/datasets/<name>/versions", methods=["POST"])
@bp.doc(security=SECURITY, responses=ACCEPTED, parameters=[
    {"in": "path", "name": "name", "description": "The dataset's name (the package's own).",
     "schema": {"type": "string"}, "example": "councils"}],
    requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["package"],
        "properties": {"package": {"type": "string", "format": "binary",
                                   "description": "The data package: a zip of datapackage.json and its files."},
                       **CHANGELOG}}}}})
def upload_version(name: str):
    """Upload a data package as a new version

    The package is checked and, if valid, published by the worker; poll the job."""
    refused = _refused()
    if refused is not None:
        return refused
    changelog, errors = _changelog()
    if _file("package") is None:
        errors["package"] = ["send the data package (a zip file) in the form field 'package'"]
    if errors:
        return _bad(errors)
    job = jobs.new(session(), jobs.PACKAGE, bearer_user(), by=by(bearer_user()), via="api", expected_name=name,
                   auto_publish=True, changelog=changelog)
    return _accepted(job, {jobs.ARCHIVE: _file("package")})


@bp.route("/ingest", methods=["POST"])
@bp.doc(security=SECURITY, responses=ACCEPTED, requestBody={"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["responses", "invitations"],
        "properties": {
            "responses": {"type": "string", "format": "binary", "description": "RESPONSES.csv"},
            "invitations": {"type": "string", "format": "binary", "description": "INVITATIONS.csv"},
            "threshold": {"type": "integer", "minimum": 2, "maximum": 1000, "default": DEFAULT_THRESHOLD},
            "demonstration": {"type": "boolean", "default": False,
                              "description": "Label the results as demonstration (synthetic) data."},
            **CHANGELOG}}}}})
def ingest():
    """Upload data-tool responses and invitations

    They are validated, aggregated, anonymised and, if valid, published as new
    versions of maturity-scores and response-rates by the worker; poll the job."""
    refused = _refused()
    if refused is not None:
        return refused
    changelog, errors = _changelog()
    for field in ("responses", "invitations"):
        if _file(field) is None:
            errors[field] = [f"send the {field} CSV file in the form field '{field}'"]
    threshold = request.form.get("threshold", str(DEFAULT_THRESHOLD)).strip()
    try:
        check_threshold(int(threshold))
    except (ValueError, ThresholdError):
        errors["threshold"] = ["a whole number from 2 to 1000"]
    demonstration = request.form.get("demonstration", "false").strip().lower()
    if demonstration not in ("true", "false", "1", "0", ""):
        errors["demonstration"] = ["true or false"]
    if errors:
        return _bad(errors)
    job = jobs.new(session(), jobs.RESPONSES, bearer_user(), by=by(bearer_user()), via="api", auto_publish=True,
                   changelog=changelog,
                   options={"threshold": int(threshold), "demonstration": demonstration in ("true", "1")})
    return _accepted(job, {jobs.RESPONSES_FILE: _file("responses"), jobs.INVITATIONS_FILE: _file("invitations")})


@bp.route("/jobs/<job_id>", methods=["GET"])
@bp.doc(security=SECURITY, parameters=[{"in": "path", "name": "job_id", "description": "The job's id.",
                                    "schema": {"type": "string"}}],
        responses={"200": {"description": "The job: its status, progress, problems and, once published, "
                                          "the versions' URLs.",
                           "content": {"application/json": {"schema": JOB_SCHEMA}}},
                   "404": "NOT_FOUND", **ERRORS})
def job(job_id: str):
    """A publishing job"""
    refused = _refused()
    if refused is not None:
        return refused
    found = jobs.get(session(), job_id)
    if found is None:
        return problem(404, "Not Found", f"No job has the id {job_id!r}.")
    response = current_app.json.response(job_json(found))
    response.headers["Cache-Control"] = "no-store"
    return response


def _bad(errors: dict[str, list[str]]):
    from portal.api.problems import bad_request
    return bad_request(errors)


def init_app(api) -> None:
    api.spec.components.security_scheme("bearerAuth", SCHEME)
    api.register_blueprint(bp)
