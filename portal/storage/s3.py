"""Artefacts in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, ...).

Each artefact is one object named ``<prefix><sha256[:2]>/<sha256>``, where
sha256 is the lowercase hex digest of its bytes, so an object never changes
once written and uploading the same bytes twice stores them once.

Every failure to reach the store, and every error answer other than "no such
object", becomes :class:`StoreUnavailable` naming the endpoint and bucket, and
is logged at WARNING on ``portal.storage``; a missing object is
:class:`ObjectMissing`.
"""
from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import pathlib
import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from portal.storage import ObjectMissing, StoreUnavailable

log = logging.getLogger("portal.storage")

CHUNK_SIZE = 64 * 1024
SERVE_MODES = ("stream", "redirect")

# Error codes S3 and compatible stores give for "no object with that key".
# A HEAD request has no body, so its error code is the bare status.
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})

_SHA256 = re.compile(r"[0-9a-f]{64}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

# Files at or above this size go up in parts of this size, several at once.
TRANSFER = TransferConfig(multipart_threshold=8 * 1024 * 1024,
                          multipart_chunksize=8 * 1024 * 1024,
                          max_concurrency=4)


def check_bucket_name(bucket: str) -> str:
    """The bucket name if S3 accepts it; ValueError saying why not otherwise."""
    if not isinstance(bucket, str) or not bucket:
        raise ValueError("S3 bucket name is empty")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(
            f"S3 bucket name {bucket!r} is not valid: use 3 to 63 lowercase letters, digits, "
            "dots and hyphens, beginning and ending with a letter or digit")
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        raise ValueError(f"S3 bucket name {bucket!r} is not valid: dots must separate labels")
    try:
        ipaddress.IPv4Address(bucket)
    except ValueError:
        return bucket
    raise ValueError(f"S3 bucket name {bucket!r} is not valid: it looks like an IP address")


def normalise_prefix(prefix: str) -> str:
    """The key prefix without a leading slash and ending with "/", or "" for none."""
    prefix = (prefix or "").strip("/")
    if not prefix:
        return ""
    parts = prefix.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"S3 key prefix {prefix!r} has an empty, '.' or '..' segment")
    if any(ord(char) < 32 or ord(char) == 127 for char in prefix):
        raise ValueError(f"S3 key prefix {prefix!r} has a control character")
    return prefix + "/"


def make_client(*, endpoint_url: str | None = None, region: str | None = None,
                connect_timeout: float = 3.0, read_timeout: float = 10.0,
                session: boto3.session.Session | None = None):
    """An S3 client that gives up within seconds when the store does not answer.

    Credentials come from the session (by default boto3's usual chain:
    environment, shared files, instance role).
    """
    options: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        # Two attempts in all: one retry for a passing fault, then give up.
        "retries": {"total_max_attempts": 2, "mode": "standard"},
        "signature_version": "s3v4",
    }
    if endpoint_url:
        # Stores other than AWS serve buckets under the path, not as host names,
        # and many reject the newer default checksum headers.
        options["s3"] = {"addressing_style": "path"}
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    session = session or boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                          config=Config(**options))


def file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def content_disposition(filename: str) -> str:
    """'attachment; filename="<filename>"', with an RFC 6266 filename* for names
    that are not plain ASCII."""
    plain = "".join(char for char in filename if 32 <= ord(char) < 127 and char not in '"\\')
    if plain == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain or 'download'}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3Store:
    """The artefact store in a bucket of an S3-compatible object store."""

    kind = "s3"

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, serve: str = "stream", connect_timeout: float = 3.0,
                 read_timeout: float = 10.0, client=None):
        self.bucket = check_bucket_name(bucket)
        self.prefix = normalise_prefix(prefix)
        if serve not in SERVE_MODES:
            raise ValueError(f"serve must be one of {', '.join(SERVE_MODES)}, not {serve!r}")
        self.serve = serve
        self.client = client if client is not None else make_client(
            endpoint_url=endpoint_url, region=region,
            connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.endpoint = self.client.meta.endpoint_url

    @classmethod
    def from_url(cls, url: str, **options) -> S3Store:
        """A store for ``s3://bucket`` or ``s3://bucket/key/prefix``."""
        if not isinstance(url, str) or not url.strip():
            raise ValueError("S3 store URL is empty; expected s3://bucket/optional/prefix")
        parts = urlsplit(url.strip())
        if parts.scheme.lower() != "s3":
            raise ValueError(f"S3 store URL {url!r} does not start with s3://")
        if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
            raise ValueError(f"S3 store URL {url!r} has a query or fragment; "
                             "expected s3://bucket/optional/prefix")
        if "@" in parts.netloc or ":" in parts.netloc:
            raise ValueError(f"S3 store URL {url!r} has credentials or a port in it; "
                             "give the endpoint and credentials separately")
        if not parts.netloc:
            raise ValueError(f"S3 store URL {url!r} has no bucket name")
        bucket = check_bucket_name(parts.netloc)
        return cls(bucket, normalise_prefix(parts.path), **options)

    def __repr__(self) -> str:
        return f"<S3Store s3://{self.bucket}/{self.prefix} at {self.endpoint}>"

    # Keys and errors

    def key(self, sha256: str) -> str:
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lowercase hex sha256: {sha256!r}")
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def _unavailable(self, action: str, exc: BaseException) -> StoreUnavailable:
        message = (f"S3 store at {self.endpoint}, bucket {self.bucket!r}: {action} failed: "
                   f"{type(exc).__name__}: {exc}")
        log.warning(message)
        return StoreUnavailable(message)

    @contextlib.contextmanager
    def _errors(self, action: str, sha256: str | None = None):
        """Turn botocore's and boto3's errors into ObjectMissing or StoreUnavailable."""
        try:
            yield
        except ParamValidationError:
            raise
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if sha256 is not None and code in MISSING_CODES:
                raise ObjectMissing(sha256) from None
            if code == "InvalidRange":
                raise ValueError(f"byte range outside artefact {sha256}") from exc
            raise self._unavailable(action, exc) from exc
        except (BotoCoreError, Boto3Error) as exc:
            raise self._unavailable(action, exc) from exc

    # The store's interface

    def put_file(self, path: pathlib.Path, sha256: str, mediatype: str) -> None:
        """Upload the file as the object for sha256 unless that object exists.

        ValueError if the file's bytes do not have that sha256.
        """
        key = self.key(sha256)
        actual = file_sha256(path)
        if actual != sha256:
            raise ValueError(f"{path} has sha256 {actual}, not {sha256}")
        if self.exists(sha256):
            return
        with self._errors(f"upload of {key}"):
            self.client.upload_file(
                str(path), self.bucket, key, Config=TRANSFER,
                ExtraArgs={"ContentType": mediatype, "Metadata": {"sha256": sha256}})

    def exists(self, sha256: str) -> bool:
        try:
            self._head(sha256)
        except ObjectMissing:
            return False
        return True

    def size(self, sha256: str) -> int:
        return int(self._head(sha256)["ContentLength"])

    def _head(self, sha256: str) -> dict:
        key = self.key(sha256)
        with self._errors(f"HEAD of {key}", sha256):
            return self.client.head_object(Bucket=self.bucket, Key=key)

    def open(self, sha256: str) -> BinaryIO:
        """The whole object as a readable stream; the caller closes it."""
        key = self.key(sha256)
        with self._errors(f"GET of {key}", sha256):
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]

    def delete(self, sha256: str) -> None:
        key = self.key(sha256)
        with contextlib.suppress(ObjectMissing), self._errors(f"delete of {key}", sha256):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def local_path(self, sha256: str) -> None:
        return None

    def objects(self):
        """Every stored object's sha256 and when it was written."""
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors(f"listing of {self.prefix or '/'}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix):]
                    folder, _, sha256 = name.partition("/")
                    if _SHA256.fullmatch(sha256) and folder == sha256[:2]:
                        yield sha256, item["LastModified"]

    def leftovers(self):
        """None: an S3 upload is whole or absent (multipart uploads that
        stop are removed by the bucket's lifecycle rule)."""
        return iter(())

    def delete_leftover(self, name: str) -> None:
        return None

    def fetch(self, sha256: str, byte_range: tuple[int, int] | None = None
              ) -> tuple[Iterator[bytes], int]:
        """The object's bytes, or the inclusive byte range (first, last) of
        them, in chunks of 64 KiB, and how many bytes the chunks come to.

        The chunks iterator closes the HTTP response when exhausted or closed.
        A range starting past the end is a ValueError.
        """
        key = self.key(sha256)
        arguments = {"Bucket": self.bucket, "Key": key}
        if byte_range is not None:
            first, last = byte_range
            if first < 0 or last < first:
                raise ValueError(f"bad byte range {byte_range!r}")
            arguments["Range"] = f"bytes={first}-{last}"
        with self._errors(f"GET of {key}", sha256):
            response = self.client.get_object(**arguments)
        body = response["Body"]
        if byte_range is not None and not response.get("ContentRange"):
            body.close()
            raise self._unavailable(f"GET of {key}", RuntimeError("the store ignored the Range header"))
        return _Chunks(self, body, f"reading {key}"), int(response["ContentLength"])

    def presigned_url(self, sha256: str, *, filename: str, mediatype: str, expires: int = 300) -> str:
        """A URL anyone may GET for `expires` seconds, answered as a download
        of that file name and media type."""
        key = self.key(sha256)
        with self._errors(f"signing a URL for {key}"):
            return self.client.generate_presigned_url(
                "get_object", ExpiresIn=int(expires),
                Params={"Bucket": self.bucket, "Key": key,
                        "ResponseContentDisposition": content_disposition(filename),
                        "ResponseContentType": mediatype})

    def check(self) -> None:
        """StoreUnavailable unless the bucket answers."""
        with self._errors("HEAD of the bucket"):
            self.client.head_bucket(Bucket=self.bucket)


class _Chunks:
    """The chunks of an HTTP response body; closes the body when exhausted, on
    an error, or when closed, even before the first chunk was asked for."""

    def __init__(self, store: S3Store, body, action: str):
        self._store = store
        self._body = body
        self._action = action

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        if self._body is None:
            raise StopIteration
        try:
            chunk = self._body.read(CHUNK_SIZE)
        except (BotoCoreError, OSError) as exc:
            self.close()
            raise self._store._unavailable(self._action, exc) from exc
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            body.close()

    def __del__(self) -> None:
        self.close()
