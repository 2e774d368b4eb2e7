"""The artefact store: every immutable download file (CSV, JSON, Welsh CSV,
zip and their precompressed variants) written once and kept under the sha256
of its bytes.

Two backends share one small interface: :class:`LocalStore`, a folder (the
default, under ``instance/artefacts``), and :class:`portal.storage.s3.S3Store`,
S3-compatible object storage. Objects are content-addressed, so writing the
same bytes twice is harmless, and an object written by a publication that then
failed is merely unreferenced. Nothing here knows about Flask.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 64 * 1024


class StoreUnavailable(RuntimeError):
    """The artefact store cannot be reached or answered with an error."""


class ObjectMissing(KeyError):
    """No object with that key is in the store."""


class ArtefactStore(Protocol):
    kind: str

    def put_file(self, path: Path, sha256: str, mediatype: str) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def size(self, sha256: str) -> int: ...
    def open(self, sha256: str) -> BinaryIO: ...
    def delete(self, sha256: str) -> None: ...
    def local_path(self, sha256: str) -> Path | None: ...
    def fetch(self, sha256: str, byte_range: tuple[int, int] | None = None
              ) -> tuple[Iterator[bytes], int]: ...
    def presigned_url(self, sha256: str, *, filename: str, mediatype: str,
                      expires: int = 300) -> str | None: ...
    def check(self) -> None: ...
    def objects(self) -> Iterator[tuple[str, dt.datetime]]: ...
    def leftovers(self) -> Iterator[tuple[str, dt.datetime]]: ...
    def delete_leftover(self, name: str) -> None: ...


def verify(store: ArtefactStore, sha256: str) -> bool:
    """Whether the stored object's bytes, read back from the store, have the
    sha256 they are kept under."""
    digest = hashlib.sha256()
    try:
        with store.open(sha256) as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except ObjectMissing:
        return False
    return digest.hexdigest() == sha256


def put_verified(store: ArtefactStore, path: Path, sha256: str, mediatype: str) -> None:
    """Put the file into the store, then read it back: an object already there
    with other bytes (a torn or corrupted write) is replaced; an object that
    still does not read back as ``sha256`` is an unavailable store."""
    store.put_file(path, sha256, mediatype)
    if verify(store, sha256):
        return
    store.delete(sha256)
    store.put_file(path, sha256, mediatype)
    if not verify(store, sha256):
        raise StoreUnavailable(f"the artefact {sha256} does not read back with the bytes written")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _checked_key(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a sha256 key: {sha256!r}")
    return sha256


class LocalStore:
    """Objects as files ``<root>/<first two hex digits>/<sha256>``, written to a
    temporary file in the same folder and renamed into place, so a reader never
    sees a partial object."""

    kind = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        key = _checked_key(sha256)
        return self.root / key[:2] / key

    def put_file(self, path: Path, sha256: str, mediatype: str = "") -> None:
        target = self._path(sha256)
        if target.is_file() and target.stat().st_size == Path(path).stat().st_size:
            return
        if file_sha256(Path(path)) != sha256:
            raise ValueError(f"{path} does not have the sha256 {sha256}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
                shutil.copyfileobj(source, out, CHUNK * 16)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
            _fsync_folder(target.parent)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self._path(sha256).stat().st_size
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._path(sha256), "rb")
        except FileNotFoundError:
            raise ObjectMissing(sha256) from None

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def local_path(self, sha256: str) -> Path | None:
        path = self._path(sha256)
        return path if path.is_file() else None

    def fetch(self, sha256: str, byte_range: tuple[int, int] | None = None
              ) -> tuple[Iterator[bytes], int]:
        handle = self.open(sha256)
        size = os.fstat(handle.fileno()).st_size
        first, last = byte_range if byte_range else (0, size - 1)
        length = max(0, min(last, size - 1) - first + 1)

        def chunks() -> Iterator[bytes]:
            try:
                handle.seek(first)
                left = length
                while left > 0:
                    chunk = handle.read(min(CHUNK, left))
                    if not chunk:
                        break
                    left -= len(chunk)
                    yield chunk
            finally:
                handle.close()
        return chunks(), length

    def presigned_url(self, sha256: str, *, filename: str, mediatype: str, expires: int = 300) -> None:
        """None: a local store has no URLs of its own; it is served from its files."""
        return None

    def objects(self) -> Iterator[tuple[str, dt.datetime]]:
        """Every stored object's sha256 and when it was written."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith(folder.name) and _is_key(path.name):
                    yield path.name, _modified(path)

    def leftovers(self) -> Iterator[tuple[str, dt.datetime]]:
        """Files a write stopped half-way left behind (``.incoming-*``)."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("*/.incoming-*"):
            yield str(path.relative_to(self.root)), _modified(path)

    def delete_leftover(self, name: str) -> None:
        path = self.root / name
        if path.parent.parent == self.root and path.name.startswith(".incoming-"):
            path.unlink(missing_ok=True)

    def check(self) -> None:
        if not self.root.exists():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"the artefact folder {self.root} cannot be created: {exc}") from exc
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise StoreUnavailable(f"the artefact folder {self.root} cannot be read")


def _is_key(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _modified(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)


def _fsync_folder(folder: Path) -> None:
    """Make a rename into ``folder`` durable (POSIX: the folder's entry)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_store(settings: dict) -> ArtefactStore:
    """The store the settings name: ``ARTEFACT_STORE`` is a folder path (default
    ``<instance>/artefacts``) or ``s3://bucket/prefix``."""
    location = settings.get("ARTEFACT_STORE") or str(Path(settings["INSTANCE_PATH"]) / "artefacts")
    if location.startswith("s3://"):
        from portal.storage.s3 import S3Store
        return S3Store.from_url(location, endpoint_url=settings.get("ARTEFACT_S3_ENDPOINT_URL") or None,
                                region=settings.get("ARTEFACT_S3_REGION") or None,
                                serve=settings.get("ARTEFACT_S3_SERVE") or "stream")
    return LocalStore(location)
