"""Small helpers shared by the tests: copies of the real packages to break,
and servers started in processes of their own."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, inspect, select

from portal.config import DATASETS_PATH
from portal.model import Artefact, Dataset, DatasetVersion, Resource


def copy_datasets(target: Path) -> Path:
    """A private copy of datasets/, safe to break."""
    destination = target / "datasets"
    shutil.copytree(DATASETS_PATH, destination)
    return destination


def read_descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))


def write_descriptor(folder: Path, descriptor: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2),
                                             encoding="utf-8")


def replace_in(file: Path, old: str, new: str, count: int = 1) -> None:
    content = file.read_text(encoding="utf-8")
    assert old in content, f"{old!r} not in {file}"
    file.write_text(content.replace(old, new, count), encoding="utf-8")


def snapshot(session) -> dict:
    """Everything a reader could see, to compare before and after a failed load."""
    session.rollback()  # end any open read transaction: see what is committed now
    return {
        "datasets": session.scalar(select(func.count(Dataset.id))),
        "versions": sorted(session.execute(
            select(Dataset.name, DatasetVersion.number, DatasetVersion.content_hash)
            .join(DatasetVersion)).all()),
        "resources": sorted(session.execute(select(Resource.id, Resource.sha256)).all()),
        "rows": session.scalar(select(func.coalesce(func.sum(Resource.row_count), 0))),
        "artefacts": sorted(session.execute(select(Artefact.version_id, Artefact.name, Artefact.sha256)).all()),
        # the row tables: a failed load must leave none of its own behind
        "tables": sorted(name for name in inspect(session.connection()).get_table_names()
                         if name.startswith("rows_")),
    }


@contextmanager
def served(command: Sequence, log: Path, ready: str | Callable[[], object], *, what: str = "the server",
           start_timeout: float = 60, stop_timeout: float = 30, **popen) -> Iterator[subprocess.Popen]:
    """Run ``command`` (output to ``log``) until ``ready`` answers: a URL to
    GET, or a callable that raises OSError while the server is not up; then
    stop it (terminate, and kill it if it lingers), also when the test fails."""
    check = ready if callable(ready) else (lambda: urllib.request.urlopen(ready, timeout=2).close())
    with open(log, "wb") as output:
        server = subprocess.Popen(list(command), stdout=output, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                check()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{what} did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
