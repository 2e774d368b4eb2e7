"""The benchmark runs end to end on tiny data: every scenario gives a figure,
and the portal and Datasette answer the filtered, sorted query with the same
rows in the same order."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = set("abcdefg")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (`make test` and `make bench` install Debian's wrk with apt-get)")
    output = tmp_path_factory.mktemp("bench") / "results.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--database", "sqlite",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, f"bench.py failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
    return json.loads(output.read_text())


def test_every_scenario_gives_a_figure(results):
    rows = results["scenarios"]
    assert {row["scenario"] for row in rows} == SCENARIOS
    for row in rows:
        value = row["portal"]
        assert isinstance(value, (int, float)) and math.isfinite(value), row
        assert row["target"], row
        if row["datasette"] is not None:
            assert math.isfinite(row["datasette"]), row


def test_portal_and_datasette_return_the_same_rows(results):
    comparison = results["comparison"]["sqlite"]
    assert set(comparison) == {"benchmark-rows", "benchmark-rows-mid"}
    for name, found in comparison.items():
        assert found["same_rows"], (name, found)
        assert found["same_total"], (name, found)
        assert found["first_codes"]["portal"], (name, found)


def test_robustness_leaves_the_portal_answering(results):
    (after,) = [row for row in results["scenarios"] if row["label"].strip().startswith("afterwards")]
    assert after["met"], after
