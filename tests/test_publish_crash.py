"""A publication killed at any point (SIGKILL, a real `flask portal load`
process) leaves the previous version serving byte for byte and nothing half
written visible; the clean-up then removes what it left; the next
publication succeeds."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.model import Artefact, PublicationRun
from portal.publish import runs
from portal.storage import LocalStore
from tests.conftest import make_app, migrated
from tests.helpers import snapshot
from tests.synthetic import write_package

NAME = "crash-test"
ROWS = 5_500  # more than a batch (5,000), so that rows are going in when the process is held
URLS = ["/datasets/crash-test/table.csv", "/datasets/crash-test/table.json", "/datasets/crash-test/cy/table.csv",
        "/datasets/crash-test.zip", "/datasets/crash-test/datapackage.json", "/datasets/crash-test/table.xlsx",
        "/api/v1/datasets/crash-test/resources/table/rows?limit=5&sort=-amount",
        "/api/3/action/package_show?id=crash-test", "/en/datasets/crash-test/"]


class Portal:
    """The environment of a command-line process on the test's database."""

    def __init__(self, url: str, root: Path):
        self.url = url
        self.instance = root / "instance"
        self.temporary = root / "tmp"
        self.temporary.mkdir(parents=True)
        self.hold = root / "held"
        self.env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(self.instance),
                    "SECRET_KEY": "test", "TMPDIR": str(self.temporary), "PORTAL_BASE_URL": ""}
        self.env.pop(runs.HOLD_AT, None)

    def command(self, *args: str, hold: str | None = None) -> subprocess.Popen:
        env = dict(self.env)
        if hold:
            env[runs.HOLD_AT] = hold
            env[runs.HOLD_FILE] = str(self.hold)
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "portal", "portal", *args], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, *args: str) -> str:
        process = self.command(*args)
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output
        return output


def _seen(client) -> dict[str, tuple[int, bytes]]:
    return {url: (response.status_code, response.data) for url in URLS
            for response in [client.get(url, headers={"Accept-Encoding": "identity"})]}


@pytest.mark.parametrize("point", ["started", "inserting", "rows", "stored"])
def test_a_publication_killed_part_way_leaves_the_previous_version_serving(backend, new_database, tmp_path, point):
    url = migrated(new_database(backend))
    portal = Portal(url, tmp_path)
    package = write_package(tmp_path / "packages" / NAME, NAME, ROWS)
    portal.run("load", str(package))
    app = make_app(url, portal.instance)
    before = _seen(app.test_client())
    assert all(status == 200 for status, _ in before.values()), {u: s for u, (s, _) in before.items()}
    with app.app_context():
        from portal.extensions import session
        published = snapshot(session())
        session().close()

    write_package(package, NAME, ROWS, seed=2019)  # a new edition
    process = portal.command("load", str(package), hold=point)
    deadline = time.monotonic() + 300
    while not portal.hold.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, f"the load never reached {point}"
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    portal.hold.unlink()

    # readers see the previous version, byte for byte, and nothing of the new one
    app = make_app(url, portal.instance)
    assert _seen(app.test_client()) == before
    assert app.test_client().get("/datasets/crash-test/versions/2/datapackage.json").status_code == 404
    with app.app_context():
        from portal.extensions import session
        db = session()
        assert snapshot(db) == published
        left = db.scalar(select(PublicationRun).where(PublicationRun.status == runs.RUNNING))
        assert left is not None and Path(left.work).is_dir()
        db.close()
    store = LocalStore(portal.instance / "artefacts")
    if point == "stored":  # the new edition's files were written: unreferenced
        assert len(list(store.objects())) > len(_referenced(app))

    output = portal.run("cleanup", "--grace-minutes", "0")
    assert "1 abandoned publication(s)" in output
    assert not Path(left.work).exists()
    assert {sha256 for sha256, _ in store.objects()} == _referenced(app)
    assert not list(store.leftovers())
    assert _seen(make_app(url, portal.instance).test_client()) == before

    # the next publication succeeds
    assert f"{NAME}: published version 2" in portal.run("load", str(package))
    after = _seen(make_app(url, portal.instance).test_client())
    assert after["/datasets/crash-test/table.csv"] != before["/datasets/crash-test/table.csv"]
    assert all(status == 200 for status, _ in after.values())
    assert "nothing left behind" in portal.run("cleanup", "--grace-minutes", "0")


def test_killed_just_after_the_commit_the_new_version_serves_whole(backend, new_database, tmp_path):
    url = migrated(new_database(backend))
    portal = Portal(url, tmp_path)
    package = write_package(tmp_path / "packages" / NAME, NAME, 3_000)
    portal.run("load", str(package))
    write_package(package, NAME, 3_000, seed=7)
    process = portal.command("load", str(package), hold="committed")
    deadline = time.monotonic() + 300
    while not portal.hold.exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    client = make_app(url, portal.instance).test_client()
    seen = _seen(client)
    assert all(status == 200 for status, _ in seen.values())
    assert client.get("/datasets/crash-test/versions/2/table.csv").data == seen["/datasets/crash-test/table.csv"][1]
    before = {sha for sha, _ in LocalStore(portal.instance / "artefacts").objects()}
    portal.run("cleanup", "--grace-minutes", "0")
    # nothing a published version names is removed
    assert {sha for sha, _ in LocalStore(portal.instance / "artefacts").objects()} == before
    assert _seen(make_app(url, portal.instance).test_client()) == seen


def test_cleanup_leaves_a_running_publication_alone(backend, new_database, tmp_path):
    """A clean-up while a load is going (held after its files are stored)
    removes none of its work; the load then completes."""
    url = migrated(new_database(backend))
    portal = Portal(url, tmp_path)
    package = write_package(tmp_path / "packages" / NAME, NAME, 500)
    process = portal.command("load", str(package), hold="stored")
    deadline = time.monotonic() + 300
    while not portal.hold.exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.2)
    store = LocalStore(portal.instance / "artefacts")
    written = {sha for sha, _ in store.objects()}
    assert written
    output = portal.run("cleanup", "--grace-minutes", "0")
    assert "1 publication(s) still running" in output
    assert {sha for sha, _ in store.objects()} == written
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _referenced(app) -> set[str]:
    with app.app_context():
        from portal.extensions import session
        db = session()
        found = set(db.scalars(select(Artefact.sha256)))
        found |= set(db.scalars(select(Artefact.gzip_sha256).where(Artefact.gzip_sha256.is_not(None))))
        db.close()
        return found
