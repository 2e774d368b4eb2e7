"""Property-based tests of the JSON API with schemathesis, driven by its own
OpenAPI document, over real HTTP: no server errors, and every response
conforms to what the document says (status, media type, headers, body).

Bounded in time: a dozen generated cases per operation, plus schemathesis'
own examples and coverage cases (boundaries, wrong types, unknown parameters,
other methods).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from portal import create_app
from portal.api.v1 import openapi_document

API = "/api/v1/openapi.json"


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


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_document(case, live_server):
    response = case.call(base_url=live_server)
    assert response.status_code < 500, response.text
    assert response.headers.get("access-control-allow-origin") == ["*"]  # CORS, errors included
    case.validate_response(response, transport_kwargs={"base_url": live_server})  # every check


# Each dataset's own document, by the schemathesis command line as a client
# would run it, with every check: the coverage phase (boundaries of every
# parameter) on a small resource, generated cases on the largest.
DATASET_RUNS = [("data-tool-response-rates", "examples,coverage,fuzzing"), ("maturity-scores", "examples,fuzzing")]


@pytest.mark.parametrize("name, phases", DATASET_RUNS)
def test_each_datasets_document_matches_its_row_queries(live_server, name, phases):
    url = f"{live_server}/api/v1/datasets/{name}/openapi.json"
    served = schemathesis.openapi.from_url(url)
    served.validate()
    assert len(served.raw_schema["paths"]) == 4  # rows and rows.csv, latest and version 1
    result = subprocess.run(
        [Path(sys.executable).parent / "schemathesis", "run", url, "--checks", "all", "--phases", phases,
         "--max-examples", "10", "--seed", "1", "--workers", "2", "--no-color"],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:]
