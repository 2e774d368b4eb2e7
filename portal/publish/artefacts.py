"""Every download of a version, built once when it is published and written
into the artefact store: each resource's CSV (the published bytes), JSON and
Welsh-heading CSV, the zip, and a gzip variant of each text file.

Files are written to a temporary folder, a row or a chunk at a time (constant
memory whatever the size), then put into the store under their sha256; the
``artefacts`` rows that point at them are added to the publication's
transaction, so a version and its files become visible together.
"""
from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from portal import datastore, rowstore
from portal.model import Artefact, DatasetVersion, Resource
from portal.publish import formats
from portal.storage import ArtefactStore, file_sha256

CSV, JSON, CSV_CY, ZIP = "csv", "json", "csv-cy", "zip"
GZIP_LEVEL = 6
CHUNK = 1024 * 1024
Progress = Callable[[str], None]


@dataclass
class Built:
    name: str
    kind: str
    mediatype: str
    filename: str
    path: Path
    resource: Resource | None = None


def csv_name(resource: Resource) -> str:
    return f"{resource.name}.csv"


def json_name(resource: Resource) -> str:
    return f"{resource.name}.json"


def welsh_name(resource: Resource) -> str:
    return f"cy/{resource.name}.csv"


def zip_name(version: DatasetVersion) -> str:
    return f"{version.dataset.name}.zip"


def build(session: Session, version: DatasetVersion, store: ArtefactStore,
          csv_source: Callable[[Resource, Path], Path], progress: Progress | None = None) -> list[Artefact]:
    """Build, store and record every artefact of ``version`` (already flushed,
    its resources' rows already in their tables). ``csv_source(resource,
    folder)`` gives the path of the resource's published CSV bytes."""
    with tempfile.TemporaryDirectory(prefix="portal-artefacts-") as folder:
        work = Path(folder)
        built: list[Built] = []
        for resource in version.resources:
            table = datastore.row_table(session, resource)
            stem = formats.file_stem(version, resource.name)
            source = csv_source(resource, work)
            built.append(Built(csv_name(resource), CSV, formats.CSV_MEDIATYPE, f"{stem}.csv", source, resource))
            if progress:
                progress(f"{resource.name}.json")
            json_path = work / f"{resource.name}.json"
            _write_text(json_path, json_chunks(rowstore.read(session, table), table_names(resource)))
            built.append(Built(json_name(resource), JSON, formats.JSON_MEDIATYPE, f"{stem}.json",
                               json_path, resource))
            if progress:
                progress(f"cy/{resource.name}.csv")
            welsh_path = work / f"{resource.name}-cy.csv"
            titles = [field.title_cy for field in resource.fields]
            _write_text(welsh_path, datastore.csv_stream(rowstore.read(session, table), table_names(resource),
                                                         header=titles))
            built.append(Built(welsh_name(resource), CSV_CY, formats.CSV_MEDIATYPE, f"{stem}-cy.csv",
                               welsh_path, resource))
        if progress:
            progress(zip_name(version))
        zip_path = work / "archive.zip"
        write_zip(zip_path, version, {b.resource.name: b.path for b in built if b.kind == CSV})
        built.append(Built(zip_name(version), ZIP, formats.ZIP_MEDIATYPE, f"{formats.file_stem(version)}.zip",
                           zip_path))
        return [_store(store, version, item, work) for item in built]


def _store(store: ArtefactStore, version: DatasetVersion, item: Built, work: Path) -> Artefact:
    digest = file_sha256(item.path)
    store.put_file(item.path, digest, item.mediatype)
    artefact = Artefact(version=version, resource_id=item.resource.id if item.resource else None,
                        name=item.name, kind=item.kind, mediatype=item.mediatype, filename=item.filename,
                        byte_size=item.path.stat().st_size, sha256=digest)
    if item.kind != ZIP:
        compressed = work / f"{digest}.gz"
        write_gzip(item.path, compressed)
        artefact.gzip_sha256 = file_sha256(compressed)
        artefact.gzip_size = compressed.stat().st_size
        store.put_file(compressed, artefact.gzip_sha256, "application/gzip")
        compressed.unlink()
    return artefact


def table_names(resource: Resource) -> list[str]:
    return [f["name"] for f in resource.table_schema["fields"]]


# -- writers --------------------------------------------------------------------------------

def json_chunks(rows: Iterable[dict[str, Any]], names: list[str]) -> Iterator[str]:
    """An array of objects with typed values in the schema's field order,
    indented by two spaces: the same text as ``json.dumps(rows, indent=2)``,
    a row at a time."""
    first = True
    for row in rows:
        body = json.dumps({name: row.get(name) for name in names}, ensure_ascii=False, indent=2)
        yield ("[\n  " if first else ",\n  ") + body.replace("\n", "\n  ")
        first = False
    yield "[]\n" if first else "\n]\n"


def _write_text(path: Path, chunks: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        buffer: list[str] = []
        size = 0
        for chunk in chunks:
            buffer.append(chunk)
            size += len(chunk)
            if size >= CHUNK:
                out.write("".join(buffer))
                buffer.clear()
                size = 0
        out.write("".join(buffer))


def write_gzip(source: Path, target: Path) -> None:
    """gzip with no name and no time in its header: the same bytes always
    compress to the same file."""
    with open(source, "rb") as raw, open(target, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=GZIP_LEVEL, mtime=0) as packed:
            shutil.copyfileobj(raw, packed, CHUNK)


def write_zip(target: Path, version: DatasetVersion, csv_files: dict[str, Path]) -> None:
    """The descriptor (with relative paths) and every CSV file: itself a
    valid package. Fixed member times, so a version always zips to the same
    bytes."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        descriptor = formats.json_bytes(formats.descriptor(version, lambda res: csv_name(res)))
        with _member(archive, "datapackage.json", len(descriptor)) as member:
            member.write(descriptor)
        for resource in version.resources:
            path = csv_files[resource.name]
            with open(path, "rb") as source, _member(archive, csv_name(resource), path.stat().st_size) as member:
                shutil.copyfileobj(source, member, CHUNK)


def _member(archive: zipfile.ZipFile, name: str, size: int):
    info = zipfile.ZipInfo(name, date_time=formats.ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = size
    return archive.open(info, "w")
