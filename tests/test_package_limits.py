"""Limits on what a package may cost: each refused before frictionless reads
the data, with a message naming the limit, its setting and the value found,
in memory that stays bounded however large the file."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from portal.config import PROJECT_ROOT
from tests.conftest import make_app, migrated
from tests.helpers import copy_datasets, read_descriptor, snapshot, write_descriptor
from tests.synthetic import write_package

MB = 1024 * 1024
# Runs a command and prints the peak memory (kB) of its process tree last.
MEASURE = ("import resource, subprocess, sys\n"
           "code = subprocess.run(sys.argv[1:]).returncode\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)\n"
           "sys.exit(code)\n")


def validate_in_a_process(app, folder) -> tuple[int, str, float]:
    """``flask portal validate`` in a process of its own: exit code, output
    and peak memory in MB."""
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test",
           "INSTANCE_PATH": app.config["INSTANCE_PATH"]}
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "flask", "--app", "portal",
                           "portal", "validate", str(folder)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    *output, peak = done.stdout.rstrip().splitlines()
    return done.returncode, "\n".join(output + [done.stderr]), int(peak) / 1024


def long_line(folder):
    with open(folder / "table.csv", "a", encoding="utf-8") as handle:
        handle.write("R9,")
        for _ in range(50):
            handle.write("x" * MB)
        handle.write(",5,1.5,2018-01-01,true,x\n")
    return ("table.csv, row 5: line 5 is 52,428,828 bytes; the limit is 1,048,576 bytes "
            "(PACKAGE_MAX_LINE_BYTES)")


def wide_header(folder):
    csv = folder / "table.csv"
    header, rest = csv.read_text(encoding="utf-8").split("\n", 1)
    csv.write_text(header + "".join(f",c{i}" for i in range(100_000 - 7)) + "\n" + rest, encoding="utf-8")
    return "table.csv, row 1: row 1 has 100,000 columns; the limit is 1,000 columns (PACKAGE_MAX_FIELDS)"


def deep_descriptor(folder):
    (folder / "datapackage.json").write_text('{"name": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return ("datapackage.json: the descriptor nests 200,001 levels deep; the limit is 64 levels deep "
            "(PACKAGE_MAX_DESCRIPTOR_DEPTH)")


@pytest.mark.parametrize("make", [long_line, wide_header, deep_descriptor])
def test_hostile_packages_are_refused_in_bounded_memory(app, tmp_path, make):
    folder = write_package(tmp_path / "p", "hostile", 3)
    message = make(folder)
    code, output, peak = validate_in_a_process(app, folder)
    assert code == 1, output
    assert message in output
    assert "Traceback" not in output and "RecursionError" not in output
    assert peak < 300, f"{peak:.0f} MB"


def test_errors_in_long_rows_do_not_keep_those_rows_in_memory(app, tmp_path):
    """Frictionless keeps up to a thousand errors; each would keep its row's
    cells, as long as the line limit, alive."""
    folder = write_package(tmp_path / "p", "errors", 100)
    with open(folder / "table.csv", "a", encoding="utf-8") as handle:
        for n in range(500):
            handle.write(f"E{n},Powys,many,1.5,2018-01-01,true,{'y' * 500_000}\n")
    code, output, peak = validate_in_a_process(app, folder)
    assert code == 1 and "table.csv, row 601, field amount: Type Error" in output, output[-2000:]
    assert peak < 300, f"{peak:.0f} MB"


# -- each limit, configured -----------------------------------------------------------------

@pytest.fixture
def limited(backend, new_database, tmp_path):
    """A CLI runner of a portal with the given limits."""
    def make(**limits):
        app = make_app(migrated(new_database(backend)), tmp_path / "instance", **limits)
        return app.test_cli_runner(), app
    return make


def refused(runner, app, folder, *expected: str) -> None:
    """validate and load refuse, naming each of ``expected``; nothing is published."""
    with app.app_context():
        from portal.extensions import session
        before = snapshot(session())
    for command in ("validate", "load"):
        result = runner.invoke(args=["portal", command, str(folder)])
        assert result.exit_code == 1, result.output
        for text in expected:
            assert text in result.output, f"{text!r} missing from {command} output:\n{result.output}"
    with app.app_context():
        from portal.extensions import session
        assert snapshot(session()) == before


@pytest.mark.parametrize("setting, value, expected", [
    ("PACKAGE_MAX_FILE_BYTES", 1000,
     "councils.csv: the file is 1,032 bytes; the limit is 1,000 bytes (PACKAGE_MAX_FILE_BYTES)"),
    ("PACKAGE_MAX_LINE_BYTES", 40,
     "councils.csv, row 2: line 2 is 54 bytes; the limit is 40 bytes (PACKAGE_MAX_LINE_BYTES)"),
    ("PACKAGE_MAX_FIELDS", 3,
     "resource councils.schema.fields: the schema has 4 fields; the limit is 3 fields (PACKAGE_MAX_FIELDS)"),
    ("PACKAGE_MAX_DESCRIPTOR_BYTES", 5000,
     "datapackage.json: the descriptor is 7,487 bytes; the limit is 5,000 bytes "
     "(PACKAGE_MAX_DESCRIPTOR_BYTES)"),
    ("PACKAGE_MAX_DESCRIPTOR_DEPTH", 4,
     "datapackage.json: the descriptor nests 8 levels deep; the limit is 4 levels deep "
     "(PACKAGE_MAX_DESCRIPTOR_DEPTH)"),
])
def test_each_limit_is_a_setting(limited, tmp_path, setting, value, expected):
    runner, app = limited(**{setting: value})
    folder = copy_datasets(tmp_path) / "councils"
    refused(runner, app, folder, expected)


def test_a_row_with_more_cells_than_the_limit(limited, tmp_path):
    runner, app = limited(PACKAGE_MAX_FIELDS=10)
    row = ["R1", "Powys", "5", "1.5", "2018-01-01", "true", "x"]
    folder = write_package(tmp_path / "p", "cells", 0, data=[row, row + ["extra"] * 20])
    refused(runner, app, folder, "table.csv, row 3: row 3 has 27 columns; the limit is 10 columns")


def test_a_quoted_cell_left_open_is_a_row_beyond_the_line_limit(limited, tmp_path):
    """A cell may hold line breaks inside quotes: the limit is on the row,
    however many lines it runs over."""
    runner, app = limited(PACKAGE_MAX_LINE_BYTES=1000)
    folder = write_package(tmp_path / "p", "quote", 3)
    with open(folder / "table.csv", "a", encoding="utf-8") as handle:
        handle.write('R9,"Powys,5,1.5,2018-01-01,true,x\n')
        handle.writelines(f"R{n},Powys,5,1.5,2018-01-01,true,x\n" for n in range(100))
    refused(runner, app, folder, "table.csv, row 5: the row that starts at line 5 (a quoted cell left open?) "
            "runs to line 34 and is at least 1,010 bytes; the limit is 1,000 bytes (PACKAGE_MAX_LINE_BYTES)")


def test_lines_end_as_universal_newlines_end_them(limited, tmp_path):
    """A file whose lines end with "\\r" alone is many short lines, not one."""
    runner, app = limited(PACKAGE_MAX_LINE_BYTES=100)
    folder = copy_datasets(tmp_path) / "councils"
    csv = folder / "councils.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\n", b"\r"))
    result = runner.invoke(args=["portal", "validate", str(folder)])
    assert result.exit_code == 0, result.output


def test_brackets_inside_strings_are_not_depth(runner, tmp_path):
    folder = copy_datasets(tmp_path) / "councils"
    descriptor = read_descriptor(folder)
    descriptor["description"] += " " + "[{" * 100
    write_descriptor(folder, descriptor)
    result = runner.invoke(args=["portal", "validate", str(folder)])
    assert result.exit_code == 0, result.output
