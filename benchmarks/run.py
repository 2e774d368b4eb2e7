"""Speed and memory of the portal's main surfaces, printed as figures.

    .venv/bin/python benchmarks/run.py [--requests 50] [--rows 100000]

Builds a throw-away SQLite database in a temporary folder (every package in
datasets/ and the demonstration responses), then times requests through the
real application (WSGI, no network) and reports median and 95th percentile
latency per surface, and the peak Python memory of streaming a large query
as CSV (a synthetic resource of --rows rows published for the purpose).
Targets (printed beside each figure): pages and API answers under 150 ms at
the median, CSV streaming in constant memory (peak under 20 MB whatever the
row count).
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.config import DATASETS_PATH  # noqa: E402
from portal.db import make_engine  # noqa: E402
from portal.ingest.service import ingest_responses  # noqa: E402
from portal.migrate import upgrade  # noqa: E402
from portal.publish.service import load_path  # noqa: E402

SURFACES = [
    "/en/", "/cy/datasets/", "/en/datasets/?q=cyngor&kind=demonstration",
    "/en/datasets/maturity-scores/?area_code=W06000012&_sort=-mean_level",
    "/cy/councils/neath-port-talbot/", "/en/councils/compare/?council=cardiff&council=powys",
    "/datasets/maturity-scores/scores.csv", "/datasets/maturity-scores/scores.json",
    "/datasets/maturity-scores.zip", "/api/v1/datasets?q=council",
    "/api/v1/datasets/maturity-scores/resources/scores/rows?area_code=W06000012&limit=50",
    "/api/3/action/package_search?q=council", "/catalog.ttl", "/feeds/datasets.atom",
]


def build(folder: Path, rows: int) -> str:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench"})
    with app.app_context():
        from portal.extensions import session
        load_path(session(), DATASETS_PATH)
        demo = DATASETS_PATH / "demonstration-responses"
        ingest_responses(session(), demo / "responses.csv", demo / "invitations.csv", demonstration=True)
        results = load_path(session(), big_package(folder / "big", rows))
        if not all(result.ok for result in results):
            raise SystemExit("\n".join(result.report.render() for result in results))
    return url


def big_package(folder: Path, rows: int) -> Path:
    """A real, valid package with many rows, to measure streaming."""
    folder.mkdir()
    source = json.loads((DATASETS_PATH / "public-attitudes-survey" / "datapackage.json").read_text())
    source["name"] = "benchmark-rows"
    resource = source["resources"][0]
    resource.update(name="rows", path="rows.csv")
    resource["schema"]["primaryKey"] = ["measure_id"]
    with (folder / "rows.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f["name"] for f in resource["schema"]["fields"]])
        for number in range(rows):
            writer.writerow([f"measure-{number}", f"statement {number}", f"datganiad {number}", number % 101, 750,
                             "W92000004", "Wales", "Cymru"])
    for field in resource["schema"]["fields"]:
        field.get("constraints", {}).pop("enum", None)
        if field["name"] == "percentage":
            field["constraints"] = {"minimum": 0, "maximum": 100}
    (folder / "datapackage.json").write_text(json.dumps(source))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        url = build(Path(tmp), args.rows)
        print(f"setup: {time.perf_counter() - started:.1f} s (load, ingest, {args.rows} benchmark rows)")
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench"})
        client = app.test_client()
        print(f"{'surface':<78} {'median':>8} {'p95':>8}  target")
        for surface in SURFACES:
            timings = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = client.get(surface)
                response.get_data()
                timings.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{surface} answered {response.status_code}")
            timings.sort()
            median = statistics.median(timings)
            p95 = timings[int(0.95 * (len(timings) - 1))]
            print(f"{surface:<78} {median:7.1f}ms {p95:7.1f}ms  {'ok' if median < 150 else 'SLOW'} (<150 ms)")
        for query in ("", "?percentage__gte=50"):
            tracemalloc.start()
            start = time.perf_counter()
            response = client.get(f"/datasets/benchmark-rows/rows.csv{query or '?_sort=-percentage'}")
            size = sum(len(chunk) for chunk in response.response)
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"streamed CSV {query or '(all rows, sorted)'}: {size / 1e6:.1f} MB in {seconds:.2f} s, "
                  f"peak memory {peak:.1f} MB  {'ok' if peak < 20 else 'HIGH'} (<20 MB)")


if __name__ == "__main__":
    main()
