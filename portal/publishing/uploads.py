"""Uploaded files, unpacked safely before anything reads them.

A package arrives as a zip. Before a byte is written: no more than
``max_members`` members, none whose path is absolute, climbs out with
``..``, or is a link (or a device); the sizes the zip declares within
``max_bytes`` in total. While writing, the bytes actually inflated are
counted, so a zip that lies about its sizes (a zip bomb) is stopped at the
limit too. The package is then read from the unpacked folder by
:func:`portal.packages.read_package`, which refuses remote URLs and paths
outside the folder itself.
"""
from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from portal.packages.reader import DESCRIPTOR

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 8 * 1024 ** 3      # uncompressed, in total
    max_members: int = 1000


class UploadError(ValueError):
    """An upload refused before it was read: the message says why."""

    def __init__(self, message: str, code: str = "bad-upload"):
        super().__init__(message)
        self.message, self.code = message, code


def save(stream: BinaryIO, target: Path, max_bytes: int) -> int:
    """Copy an uploaded file to ``target``, at most ``max_bytes`` of it."""
    written = 0
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise UploadError(f"The file is larger than the limit of {max_bytes:,} bytes.", "too-large")
            out.write(chunk)
    return written


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's path inside the folder, or None for a directory entry;
    refused when it could land anywhere else."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in path.parts or "\x00" in name:
        raise UploadError(f"The zip member {info.filename!r} has a path outside the package; "
                          "members must be relative paths inside it.", "unsafe-path")
    mode = info.external_attr >> 16
    if mode and (stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
        raise UploadError(f"The zip member {info.filename!r} is a link or a special file; "
                          "only plain files are accepted.", "unsafe-member")
    if info.is_dir():
        return None
    return path


def unpack(archive: Path, folder: Path, limits: UploadLimits = UploadLimits()) -> Path:
    """Unpack the zip ``archive`` into ``folder``; return the folder holding
    its ``datapackage.json`` (at the top, or in one folder at the top)."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"The file is not a zip archive ({exc}).", "not-a-zip") from None
    with zf:
        members = zf.infolist()
        if len(members) > limits.max_members:
            raise UploadError(f"The zip has {len(members):,} members; the limit is {limits.max_members:,}.",
                              "too-many-members")
        declared = sum(info.file_size for info in members)
        if declared > limits.max_bytes:
            raise UploadError(f"The zip would unpack to {declared:,} bytes; the limit is {limits.max_bytes:,}.",
                              "too-large-unpacked")
        paths = [(info, _member_path(info)) for info in members]
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for info, path in paths:
            if path is None:
                continue
            target = folder.joinpath(*path.parts)
            if not target.resolve().is_relative_to(folder.resolve()):
                raise UploadError(f"The zip member {info.filename!r} has a path outside the package.",
                                  "unsafe-path")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as source, open(target, "xb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        if written > limits.max_bytes:
                            raise UploadError(f"The zip unpacks to more than the limit of {limits.max_bytes:,} "
                                              "bytes.", "too-large-unpacked")
                        out.write(chunk)
            except FileExistsError:
                raise UploadError(f"The zip has the member {info.filename!r} twice.", "duplicate-member") from None
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
                if isinstance(exc, UploadError):
                    raise
                raise UploadError(f"The zip member {info.filename!r} cannot be read ({exc}).",
                                  "bad-member") from None
    return package_root(folder)


def package_root(folder: Path) -> Path:
    if (folder / DESCRIPTOR).is_file():
        return folder
    found = [p.parent for p in folder.glob(f"*/{DESCRIPTOR}")]
    if len(found) == 1:
        return found[0]
    raise UploadError(f"The zip has no {DESCRIPTOR} at its top level (or in one folder at the top).",
                      "no-descriptor")


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
