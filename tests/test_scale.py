"""Memory at size, measured in processes of their own: publishing a large
package and streaming its downloads and exports keep memory flat; and a
client that drops a streamed export gives its database connection back."""
from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from portal import queries
from portal.publish import spreadsheets
from tests.conftest import make_app
from tests.synthetic import write_package

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000


def run_python(code: str, env: dict) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON object last."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def big_site(backend, new_database, tmp_path_factory):
    """A 200,000-row package published through the real CLI, in a process of
    its own, then its spreadsheets built, with the peak memory of either."""
    folder = tmp_path_factory.mktemp("big")
    package = write_package(folder / "package", "big-table", ROWS)
    env = {"DATABASE_URL": new_database(backend), "INSTANCE_PATH": str(folder / "instance")}
    measured = run_python("""
        import json, os, resource, subprocess, sys
        env = dict(os.environ)
        flask = [sys.executable, "-m", "flask", "--app", "portal"]
        subprocess.run(flask + ["portal", "init-db"], check=True, capture_output=True)
        load = subprocess.run(flask + ["portal", "load", %r], capture_output=True, text=True)
        assert load.returncode == 0, load.stdout + load.stderr
        # its spreadsheets, built after publication (as the worker would)
        later = subprocess.run(flask + ["portal", "build-downloads"], capture_output=True, text=True)
        assert later.returncode == 0, later.stdout + later.stderr
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(json.dumps({"peak_kb": peak, "output": load.stdout, "later": later.stdout}))
    """.replace("%r", repr(str(package))), env)
    return env, measured


def test_publishing_a_large_package_keeps_memory_flat(big_site):
    _env, measured = big_site
    assert "big-table: published version 1" in measured["output"]
    assert "big-table/table (more than 100,000 rows) are built after publication" in measured["output"]
    assert "6 file(s) built." in measured["later"]
    # the CSV alone is ~12 MB, its JSON ~35 MB and each workbook's sheet XML
    # ~70 MB: rows are streamed, never held
    assert measured["peak_kb"] < 250 * 1024, measured


def test_large_workbooks_hold_every_row(big_site):
    env, _measured = big_site
    app = make_app(env["DATABASE_URL"], Path(env["INSTANCE_PATH"]))
    client = app.test_client()
    with zipfile.ZipFile(io.BytesIO(client.get("/datasets/big-table/table.xlsx").data)) as archive:
        with archive.open("xl/worksheets/sheet5.xml") as sheet:  # Cover, Contents, Notes, Columns, Data
            assert f'<dimension ref="A1:G{ROWS + 3}"/>' in sheet.read(2000).decode()
    with zipfile.ZipFile(io.BytesIO(client.get("/datasets/big-table/cy/table.ods").data)) as archive:
        with archive.open("content.xml") as content:
            rows = count(content, b"<table:table-row>")
    with app.app_context():
        from portal.extensions import session
        version = queries.latest_version(session(), "big-table")
        book = spreadsheets.workbook(version, version.resources[0], "cy", [])
    # every sheet's title, lines and header row; the other sheets' rows; every row of the table
    fixed = sum(1 + len(sheet.lines) + (sheet.header is not None) for sheet in book.sheets)
    listed = sum(len(sheet.rows) for sheet in book.sheets if isinstance(sheet.rows, list))
    assert rows == fixed + listed + ROWS


def count(stream, tag: bytes) -> int:
    """Occurrences of ``tag`` in a stream read a megabyte at a time."""
    found, tail = 0, b""
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        text = tail + chunk
        found += text.count(tag)
        tail = text[-(len(tag) - 1):]  # too short to hold a whole tag, long enough to start one
    return found


SERVE = """
    import json, resource, sys
    from portal import create_app
    app = create_app({"TESTING": True})
    client = app.test_client()
    client.get("/datasets/big-table/table.csv?_size=1").close()  # warm: imports, caches
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sizes = {}
    for url in URLS:
        response = client.get(url, buffered=False)
        assert response.status_code == 200, (url, response.status_code)
        sizes[url] = sum(len(chunk) for chunk in response.response)
        response.close()
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"growth_kb": growth, "sizes": sizes}))
"""


def test_downloads_and_exports_stream_in_constant_memory(big_site):
    env, _measured = big_site
    urls = ["/datasets/big-table/table.json", "/datasets/big-table/cy/table.csv", "/datasets/big-table.zip",
            "/datasets/big-table/table.xlsx", "/datasets/big-table/cy/table.ods",
            "/datasets/big-table/table.csv?bom=1",
            "/datasets/big-table/table.csv?flag=true",
            "/api/v1/datasets/big-table/resources/table/rows.csv?sort=-amount",
            "/datasets/big-table/table.json?place=Powys"]
    result = run_python(SERVE.replace("URLS", repr(urls)), env)
    assert result["sizes"]["/datasets/big-table/table.json"] > 30_000_000
    assert result["sizes"]["/datasets/big-table/table.csv?flag=true"] > 5_000_000
    # ~90 MB of bodies went through; memory grew by a small constant
    assert result["growth_kb"] < 40 * 1024, result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_clients_that_drop_a_streamed_export_give_back_their_connections(big_site):
    """Through gunicorn, as the portal is served: more clients than the
    connection pool holds (5 + 10 overflow) each read the start of a
    200,000-row export and hang up; every later request is still answered
    at once (a leaked connection would make it wait 30 s for the pool)."""
    env, _measured = big_site
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads", "16", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "portal:create_app()"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(port)
        for _ in range(40):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(b"GET /api/v1/datasets/big-table/resources/table/rows.csv HTTP/1.1\r\n"
                             b"Host: localhost\r\nConnection: close\r\n\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/datasets/big-table/resources/"
                                        "table/rows?limit=5", timeout=60) as response:
                assert response.status == 200
        assert time.monotonic() - started < 10
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")
