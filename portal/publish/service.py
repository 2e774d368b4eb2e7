"""Load validated packages as new, immutable versions.

One transaction for everything a load publishes: each resource's rows are
streamed into a table of its own, its downloads built once into the artefact
store, and only then is the version committed. Readers see the previous
version or the new one, never part of either, and a failure anywhere leaves
the database as it was.
"""
from __future__ import annotations

import datetime as dt
import graphlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal import datastore, queries, rowstore, search
from portal.anonymise import DEFAULT_THRESHOLD
from portal.model import Dataset, DatasetVersion, Resource, ResourceField, Withdrawal
from portal.packages import PackageContent, ValidationReport, read_package
from portal.packages.reader import BACKGROUND_FROM_BYTES, Background
from portal.packages.limits import Limits
from portal.packages.reader import (DESCRIPTOR, ResourceContent, descriptor_path, external_references,
                                    read_descriptor)
from portal.publish import artefacts, differencing, runs
from portal.publishing import audit
from portal.queries import latest_version
from portal.storage import ArtefactStore, StoreUnavailable

log = logging.getLogger("portal.publish")
STORE = "artefact_store"  # the session's info key for the artefact store (see portal.db)

# progress(what, done, total): done and total count rows, or are None for a step
Progress = Callable[[str, int | None, int | None], None]
FIRST_CHANGELOG = ("First publication.", "Cyhoeddiad cyntaf.")
UPDATE_CHANGELOG = ("New edition of the data.", "Argraffiad newydd o'r data.")


@dataclass
class LoadResult:
    source: str
    # "published", "unchanged", "invalid", "withdrawn" (the dataset was
    # withdrawn: nothing is published under its name again), "disclosive"
    # (refused: it would disclose by differencing), or "not-published"
    # (valid, but held back because another package loaded with it is not)
    status: str
    report: ValidationReport
    name: str | None = None
    version: int | None = None
    # the cells at risk of disclosure by differencing ("disclosive")
    at_risk: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status in ("published", "unchanged", "withdrawn")


class ReferenceResolver:
    """Values of a field in another package: the package folder beside the one
    being checked (what is about to be published with it), else the published
    version."""

    def __init__(self, session: Session, search_path: Path | None = None, limits: Limits = Limits()):
        self.session = session
        self.search_path = search_path
        self.limits = limits
        self._cache: dict[tuple[str, str, str], set[str] | None] = {}

    def __call__(self, package: str, resource: str, field: str) -> set[str] | None:
        key = (package, resource, field)
        if key not in self._cache:
            self._cache[key] = self._beside(*key)
            if self._cache[key] is None:
                self._cache[key] = self._published(*key)
        return self._cache[key]

    def _published(self, package: str, resource: str, field: str) -> set[str] | None:
        version = latest_version(self.session, package)
        if version is None:
            return None
        res = next((r for r in version.resources if r.name == resource), None)
        if res is None:
            return set()
        table = datastore.row_table(self.session, res)
        if field not in table.kinds:
            return set()
        return rowstore.distinct_values(self.session, table, field)

    def _beside(self, package: str, resource: str, field: str) -> set[str] | None:
        if self.search_path is None:
            return None
        folder = self.search_path / package
        if not (folder / DESCRIPTOR).is_file() or not folder.resolve().is_relative_to(
                self.search_path.resolve()):
            return None
        content, _report = read_package(folder, resolver=self, limits=self.limits)
        if content is None:
            return None
        res = next((r for r in content.resources if r.name == resource), None)
        if res is None:
            return set()
        return {str(row.get(field)) for row in res.rows() if row.get(field) is not None}


def validate_path(session: Session, path: str | Path, limits: Limits = Limits(),
                  background: Background | None = None) -> list[tuple[PackageContent | None, ValidationReport]]:
    """Validate one package folder, or every package folder inside ``path``
    (with ``background``, large packages' rows are still being checked when
    this returns: see :func:`portal.packages.reader.read_package`)."""
    return [read_package(folder, resolver=ReferenceResolver(session, folder.parent, limits), limits=limits,
                         background=background)
            for folder in package_folders(path, limits)]


def package_folders(path: str | Path, limits: Limits = Limits()) -> list[Path]:
    """The package at ``path``, or the packages in its sub-folders in dependency order."""
    path = Path(path)
    if not path.is_dir() or (path / DESCRIPTOR).is_file():
        return [descriptor_path(path).parent]
    folders = sorted(p.parent for p in path.glob(f"*/{DESCRIPTOR}"))
    if not folders:
        return [path]  # reported as a missing descriptor
    by_name = {folder.name: folder for folder in folders}
    graph = graphlib.TopologicalSorter()
    for folder in folders:
        graph.add(folder.name, *(dep for dep in _declared_references(folder, limits) if dep in by_name))
    try:
        order = list(graph.static_order())
    except graphlib.CycleError:
        order = [folder.name for folder in folders]
    return [by_name[name] for name in order]


def _declared_references(folder: Path, limits: Limits) -> set[str]:
    """The packages ``folder``'s descriptor refers to; none when it cannot be
    read (its validation reports why)."""
    try:
        descriptor = read_descriptor(folder / DESCRIPTOR, ValidationReport(str(folder)), limits)
    except OSError:
        return set()
    return {ref["package"] for _, _, ref in external_references(descriptor or {})}


def load_path(session: Session, path: str | Path, *, changelog: tuple[str, str] | None = None,
              now: dt.datetime | None = None, progress: Progress | None = None,
              limits: Limits = Limits(), actor: str = "system", address: str | None = None,
              job: str | None = None, disclosure_override: str | None = None,
              background_from: int = BACKGROUND_FROM_BYTES) -> list[LoadResult]:
    """Validate every package at ``path``; only if all are valid, publish them
    (in dependency order, in one transaction) as new versions.

    Frictionless's check of the rows of a package of ``background_from``
    bytes or more runs in a process of its own while the package is
    staged, and the commit waits for it: publishing a large package then
    takes about as long as the slower of the two, not both."""
    background = Background.process(background_from)
    try:
        return publish_all(session, validate_path(session, path, limits, background), changelog=changelog,
                           now=now, progress=progress, actor=actor, address=address, job=job,
                           disclosure_override=disclosure_override)
    finally:
        background.shutdown()


def publish(session: Session, content: PackageContent | None, report: ValidationReport, *,
            changelog: tuple[str, str] | None = None, now: dt.datetime | None = None) -> LoadResult:
    """Publish ``content`` as the next version of its dataset, in one transaction.

    Identical content to the latest version publishes nothing.
    """
    return publish_all(session, [(content, report)], changelog=changelog, now=now)[0]


def publish_all(session: Session, packages: list[tuple[PackageContent | None, ValidationReport]], *,
                changelog: tuple[str, str] | None = None, now: dt.datetime | None = None,
                progress: Progress | None = None, actor: str = "system", address: str | None = None,
                job: str | None = None, disclosure_override: str | None = None) -> list[LoadResult]:
    """Publish every package as the next version of its dataset, all in one
    transaction: either every changed package is published, or (on an invalid
    package, an edition that would disclose by differencing, or any error)
    none is.

    A new edition of anonymised results is checked against every earlier
    version of its dataset (:mod:`portal.publish.differencing`) and refused
    when cells are at risk, unless ``disclosure_override`` gives the reason
    to publish anyway (kept in the audit trail). Each object put into the
    artefact store is read back and checked before the commit; the run is
    recorded first so that a process killed part-way leaves work that
    :func:`portal.publish.runs.cleanup` finds. Each version published is
    recorded in the audit log with ``actor``, ``address`` (whoever asked for
    it, and from where) and ``job`` (the upload's job, if any)."""
    if not all(content is not None for content, _ in packages):
        _settle(packages)
        return _unpublished(packages)
    try:
        at_risk = {content.name: disclosure_risks(session, content) for content, _ in packages}
    except (ValueError, TypeError):  # rows still being checked, which may be why
        if _settle(packages):
            raise
        return _unpublished(packages)
    if any(at_risk.values()) and not _settle(packages):
        return _unpublished(packages)
    if any(at_risk.values()) and not (disclosure_override or "").strip():
        for content, report in packages:
            for risk in at_risk[content.name]:
                report.add(content.name, f"disclosure by differencing: {risk.describe()}",
                           code="disclosure-by-differencing")
        return [LoadResult(report.source, "disclosive" if at_risk[content.name] else "not-published",
                           report, content.name, at_risk=tuple(at_risk[content.name]))
                for content, report in packages]
    now = now or dt.datetime.now(dt.timezone.utc)
    store = artefact_store(session)
    created: list[str] = []
    engine = session.get_bind()
    # end the session's (reading) transaction first: on SQLite a snapshot
    # older than the run's commit could not be written from
    session.commit()
    work = Path(tempfile.mkdtemp(prefix="portal-publish-"))
    run_id = runs.begin(engine, [content.name for content, _ in packages], work)
    status = runs.FAILED
    try:
        runs.checkpoint("started")
        results = [_stage(session, store, content, report, changelog, now, progress, created, work)
                   for content, report in packages]
        if progress and any(content.pending is not None for content, _ in packages):
            progress("checking the rows", None, None)
        if not _settle(packages):
            session.rollback()
            return _unpublished(packages)
        published = [result.name for result in results if result.status == "published"]
        if published:
            search.reindex(session, published)
        for result in results:
            if result.status == "published":
                risks = at_risk[result.name]
                origin = {"job": job} if job else {}
                audit.record(session, audit.PUBLISH, actor, address=address, at=now, dataset=result.name,
                             version=result.version, source=result.report.source, **origin)
                if risks:
                    audit.record(session, audit.OVERRIDE_DISCLOSURE, actor, address=address, at=now,
                                 dataset=result.name, version=result.version,
                                 reason_en=disclosure_override.strip(),
                                 cells_at_risk=[risk.describe() for risk in risks], **origin)
        session.flush()
        runs.checkpoint("stored")
        session.commit()
        status = runs.PUBLISHED if published else runs.UNCHANGED
        runs.checkpoint("committed")
    except (rowstore.StoreError, StoreUnavailable) as exc:
        session.rollback()
        if not _settle(packages):  # the rows the store refused were invalid, as frictionless says
            return _unpublished(packages)
        for _content, report in packages:
            report.add(report.source, str(exc), code="store-error")
        return [LoadResult(report.source, "not-published", report, content.name)
                for content, report in packages]
    except Exception:
        session.rollback()
        if _settle(packages):
            raise
        return _unpublished(packages)  # rows that could not be read, as frictionless explains
    except BaseException:
        session.rollback()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        try:
            runs.finish(engine, run_id, status)
        except SQLAlchemyError as exc:  # the clean-up will see it as abandoned
            log.warning("could not close publication run %s: %s", run_id, exc)
    try:
        rowstore.vacuum(session.get_bind(), created)
    except SQLAlchemyError as exc:  # only an optimisation: autovacuum will do it later
        log.warning("VACUUM of the new row tables failed: %s", exc)
    return results


def _settle(packages: list[tuple[PackageContent | None, ValidationReport]]) -> bool:
    """Wait for every package's rows still being checked; true when all are valid."""
    valid = True
    for content, report in packages:
        if content is not None:
            valid = content.settle(report) and valid
    return valid


def _unpublished(packages: list[tuple[PackageContent | None, ValidationReport]]) -> list[LoadResult]:
    """Nothing published: the invalid packages are "invalid", the rest "not-published"."""
    return [LoadResult(report.source, "not-published" if report.valid else "invalid", report,
                       content.name if content else None) for content, report in packages]


def disclosure_risks(session: Session, content: PackageContent) -> list[differencing.CellAtRisk]:
    """The cells of a new edition of anonymised results at risk of disclosure
    by differencing against every earlier version of its dataset."""
    if not differencing.applies_to(content.descriptor):
        return []
    threshold = differencing.threshold_of(content.descriptor, DEFAULT_THRESHOLD)
    risks = []
    for rc in content.resources:
        if not differencing._has_figures(rc.descriptor):
            continue
        earlier = []
        for version in queries.version_history(session, content.name, include_withdrawn=True):
            resource = queries.find_resource(version, rc.name)
            if resource is not None:
                earlier.append((version.number, rowstore.read(session, datastore.row_table(session, resource))))
        risks.extend(differencing.check(rc.rows(), sorted(earlier, key=lambda item: item[0]), threshold))
    return risks


def artefact_store(session: Session) -> ArtefactStore:
    store = session.info.get(STORE)
    if store is None:
        raise RuntimeError("the session has no artefact store (see portal.db.make_sessionmaker)")
    return store


def _stage(session: Session, store: ArtefactStore, content: PackageContent, report: ValidationReport,
           changelog: tuple[str, str] | None, now: dt.datetime, progress: Progress | None,
           created: list[str], work: Path) -> LoadResult:
    """Add a new version of ``content`` to the session, unless it is unchanged:
    its rows in tables of their own, its downloads in the store."""
    if session.scalar(
            select(Withdrawal.id).join(Withdrawal.dataset)
            .where(Dataset.name == content.name, Withdrawal.version_id.is_(None))) is not None:
        return LoadResult(report.source, "withdrawn", report, content.name)
    latest = latest_version(session, content.name)
    if latest is not None and latest.content_hash == content.content_hash:
        return LoadResult(report.source, "unchanged", report, content.name, latest.number)
    dataset = session.scalar(select(Dataset).where(Dataset.name == content.name))
    if dataset is None:
        dataset = Dataset(name=content.name, created_at=now)
        session.add(dataset)
        session.flush()
    number = (session.scalar(select(func.max(DatasetVersion.number))
                             .where(DatasetVersion.dataset_id == dataset.id)) or 0) + 1
    en, cy = changelog or (FIRST_CHANGELOG if number == 1 else UPDATE_CHANGELOG)
    version = _new_version(dataset, number, content, now, en, cy)
    session.add(version)
    session.flush()
    sources = {rc.name: rc.path for rc in content.resources}
    unindexed: list[tuple[str, rowstore.RowTable, int]] = []

    def build_indexes() -> None:
        # after the rows, which is much faster; while other threads store the
        # files (the database builds them, or SQLite without holding the GIL)
        for label, table, count in unindexed:
            if progress:
                progress(f"{label}: indexes", None, None)
            rowstore.build_indexes(session.connection(), table, count)

    with tempfile.TemporaryDirectory(prefix="version-", dir=work) as folder:
        prepared = {rc.name: _add_resource(session, version, rc, Path(folder), progress, created, unindexed)
                    for rc in content.resources}
        session.flush()
        session.add_all(artefacts.build(
            session, version, store, lambda resource, _folder: sources[resource.name],
            progress=(lambda name: progress(f"{content.name}: {name}", None, None)) if progress else None,
            work=Path(folder), prepared=prepared, meanwhile=build_indexes))
        session.flush()
    return LoadResult(report.source, "published", report, content.name, number)


def _hold_after(rows, count: int):
    for number, row in enumerate(rows, start=1):
        if number == count:
            runs.checkpoint("inserting")
        yield row


def _cy(obj: dict) -> dict:
    return (obj.get("translations") or {}).get("cy") or {}


def _new_version(dataset: Dataset, number: int, content: PackageContent, now: dt.datetime,
                 changelog_en: str, changelog_cy: str) -> DatasetVersion:
    d = content.descriptor
    return DatasetVersion(
        dataset=dataset, number=number, published_at=now, content_hash=content.content_hash,
        changelog_en=changelog_en, changelog_cy=changelog_cy,
        title_en=d["title"], title_cy=_cy(d)["title"],
        description_en=d["description"], description_cy=_cy(d)["description"],
        keywords_en=list(d.get("keywords") or []), keywords_cy=list(_cy(d).get("keywords") or []),
        demonstration=bool(d.get("demonstration", False)),
        license_name=d["licenses"][0]["name"], descriptor=d,
    )


def _add_resource(session: Session, version: DatasetVersion, rc: ResourceContent, folder: Path,
                  progress: Progress | None, created: list[str],
                  unindexed: list[tuple[str, rowstore.RowTable, int]]) -> artefacts.RowFiles:
    """The resource's rows streamed into a new table (and, on the way, into
    its JSON and Welsh-heading CSV files), then the resource and its fields.
    The table is added to ``unindexed``: its indexes are built later."""
    d = rc.descriptor
    fields = d["schema"]["fields"]
    files = artefacts.RowFiles(folder, rc.name, [f["name"] for f in fields], [_cy(f)["title"] for f in fields])
    connection = session.connection()
    table = rowstore.RowTable(rowstore.new_table_name(version.id), d["schema"], connection.dialect.name)
    rowstore.create(connection, table)
    created.append(table.name)
    label = f"{version.dataset.name}/{rc.name}"
    estimate = max(rc.lines - 1, 0)
    rows = files.tee(rc.rows())
    if os.environ.get(runs.HOLD_AT) == "inserting":  # the crash tests: hold once rows are going in
        rows = _hold_after(rows, rowstore.BATCH + 1)
    count = rowstore.insert(connection, table, rows,
                            progress=(lambda n: progress(f"{label}: rows", n, max(n, estimate)))
                            if progress else None)
    unindexed.append((label, table, count))
    runs.checkpoint("rows")
    resource = Resource(
        version=version, name=rc.name, position=rc.position,
        title_en=d["title"], title_cy=_cy(d)["title"],
        description_en=d["description"], description_cy=_cy(d)["description"],
        table_schema=d["schema"], mediatype="text/csv", format="csv",
        byte_size=rc.byte_size, sha256=rc.sha256, row_count=count, table_name=table.name,
    )
    session.add(resource)
    session.flush()
    session.add_all(
        ResourceField(resource=resource, position=i, name=f["name"], type=f.get("type", "string"),
                      title_en=f["title"], title_cy=_cy(f)["title"],
                      description_en=f["description"], description_cy=_cy(f)["description"])
        for i, f in enumerate(d["schema"]["fields"])
    )
    return files
