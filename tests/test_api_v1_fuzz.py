"""Property-based tests of the JSON API with schemathesis, driven by its own
OpenAPI document, over real HTTP: no server errors, and every response
conforms to what the document says (status, media type, headers, body).

Bounded in time: a dozen generated cases per operation, plus schemathesis'
own examples and coverage cases (boundaries, wrong types, unknown parameters,
other methods).
"""
from __future__ import annotations

import json
import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal import create_app, search
from portal.api.v1 import openapi_document

API = "/api/v1/openapi.json"
ROW_QUERY_PARAMETERS = {"q", "sort", "fields", "limit", "offset", "cursor"}


def _document() -> dict:
    """The OpenAPI document, generated without a database (it depends on none)."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": instance, "SECRET_KEY": "test"})
        return json.loads(json.dumps(openapi_document(app)))


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_served_document_is_valid_openapi(live_server):
    served = schemathesis.openapi.from_url(live_server + API)
    served.validate()  # against the OpenAPI 3.0 meta-schema
    assert served.raw_schema == DOCUMENT
    assert served.raw_schema["openapi"].startswith("3.")


def refused_as_documented(case, response) -> bool:
    """A 400 for a request the document cannot tell apart from a good one: a row
    filter, sort or field list naming no field of that resource, a cursor the
    server never issued, or a search of more words than allowed."""
    if response.status_code != 400:
        return False
    named = set(response.json().get("errors", {}))
    if case.operation.path.endswith(("/rows", "/rows.csv")):
        filters = set(case.query or {}) - ROW_QUERY_PARAMETERS
        return bool(named) and named <= filters | {"sort", "fields", "cursor"}
    if case.operation.path == "/api/v1/datasets":
        return named == {"q"} and len(search.terms(str((case.query or {}).get("q", "")))) > search.MAX_TERMS
    return False


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_document(case, live_server):
    response = case.call(base_url=live_server)
    assert response.status_code < 500, response.text
    assert response.headers.get("access-control-allow-origin") == ["*"]  # CORS, errors included
    excluded = [positive_data_acceptance] if refused_as_documented(case, response) else []
    case.validate_response(response, excluded_checks=excluded, transport_kwargs={"base_url": live_server})
