"""The S3 artefact store against a real S3 API: moto's standalone server,
started as a separate process, spoken to over HTTP by boto3."""
from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.storage import ObjectMissing, StoreUnavailable
from portal.storage.s3 import CHUNK_SIZE, S3Store, make_client
from tests.conftest import dummy_session, free_port


@pytest.fixture(scope="session")
def store(moto_endpoint) -> S3Store:
    client = make_client(endpoint_url=moto_endpoint, session=dummy_session())
    client.create_bucket(Bucket="portal-artefacts")
    return S3Store("portal-artefacts", "artefacts/", client=client)


@pytest.fixture
def artefact(tmp_path):
    """Write bytes to a file; its path and sha256."""
    def write(data: bytes, name: str = "artefact.csv") -> tuple[Path, str]:
        path = tmp_path / name
        path.write_bytes(data)
        return path, hashlib.sha256(data).hexdigest()
    return write


def unique_bytes(size: int = 1000) -> bytes:
    """Different bytes in every test, so tests sharing the bucket never share an object."""
    seed = uuid.uuid4().bytes
    return (seed * (size // len(seed) + 1))[:size]


def test_put_file_and_read_back(store, artefact):
    data = b"code,name\nW06000001,Isle of Anglesey\n" + unique_bytes()
    path, sha = artefact(data)
    assert not store.exists(sha)

    store.put_file(path, sha, "text/csv")

    assert store.exists(sha)
    assert store.size(sha) == len(data)
    with store.open(sha) as body:
        assert body.read() == data
    assert store.local_path(sha) is None
    head = store.client.head_object(Bucket=store.bucket, Key=f"artefacts/{sha[:2]}/{sha}")
    assert head["ContentType"] == "text/csv"


def test_put_file_twice_keeps_one_object(store, artefact):
    path, sha = artefact(unique_bytes())
    store.put_file(path, sha, "application/json")
    store.put_file(path, sha, "application/json")
    listing = store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"artefacts/{sha[:2]}/{sha}")
    assert listing["KeyCount"] == 1


def test_put_file_refuses_a_wrong_sha256(store, artefact):
    path, sha = artefact(unique_bytes())
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(ValueError, match="sha256"):
        store.put_file(path, wrong, "text/csv")
    assert not store.exists(wrong)
    assert not store.exists(sha)


def test_keys_must_be_sha256(store):
    for bad in ("", "../etc/passwd", "A" * 64, "0" * 63):
        with pytest.raises(ValueError):
            store.exists(bad)


def test_big_file_goes_up_in_parts(store, tmp_path):
    data = os.urandom(12 * 1024 * 1024)
    path = tmp_path / "big.zip"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()

    store.put_file(path, sha, "application/zip")

    head = store.client.head_object(Bucket=store.bucket, Key=store.key(sha))
    assert head["ETag"].strip('"').endswith("-2")  # two 8 MiB parts
    assert store.size(sha) == len(data)
    chunks, length = store.fetch(sha)
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    assert length == len(data)
    assert digest.hexdigest() == sha


def test_fetch_whole_and_ranges(store, artefact):
    data = os.urandom(3 * CHUNK_SIZE + 123)
    path, sha = artefact(data)
    store.put_file(path, sha, "text/csv")

    chunks, length = store.fetch(sha)
    parts = list(chunks)
    assert length == len(data)
    assert b"".join(parts) == data
    assert [len(part) for part in parts] == [CHUNK_SIZE] * 3 + [123]

    last = len(data) - 1
    for first, end in [(0, 0), (1000, 70000), (last, last), (CHUNK_SIZE, 2 * CHUNK_SIZE - 1)]:
        chunks, length = store.fetch(sha, (first, end))
        got = b"".join(chunks)
        assert got == data[first:end + 1]
        assert length == end - first + 1 == len(got)

    with pytest.raises(ValueError):
        store.fetch(sha, (10, 5))


def test_fetch_closes_the_body(store, artefact):
    path, sha = artefact(os.urandom(2 * CHUNK_SIZE))
    store.put_file(path, sha, "text/csv")

    chunks, _ = store.fetch(sha)
    body = chunks._body
    next(chunks)
    chunks.close()
    assert body._raw_stream.closed
    assert list(chunks) == []

    chunks, _ = store.fetch(sha)
    body = chunks._body
    chunks.close()  # never started
    assert body._raw_stream.closed

    chunks, _ = store.fetch(sha)
    body = chunks._body
    list(chunks)
    assert body._raw_stream.closed


def test_missing_objects(store):
    sha = hashlib.sha256(unique_bytes()).hexdigest()
    assert not store.exists(sha)
    with pytest.raises(ObjectMissing):
        store.size(sha)
    with pytest.raises(ObjectMissing):
        store.open(sha)
    with pytest.raises(ObjectMissing):
        store.fetch(sha)
    with pytest.raises(ObjectMissing):
        store.fetch(sha, (0, 10))


def test_presigned_url_downloads_with_the_name_and_type_asked_for(store, artefact):
    data = b'{"councils": 22}' + unique_bytes(100)
    path, sha = artefact(data, "artefact.json")
    store.put_file(path, sha, "application/octet-stream")

    url = store.presigned_url(sha, filename="councils-2018.json", mediatype="application/json",
                              expires=60)
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.read() == data
        assert response.headers["Content-Disposition"] == 'attachment; filename="councils-2018.json"'
        assert response.headers["Content-Type"] == "application/json"


def test_delete(store, artefact):
    path, sha = artefact(unique_bytes())
    store.put_file(path, sha, "text/csv")
    store.delete(sha)
    assert not store.exists(sha)
    store.delete(sha)


def test_check(store):
    store.check()
    other = S3Store("no-such-bucket", client=store.client)
    with pytest.raises(StoreUnavailable, match="no-such-bucket"):
        other.check()


def test_unreachable_store_fails_fast(tmp_path, caplog):
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = make_client(endpoint_url=endpoint, session=dummy_session(),
                         connect_timeout=1, read_timeout=2)
    store = S3Store("portal-artefacts", client=client)
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n1,2\n")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()

    calls = {
        "check": lambda: store.check(),
        "put_file": lambda: store.put_file(path, sha, "text/csv"),
        "exists": lambda: store.exists(sha),
        "open": lambda: store.open(sha),
        "fetch": lambda: store.fetch(sha),
        "fetch range": lambda: store.fetch(sha, (0, 1)),
    }
    for name, call in calls.items():
        caplog.clear()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="portal.storage"):
            with pytest.raises(StoreUnavailable) as raised:
                call()
        assert time.monotonic() - started < 10, name
        assert endpoint in str(raised.value) and "portal-artefacts" in str(raised.value), name
        warnings = [r for r in caplog.records if r.name == "portal.storage" and r.levelno == logging.WARNING]
        assert warnings and endpoint in warnings[0].getMessage(), name


def test_silent_store_times_out(caplog):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        client = make_client(endpoint_url=endpoint, session=dummy_session(),
                             connect_timeout=1, read_timeout=1)
        store = S3Store("portal-artefacts", client=client)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="portal.storage"):
            with pytest.raises(StoreUnavailable, match="timeout"):
                store.check()
        assert time.monotonic() - started < 10
        assert any(r.name == "portal.storage" for r in caplog.records)


def test_default_client_uses_the_options():
    store = S3Store("portal-artefacts", endpoint_url="http://127.0.0.1:9", region="eu-west-2",
                    connect_timeout=1.5, read_timeout=4)
    config = store.client.meta.config
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "eu-west-2"
    assert (config.connect_timeout, config.read_timeout) == (1.5, 4)
    assert config.retries["total_max_attempts"] == 2
    assert store.kind == "s3"
    assert store.serve == "stream"
    with pytest.raises(ValueError, match="serve"):
        S3Store("portal-artefacts", serve="sometimes", client=store.client)


@pytest.mark.parametrize("url, bucket, prefix", [
    ("s3://portal-artefacts", "portal-artefacts", ""),
    ("s3://portal-artefacts/", "portal-artefacts", ""),
    ("s3://portal-artefacts/live", "portal-artefacts", "live/"),
    ("s3://portal-artefacts/live/artefacts/", "portal-artefacts", "live/artefacts/"),
    ("S3://data.example.org/a", "data.example.org", "a/"),
])
def test_from_url(url, bucket, prefix):
    store = S3Store.from_url(url, endpoint_url="http://127.0.0.1:9", serve="redirect")
    assert (store.bucket, store.prefix, store.serve) == (bucket, prefix, "redirect")
    assert store.key("ab" + "0" * 62) == f"{prefix}ab/ab{'0' * 62}"


@pytest.mark.parametrize("url, message", [
    ("", "empty"),
    ("portal-artefacts", "s3://"),
    ("https://portal-artefacts/x", "s3://"),
    ("s3://", "no bucket"),
    ("s3:///prefix", "no bucket"),
    ("s3://Portal_Artefacts", "not valid"),
    ("s3://ab", "not valid"),
    ("s3://" + "a" * 64, "not valid"),
    ("s3://-portal", "not valid"),
    ("s3://portal..artefacts", "not valid"),
    ("s3://192.168.1.10", "IP address"),
    ("s3://key:secret@portal-artefacts", "credentials"),
    ("s3://portal-artefacts:9000", "port"),
    ("s3://portal-artefacts/a?versionId=1", "query"),
    ("s3://portal-artefacts/a//b", "segment"),
    ("s3://portal-artefacts/a/../b", "segment"),
])
def test_from_url_refuses_bad_urls(url, message):
    with pytest.raises(ValueError, match=message):
        S3Store.from_url(url, endpoint_url="http://127.0.0.1:9")
