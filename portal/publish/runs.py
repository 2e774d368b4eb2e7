"""Publication runs, and the clean-up of the work of runs that never ended.

A publication writes in three places: row tables (in its database
transaction), the artefact store (content-addressed objects, outside any
transaction) and a folder of files being written. Before it writes anything
it records a run, committed on a connection of its own, naming its process
and folder; it closes the run when it ends. Readers never see any of this:
the version's rows in ``dataset_versions``, ``resources`` and ``artefacts``
are committed together, after every object has been read back and checked.

A process killed part-way leaves its run open. :func:`cleanup` (run by
``init-db``, so by ``make run``, and by ``flask --app portal portal cleanup``)
marks such runs abandoned (on this host: the process is gone; on another
host: the run started over :data:`STALE` ago), removes their folders, drops
row tables no published resource names, and deletes objects of the store
that no artefact names and that were written before any run still going
began (and at least ``grace`` ago: a late spreadsheet built on request is
stored a moment before its row is committed). Nothing published is touched.

:func:`checkpoint` lets the crash tests hold a publication at a named point
(``PORTAL_PUBLISH_HOLD_AT``) so that they can kill the process there.
"""
from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, insert, inspect, select, update
from sqlalchemy.orm import Session

from portal import rowstore
from portal.model import Artefact, PublicationRun, Resource
from portal.publishing import audit
from portal.storage import ArtefactStore

RUNNING, PUBLISHED, UNCHANGED, FAILED, ABANDONED = "running", "published", "unchanged", "failed", "abandoned"
STALE = dt.timedelta(hours=24)
GRACE = dt.timedelta(minutes=15)
ROW_TABLE = re.compile(r"^(rows_[0-9]+_[0-9a-f]{8})(_fts)?$")
HOLD_AT = "PORTAL_PUBLISH_HOLD_AT"
HOLD_FILE = "PORTAL_PUBLISH_HOLD_FILE"


def checkpoint(name: str) -> None:
    """For the crash tests only: when ``PORTAL_PUBLISH_HOLD_AT`` names this
    point, write the process id to ``PORTAL_PUBLISH_HOLD_FILE`` and wait
    there (to be killed). Does nothing otherwise."""
    if os.environ.get(HOLD_AT) != name:
        return
    hold = os.environ.get(HOLD_FILE)
    if hold:
        Path(hold).write_text(str(os.getpid()), encoding="utf-8")
    while True:
        time.sleep(60)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def begin(engine: Engine, datasets: list[str], work: Path) -> int:
    """Record a run, committed at once on a connection of its own."""
    with engine.begin() as connection:
        return connection.execute(insert(PublicationRun).values(
            started_at=now_utc(), status=RUNNING, host=socket.gethostname(), pid=os.getpid(),
            datasets=", ".join(datasets), work=str(work)).returning(PublicationRun.id)).scalar_one()


def finish(engine: Engine, run_id: int, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(PublicationRun).where(PublicationRun.id == run_id)
                           .values(status=status, finished_at=now_utc()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def _is_live(run: PublicationRun, now: dt.datetime) -> bool:
    if run.host == socket.gethostname():
        return run.pid != os.getpid() and _alive(run.pid)
    return now - run.started_at < STALE


@dataclass
class CleanupReport:
    runs: list[int] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    live_runs: int = 0

    @property
    def removed(self) -> int:
        return len(self.folders) + len(self.tables) + len(self.objects) + len(self.leftovers)


def cleanup(session: Session, store: ArtefactStore, *, grace: dt.timedelta = GRACE,
            actor: str = "system", address: str | None = None, now: dt.datetime | None = None) -> CleanupReport:
    """Remove the work that publications killed part-way left behind (see the
    module's description); commits. What it removed is in the audit trail."""
    now = now or now_utc()
    report = CleanupReport()
    runs = list(session.scalars(select(PublicationRun).where(PublicationRun.status == RUNNING)))
    live = [run for run in runs if _is_live(run, now)]
    report.live_runs = len(live)
    for run in runs:
        if run in live:
            continue
        run.status, run.finished_at = ABANDONED, now
        report.runs.append(run.id)
        if run.work and Path(run.work).name.startswith("portal-publish-") and Path(run.work).is_dir():
            shutil.rmtree(run.work, ignore_errors=True)
            report.folders.append(run.work)
    session.flush()

    report.tables = _drop_unused_tables(session)

    cutoff = min([now - grace, *(run.started_at for run in live)])
    used = set(session.scalars(select(Artefact.sha256)))
    used.update(session.scalars(select(Artefact.gzip_sha256).where(Artefact.gzip_sha256.is_not(None))))
    for sha256, modified in list(store.objects()):
        if sha256 not in used and modified < cutoff:
            store.delete(sha256)
            report.objects.append(sha256)
    for name, modified in list(store.leftovers()):
        if modified < cutoff:
            store.delete_leftover(name)
            report.leftovers.append(name)
    if report.removed or report.runs:
        audit.record(session, audit.CLEANUP, actor, address=address, at=now, abandoned_runs=report.runs,
                     folders=len(report.folders), tables=report.tables, objects=len(report.objects),
                     leftovers=len(report.leftovers))
    session.commit()
    return report


def _drop_unused_tables(session: Session) -> list[str]:
    """Row tables (and their full-text tables) that no published resource
    names. A publication's own tables are in its uncommitted transaction,
    which no other connection sees."""
    connection = session.connection()
    names = inspect(connection).get_table_names()
    bases = {match.group(1) for name in names if (match := ROW_TABLE.match(name))}
    if not bases:
        return []
    used = set(session.scalars(select(Resource.table_name).where(Resource.table_name.in_(sorted(bases)))))
    dropped = sorted(bases - used)
    for base in dropped:
        rowstore.drop(connection, base)
    return dropped
