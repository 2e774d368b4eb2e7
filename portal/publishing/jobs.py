"""Background jobs: an upload checked, compared with what is published, and
published, by a worker process, never in a web request.

A job's life::

    queued -> checking -> ready -> publish-queued -> publishing -> published | unchanged
                      \\-> invalid                               \\-> failed
                                                                \\-> disclosive
    ready | disclosive -> discarded
    disclosive -> (an administrator overrides, with a reason) -> publish-queued

An edition of anonymised results that would disclose by differencing is
refused (``disclosive``) with its cells at risk; an administrator may publish
it anyway with a reason, which the audit trail keeps. Every upload, request
to publish, publication and discard is recorded in the audit log, with who
and from which address (a publication: those of whoever asked for it).

A person (or the API) creates a job with its files in the job's folder under
the uploads folder; the worker (:func:`run_once`, in a loop in
``flask --app portal portal worker``) claims the oldest waiting job with one
atomic ``UPDATE``, so several workers never take the same job, and records
its progress in the jobs table, where every web worker can read it. A job
whose worker stopped (no heartbeat for :data:`STALE`) is taken up again.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal import datastore, queries, rowstore
from portal.anonymise import DEFAULT_THRESHOLD, PRIMARY, SECONDARY
from portal.ingest.service import ingest_responses
from portal.model import Job, User
from portal.packages import ValidationReport, read_package
from portal.packages.limits import Limits
from portal.publish import service
from portal.publishing import audit, diff, uploads
from portal.publishing.accounts import now
from portal.publishing.audit import By

log = logging.getLogger("portal.jobs")

PACKAGE, RESPONSES = "package", "responses"
QUEUED, CHECKING, READY, INVALID = "queued", "checking", "ready", "invalid"
PUBLISH_QUEUED, PUBLISHING, PUBLISHED, UNCHANGED = "publish-queued", "publishing", "published", "unchanged"
FAILED, DISCARDED, DISCLOSIVE = "failed", "discarded", "disclosive"
WORKING = (QUEUED, CHECKING, PUBLISH_QUEUED, PUBLISHING)
FINISHED = (INVALID, PUBLISHED, UNCHANGED, FAILED, DISCARDED)
STALE = dt.timedelta(minutes=30)
ARCHIVE = "upload.zip"
RESPONSES_FILE, INVITATIONS_FILE = "responses.csv", "invitations.csv"
PROGRESS_INTERVAL = 0.5  # seconds between progress writes, at most


class JobError(ValueError):
    """A job cannot do what was asked: the message says why."""


@dataclass
class Context:
    """What the worker needs besides the session: where uploads are, the
    limits, a second engine for progress (written outside the job's own
    transaction), and what to do after a publication."""

    uploads: Path
    limits: Limits = field(default_factory=Limits)
    upload_limits: uploads.UploadLimits = field(default_factory=uploads.UploadLimits)
    progress_engine: Engine | None = None
    after_publish: Callable[[], None] | None = None


def folder(root: Path, job_id: str) -> Path:
    return Path(root) / job_id


def new(session: Session, kind: str, user: User | None, *, by: By, expected_name: str | None = None,
        options: dict | None = None, auto_publish: bool = False,
        changelog: tuple[str, str] | None = None, via: str = "page") -> Job:
    """A job, added to the session with its record in the audit log (not
    committed: its files go in its folder first); ``via``: ``page`` or ``api``."""
    moment = now()
    # who uploaded, and from where: the publication's, unless someone else asks for it
    options = {**(options or {}), "upload_by": by.actor, "upload_from": by.address}
    job = Job(id=uuid.uuid4().hex, kind=kind, status=QUEUED, stage="", done=0, total=0,
              user_id=user.id if user else None, expected_name=expected_name, options=options,
              auto_publish=auto_publish, changelog_en=changelog[0] if changelog else None,
              changelog_cy=changelog[1] if changelog else None, created_at=moment, updated_at=moment)
    session.add(job)
    audit.record(session, audit.UPLOAD, by.actor, address=by.address, at=moment, dataset=expected_name,
                 job=job.id, kind=kind, via=via, auto_publish=auto_publish)
    return job


def get(session: Session, job_id: str) -> Job | None:
    if not isinstance(job_id, str) or len(job_id) > 32:
        return None
    return session.get(Job, job_id)


def recent(session: Session, limit: int = 50) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.created_at.desc()).limit(limit)))


# -- the person's decisions ---------------------------------------------------------------

def request_publish(session: Session, job: Job, changelog_en: str, changelog_cy: str, *, by: By) -> None:
    """Queue a checked upload for publication; ``by``: who asked, and from where (for the audit log)."""
    if job.status != READY:
        raise JobError(f"This upload cannot be published now (it is {job.status}).")
    job.changelog_en, job.changelog_cy = changelog_en.strip(), changelog_cy.strip()
    options = {**(job.options or {}), "publish_by": by.actor, "publish_from": by.address}
    moved = session.execute(update(Job).where(Job.id == job.id, Job.status == READY)
                            .values(status=PUBLISH_QUEUED, stage="", done=0, total=0, updated_at=now(),
                                    changelog_en=job.changelog_en, changelog_cy=job.changelog_cy,
                                    options=options))
    if moved.rowcount != 1:
        session.rollback()
        raise JobError("This upload was published or discarded meanwhile.")
    audit.record(session, audit.PUBLISH_REQUEST, by.actor, address=by.address, job=job.id, kind=job.kind)
    session.commit()


def override_disclosure(session: Session, job: Job, reason: str, *, by: By) -> None:
    """Queue an upload refused for disclosure by differencing for publication
    all the same: ``by`` (an administrator) gives ``reason``, which the
    publication records in the audit trail beside the cells at risk."""
    reason = (reason or "").strip()
    if not reason:
        raise JobError("Give the reason to publish although cells are at risk.")
    if job.status != DISCLOSIVE:
        raise JobError(f"This upload cannot be published now (it is {job.status}).")
    options = {**(job.options or {}), "disclosure_override": reason, "publish_by": by.actor,
               "publish_from": by.address}
    moved = session.execute(update(Job).where(Job.id == job.id, Job.status == DISCLOSIVE)
                            .values(status=PUBLISH_QUEUED, stage="", done=0, total=0, updated_at=now(),
                                    options=options))
    if moved.rowcount != 1:
        session.rollback()
        raise JobError("This upload was published or discarded meanwhile.")
    audit.record(session, audit.PUBLISH_REQUEST, by.actor, address=by.address, reason_en=reason, job=job.id,
                 kind=job.kind, override_disclosure=True)
    session.commit()


DISCARDABLE = (READY, INVALID, FAILED, DISCLOSIVE)


def discard(session: Session, job: Job, root: Path, *, by: By) -> None:
    if job.status not in DISCARDABLE:
        raise JobError(f"This upload cannot be discarded now (it is {job.status}).")
    was = job.status
    moved = session.execute(update(Job).where(Job.id == job.id, Job.status.in_(DISCARDABLE))
                            .values(status=DISCARDED, updated_at=now()))
    if moved.rowcount != 1:
        session.rollback()
        raise JobError("This upload was published or discarded meanwhile.")
    audit.record(session, audit.DISCARD, by.actor, address=by.address, job=job.id, kind=job.kind, was=was)
    session.commit()
    uploads.remove(folder(root, job.id))


# -- the worker ---------------------------------------------------------------------------

def claim(session: Session) -> Job | None:
    """Take the oldest waiting job (or one whose worker stopped), atomically."""
    moment = now()
    stale = moment - STALE
    candidates = session.scalars(
        select(Job.id).where(or_(Job.status.in_((QUEUED, PUBLISH_QUEUED)),
                                 (Job.status.in_((CHECKING, PUBLISHING)) & (Job.heartbeat_at < stale))))
        .order_by(Job.created_at).limit(5)).all()
    session.rollback()
    for job_id in candidates:
        job = session.get(Job, job_id)
        before = job.status
        after = {QUEUED: CHECKING, CHECKING: CHECKING, PUBLISH_QUEUED: PUBLISHING, PUBLISHING: PUBLISHING}[before]
        condition = Job.heartbeat_at < stale if before in (CHECKING, PUBLISHING) else Job.status == before
        moved = session.execute(update(Job).where(Job.id == job_id, Job.status == before, condition)
                                .values(status=after, heartbeat_at=moment, updated_at=moment, stage=""))
        session.commit()
        if moved.rowcount == 1:
            session.refresh(job)
            return job
    return None


def run_once(session: Session, context: Context) -> Job | None:
    """Do one job's next step, if any job waits; return it."""
    job = claim(session)
    if job is None:
        return None
    job_id = job.id
    reporter = Reporter(session, context.progress_engine, job_id)
    try:
        if job.status == CHECKING:
            check(session, job, context, reporter)
            if job.status == READY and job.auto_publish:
                _update(session, job.id, status=PUBLISHING, heartbeat_at=now())
        if job.status == PUBLISHING:
            publish(session, job, context, reporter)
        session.refresh(job)
    except Exception as exc:  # noqa: BLE001 - a job fails with a reason; the worker lives on
        log.exception("job %s failed", job_id)
        _update(session, job_id, status=FAILED, error=f"{exc.__class__.__name__}: {exc}", stage="", updated_at=now())
        job = session.get(Job, job_id)
    return job


class Reporter:
    """Writes a job's stage and progress, at most every PROGRESS_INTERVAL
    seconds, on a connection of its own: the job's transaction may hold rows
    it would wait for. Where the database cannot take the write at once, the
    update is skipped. On SQLite nothing is written while a publication runs:
    another connection's write would end its transaction (a write after a
    read must see the latest snapshot), so the page shows "publishing" until
    it is done."""

    def __init__(self, session: Session, engine: Engine | None, job_id: str):
        self.engine = engine or session.get_bind()
        self.job_id = job_id
        self.last = 0.0
        self.enabled = True

    def __call__(self, stage: str, done: int | None = None, total: int | None = None, force: bool = False) -> None:
        if not self.enabled:
            return
        moment = time.monotonic()
        if not force and moment - self.last < PROGRESS_INTERVAL:
            return
        self.last = moment
        values: dict[str, Any] = {"stage": stage[:200], "heartbeat_at": now()}
        values.update(done=done or 0, total=total or 0)
        try:
            with self.engine.begin() as connection:
                connection.execute(update(Job).where(Job.id == self.job_id).values(**values))
        except SQLAlchemyError as exc:
            log.debug("progress of job %s not recorded: %s", self.job_id, exc)


# -- checking -----------------------------------------------------------------------------

def check(session: Session, job: Job, context: Context, report_progress: Reporter) -> None:
    """Validate the upload and compare it with what is published; the job
    ends ``ready`` (with its report and preview) or ``invalid``."""
    work = folder(context.uploads, job.id)
    report_progress("validating", force=True)
    if job.kind == PACKAGE:
        report, anonymisation, packages = _check_package(session, job, work, context)
    else:
        report, anonymisation, packages = _check_responses(session, job, work)
        # respondent-level data is kept no longer than it takes to aggregate it
        (work / RESPONSES_FILE).unlink(missing_ok=True)
    warnings: list[dict] = []
    preview = None
    if report.valid:
        preview = {"datasets": [_preview(session, path, context, report_progress, warnings)
                                for path in packages]}
    _update(session, job.id, report={"valid": report.valid, "source": report.source,
                                     "problems": [problem.as_dict() for problem in report.problems],
                                     "checked": list(report.checked), "warnings": warnings,
                                     "anonymisation": anonymisation},
            preview=preview, status=READY if report.valid else INVALID, stage="", updated_at=now())


def _update(session: Session, job_id: str, **values: Any) -> None:
    """Write the job in a transaction of its own: on SQLite, one begun before
    the progress written beside it could not write any more."""
    session.rollback()
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    session.commit()


def _check_package(session: Session, job: Job, work: Path, context: Context):
    report = ValidationReport(source=ARCHIVE)
    try:
        root = uploads.unpack(work / ARCHIVE, work / "package", context.upload_limits)
    except uploads.UploadError as exc:
        report.add(ARCHIVE, exc.message, code=exc.code)
        return report, None, []
    content, report = read_package(root, resolver=service.ReferenceResolver(session, limits=context.limits),
                                   limits=context.limits)
    report.source = _relative(report.source, work)
    report.problems = [type(p)(_relative(p.file, work), p.message, p.row, p.field, p.code) for p in report.problems]
    if content is not None and job.expected_name and content.name != job.expected_name:
        report.add("datapackage.json", f"The package is named {content.name!r}, but it was sent as a new "
                   f"version of {job.expected_name!r}; a package may only be a version of its own dataset.",
                   field="name", code="wrong-dataset")
    return report, None, [root] if report.valid else []


def _relative(path: str, work: Path) -> str:
    for base in (str(work / "package") + "/", str(work) + "/"):
        if path.startswith(base):
            return path[len(base):]
    return path


def _check_responses(session: Session, job: Job, work: Path):
    options = job.options or {}
    result = ingest_responses(session, work / RESPONSES_FILE, work / INVITATIONS_FILE,
                              threshold=int(options.get("threshold", DEFAULT_THRESHOLD)),
                              demonstration=bool(options.get("demonstration")), dry_run=True,
                              folder=work / "packages")
    session.rollback()
    anonymisation = None
    if result.suppression is not None:
        anonymisation = {
            "threshold": int(options.get("threshold", DEFAULT_THRESHOLD)),
            "rows_read": result.rows_read, "respondents": result.respondents,
            "dropped_columns": result.dropped_columns, "cells": result.cells,
            "suppressed": {PRIMARY: result.suppressed_primary, SECONDARY: result.suppressed_secondary},
            "published": result.cells - result.suppressed_primary - result.suppressed_secondary,
            "rates": result.rates,
        }
    packages = sorted(p.parent for p in (work / "packages").glob("*/datapackage.json")) if result.ok else []
    return result.report, anonymisation, packages


def _preview(session: Session, path: Path, context: Context, report_progress: Reporter,
             warnings: list[dict]) -> dict:
    """The package at ``path`` against the latest published version of its dataset."""
    content, report = read_package(path, resolver=service.ReferenceResolver(session, path.parent, context.limits),
                                   limits=context.limits)
    if content is None:
        raise JobError(report.render())
    latest = queries.latest_version(session, content.name)
    resources = []
    old_resources = {r.name: r for r in latest.resources} if latest is not None else {}
    for rc in content.resources:
        schema = rc.descriptor["schema"]
        names = [f["name"] for f in schema["fields"]]
        old = old_resources.get(rc.name)
        old_rows = (rowstore.read(session, datastore.row_table(session, old))
                    if old is not None and [f.name for f in old.fields] == names else iter(()))
        label = f"{content.name}/{rc.name}"
        estimate = max(rc.lines - 1, 0)

        def inspect(number: int, row: dict, _file: str = f"{path.name}/{rc.path.name}") -> None:
            if len(warnings) >= diff.MAX_WARNINGS:
                return
            for name, value in row.items():
                if name != rowstore.MISSING and diff.formula_like(value):
                    warnings.append({"file": _file, "row": number + 1, "field": name, "code": "formula-like",
                                     "message": "The cell starts like a spreadsheet formula."})

        connection = session.get_bind().connect()
        try:
            compared = diff.compare_rows(
                connection, old_rows, rc.rows(), names, diff.primary_key(schema),
                progress=lambda n: report_progress(f"comparing {label}", n, max(n, estimate)), inspect=inspect)
        finally:
            connection.close()
        session.rollback()
        compared.update(name=rc.name, new=old is None,
                        schema_changed=old is not None and [f.name for f in old.fields] != names)
        resources.append(compared)
    removed = sorted(set(old_resources) - {rc.name for rc in content.resources})
    return {"name": content.name, "base_version": latest.number if latest else None,
            "title": {"en": content.descriptor.get("title"),
                      "cy": diff._cy(content.descriptor).get("title")},
            "unchanged": latest is not None and latest.content_hash == content.content_hash,
            "metadata": diff.metadata_changes(latest.descriptor if latest else None, content.descriptor),
            "resources": resources, "removed_resources": removed}


# -- publishing ---------------------------------------------------------------------------

def publish(session: Session, job: Job, context: Context, report_progress: Reporter) -> None:
    """Publish the checked upload with the publish service, if nothing was
    published in between; the job ends published, unchanged or failed."""
    work = folder(context.uploads, job.id)
    for dataset in (job.preview or {}).get("datasets", []):
        latest = queries.latest_version(session, dataset["name"])
        number = latest.number if latest else None
        if number != dataset["base_version"]:
            session.rollback()
            _finish(session, job, FAILED, error=(
                f"{dataset['name']} version {number} was published after this preview was made "
                f"(from version {dataset['base_version']}); upload again to see what would change."))
            return
    path = work / "package" if job.kind == PACKAGE else work / "packages"
    if job.kind == PACKAGE:
        path = uploads.package_root(path)
    changelog = (job.changelog_en, job.changelog_cy) if job.changelog_en and job.changelog_cy else None
    options = job.options or {}
    report_progress("publishing", force=True)
    if session.get_bind().dialect.name == "sqlite":
        report_progress.enabled = False
    # the publication's transaction starts after the last write beside it
    session.rollback()
    results = service.load_path(session, path, changelog=changelog, limits=context.limits,
                                progress=lambda what, done, total: report_progress(f"publishing {what}", done, total),
                                actor=options.get("publish_by") or options.get("upload_by")
                                or (job.user.email if job.user else "system"),
                                address=options.get("publish_from") or options.get("upload_from"),
                                job=job.id, disclosure_override=options.get("disclosure_override"))
    if any(result.status == "disclosive" for result in results):
        session.rollback()
        cells = [cell_at_risk(result.name, risk) for result in results for risk in result.at_risk]
        _finish(session, job, DISCLOSIVE, result={"cells_at_risk": cells}, error=(
            f"Not published: {len(cells)} cell(s) at risk of disclosure by differencing against earlier "
            "versions. An administrator may publish it anyway, with a reason, from the upload's admin page."))
        return
    if not all(result.ok for result in results):
        session.rollback()
        _finish(session, job, FAILED, error="\n".join(result.report.render() for result in results
                                                      if not result.ok))
        return
    versions = [{"name": r.name, "version": r.version, "status": r.status} for r in results]
    status = PUBLISHED if any(r.status == "published" for r in results) else UNCHANGED
    _finish(session, job, status, result={"versions": versions})
    uploads.remove(work)
    if status == PUBLISHED and context.after_publish is not None:
        try:
            context.after_publish()
        except Exception:  # noqa: BLE001 - the publication stands; the catalogue is made on demand
            log.exception("after publishing job %s", job.id)


def cell_at_risk(dataset: str, risk) -> dict[str, Any]:
    """A cell at risk of disclosure by differencing, as the job keeps it (JSON)."""
    area, characteristic, group = (list(risk.key) + [None] * 3)[:3]
    return {"dataset": dataset, "area": area, "characteristic": characteristic, "group": group,
            "version": risk.version, "respondents": risk.group, "how": risk.how,
            "before": list(risk.before) if risk.before is not None else None,
            "after": list(risk.after) if risk.after is not None else None}


def _finish(session: Session, job: Job, status: str, *, error: str | None = None, result: dict | None = None) -> None:
    _update(session, job.id, status=status, error=error, result=result, stage="", updated_at=now())


def summary(job: Job) -> dict[str, Any]:
    """The job as its JSON (without URLs, which the views add)."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "stage": job.stage,
            "done": job.done, "total": job.total, "finished": job.status in FINISHED,
            "created": job.created_at.isoformat(), "updated": job.updated_at.isoformat(),
            "error": job.error, "result": job.result,
            "valid": (job.report or {}).get("valid"),
            "problems": len((job.report or {}).get("problems") or [])}
