"""Long commands show a progress bar on a terminal, and plain lines
otherwise (a log or a pipe gets no control characters)."""
from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.conftest import migrated
from tests.synthetic import write_package

NAME = "progress-test"


def _environment(url, tmp_path):
    return {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test",
            "COLUMNS": "120"}


def _load(args, env, terminal: bool) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "flask", "--app", "portal", "portal", *args]
    if not terminal:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read().decode()
    process.wait(timeout=600)
    os.close(leader)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


def test_load_shows_a_bar_on_a_terminal_and_lines_otherwise(tmp_path, new_database):
    url = migrated(new_database("sqlite"))
    env = _environment(url, tmp_path)
    package = write_package(tmp_path / NAME, NAME, 6_000)

    code, stdout, stderr = _load(["load", str(package)], env, terminal=False)
    assert code == 0, stderr
    assert f"{NAME}: published version 1" in stdout
    lines = stderr.splitlines()
    assert f"{NAME}/table: rows: 5,000/6,000 (80%)" in lines
    assert f"{NAME}/table: rows: 6,000/6,000 (100%)" in lines
    assert f"{NAME}: {NAME}.zip…" in lines
    assert "\r" not in stderr and "\x1b" not in stderr

    write_package(package, NAME, 6_000, seed=5)
    code, stdout, stderr = _load(["load", str(package)], env, terminal=True)
    assert code == 0, stderr
    assert f"{NAME}: published version 2" in stdout
    assert "\r" in stderr  # redrawn in place
    assert f"{NAME}/table: rows" in stderr and "6000/6000" in stderr and "100%" in stderr and "#" in stderr
