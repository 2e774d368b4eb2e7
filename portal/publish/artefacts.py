"""Every download of a version, built once when it is published and written
into the artefact store: each resource's CSV (the published bytes), JSON and
Welsh-heading CSV, its spreadsheets (XLSX and ODS, in English and in Welsh)
and CSVs for Excel, the zip, and a gzip variant of each text file.

Files are written to a temporary folder, a row or a chunk at a time (constant
memory whatever the size), then put into the store under their sha256; the
``artefacts`` rows that point at them are added to the publication's
transaction, so a version and its files become visible together.

The spreadsheets and CSVs for Excel (:data:`VARIANTS`) of a resource of
more rows than the session allows (``SPREADSHEETS_AT_PUBLICATION_MAX_ROWS``,
:func:`deferred`) are built after publication, by the worker
(:func:`build_missing`), as are those of versions published before they
existed: a small one is built when it is first asked for
(:func:`build_late`), and each is kept like the others.
"""
from __future__ import annotations

import gzip
import json
import math
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import datastore, rowstore
from portal.db import SPREADSHEET_ROWS, session_publisher
from portal.model import Artefact, DatasetVersion, Resource
from portal.publish import formats, spreadsheets
from portal.storage import ArtefactStore, StoreUnavailable, file_sha256, put_verified

CSV, JSON, CSV_CY, ZIP = "csv", "json", "csv-cy", "zip"
XLSX, ODS, XLSX_CY, ODS_CY = "xlsx", "ods", "xlsx-cy", "ods-cy"
CSV_EXCEL, CSV_CY_EXCEL = "csv-excel", "csv-cy-excel"
# zip containers already: stored without a gzip variant
PACKED = {ZIP, XLSX, ODS, XLSX_CY, ODS_CY}
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


@dataclass(frozen=True)
class Variant:
    """A download made from a resource's rows (a spreadsheet) or from its
    CSV (the CSV for Excel), in one language."""

    kind: str
    folder: str
    extension: str
    suffix: str  # of the file name, after the version's stem
    mediatype: str
    lang: str

    def name(self, resource: Resource) -> str:
        return f"{self.folder}{resource.name}.{self.extension}"


VARIANTS = (
    Variant(XLSX, "", "xlsx", ".xlsx", spreadsheets.XLSX_MEDIATYPE, "en"),
    Variant(ODS, "", "ods", ".ods", spreadsheets.ODS_MEDIATYPE, "en"),
    Variant(XLSX_CY, "cy/", "xlsx", "-cy.xlsx", spreadsheets.XLSX_MEDIATYPE, "cy"),
    Variant(ODS_CY, "cy/", "ods", "-cy.ods", spreadsheets.ODS_MEDIATYPE, "cy"),
    Variant(CSV_EXCEL, "excel/", "csv", "-excel.csv", formats.CSV_MEDIATYPE, "en"),
    Variant(CSV_CY_EXCEL, "excel/cy/", "csv", "-cy-excel.csv", formats.CSV_MEDIATYPE, "cy"),
)
# The most rows a resource may have for its VARIANTS to be built at
# publication, when the session does not say (see portal.config).
DEFAULT_SPREADSHEET_ROWS = 100_000


def variant(fmt: str, lang: str = "en") -> Variant:
    """The variant of ``fmt`` in ``lang``: xlsx or ods, or csv for the CSV for Excel."""
    return next(v for v in VARIANTS if v.extension == fmt and v.lang == lang)


def write_variant(session: Session, version: DatasetVersion, resource: Resource, variant: Variant,
                  folder: Path, csv_path: Path) -> Path:
    """Write ``variant`` of ``resource`` into ``folder``; ``csv_path`` is the
    CSV it is made from (the published one, or the Welsh-heading one for
    Welsh), unread by spreadsheets. Spreadsheets name the portal's publisher
    the session was opened for (:func:`portal.db.session_publisher`)."""
    target = folder / f"{resource.name}{variant.suffix}"
    if variant.extension == "csv":
        # the published CSV in its resource's dialect; the Welsh-heading one as written here
        published = [r for r in version.descriptor.get("resources", []) if r.get("name") == resource.name]
        dialect = published[0].get("dialect") if published and variant.lang == "en" else None
        spreadsheets.write_excel_csv(csv_path, target, dialect)
    else:
        book = spreadsheets.workbook(version, resource, variant.lang, spreadsheets.cells(session, resource),
                                     publisher=session_publisher(session))
        spreadsheets.write(book, variant.extension, target, folder)
    return target


class RowFiles:
    """The JSON and Welsh-heading CSV of one resource, written a row at a
    time as its rows are stored, so that publishing reads each row once."""

    def __init__(self, folder: Path, name: str, names: list[str], welsh_titles: list[str]):
        self.json_path = folder / f"{name}.json"
        self.welsh_path = folder / f"{name}-cy.csv"
        self.names = names
        self._json = open(self.json_path, "w", encoding="utf-8", newline="")
        self._welsh = open(self.welsh_path, "w", encoding="utf-8", newline="")
        self._lines = rowstore.LineWriter(names)
        self._welsh.write(self._lines.cells(welsh_titles))
        self._row_json = json_row_writer(names)
        self._first = True

    def write(self, row: dict[str, Any]) -> None:
        """Write ``row`` to the files, and keep its line of CSV in it (under
        :data:`rowstore.LINE`) for the row table, which stores the same line."""
        self._json.write(("[\n" if self._first else ",\n") + self._row_json(row))
        self._first = False
        line = row[rowstore.LINE] = self._lines.line(row)
        self._welsh.write(line)

    def close(self) -> None:
        if not self._json.closed:
            self._json.write("[]\n" if self._first else "\n]\n")
            self._json.close()
            self._welsh.close()

    def tee(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``rows``, unchanged, writing each to the files on the way."""
        try:
            for row in rows:
                self.write(row)
                yield row
        finally:
            self.close()


def build(session: Session, version: DatasetVersion, store: ArtefactStore,
          csv_source: Callable[[Resource, Path], Path], progress: Progress | None = None,
          work: Path | None = None, prepared: dict[str, RowFiles] | None = None,
          meanwhile: Callable[[], None] | None = None) -> list[Artefact]:
    """Build, store and record every artefact of ``version`` (already flushed,
    its resources' rows already in their tables). ``csv_source(resource,
    folder)`` gives the path of the resource's published CSV bytes;
    ``prepared`` the row files already written while the rows were stored
    (others are written from the row tables); ``meanwhile()`` is called on
    this thread while the files are compressed, hashed and stored on others
    (publishing builds the tables' indexes then)."""
    with tempfile.TemporaryDirectory(prefix="portal-artefacts-", dir=work) as folder:
        work = Path(folder)
        built: list[Built] = []
        for resource in version.resources:
            stem = formats.file_stem(version, resource.name)
            source = csv_source(resource, work)
            built.append(Built(csv_name(resource), CSV, formats.CSV_MEDIATYPE, f"{stem}.csv", source, resource))
            files = (prepared or {}).get(resource.name)
            if files is None:
                if progress:
                    progress(f"{resource.name}.json, cy/{resource.name}.csv")
                files = RowFiles(work, resource.name, table_names(resource),
                                 [field.title_cy for field in resource.fields])
                for row in rowstore.read(session, datastore.row_table(session, resource)):
                    files.write(row)
                files.close()
            built.append(Built(json_name(resource), JSON, formats.JSON_MEDIATYPE, f"{stem}.json",
                               files.json_path, resource))
            built.append(Built(welsh_name(resource), CSV_CY, formats.CSV_MEDIATYPE, f"{stem}-cy.csv",
                               files.welsh_path, resource))
            if deferred(session, resource):
                continue  # built after publication
            if progress:
                progress(f"{resource.name}: spreadsheets and CSVs for Excel")
            for variant in VARIANTS:
                path = write_variant(session, version, resource, variant, work,
                                     files.welsh_path if variant.lang == "cy" else source)
                built.append(Built(variant.name(resource), variant.kind, variant.mediatype,
                                   f"{stem}{variant.suffix}", path, resource))
        if progress:
            progress(zip_name(version))
        zip_path = work / "archive.zip"
        write_zip(zip_path, version, {b.resource.name: b.path for b in built if b.kind == CSV})
        built.append(Built(zip_name(version), ZIP, formats.ZIP_MEDIATYPE, f"{formats.file_stem(version)}.zip",
                           zip_path))
        if progress:
            progress("gzip variants, hashes, store")
        # hashing, gzip and copying release the GIL: use both cores (the
        # session is touched on this thread only)
        with ThreadPoolExecutor(max_workers=2) as pool:
            storing = [pool.submit(_store, store, item, work) for item in built]
            if meanwhile is not None:
                meanwhile()
            stored = [future.result() for future in storing]
        return [_record(version, item, result) for item, result in zip(built, stored)]


@dataclass(frozen=True)
class Stored:
    """What a file became in the store: its sha256 and size, and its gzip
    variant's (text files only)."""

    sha256: str
    byte_size: int
    gzip_sha256: str | None = None
    gzip_size: int | None = None


def _store(store: ArtefactStore, item: Built, work: Path) -> Stored:
    """Hash the file, put it (and, for text, its gzip variant) into the store
    and read it back to check its sha256 before the version may be committed.
    No database work: this runs on a worker thread."""
    digest = file_sha256(item.path)
    put_verified(store, item.path, digest, item.mediatype)
    if item.kind in PACKED:
        return Stored(digest, item.path.stat().st_size)
    compressed = work / f"{digest}.gz"
    write_gzip(item.path, compressed)
    packed = file_sha256(compressed)
    put_verified(store, compressed, packed, "application/gzip")
    stored = Stored(digest, item.path.stat().st_size, packed, compressed.stat().st_size)
    compressed.unlink()
    return stored


def _record(version: DatasetVersion, item: Built, stored: Stored, late: bool = False) -> Artefact:
    """The artefact's row; ``late``: of a version published earlier, which
    is left untouched (only its id is used)."""
    owner = {"version_id": version.id} if late else {"version": version}
    return Artefact(**owner, resource_id=item.resource.id if item.resource else None,
                    name=item.name, kind=item.kind, mediatype=item.mediatype, filename=item.filename,
                    byte_size=stored.byte_size, sha256=stored.sha256,
                    gzip_size=stored.gzip_size, gzip_sha256=stored.gzip_sha256)


def deferred(session: Session, resource: Resource) -> bool:
    """Whether ``resource``'s spreadsheets and CSVs for Excel are built after
    publication (it has more rows than the session's limit), not during it."""
    return resource.row_count > session.info.get(SPREADSHEET_ROWS, DEFAULT_SPREADSHEET_ROWS)


def pending(session: Session, version: DatasetVersion, resource: Resource) -> bool:
    """Whether ``resource``'s spreadsheets are still to be built after publication."""
    if not deferred(session, resource):
        return False
    have = {artefact.name for artefact in version.artefacts}
    return any(variant.name(resource) not in have for variant in VARIANTS)


def complete(version: DatasetVersion) -> bool:
    """Whether every resource of ``version`` has all of its :data:`VARIANTS`."""
    have = {artefact.name for artefact in version.artefacts}
    return all(variant.name(resource) in have for resource in version.resources for variant in VARIANTS)


def build_missing(session: Session, store: ArtefactStore) -> tuple[DatasetVersion, Artefact] | None:
    """Build and commit the first variant a published version lacks, newest
    version first (a new publication's spreadsheets before old versions'):
    the version and the artefact, or None when nothing is missing. Another
    process that keeps the same file first wins; this one's is dropped."""
    kinds = [variant.kind for variant in VARIANTS]
    have = (select(func.count(distinct(Artefact.kind))).where(Artefact.resource_id == Resource.id,
                                                               Artefact.kind.in_(kinds))
            .scalar_subquery())
    resource = session.scalar(select(Resource).where(have < len(kinds))
                              .order_by(Resource.version_id.desc(), Resource.position).limit(1))
    if resource is None:
        return None
    version = resource.version
    built = {artefact.name for artefact in version.artefacts}
    variant = next(v for v in VARIANTS if v.name(resource) not in built)
    try:
        artefact = build_late(session, version, resource, variant, store)
        session.commit()
    except IntegrityError:
        session.rollback()
        artefact = session.scalar(select(Artefact).where(Artefact.version_id == version.id,
                                                         Artefact.name == variant.name(resource)))
    return version, artefact


def late_variant(version: DatasetVersion, name: str) -> tuple[Resource, Variant] | None:
    """The resource and variant that artefact ``name`` of ``version`` would be."""
    for resource in version.resources:
        for variant in VARIANTS:
            if variant.name(resource) == name:
                return resource, variant
    return None


def missing_variants(session: Session, newest_first: bool = False
                     ) -> Iterator[tuple[DatasetVersion, Resource, Variant]]:
    """Every variant that a published version lacks (it was published
    before the variant existed, or its resource is :func:`deferred`),
    oldest version first (or newest)."""
    have = set(session.execute(select(Artefact.version_id, Artefact.name)).all())
    order = DatasetVersion.id.desc() if newest_first else DatasetVersion.id
    for version in session.scalars(select(DatasetVersion).order_by(order)):
        for resource in version.resources:
            for variant in VARIANTS:
                if (version.id, variant.name(resource)) not in have:
                    yield version, resource, variant


def build_late(session: Session, version: DatasetVersion, resource: Resource, variant: Variant,
               store: ArtefactStore) -> Artefact:
    """Build, store and add (flushed, not committed) ``variant`` of a
    resource of a version published before the variant existed."""
    with tempfile.TemporaryDirectory(prefix="portal-artefacts-") as folder:
        work = Path(folder)
        source = work / "source.csv"
        if variant.extension == "csv":
            name = welsh_name(resource) if variant.lang == "cy" else csv_name(resource)
            digest = session.scalar(select(Artefact.sha256).where(Artefact.version_id == version.id,
                                                                  Artefact.name == name))
            if digest is None:
                raise StoreUnavailable(f"version {version.number} of {version.dataset.name} lacks {name}")
            with store.open(digest) as stored, open(source, "wb") as out:
                shutil.copyfileobj(stored, out, CHUNK)
        path = write_variant(session, version, resource, variant, work, source)
        item = Built(variant.name(resource), variant.kind, variant.mediatype,
                     f"{formats.file_stem(version, resource.name)}{variant.suffix}", path, resource)
        artefact = _record(version, item, _store(store, item, work), late=True)
    session.add(artefact)
    session.flush()
    return artefact


def table_names(resource: Resource) -> list[str]:
    return [f["name"] for f in resource.table_schema["fields"]]


# -- writers --------------------------------------------------------------------------------

def json_row_writer(names: list[str]) -> Callable[[dict[str, Any]], str]:
    """A function writing one row as an element of the indented array that
    ``json.dumps(rows, ensure_ascii=False, indent=2)`` writes, byte for byte,
    much faster (the C encoder for each string, no indenting encoder)."""
    prefixes = [f'\n    {encode_basestring(name)}: ' for name in names]

    def value_text(value: Any) -> str:
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if isinstance(value, str):
            return encode_basestring(value)
        if isinstance(value, int):
            return int.__repr__(value)
        if isinstance(value, float):
            return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n    ")

    def write(row: dict[str, Any]) -> str:
        return "  {" + ",".join(prefix + value_text(row.get(name)) for prefix, name in zip(prefixes, names)) + "\n  }"
    return write


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
