"""Check that the pinned requirements files are installed together without
conflicts: every pin is installed at its version, and every requirement of a
pinned package is met. Like `pip check`, but only for the project's own pins,
so that unrelated packages in the same virtualenv do not fail the build.

    .venv/bin/python benchmarks/check_pins.py requirements.txt requirements-dev.txt requirements-bench.txt
"""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def pins(files: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in files:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            match = PIN.match(line.strip())
            if match:
                found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def problems(pinned: dict[str, str]) -> list[str]:
    found = []
    for name, version in sorted(pinned.items()):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            found.append(f"{name}=={version} is not installed")
            continue
        if dist.version != version:
            found.append(f"{name} is {dist.version}, pinned {version}")
        for text in dist.requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue  # an extra, or another platform
            try:
                installed = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                found.append(f"{name} {dist.version} requires {requirement}, which is not installed")
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                found.append(f"{name} {dist.version} requires {requirement}, but {installed} is installed")
    return found


def main(files: list[str]) -> int:
    pinned = pins(files)
    found = problems(pinned)
    for problem in found:
        print(f"conflict: {problem}", file=sys.stderr)
    if not found:
        print(f"{len(pinned)} pinned packages installed together without conflicts.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
