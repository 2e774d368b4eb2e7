"""Speed, memory and robustness of the portal served as `make run` serves it,
against Datasette on the same rows, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench.py [--quick] [--database sqlite|postgresql|both]
        [--rows 1000000] [--datasets 10000] [--runs 3] [--duration 5] [--output PATH]

`make bench` installs what this needs (wrk, Datasette) and runs it.

Everything happens in a temporary folder with databases of its own: a new
SQLite file, and a new PostgreSQL database `portal_bench_<random>` on
127.0.0.1:5432 that is dropped at the end. The portal is reached only through
its command line (`flask --app portal portal init-db` / `load`) and over HTTP
(gunicorn with gunicorn.conf.py); nothing of the portal is imported.

Measured, for each database:

a. req/s of a filtered, sorted page of 100 rows (JSON API and CKAN
   datastore_search) at 200,000 rows and at --rows rows, with wrk
   (16 connections), against Datasette's table JSON for the same query;
b. p95 latency, one connection: a filter on each field, a sort on each field
   both ways, full-text `q`, and deep pages (offset, and keyset via `next`);
c. full downloads (CSV, JSON, Welsh CSV, zip): MB/s against a static file of
   the same size served by the same gunicorn set-up, and the growth of the
   server's memory while sending;
d. a filtered CSV export of about half the rows: MB/s and memory growth;
e. p95 of catalogue pages and searches with --datasets small datasets;
f. 64 connections for 60 s, a tenth of them dropping big downloads half-way:
   errors, then /health and a normal query;
g. publishing the big package: wall time and peak memory of the CLI.

Prints a table (scenario, portal, Datasette, ratio, target, met?) and writes
the same as JSON to --output. In the table, "ratio" is how many times faster
the portal is than Datasette (above 1: faster), whatever the unit.

Datasette (pinned in requirements-bench.txt) serves a SQLite file with the
same rows, column types, an index on every column and FTS5 on the free text,
in immutable mode. Datasette 0.65's table JSON carries the number of matching
rows (`filtered_table_rows_count`) unless `_nocount=1` is given; the benchmark
keeps that count, since the portal always gives `total`, and turns facets off
(`_nofacet=1`, `suggest_facets off`). Datasette's figures do not depend on the
portal's database, so they are measured once per run; its full CSV exports
(`_stream=on`) once each, as they are slow at full size.
"""
from __future__ import annotations

import argparse
import csv
import ctypes
import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synthetic  # noqa: E402

BIN = Path(sys.executable).parent  # the virtualenv's bin: flask, gunicorn, datasette
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
LUA = HERE / "report.lua"
DEMO = ROOT / "datasets" / "demonstration-responses"
BIG, MID = "benchmark-rows", "benchmark-rows-mid"
RESOURCE = "rows"
DS_DB, DS_BIG, DS_MID = "bench", "records", "records_mid"
MB = 1_000_000
CATEGORY = "area"
CATEGORY_VALUE = synthetic.AREAS[0]  # "Ynys Môn": about 1 row in 22
SORT_FIELD = "count"  # an integer, unique, never empty
HALF_FILTER = ("is_open", "true", "1")  # portal value, Datasette value: about half the rows


# -- processes -----------------------------------------------------------------

def _child_setup() -> None:  # pragma: no cover - runs in the child
    os.setsid()  # own process group: stopped as a whole
    try:  # and told to stop if this script dies without cleaning up
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Processes:
    """Every process this script starts, so that all are stopped at the end."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen] = []

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen:
        process = subprocess.Popen(command, preexec_fn=_child_setup, **kwargs)
        self.running.append(process)
        return process

    def run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        process = self.start(command, **kwargs)
        try:
            stdout, stderr = process.communicate()
        finally:
            self.stop(process)
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def stop(self, process: subprocess.Popen, grace: float = 15) -> None:
        if process.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:  # the leader is gone; anything left in its group goes too
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)


PROCESSES = Processes()


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, through every finally."""


def _on_signal(signum: int, _frame: Any) -> None:
    raise Interrupted(f"stopped by signal {signum}")


# -- /proc: memory of process trees -------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE")


def children(pid: int) -> list[int]:
    found, parents = [], {pid}
    table: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            table[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
    changed = True
    while changed:
        changed = False
        for child, parent in table.items():
            if parent in parents and child not in parents:
                parents.add(child)
                found.append(child)
                changed = True
    return found


def rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def tree_rss(pid: int) -> int:
    return rss([pid, *children(pid)])


class MemorySampler:
    """Peak RSS of a process tree while something runs (sampled every 20 ms)."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid, self.interval = pid, interval
        self.baseline = self.peak = tree_rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pids, refreshed = [self.pid, *children(self.pid)], time.monotonic()
        while not self._stop.wait(self.interval):
            if time.monotonic() - refreshed > 0.5:  # workers may be replaced
                pids, refreshed = [self.pid, *children(self.pid)], time.monotonic()
            self.peak = max(self.peak, rss(pids))

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / MB


# -- HTTP ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def url_path(base: str, params: dict[str, Any] | list[tuple[str, Any]] | None = None) -> str:
    if not params:
        return base
    return base + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe=",")


class Client:
    """One keep-alive connection; reconnects (once per request) when the
    server has closed an idle or recycled connection, as HTTP clients do."""

    def __init__(self, port: int, timeout: float = 300):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                body = response.read()
                if response.will_close:
                    self.close()
                return response.status, body
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_until_up(port: int, path: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}:\n{tail(log)}")
        try:
            status, _ = Client(port, timeout=5).get(path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer {path} within {seconds:.0f} s; see {log}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def gunicorn_log_summary(log: Path) -> dict[str, Any]:
    """What the server's log says: worker (re)starts, time-outs, errors."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {"worker_boots": text.count("Booting worker"), "autorestarts": text.count("Autorestarting worker"),
            "worker_timeouts": text.count("WORKER TIMEOUT"), "error_lines": text.count("[ERROR]"),
            "tracebacks": text.count("Traceback (most recent call last)"),
            "tail": [line for line in text.splitlines() if "[ERROR]" in line or "Error" in line][-10:]}


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency(port: int, path: str, requests: int, budget: float = math.inf, warmup: int = 2) -> dict[str, Any]:
    """Sequential requests on one connection: p50/p95/p99 in ms.

    Once ``budget`` seconds have passed it stops early, after at least three
    measured requests (or one, past three times the budget), so that a very
    slow page cannot hold up the whole benchmark; a request slower than the
    whole budget counts as measured even while warming up."""
    client, timings, statuses = Client(port), [], Counter()
    began = time.monotonic()
    try:
        for number in range(warmup + requests):
            started = time.perf_counter()
            try:
                status, _ = client.get(path)
            except (OSError, http.client.HTTPException) as exc:
                statuses[exc.__class__.__name__] += 1
                client.close()
                continue
            elapsed = time.perf_counter() - started
            statuses[status] += 1
            if number >= warmup or elapsed > budget:
                timings.append(elapsed * 1000)
            spent = time.monotonic() - began
            if timings and spent > budget and (len(timings) >= 3 or spent > 3 * budget):
                break
    finally:
        client.close()
    errors = sum(n for status, n in statuses.items() if not (isinstance(status, int) and 200 <= status < 300))
    return {"path": path, "requests": len(timings), "p50_ms": percentile(timings, 50),
            "p95_ms": percentile(timings, 95), "p99_ms": percentile(timings, 99),
            "errors": errors, "statuses": {str(k): v for k, v in statuses.items()}}


def wrk(port: int, path: str, args: argparse.Namespace) -> dict[str, Any]:
    """Median of --runs wrk runs (requests/s and latency percentiles); errors summed."""
    runs = []
    for _ in range(args.runs):
        command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{args.duration}s",
                   "--timeout", "30s", "-s", str(LUA), f"http://127.0.0.1:{port}{path}"]
        result = PROCESSES.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = next((line for line in result.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
        if result.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}")
        runs.append(json.loads(line[len("WRK_JSON "):]))
    errors = sum(r["non2xx"] + r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
                 for r in runs)
    return {"path": path, "runs": runs, "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p95_ms": statistics.median(r["p95_us"] for r in runs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
            "requests": sum(r["requests"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "errors": errors}


def download_once(port: int, path: str, server_pid: int) -> dict[str, Any]:
    """Stream a download, discarding it: MB/s, and the server's memory growth."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    buffer = bytearray(1 << 20)
    size = 0
    with MemorySampler(server_pid) as memory:
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        while True:
            got = response.readinto(buffer)
            if not got:
                break
            size += got
        seconds = time.perf_counter() - started
    conn.close()
    return {"status": response.status, "bytes": size, "seconds": seconds,
            "mb_s": size / MB / seconds if seconds else float("inf"), "memory_growth_mb": memory.growth_mb}


def download(port: int, path: str, server_pid: int, runs: int) -> dict[str, Any]:
    results = [download_once(port, path, server_pid) for _ in range(runs)]
    return {"path": path, "runs": results, "bytes": results[0]["bytes"],
            "mb_s": statistics.median(r["mb_s"] for r in results),
            "memory_growth_mb": max(r["memory_growth_mb"] for r in results),  # the worst run
            "errors": sum(not 200 <= r["status"] < 300 for r in results)}


# -- loading through the CLI ---------------------------------------------------

@dataclass
class Portal:
    """One portal set-up: its database, instance folder and environment."""
    kind: str
    url: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    port: int = 0
    log: Path | None = None

    def flask(self, *arguments: str, measure: bool = False) -> dict[str, Any]:
        """`flask --app portal portal ...`; with ``measure``, wall time and peak RSS."""
        command = [str(BIN / "flask"), "--app", "portal", "portal", *arguments]
        timing = self.folder / "time.txt"
        use_time = measure and Path("/usr/bin/time").exists()
        if use_time:
            command = ["/usr/bin/time", "-v", "-o", str(timing), *command]
        started = time.perf_counter()
        process = PROCESSES.start(command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        peak = 0
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
        reader.start()
        try:
            while process.poll() is None:  # fallback measure when /usr/bin/time is missing
                if measure and not use_time:
                    peak = max(peak, tree_rss(process.pid))
                time.sleep(0.05)
        finally:
            PROCESSES.stop(process)
        reader.join()
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments)} failed ({process.returncode}):\n{''.join(output)[-3000:]}")
        if use_time:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing.read_text())
            peak = int(match.group(1)) * 1024 if match else 0
        return {"seconds": seconds, "peak_mb": peak / MB, "output": "".join(output)[-2000:]}


def assert_fresh(portal: Portal) -> None:
    """Refuse to go on if the benchmark's database already holds anything."""
    if portal.kind == "sqlite":
        path = Path(portal.url.removeprefix("sqlite:///"))
        if path.exists():
            raise SystemExit(f"refusing to run: {path} already exists")
        return
    import psycopg
    with psycopg.connect(portal.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                              "AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p')").fetchone()[0]
    if tables:
        raise SystemExit(f"refusing to run: the database {portal.url} already holds {tables} tables")


def create_postgres(admin_url: str) -> str:
    import psycopg
    name = f"portal_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            raise SystemExit(f"refusing to run: database {name} exists")
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def drop_postgres(admin_url: str, url: str) -> None:
    import psycopg
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"portal_bench_[0-9a-f]{8}", name):
        return  # only ever drop what this script created
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- Datasette -----------------------------------------------------------------

def build_datasette(csv_path: Path, mid: int, path: Path) -> float:
    """The same rows in a SQLite file for Datasette: same columns and types, an
    index on every column, FTS5 on the free text; the mid-size table is the
    first ``mid`` rows (as the mid-size package is)."""
    started = time.perf_counter()
    columns = ", ".join(f'"{name}" {kind}' for name, kind in (
        ("code", "TEXT PRIMARY KEY"), ("service", "TEXT NOT NULL"), ("area", "TEXT NOT NULL"),
        ("year", "INTEGER NOT NULL"), ("count", "INTEGER NOT NULL"), ("amount", "REAL"),
        ("recorded_on", "TEXT NOT NULL"), ("is_open", "INTEGER NOT NULL"), ("note", "TEXT")))
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    for table in (DS_BIG, DS_MID):
        con.execute(f'CREATE TABLE "{table}" ({columns})')

    def typed(rows):
        for code, service, area, year, count, amount, recorded_on, is_open, note in rows:
            yield (code, service, area, int(year), int(count), float(amount) if amount else None, recorded_on,
                   1 if is_open == "true" else 0, note or None)

    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        con.executemany(f'INSERT INTO "{DS_BIG}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', typed(reader))
    con.execute(f'INSERT INTO "{DS_MID}" SELECT * FROM "{DS_BIG}" WHERE rowid <= ?', (mid,))
    for table in (DS_BIG, DS_MID):
        for name in synthetic.FIELD_NAMES[1:]:  # code has the primary key's index
            con.execute(f'CREATE INDEX "{table}_{name}" ON "{table}" ("{name}")')
        con.execute(f'CREATE VIRTUAL TABLE "{table}_fts" USING fts5(note, content="{table}", content_rowid="rowid")')
        con.execute(f'INSERT INTO "{table}_fts" ("{table}_fts") VALUES (\'rebuild\')')
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def start_datasette(db: Path, folder: Path) -> tuple[subprocess.Popen, int, Path]:
    metadata = folder / "datasette-metadata.json"
    metadata.write_text(json.dumps({"databases": {DS_DB: {"tables": {
        table: {"fts_table": f"{table}_fts", "fts_pk": "rowid"} for table in (DS_BIG, DS_MID)}}}}))
    port = free_port()
    log = folder / "datasette.log"
    command = [str(BIN / "datasette"), "serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port),
               "--metadata", str(metadata),
               "--setting", "default_page_size", "100", "--setting", "max_returned_rows", "1000",
               "--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "30000",
               "--setting", "max_csv_mb", "0"]
    with log.open("w") as handle:
        process = PROCESSES.start(command, cwd=folder, stdout=handle, stderr=subprocess.STDOUT)
    wait_until_up(port, "/-/versions.json", process, log)
    return process, port, log


def ds_table_path(table: str, params: list[tuple[str, Any]], fmt: str = "json") -> str:
    return url_path(f"/{DS_DB}/{table}.{fmt}", params)


def ds_codes(body: dict) -> list[str]:
    position = body["columns"].index("code")
    return [row[position] for row in body["rows"]]


# -- the scenarios ---------------------------------------------------------------

@dataclass
class Row:
    scenario: str
    label: str
    value: float | None
    unit: str
    datasette: float | None = None
    ratio: float | None = None  # how many times faster the portal is
    target: str = ""
    met: bool | None = None
    errors: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, database: str) -> dict[str, Any]:
        return {"database": database, "scenario": self.scenario, "label": self.label, "portal": self.value,
                "unit": self.unit, "datasette": self.datasette, "ratio": self.ratio, "target": self.target,
                "met": self.met, "errors": self.errors, "detail": self.detail}


def rows_api(name: str) -> str:
    return f"/api/v1/datasets/{name}/resources/{RESOURCE}/rows"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def divide(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def below(value: float | None, limit: float, inclusive: bool = False) -> bool:
    return value is not None and (value <= limit if inclusive else value < limit)


def faster(portal_value: float | None, other: float | None, higher_is_better: bool) -> float | None:
    if portal_value is None or other is None or portal_value <= 0 or other <= 0:
        return None
    return portal_value / other if higher_is_better else other / portal_value


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path):
        self.args, self.folder = args, folder
        self.data = folder / "data"
        self.sample: dict[str, str] = {}
        self.datasette: dict[str, Any] = {}  # Datasette's figures, measured once
        self.ds_port = 0
        self.ds_process: subprocess.Popen | None = None
        self.static_port = 0
        self.static_process: subprocess.Popen | None = None
        self.big_csv = self.data / BIG / "rows.csv"

    def latency(self, port: int, path: str) -> dict[str, Any]:
        return latency(port, path, self.args.latency_requests, self.args.latency_budget)

    # -- data and reference servers, once per run ---------------------------
    def prepare(self) -> dict[str, Any]:
        args = self.args
        say(f"writing synthetic packages: {args.rows:,} and {args.mid:,} rows, {args.datasets:,} small datasets")
        started = time.perf_counter()
        self.sample = synthetic.write_rows_package(self.data / BIG, BIG, args.rows)
        synthetic.write_rows_package(self.data / MID, MID, args.mid)
        self.batches = synthetic.write_catalogue(self.data / "catalogue", args.datasets, args.batch)
        written = time.perf_counter() - started
        say(f"building Datasette's SQLite file ({args.rows:,} rows, indexes, FTS5)")
        ds_db = self.folder / f"{DS_DB}.db"
        built = build_datasette(self.big_csv, args.mid, ds_db)
        self.ds_process, self.ds_port, _ = start_datasette(ds_db, self.folder)
        self.static_port = free_port()
        log = self.folder / "static.log"
        env = dict(os.environ, BENCH_STATIC_FILE=str(self.big_csv), HOST="127.0.0.1", PORT=str(self.static_port))
        with log.open("w") as handle:
            self.static_process = PROCESSES.start(
                [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "--pythonpath", str(HERE), "static_app:app"],
                cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        wait_until_up(self.static_port, "/health", self.static_process, log)
        return {"write_seconds": written, "datasette_build_seconds": built,
                "csv_bytes": self.big_csv.stat().st_size, "sample_row": self.sample}

    # -- the portal on one database --------------------------------------------
    def setup_portal(self, kind: str, url: str) -> tuple[Portal, list[Row], dict[str, Any]]:
        args = self.args
        instance = self.folder / f"instance-{kind}"
        instance.mkdir()
        portal = Portal(kind, url, instance)
        portal.env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": secrets.token_hex(32), "PORTAL_ENV": "development"}
        assert_fresh(portal)
        rows: list[Row] = []
        info: dict[str, Any] = {}
        say(f"[{kind}] init-db, bundled datasets, demonstration scores")
        info["init_db"] = portal.flask("init-db", measure=True)
        info["bundled"] = portal.flask("load", str(ROOT / "datasets"), measure=True)
        info["demo_scores"] = portal.flask("ingest-responses", str(DEMO / "responses.csv"),
                                           str(DEMO / "invitations.csv"), "--demo", measure=True)
        # The catalogue, a batch of packages per CLI call, within its time budget.
        loaded, seconds, batches = 0, 0.0, []
        for batch in self.batches:
            count = sum(1 for _ in batch.iterdir())
            # The next batch takes at least as long as the last (the search index grows).
            if batches and seconds + batches[-1]["seconds"] / batches[-1]["packages"] * count > args.catalogue_budget:
                break
            result = portal.flask("load", str(batch), measure=True)
            seconds += result["seconds"]
            loaded += count
            batches.append({"packages": count, "seconds": result["seconds"], "peak_mb": result["peak_mb"]})
            say(f"[{kind}] catalogue: {loaded:,} of {args.datasets:,} packages loaded in {seconds:.1f} s")
        per = seconds / loaded if loaded else float("nan")
        # Projection for all: the rest at the pace of the last batch (a lower bound when it slows down).
        last = batches[-1]["seconds"] / batches[-1]["packages"]
        projected = seconds + last * (args.datasets - loaded)
        info["catalogue"] = {"requested": args.datasets, "loaded": loaded, "seconds": seconds,
                             "seconds_per_package": per, "projected_seconds_for_requested": projected,
                             "batches": batches}
        if loaded < args.datasets:
            say(f"[{kind}] catalogue: only {loaded:,} of {args.datasets:,} packages fit the "
                f"{args.catalogue_budget:.0f} s budget (projected: at least {projected:.0f} s for all)")
        rows.append(Row("g", f"load {loaded:,} small datasets (of {args.datasets:,}) via CLI", seconds, "s",
                        target="info", detail=info["catalogue"]))
        if loaded < args.datasets:
            rows.append(Row("g", f"load all {args.datasets:,} small datasets: projected (at least)", projected, "s",
                            target=f"fit {args.catalogue_budget:.0f} s", met=False))
        rows.append(Row("g", "load: seconds per small dataset", per * 1000, "ms", target="info"))
        say(f"[{kind}] loading {MID} ({args.mid:,} rows)")
        mid = portal.flask("load", str(self.data / MID), measure=True)
        rows.append(Row("g", f"load {args.mid:,} rows: wall time", mid["seconds"], "s", target="info", detail=mid))
        say(f"[{kind}] loading {BIG} ({args.rows:,} rows)")
        big = portal.flask("load", str(self.data / BIG), measure=True)
        rows.append(Row("g", f"load {args.rows:,} rows ({loaded:,} small datasets published): wall time",
                        big["seconds"], "s",
                        target="< 60 s", met=big["seconds"] < 60, detail=big))
        rows.append(Row("g", f"load {args.rows:,} rows: peak RSS of the CLI", big["peak_mb"], "MB",
                        target="< 500 MB", met=big["peak_mb"] < 500))
        info["mid"], info["big"] = mid, big
        return portal, rows, info

    def serve(self, portal: Portal) -> None:
        portal.port = free_port()
        portal.log = portal.folder / "gunicorn.log"
        env = {**portal.env, "HOST": "127.0.0.1", "PORT": str(portal.port)}
        with portal.log.open("w") as handle:  # exactly as `make run` serves
            portal.process = PROCESSES.start([str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "portal:create_app()"],
                                             cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
        wait_until_up(portal.port, "/health", portal.process, portal.log)

    # -- a ---------------------------------------------------------------------
    def filtered_sorted(self, portal: Portal) -> tuple[list[Row], dict[str, Any]]:
        args, rows, comparison = self.args, [], {}
        client = Client(portal.port)
        for name, table, size in ((MID, DS_MID, args.mid), (BIG, DS_BIG, args.rows)):
            api = url_path(rows_api(name), [(CATEGORY, CATEGORY_VALUE), ("sort", f"-{SORT_FIELD}"), ("limit", 100)])
            package = client.json(url_path("/api/3/action/package_show", {"id": name}))["result"]
            resource = next((r for r in package["resources"]
                             if r.get("datapackage_name") == RESOURCE or r.get("url", "").endswith(f"/{RESOURCE}.csv")),
                            package["resources"][0])
            ckan = url_path("/api/3/action/datastore_search", [
                ("resource_id", resource["id"]), ("filters", json.dumps({CATEGORY: CATEGORY_VALUE}, ensure_ascii=False)),
                ("sort", f"{SORT_FIELD} desc"), ("limit", 100)])
            ds = ds_table_path(table, [(CATEGORY, CATEGORY_VALUE), ("_sort_desc", SORT_FIELD), ("_size", 100),
                                       ("_nofacet", 1)])
            # Same rows, same order? (and the same total: Datasette counts by default)
            api_body, ckan_body = client.json(api), client.json(ckan)
            ds_body = Client(self.ds_port).json(ds)
            codes = {"portal": [r["code"] for r in api_body["rows"]],
                     "ckan": [r["code"] for r in ckan_body["result"]["records"]], "datasette": ds_codes(ds_body)}
            totals = {"portal": api_body.get("total"), "ckan": ckan_body["result"].get("total"),
                      "datasette": ds_body.get("filtered_table_rows_count")}
            expected = min(100, totals["datasette"] if totals["datasette"] is not None else 100)
            same = codes["portal"] == codes["datasette"] == codes["ckan"] and len(codes["portal"]) == expected
            comparison[name] = {"rows": size, "same_rows": same, "same_total": len(set(totals.values())) == 1,
                                "totals": totals, "first_codes": {k: v[:5] for k, v in codes.items()},
                                "portal_path": api, "ckan_path": ckan, "datasette_path": ds}
            if not same:
                say(f"[{portal.kind}] WARNING: portal, CKAN and Datasette disagree on {name}: {comparison[name]}")
            key = f"a:{table}"
            if key not in self.datasette:
                say(f"Datasette: wrk on {ds}")
                self.datasette[key] = wrk(self.ds_port, ds, args)
            reference = self.datasette[key]
            for label, path in (("JSON API rows", api), ("CKAN datastore_search", ckan)):
                say(f"[{portal.kind}] wrk on {path[:110]}")
                result = wrk(portal.port, path, args)
                ratio = faster(result["rps"], reference["rps"], True)
                rows.append(Row("a", f"{label}, filter+sort, 100 of {size:,} rows", result["rps"], "req/s",
                                datasette=reference["rps"], ratio=ratio, target=">= 5x Datasette",
                                met=(ratio or 0) >= 5 and result["errors"] == 0 and same,
                                errors=result["errors"], detail={"portal": result, "datasette": reference}))
        client.close()
        return rows, comparison

    # -- b ---------------------------------------------------------------------
    def latencies(self, portal: Portal) -> list[Row]:
        args, rows = self.args, []
        api = rows_api(BIG)
        queries: list[tuple[str, list, list, str, float]] = []
        for name in synthetic.FIELD_NAMES:
            value = self.sample[name]
            ds_value = {"true": "1", "false": "0"}.get(value, value) if name == "is_open" else value
            queries.append((f"filter {name}={value[:24]}", [(name, value), ("limit", 100)],
                            [(name, ds_value), ("_size", 100), ("_nofacet", 1)], "< 30 ms", 30))
        for name in synthetic.FIELD_NAMES:
            queries.append((f"sort {name}", [("sort", name), ("limit", 100)],
                            [("_sort", name), ("_size", 100), ("_nofacet", 1)], "< 30 ms", 30))
            queries.append((f"sort -{name}", [("sort", f"-{name}"), ("limit", 100)],
                            [("_sort_desc", name), ("_size", 100), ("_nofacet", 1)], "< 30 ms", 30))
        queries.append((f"q={synthetic.SEARCH_WORD}", [("q", synthetic.SEARCH_WORD), ("limit", 100)],
                        [("_search", synthetic.SEARCH_WORD), ("_size", 100), ("_nofacet", 1)], "< 100 ms", 100))
        for label, params, ds_params, target, limit in queries:
            path = url_path(api, params)
            result = self.latency(portal.port, path)
            key = f"b:{label}"
            if key not in self.datasette:
                self.datasette[key] = self.latency(self.ds_port, ds_table_path(DS_BIG, ds_params))
            reference = self.datasette[key]
            rows.append(Row("b", f"p95 {label}", result["p95_ms"], "ms", datasette=reference["p95_ms"],
                            ratio=faster(result["p95_ms"], reference["p95_ms"], False), target=target,
                            met=below(result["p95_ms"], limit) and result["errors"] == 0, errors=result["errors"],
                            detail={"portal": result, "datasette": reference}))
        say(f"[{portal.kind}] latency: {len(queries)} filter/sort/q queries done; deep pages")
        # Deep pages by offset (limit 100) and by keyset cursor (limit 1000).
        first = self.latency(portal.port, url_path(api, [("sort", SORT_FIELD), ("limit", 100)]))
        offset = int(args.rows * 0.9)
        deep = self.latency(portal.port, url_path(api, [("sort", SORT_FIELD), ("limit", 100), ("offset", offset)]))
        ratio = divide(deep["p95_ms"], first["p95_ms"])
        rows.append(Row("b", f"offset page at row {offset:,} / first page (p95)", ratio, "x", target="<= 2x",
                        met=below(ratio, 2, inclusive=True) and deep["errors"] == 0, errors=deep["errors"],
                        detail={"first": first, "deep": deep}))
        portal_keyset = self.keyset_at(portal.port, api, [("sort", SORT_FIELD), ("limit", 1000)])
        key = "b:keyset"
        if key not in self.datasette:
            self.datasette[key] = self.keyset(
                self.ds_port, ds_table_path(DS_BIG, [("_sort", SORT_FIELD), ("_size", 1000), ("_nofacet", 1)]),
                lambda body: body.get("next_url"))
        reference = self.datasette[key]
        rows.append(Row("b", f"keyset page at row {portal_keyset['row']:,} / first page (p95)",
                        portal_keyset["ratio"], "x", datasette=reference["ratio"],
                        ratio=faster(portal_keyset["ratio"], reference["ratio"], False), target="<= 2x",
                        met=below(portal_keyset["ratio"], 2, inclusive=True) and portal_keyset["errors"] == 0,
                        errors=portal_keyset["errors"], detail={"portal": portal_keyset, "datasette": reference}))
        return rows

    def keyset_at(self, port: int, api: str, params: list[tuple[str, Any]]) -> dict[str, Any]:
        """The portal's keyset page at row 0.9 N against its first page: one
        `offset` request reaches the row before it, and its `next` link is
        the keyset page measured (a cursor, as any client following links
        from the start would hold there)."""
        client, row = Client(port), int(self.args.rows * 0.9)
        started = time.monotonic()
        link = client.json(url_path(api, [*params, ("offset", max(row - 1000, 0))])).get("next")
        client.close()
        first_path = url_path(api, params)
        if not link:
            return self.keyset(port, first_path, lambda body: body.get("next"))
        parts = urllib.parse.urlsplit(link)
        first, deep = self.latency(port, first_path), self.latency(port, parts.path + "?" + parts.query)
        return {"row": row, "pages_followed": 0, "follow_seconds": time.monotonic() - started, "first": first,
                "deep": deep, "ratio": divide(deep["p95_ms"], first["p95_ms"]),
                "errors": first["errors"] + deep["errors"]}

    def keyset(self, port: int, first_path: str, next_link: Callable[[dict], str | None]) -> dict[str, Any]:
        """Follow `next` links (1000 rows a page) towards row 0.9 N, within a
        time budget; then the p95 of that deep page against the first."""
        client, path, row, started = Client(port), first_path, 0, time.monotonic()
        target_row = int(self.args.rows * 0.9)
        while row + 1000 <= target_row and time.monotonic() - started < self.args.follow_seconds:
            link = next_link(client.json(path))
            if not link:
                break
            parts = urllib.parse.urlsplit(link)
            path = parts.path + ("?" + parts.query if parts.query else "")
            row += 1000
        client.close()
        followed = time.monotonic() - started
        first = self.latency(port, first_path)
        deep = self.latency(port, path)
        return {"row": row, "pages_followed": row // 1000, "follow_seconds": followed, "first": first, "deep": deep,
                "ratio": divide(deep["p95_ms"], first["p95_ms"]), "errors": first["errors"] + deep["errors"]}

    # -- c and d ----------------------------------------------------------------
    def downloads(self, portal: Portal) -> tuple[list[Row], dict[str, int]]:
        args, rows, sizes = self.args, [], {}
        static = download(self.static_port, "/file", self.static_process.pid, args.runs)
        rows.append(Row("c", "static file, same gunicorn set-up (yardstick)", static["mb_s"], "MB/s",
                        target="info", errors=static["errors"], detail=static))
        key = "c:csv"
        if key not in self.datasette:
            self.datasette[key] = download(self.ds_port, ds_table_path(DS_BIG, [("_stream", "on"), ("_size", "max")],
                                                                       "csv"), self.ds_process.pid, 1)
        for label, path, reference in (
                ("CSV", f"/datasets/{BIG}/{RESOURCE}.csv", self.datasette[key]),
                ("JSON", f"/datasets/{BIG}/{RESOURCE}.json", None),
                ("Welsh CSV", f"/datasets/{BIG}/cy/{RESOURCE}.csv", None),
                ("zip", f"/datasets/{BIG}.zip", None)):
            say(f"[{portal.kind}] download {path}")
            result = download(portal.port, path, portal.process.pid, args.runs)
            sizes[path] = result["bytes"]
            share = result["mb_s"] / static["mb_s"]
            rows.append(Row("c", f"download {label} ({result['bytes'] / MB:,.1f} MB): MB/s", result["mb_s"], "MB/s",
                            datasette=reference["mb_s"] if reference else None,
                            ratio=faster(result["mb_s"], reference["mb_s"], True) if reference else None,
                            target=f">= 0.5x static ({0.5 * static['mb_s']:,.0f} MB/s)",
                            met=share >= 0.5 and result["errors"] == 0, errors=result["errors"],
                            detail={"portal": result, "share_of_static": share,
                                    "datasette": reference}))
            rows.append(Row("c", f"download {label}: server memory growth", result["memory_growth_mb"], "MB",
                            datasette=reference["memory_growth_mb"] if reference else None,
                            target="< 50 MB", met=result["memory_growth_mb"] < 50))
        field_name, value, ds_value = HALF_FILTER
        key = "d:csv"
        if key not in self.datasette:
            self.datasette[key] = download(
                self.ds_port, ds_table_path(DS_BIG, [(field_name, ds_value), ("_stream", "on"), ("_size", "max")],
                                            "csv"), self.ds_process.pid, 1)
        reference = self.datasette[key]
        path = url_path(f"/datasets/{BIG}/{RESOURCE}.csv", [(field_name, value)])
        say(f"[{portal.kind}] filtered download {path}")
        result = download(portal.port, path, portal.process.pid, args.runs)
        sizes[path] = result["bytes"]
        rows.append(Row("d", f"filtered CSV {field_name}={value} ({result['bytes'] / MB:,.1f} MB): MB/s",
                        result["mb_s"], "MB/s", datasette=reference["mb_s"],
                        ratio=faster(result["mb_s"], reference["mb_s"], True), target=">= 50 MB/s",
                        met=result["mb_s"] >= 50 and result["errors"] == 0, errors=result["errors"],
                        detail={"portal": result, "datasette": reference}))
        rows.append(Row("d", "filtered CSV: server memory growth", result["memory_growth_mb"], "MB",
                        datasette=reference["memory_growth_mb"], target="< 100 MB",
                        met=result["memory_growth_mb"] < 100))
        return rows, sizes

    # -- e ---------------------------------------------------------------------
    def catalogue(self, portal: Portal, loaded: int) -> list[Row]:
        rows = []
        word = synthetic.CATALOGUE_WORD
        for label, path in (("catalogue search", url_path("/en/datasets/", {"q": word})),
                            ("API search", url_path("/api/v1/datasets", {"q": word})),
                            ("dataset page", f"/en/datasets/{BIG}/"),
                            ("council page", "/en/councils/cardiff/"),
                            ("DCAT catalogue", "/catalog.ttl")):
            result = self.latency(portal.port, path)
            rows.append(Row("e", f"p95 {label} {path} ({loaded:,} datasets)", result["p95_ms"], "ms",
                            target="< 50 ms", met=below(result["p95_ms"], 50) and result["errors"] == 0,
                            errors=result["errors"], detail=result))
        return rows

    # -- f ---------------------------------------------------------------------
    def robustness(self, portal: Portal, sizes: dict[str, int], reference_path: str) -> list[Row]:
        args = self.args
        drops = [f"/datasets/{BIG}/{RESOURCE}.csv", f"/datasets/{BIG}/{RESOURCE}.json"]
        api = rows_api(BIG)
        queries = [reference_path] + [url_path(api, params) for params in (
            [(CATEGORY, synthetic.AREAS[3]), ("sort", "-amount"), ("limit", 100)],
            [("service", synthetic.SERVICES[2]), ("sort", "recorded_on"), ("limit", 50)],
            [("year", 2010), ("limit", 100)], [("q", synthetic.SEARCH_WORD), ("limit", 20)],
            [("sort", "-count"), ("limit", 100)])]
        deadline = time.monotonic() + args.soak_seconds
        lock = threading.Lock()
        stats: Counter = Counter()
        problems: list[str] = []

        def note(key: str, problem: str | None = None) -> None:
            with lock:
                stats[key] += 1
                if problem and len(problems) < 20:
                    problems.append(problem)

        def querier(number: int) -> None:
            client, k = Client(portal.port, timeout=120), number
            while time.monotonic() < deadline:
                path = queries[k % len(queries)]
                k += 1
                try:
                    status, _ = client.get(path)
                except (OSError, http.client.HTTPException) as exc:
                    note("failed", f"{path}: {exc!r}")
                    client.close()
                    continue
                note("ok" if 200 <= status < 300 else "non2xx", None if 200 <= status < 300 else f"{path}: {status}")
            client.close()

        def dropper(number: int) -> None:
            k = number
            while time.monotonic() < deadline:
                path = drops[k % len(drops)]
                k += 1
                try:
                    sock = socket.create_connection(("127.0.0.1", portal.port), timeout=120)
                except OSError as exc:
                    note("failed", f"connect: {exc!r}")
                    continue
                try:
                    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{portal.port}\r\n\r\n".encode())
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = sock.recv(65536)
                        if not chunk:
                            raise ConnectionError("closed before the headers")
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    status = int(head.split(None, 2)[1])
                    if not 200 <= status < 300:
                        note("non2xx", f"{path}: {status}")
                        continue
                    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
                    total = int(match.group(1)) if match else sizes.get(path, 2 * MB)
                    got = len(body)
                    while got < total // 2:
                        chunk = sock.recv(1 << 18)
                        if not chunk:
                            raise ConnectionError(f"closed after {got} of {total} bytes")
                        got += len(chunk)
                    note("dropped")
                except (OSError, ValueError, IndexError) as exc:
                    note("failed", f"{path}: {exc!r}")
                finally:  # drop for real: RST, not a polite close
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    except OSError:
                        pass
                    sock.close()

        droppers = max(1, args.soak_connections // 10)
        threads = [threading.Thread(target=dropper, args=(n,), daemon=True) for n in range(droppers)]
        threads += [threading.Thread(target=querier, args=(n,), daemon=True)
                    for n in range(args.soak_connections - droppers)]
        say(f"[{portal.kind}] robustness: {args.soak_connections} connections ({droppers} dropping downloads) "
            f"for {args.soak_seconds:.0f} s")
        before = tree_rss(portal.process.pid)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.soak_seconds + 180)
        after = tree_rss(portal.process.pid)
        time.sleep(0.5)
        client = Client(portal.port)
        health, _ = client.get("/health")
        status, body = client.get(reference_path)
        client.close()
        alive = portal.process.poll() is None
        still = status == 200 and bool(json.loads(body).get("rows"))
        errors = stats["non2xx"] + stats["failed"]
        detail = {"queries_ok": stats["ok"], "non2xx": stats["non2xx"], "failed": stats["failed"],
                  "downloads_dropped": stats["dropped"], "health_after": health, "query_after": status,
                  "server_alive": alive, "rss_before_mb": before / MB, "rss_after_mb": after / MB,
                  "problems": problems}
        return [
            Row("f", f"{args.soak_connections} connections, {args.soak_seconds:.0f} s: non-2xx and failed requests",
                errors, "errors", target="0", met=errors == 0, errors=errors, detail=detail),
            Row("f", f"  queries answered ({stats['dropped']} downloads dropped half-way)", stats["ok"], "requests",
                target="info"),
            Row("f", "  afterwards: /health and a normal query answer 200", 1.0 if health == 200 and still else 0.0,
                "ok", target="1", met=health == 200 and still and alive),
        ]

    # -- all of it on one database ---------------------------------------------
    def run_database(self, kind: str, url: str) -> dict[str, Any]:
        portal, rows, info = self.setup_portal(kind, url)
        try:
            self.serve(portal)
            say(f"[{kind}] portal serving on 127.0.0.1:{portal.port}")
            a_rows, comparison = self.filtered_sorted(portal)
            rows += a_rows
            say(f"[{kind}] latency (one connection, {self.args.latency_requests} requests a query)")
            rows += self.latencies(portal)
            c_rows, sizes = self.downloads(portal)
            rows += c_rows
            say(f"[{kind}] catalogue pages")
            rows += self.catalogue(portal, info["catalogue"]["loaded"])
            rows += self.robustness(portal, sizes, comparison[BIG]["portal_path"])
        finally:
            if portal.process is not None:
                PROCESSES.stop(portal.process)
        return {"database": kind, "load": info, "comparison": comparison, "rows": rows,
                "gunicorn": gunicorn_log_summary(portal.log) if portal.log else {}}


# -- output ----------------------------------------------------------------------

def show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    if unit in ("errors", "requests"):
        return f"{value:,.0f}"
    if unit == "ok":
        return "yes" if value else "NO"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}"


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    header = f"{'scenario':<70} {'portal':>14} {'Datasette':>14} {'ratio':>8}  {'target':<26} met?"
    for result in results:
        lines += ["", f"== {result['database']} ==", header, "-" * len(header)]
        for row in result["rows"]:
            met = {True: "yes", False: "NO", None: ""}[row.met]
            if row.errors and row.unit != "errors":
                met += f" ({row.errors} errors)"
            lines.append(f"{row.scenario + '. ' + row.label:<70.70} {show(row.value, row.unit):>14} "
                         f"{show(row.datasette, row.unit):>14} {show(row.ratio, 'x'):>8}  {row.target:<26} {met}")
    return "\n".join(lines)


def clean(value: Any) -> Any:
    """JSON without NaN or infinities (they become null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def tool_version(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        return (result.stdout or result.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


# -- main ------------------------------------------------------------------------

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="tiny data (2,000 rows, 20 datasets), 1 run of 1 s per scenario: every scenario, fast")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, help="rows of the big resource (default 1,000,000)")
    parser.add_argument("--mid-rows", type=int, default=200_000,
                        help="rows of the second resource for scenario a (at most half of --rows)")
    parser.add_argument("--datasets", type=int, help="small datasets in the catalogue (default 10,000)")
    parser.add_argument("--batch", type=int, default=1000, help="small datasets per `portal load` call")
    parser.add_argument("--catalogue-budget", type=float, default=100,
                        help="seconds allowed for loading the catalogue on each database (100); beyond it "
                             "the count loaded so far is used, and the time for all is projected")
    parser.add_argument("--runs", type=int, help="runs per throughput scenario; the median is reported (3)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (5)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--latency-requests", type=int, help="sequential requests per latency query (50)")
    parser.add_argument("--latency-budget", type=float,
                        help="seconds at most per latency query; at least 3 requests are made (20)")
    parser.add_argument("--follow-seconds", type=float, help="time allowed to follow `next` links (20)")
    parser.add_argument("--soak-seconds", type=float, help="length of the robustness scenario (60)")
    parser.add_argument("--soak-connections", type=int, default=64)
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                  "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="server where the benchmark creates (and drops) its own database")
    parser.add_argument("--output", default=str(HERE / "results.json"), help="JSON results (benchmarks/results.json)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data, logs)")
    args = parser.parse_args(argv)
    quick = args.quick
    # (full size, --quick): full size fits in about 15 minutes on 2 cores, both databases
    defaults = {"rows": (1_000_000, 2_000), "datasets": (10_000, 20), "runs": (3, 1), "duration": (5, 1),
                "latency_requests": (50, 5), "latency_budget": (20, 5),
                "follow_seconds": (20, 2), "soak_seconds": (60, 3)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.mid = max(1, min(args.mid_rows, args.rows // 2))
    if args.rows < 1000 or args.datasets < 1 or args.runs < 1 or args.batch < 1:
        parser.error("--rows must be at least 1000; --datasets, --runs and --batch at least 1")
    args.duration = max(1, round(args.duration))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    if not (BIN / "datasette").exists():
        raise SystemExit(f"datasette is not installed in {BIN}: `make bench` installs requirements-bench.txt")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    created_pg: str | None = None
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    bench = Bench(args, folder)
    try:
        prepared = bench.prepare()
        for kind in databases:
            if kind == "sqlite":
                url = f"sqlite:///{folder / 'portal.sqlite3'}"
            else:
                try:
                    created_pg = create_postgres(args.postgres_url)
                except Exception as exc:  # noqa: BLE001 - reported, and the run goes on
                    if args.database == "postgresql":
                        raise SystemExit(f"cannot create a PostgreSQL database at {args.postgres_url}: {exc}")
                    skipped[kind] = f"{exc.__class__.__name__}: {exc}"
                    say(f"PostgreSQL skipped: {skipped[kind]}")
                    continue
                url = created_pg
            try:
                results.append(bench.run_database(kind, url))
            finally:
                if kind == "postgresql" and created_pg:
                    drop_postgres(args.postgres_url, created_pg)
                    created_pg = None
        elapsed = time.perf_counter() - started
        print(table(results))
        everything = [row.as_dict(r["database"]) for r in results for row in r["rows"]]
        missed = [row for row in everything if row["met"] is False]
        report = {
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": elapsed,
            "settings": {k: v for k, v in vars(args).items() if k != "postgres_url"},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
            "tools": {"wrk": tool_version(["wrk", "--version"]),
                      "datasette": tool_version([str(BIN / "datasette"), "--version"]),
                      "gunicorn": tool_version([str(BIN / "gunicorn"), "--version"])},
            "data": prepared,
            "datasette_count_note": "Datasette 0.65 counts the filtered rows by default "
                                    "(filtered_table_rows_count), as the portal gives total; the benchmark "
                                    "keeps that on (no _nocount) and turns facets off (_nofacet=1).",
            "skipped": skipped,
            "comparison": {r["database"]: r["comparison"] for r in results},
            "gunicorn": {r["database"]: r["gunicorn"] for r in results},
            "load": {r["database"]: r["load"] for r in results},
            "scenarios": everything,
            "targets_missed": len(missed),
        }
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(clean(report), indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"\n{len(everything)} figures, {len(missed)} targets missed; "
              f"{elapsed:.0f} s in all; results in {output}")
        return 0
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'}); stopping every server started", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        PROCESSES.stop_all()
        if created_pg:
            try:
                drop_postgres(args.postgres_url, created_pg)
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {created_pg}: {exc}", file=sys.stderr)
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
