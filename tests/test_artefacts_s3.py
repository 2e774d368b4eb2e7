"""The portal with its download files in S3-compatible storage (moto's
standalone server): published into the bucket, served from it (streamed or
by presigned redirect) with Range and ETags, and a clear 503, never a half
file, when the store cannot be reached."""
from __future__ import annotations

import hashlib
import urllib.request
import uuid

import pytest

from portal.config import DATASETS_PATH
from portal.publish.service import load_path
from portal.storage.s3 import make_client
from tests.conftest import dummy_session, free_port, make_app, migrated
from tests.helpers import snapshot

COUNCILS = DATASETS_PATH / "councils"
SOURCE = (COUNCILS / "councils.csv").read_bytes()


@pytest.fixture
def bucket(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"portal-{uuid.uuid4().hex[:12]}"
    make_client(endpoint_url=moto_endpoint, session=dummy_session()).create_bucket(Bucket=name)
    return name


def s3_app(url, tmp_path, bucket, endpoint, serve="stream"):
    return make_app(url, tmp_path / "instance", ARTEFACT_STORE=f"s3://{bucket}/site",
                    ARTEFACT_S3_ENDPOINT_URL=endpoint, ARTEFACT_S3_SERVE=serve)


@pytest.fixture
def published(backend, new_database, tmp_path, bucket, moto_endpoint):
    url = migrated(new_database(backend))
    app = s3_app(url, tmp_path, bucket, moto_endpoint)
    with app.app_context():
        from portal.extensions import session
        assert [r.status for r in load_path(session(), COUNCILS)] == ["published"]
    return url, app


def test_files_go_to_the_bucket_and_are_streamed_back(published, bucket, moto_endpoint):
    _url, app = published
    client = make_client(endpoint_url=moto_endpoint, session=dummy_session())
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    digest = hashlib.sha256(SOURCE).hexdigest()
    assert f"site/{digest[:2]}/{digest}" in keys
    web = app.test_client()
    csv = web.get("/datasets/councils/councils.csv")
    assert csv.status_code == 200 and csv.data == SOURCE
    assert csv.headers["ETag"] == f'"{digest}"' and csv.headers["Content-Length"] == str(len(SOURCE))
    assert web.get("/datasets/councils/councils.csv", headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    part = web.get("/datasets/councils/versions/1/councils.csv", headers={"Range": "bytes=10-29"})
    assert part.status_code == 206 and part.data == SOURCE[10:30]
    assert part.headers["Content-Range"] == f"bytes 10-29/{len(SOURCE)}"
    assert web.get("/datasets/councils/councils.csv", headers={"Range": "bytes=99999-"}).status_code == 416
    head = web.head("/datasets/councils.zip")
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) > 0
    packed = web.get("/datasets/councils/councils.json", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"


def test_presigned_redirects(published, tmp_path, bucket, moto_endpoint):
    url, _app = published
    app = s3_app(url, tmp_path, bucket, moto_endpoint, serve="redirect")
    response = app.test_client().get("/datasets/councils/councils.csv")
    assert response.status_code == 302
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as followed:
        assert followed.read() == SOURCE
        assert 'filename="councils-v1.csv"' in followed.headers["Content-Disposition"]


def test_an_unreachable_store_is_a_503_and_a_log_line(published, tmp_path, bucket, caplog):
    url, _app = published
    closed = f"http://127.0.0.1:{free_port()}"
    app = s3_app(url, tmp_path, bucket, closed)
    response = app.test_client().get("/datasets/councils/councils.csv")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.mimetype == "application/problem+json"
    assert any("unavailable" in record.getMessage().lower() for record in caplog.records)
    # the portal's other answers do not need the store
    assert app.test_client().get("/datasets/councils/datapackage.json").status_code == 200


def test_publishing_to_an_unreachable_store_publishes_nothing(backend, new_database, tmp_path, bucket):
    app = s3_app(migrated(new_database(backend)), tmp_path, bucket, f"http://127.0.0.1:{free_port()}")
    with app.app_context():
        from portal.extensions import session
        before = snapshot(session())
        results = load_path(session(), COUNCILS)
        assert [r.status for r in results] == ["not-published"]
        assert [p.code for p in results[0].report.problems] == ["store-error"]
        assert "could not connect" in results[0].report.render().lower()
        assert snapshot(session()) == before
