"""What a package may cost to check, enforced before frictionless reads it.

Frictionless holds each CSV row whole in memory (and, to sniff the dialect,
the first hundred lines), makes an error object per surplus cell, each with
a list of the row's cells, and Python's JSON parser recurses once per level of
nesting. So, first and cheaply:

- a descriptor's size is checked before it is read, and its depth, by
  counting brackets outside strings, before it is parsed;
- a resource file's size is checked before it is opened; then one streaming
  pass, a chunk at a time in memory bounded by the line limit, takes its
  sha256 and checks that it is UTF-8, that no line, and no row (a quoted cell
  may run over several lines), is longer than the line limit, that no row has
  more cells than the field limit, and that no cell holds a NUL character.

Each refusal names the limit, its setting and the value found.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO

from portal.config import PACKAGE_LIMITS

CHUNK = 1024 * 1024
# The setting of each limit, as operators know it (see portal.config).
SETTINGS = {"file_bytes": "PACKAGE_MAX_FILE_BYTES", "line_bytes": "PACKAGE_MAX_LINE_BYTES",
            "fields": "PACKAGE_MAX_FIELDS", "descriptor_bytes": "PACKAGE_MAX_DESCRIPTOR_BYTES",
            "descriptor_depth": "PACKAGE_MAX_DESCRIPTOR_DEPTH"}


@dataclass(frozen=True)
class Limits:
    file_bytes: int = PACKAGE_LIMITS["PACKAGE_MAX_FILE_BYTES"]
    line_bytes: int = PACKAGE_LIMITS["PACKAGE_MAX_LINE_BYTES"]
    fields: int = PACKAGE_LIMITS["PACKAGE_MAX_FIELDS"]
    descriptor_bytes: int = PACKAGE_LIMITS["PACKAGE_MAX_DESCRIPTOR_BYTES"]
    descriptor_depth: int = PACKAGE_LIMITS["PACKAGE_MAX_DESCRIPTOR_DEPTH"]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        return cls(**{f.name: settings[SETTINGS[f.name]] for f in fields(cls)
                      if SETTINGS[f.name] in settings})

    def exceeded(self, name: str, what: str, value: int, unit: str = "") -> str:
        """``what`` is ``value``, beyond the limit ``name``: the message of a refusal."""
        unit = f" {unit}" if unit else ""
        return f"{what} {value:,}{unit}; the limit is {getattr(self, name):,}{unit} ({SETTINGS[name]})"


class Refused(Exception):
    """A file beyond a limit, or not readable: where, and why."""

    def __init__(self, message: str, row: int | None = None, field: str | None = None,
                 code: str = "limit-exceeded"):
        super().__init__(message)
        self.message, self.row, self.field, self.code = message, row, field, code


# -- the descriptor ---------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# "[" and "{" to 1, "]" and "}" to -1, as signed bytes
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(raw: bytes) -> int:
    """How deep the JSON text ``raw`` nests: its brackets outside strings
    counted, without parsing it (Python's parser recurses once a level)."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(array("b", brackets.translate(_DEPTH_STEPS))), default=0)


# -- resource files -------------------------------------------------------------------------

@dataclass(frozen=True)
class FileScan:
    sha256: str
    size: int
    lines: int  # lines in the file: the header and about one a row


def csv_options(resource: dict) -> dict[str, Any]:
    """The options of Python's csv reader for the resource's dialect, as far
    as it declares one (frictionless sniffs the rest; only the limits depend
    on these)."""
    dialect = resource.get("dialect") if isinstance(resource.get("dialect"), dict) else {}
    options: dict[str, Any] = {"delimiter": "\t" if resource.get("format") == "tsv" else ","}
    for key, option in (("delimiter", "delimiter"), ("quoteChar", "quotechar"), ("escapeChar", "escapechar")):
        value = dialect.get(key)
        if isinstance(value, str) and len(value) == 1:
            options[option] = value
    if dialect.get("quoteChar") == "":
        options["quoting"] = csv.QUOTE_NONE
    if dialect.get("skipInitialSpace") is True:
        options["skipinitialspace"] = True
    if "escapechar" in options and dialect.get("doubleQuote") is False:
        options["doublequote"] = False
    try:
        csv.reader([], **options)
    except (TypeError, ValueError):  # a dialect frictionless will refuse itself
        return {}
    return options


def scan_file(file: Path, limits: Limits, field_names: list[str], options: dict[str, Any]) -> FileScan:
    """Check the file against ``limits`` in one streaming pass; raise
    :class:`Refused` at the first problem."""
    size = file.stat().st_size
    if size > limits.file_bytes:
        raise Refused(limits.exceeded("file_bytes", "the file is", size, "bytes"), code="file-too-large")
    if csv.field_size_limit() < limits.line_bytes:  # a cell may be as long as a line
        csv.field_size_limit(limits.line_bytes)  # (frictionless raises it to 2 GB when it reads a CSV)
    with open(file, "rb") as handle:
        lines = _Lines(handle, limits)
        try:
            for row, cells in enumerate(csv.reader(lines, **options), start=1):
                lines.row_ended()
                if len(cells) > limits.fields:
                    raise Refused(limits.exceeded("fields", f"row {row} has", len(cells), "columns"), row=row,
                                  code="too-many-columns")
                if lines.nul:
                    _check_nul(row, cells, field_names)
        except csv.Error as exc:
            raise Refused(f"not readable as CSV at line {lines.line}: {exc}", row=lines.line,
                          code="source-error") from None
    return FileScan(lines.digest.hexdigest(), lines.size, lines.line)


def _check_nul(row: int, cells: list[str], field_names: list[str]) -> None:
    for index, cell in enumerate(cells):
        if "\x00" in cell:
            raise Refused("the cell holds a NUL character, which the database cannot store", row=row,
                          field=field_names[index] if index < len(field_names) else f"column {index + 1}",
                          code="nul-character")


class _Lines:
    """The lines of a file as text, split as Python's universal newlines split
    them (as frictionless reads them), each checked on the way; the sha256 and
    size of every byte read. Memory holds one chunk and one line at most."""

    def __init__(self, handle: BinaryIO, limits: Limits):
        self.handle, self.limits = handle, limits
        self.digest = hashlib.sha256()
        self.size = 0
        self.line = 0  # lines read so far
        self.row_bytes = 0  # of the row being read, which may run over several lines
        self.row_start = 1  # the line it starts on
        self.nul = False  # a NUL byte seen

    def row_ended(self) -> None:
        self.row_bytes, self.row_start = 0, self.line + 1

    def __iter__(self) -> Iterator[str]:
        pending = b""
        while True:
            chunk = self._read()
            if chunk:
                buffer = pending + chunk
                cut = _after_last_line_break(buffer)
                piece, pending = buffer[:cut], buffer[cut:]
                if len(pending) > self.limits.line_bytes:
                    raise self._long_line(len(pending))
            else:
                piece, pending = pending, b""
            self.nul = self.nul or b"\x00" in piece
            for raw in piece.splitlines(keepends=True):
                self.line += 1
                self.row_bytes += len(raw)
                if self.row_bytes > self.limits.line_bytes:
                    raise self._long_row(len(raw))
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise Refused(encoding_message(raw, exc, self.line), row=self.line,
                                  code="encoding-error") from None
                yield text
            if not chunk:
                return

    def _read(self) -> bytes:
        chunk = self.handle.read(CHUNK)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def _long_line(self, length: int) -> Refused:
        """The line begun with ``length`` bytes, read to its end for its length."""
        while chunk := self._read():
            ends = [at for at in (chunk.find(b"\n"), chunk.find(b"\r")) if at >= 0]
            if ends:
                length += min(ends) + 1  # with its line break, as every line is counted
                break
            length += len(chunk)
        line = self.line + 1
        return Refused(self.limits.exceeded("line_bytes", f"line {line} is", length, "bytes"),
                       row=line, code="line-too-long")

    def _long_row(self, length: int) -> Refused:
        if self.row_start == self.line:
            return Refused(self.limits.exceeded("line_bytes", f"line {self.line} is", length, "bytes"),
                           row=self.line, code="line-too-long")
        return Refused(self.limits.exceeded(
            "line_bytes", f"the row that starts at line {self.row_start} (a quoted cell left open?) "
            f"runs to line {self.line} and is at least", self.row_bytes, "bytes"),
            row=self.row_start, code="line-too-long")


def _after_last_line_break(buffer: bytes) -> int:
    """Where the last whole line of ``buffer`` ends (a final "\\r" may be half of "\\r\\n")."""
    end = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
    return max(buffer.rfind(b"\n", 0, end), buffer.rfind(b"\r", 0, end)) + 1


def encoding_message(raw: bytes, exc: UnicodeDecodeError, line: int | None = None) -> str:
    byte = raw[exc.start:exc.start + 1].hex().upper()
    line = line if line is not None else line_of(raw, exc.start)
    return (f"not valid UTF-8 (byte 0x{byte} at line {line}); "
            "save the file with UTF-8 encoding")


def line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
