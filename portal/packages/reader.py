"""Read a Frictionless Data Package from a folder, check it and type its rows.

Checks, in order, each reported with its file, row and field:

1. the descriptor exists, is within the size and depth limits (see
   :mod:`portal.packages.limits`), is UTF-8 JSON and an object, and holds no
   string the database cannot store;
2. the portal's metadata rules: bilingual titles and descriptions (see
   ``datasets/README.md``), a licence, sources, safe resource paths that stay
   inside the package folder, inline Table Schemas the row store can hold;
3. every resource file is within the limits, UTF-8, and holds no NUL character;
4. frictionless validation (types, constraints, labels, primary and foreign keys,
   byte counts and hashes), and that every value is one the row store can hold,
   as the load will read it;
5. references to other packages (``externalReference`` on a field), resolved
   through the caller's resolver, since frictionless checks foreign keys only
   inside one package.
"""
from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import attrs
from frictionless import Check, Checklist, FrictionlessException, Package, errors

from portal import rowstore
from portal.packages.limits import (Limits, Refused, csv_options, encoding_message, json_depth, line_of,
                                    scan_file)
from portal.packages.problems import ValidationReport
from portal.vocabulary import THEMES

DESCRIPTOR = "datapackage.json"
LANGUAGES = ("en", "cy")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELD_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# What a table of the row store can hold: PostgreSQL's identifiers are at most
# 63 bytes (the number of columns is a limit, PACKAGE_MAX_FIELDS).
MAX_FIELD_NAME = 63

# A package whose files hold at least this many bytes has its rows checked by
# frictionless in the background while the load goes on (see Background).
BACKGROUND_FROM_BYTES = 8_000_000

# (package, resource, field) -> the set of values published there, or None
# when no such package is known.
Resolver = Callable[[str, str, str], "set[str] | None"]


@dataclass
class ResourceContent:
    """A valid resource: its descriptor and file, read again (streamed) for
    its typed rows whenever they are needed, so no package is ever held in
    memory whole."""

    name: str
    position: int
    descriptor: dict[str, Any]
    path: Path
    sha256: str
    byte_size: int
    lines: int = 0  # lines in the file: the header and about one a row
    package_descriptor: dict[str, Any] = field(repr=False, default_factory=dict)
    base: Path | None = None

    def rows(self) -> Iterator[dict[str, Any]]:
        """The typed rows, in file order (see :func:`_typed_rows`). The file
        has been validated by frictionless, so a schema that uses only the
        Table Schema's defaults is read again with plain converters, many
        times faster; any other is read by frictionless."""
        if plain_schema(self.descriptor):
            yield from _plain_rows(self.path, self.descriptor["schema"])
            return
        package = Package(copy.deepcopy(self.package_descriptor), basepath=str(self.base))
        yield from _typed_rows(package.get_resource(self.name))


@dataclass
class PackageContent:
    name: str
    descriptor: dict[str, Any]
    resources: list[ResourceContent]
    # frictionless's check of the rows, when it runs in the background (see
    # :class:`Background`): the package is valid only once :meth:`settle` says so
    pending: Future | None = field(default=None, repr=False, compare=False)
    base: Path | None = field(default=None, repr=False, compare=False)

    def settle(self, report: ValidationReport) -> bool:
        """Wait for the background check, if any, and add what it found to
        ``report``; true when the package is valid."""
        if self.pending is not None:
            future, self.pending = self.pending, None
            try:
                problems = future.result()
            except (BrokenExecutor, OSError):  # its process died: check here instead
                problems = frictionless_problems(self.descriptor, self.base)
            _add_problems(report, problems)
            if not report.valid:
                report.checked = []
        return report.valid

    @property
    def content_hash(self) -> str:
        """A digest of everything published: descriptor and every file's bytes."""
        digest = hashlib.sha256()
        digest.update(json.dumps(self.descriptor, sort_keys=True, ensure_ascii=False).encode())
        for resource in self.resources:
            digest.update(f"\0{resource.name}\0{resource.sha256}".encode())
        return digest.hexdigest()

    def references(self) -> set[str]:
        """Names of the other packages this one refers to."""
        return {ref["package"] for _, _, ref in external_references(self.descriptor)}


def external_references(descriptor: dict) -> list[tuple[dict, dict, dict]]:
    found = []
    for resource in _list(descriptor.get("resources")):
        if not isinstance(resource, dict) or not isinstance(resource.get("schema"), dict):
            continue
        for fld in _list(resource["schema"].get("fields")):
            if isinstance(fld, dict) and isinstance(fld.get("externalReference"), dict):
                found.append((resource, fld, fld["externalReference"]))
    return found


def descriptor_path(path: str | Path) -> Path:
    path = Path(path)
    return path / DESCRIPTOR if path.is_dir() else path


class Background:
    """Where frictionless checks the rows of large packages while the load
    goes on: a process of its own (the check is pure Python, and the load
    has a second core to use). A package whose files hold fewer than
    ``from_bytes`` is checked at once, as starting a process costs more."""

    def __init__(self, executor: Executor, from_bytes: int = BACKGROUND_FROM_BYTES):
        self.executor = executor
        self.from_bytes = from_bytes

    @classmethod
    def process(cls, from_bytes: int = BACKGROUND_FROM_BYTES) -> Background:
        # spawned, not forked: the loading process holds database connections
        return cls(ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")),
                   from_bytes)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def read_package(path: str | Path, resolver: Resolver | None = None, limits: Limits = Limits(),
                 background: Background | None = None) -> tuple[PackageContent | None, ValidationReport]:
    """Return the package's content and a report; content is None unless valid.

    With ``background``, frictionless's check of a large package's rows runs
    there, and the content comes back before it ends: its
    :meth:`PackageContent.settle` waits for the check, and only then is the
    package known to be valid. Until then its rows may not even be readable."""
    descriptor_file = descriptor_path(path)
    report = ValidationReport(source=str(descriptor_file))
    descriptor = read_descriptor(descriptor_file, report, limits)
    if descriptor is None:
        return None, report
    base = descriptor_file.parent.resolve()
    _check_metadata(descriptor, report, limits)
    files = _read_resource_files(descriptor, base, report, limits)
    if not report.valid:
        return None, report
    pending = None
    if background is not None and sum(f[2] for f in files.values()) >= background.from_bytes:
        pending = background.executor.submit(frictionless_problems, descriptor, base)
    else:
        _frictionless_validate(descriptor, base, report)
    if not report.valid:
        return None, report
    resources = [
        ResourceContent(name=res["name"], position=i, descriptor=res, path=files[res["name"]][0],
                        sha256=files[res["name"]][1], byte_size=files[res["name"]][2],
                        lines=files[res["name"]][3],
                        package_descriptor=descriptor, base=base)
        for i, res in enumerate(descriptor["resources"])
    ]
    content = PackageContent(descriptor["name"], descriptor, resources, pending=pending, base=base)
    try:
        check_external_references(descriptor, {r.name: r.rows for r in resources}, resolver, report)
    except (ValueError, TypeError):  # rows not yet checked, which frictionless will explain
        if content.settle(report):
            raise
    if not report.valid:
        content.settle(report)
        return None, report
    report.checked = [res.name for res in resources]
    return content, report


# -- 1. the descriptor --------------------------------------------------------

def read_descriptor(file: Path, report: ValidationReport, limits: Limits = Limits()) -> dict | None:
    """The descriptor in ``file``, or None with the problems in ``report``."""
    name = file.name
    if not file.is_file():
        report.add(name, f"no {DESCRIPTOR} found at {file}", code="missing-descriptor")
        return None
    with open(file, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        raw = handle.read(limits.descriptor_bytes + 1) if size <= limits.descriptor_bytes else b""
    size = max(size, len(raw))  # (it may have grown since)
    if size > limits.descriptor_bytes:
        report.add(name, limits.exceeded("descriptor_bytes", "the descriptor is", size, "bytes"),
                   code="too-large")
        return None
    depth = json_depth(raw)
    if depth > limits.descriptor_depth:
        report.add(name, limits.exceeded("descriptor_depth", "the descriptor nests", depth, "levels deep"),
                   code="too-deep")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(name, encoding_message(raw, exc), row=line_of(raw, exc.start),
                   code="encoding-error")
        return None
    try:
        descriptor = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        report.add(name, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                   code="malformed-descriptor")
        return None
    except ValueError as exc:
        report.add(name, f"malformed JSON: {exc}", code="malformed-descriptor")
        return None
    if not isinstance(descriptor, dict):
        report.add(name, "the descriptor must be a JSON object", code="malformed-descriptor")
        return None
    for where, reason in _unstorable_strings(descriptor):
        report.add(name, f"{where}: {reason}", code="unstorable-text")
    return descriptor if report.valid else None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable_strings(descriptor: dict) -> Iterator[tuple[str, str]]:
    """Where the descriptor holds a string (key or value) that the database
    cannot store: a NUL character, or a lone surrogate (not UTF-8). Walked
    without recursion (the depth is limited anyway)."""
    stack: list[tuple[str, Any]] = [("", descriptor)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                stack.append((f"{where}.{key}" if where else key, child))
                stack.append((f"{where} (a key)", key))
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(value))
        elif isinstance(value, str):
            if "\x00" in value:
                yield where, "holds a NUL character, which the database cannot store"
            elif not _encodable(value):
                yield where, "holds a lone surrogate (\\ud800 to \\udfff), which is not UTF-8"


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- 2. the portal's metadata rules ------------------------------------------

GSS_CODE = re.compile(r"^[EKNSW][0-9]{8}$")


def _check_coverage(d: dict, problem: Callable[[str, str], None]) -> None:
    """``temporal`` (the period covered) and ``spatial`` (the places, by GSS
    code, named in both languages), where a package gives them."""
    if "temporal" in d:
        temporal = d["temporal"]
        try:
            start, end = (dt.date.fromisoformat(temporal[key]) for key in ("start", "end"))
            if start > end:
                raise ValueError
        except (TypeError, KeyError, ValueError):
            problem("temporal", 'must be {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}, start not after end')
    if "spatial" in d:
        spatial = d["spatial"]
        if not isinstance(spatial, list) or not spatial or not all(
                isinstance(place, dict) and isinstance(place.get("code"), str)
                and GSS_CODE.match(place["code"]) and isinstance(place.get("title"), str)
                and isinstance(_translation(place).get("title"), str)
                and _numbers(place.get("bbox", [0, 0, 0, 0]), 4) and _numbers(place.get("centroid", [0, 0]), 2)
                for place in spatial):
            problem("spatial", "must be a list of places, each with a GSS code, a title and "
                    "translations.cy.title (and optionally bbox: 4 numbers, centroid: 2 numbers)")


def _numbers(value: Any, count: int) -> bool:
    return (isinstance(value, list) and len(value) == count
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))


def _check_metadata(d: dict, report: ValidationReport, limits: Limits) -> None:
    def problem(where: str, message: str, fld: str | None = None) -> None:
        report.add(DESCRIPTOR, f"{where}: {message}", field=fld, code="metadata-error")

    name = d.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problem("name", "must be lower-case letters, digits and single hyphens")
    languages = d.get("languages")
    if not isinstance(languages, list) or any(lang not in _list(languages) for lang in LANGUAGES):
        problem("languages", 'must list "en" and "cy"')
    _check_bilingual(d, "package", ("title", "description"), problem)
    keywords = d.get("keywords")
    if keywords is not None:
        welsh = _translation(d).get("keywords")
        if not _strings(keywords) or not _strings(welsh) or len(keywords) != len(welsh):
            problem("keywords", "must be a list of strings with a Welsh list of the same length "
                    "in translations.cy.keywords")
    if "demonstration" in d and not isinstance(d["demonstration"], bool):
        problem("demonstration", "must be true or false")
    if "themes" in d and (not isinstance(d["themes"], list) or not d["themes"]
                          or any(theme not in THEMES for theme in d["themes"])):
        problem("themes", f"must be a list of one or more of: {', '.join(THEMES)}")
    licenses = d.get("licenses")
    if not isinstance(licenses, list) or not licenses or not all(
            isinstance(lic, dict) and lic.get("name") and lic.get("path") and lic.get("title")
            for lic in licenses):
        problem("licenses", "at least one licence with name, path and title is required")
    _check_coverage(d, problem)
    sources = d.get("sources")
    if not isinstance(sources, list) or not sources or not all(
            isinstance(src, dict) and isinstance(src.get("title"), str) for src in sources):
        problem("sources", "at least one source with a title is required")
    resources = d.get("resources")
    if not isinstance(resources, list) or not resources:
        problem("resources", "at least one resource is required")
        return
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        if not isinstance(resource, dict):
            problem(where, "must be an object")
            continue
        rname = resource.get("name")
        if not isinstance(rname, str) or not NAME_PATTERN.match(rname):
            problem(f"{where}.name", "must be lower-case letters, digits and single hyphens")
        elif rname == "datapackage":
            problem(f"{where}.name", '"datapackage" is reserved for the package descriptor')
        elif rname in seen:
            problem(f"{where}.name", f'"{rname}" is used twice')
        else:
            seen.add(rname)
            where = f"resource {rname}"
        _check_bilingual(resource, where, ("title", "description"), problem)
        _check_resource_path(resource, where, problem)
        encoding = resource.get("encoding", "utf-8")
        if not isinstance(encoding, str) or encoding.lower().replace("_", "-") != "utf-8":
            problem(f"{where}.encoding", f"must be utf-8, not {encoding!r}")
        if "data" in resource:
            problem(where, "inline data is not accepted; give a CSV file in path")
        schema = resource.get("schema")
        if not isinstance(schema, dict):
            problem(f"{where}.schema", "an inline Table Schema (an object) is required")
            continue
        if "dialect" in resource and not isinstance(resource["dialect"], dict):
            problem(f"{where}.dialect", "must be inline (an object)")
        fields = schema.get("fields")
        if not isinstance(fields, list) or not fields:
            problem(f"{where}.schema.fields", "at least one field is required")
            continue
        if len(fields) > limits.fields:
            problem(f"{where}.schema.fields",
                    limits.exceeded("fields", "the schema has", len(fields), "fields"))
        elif all(isinstance(fld, dict) for fld in fields):
            _check_row_width(fields, f"{where}.schema.fields", problem)
        for position, fld in enumerate(fields):
            if not isinstance(fld, dict):
                problem(f"{where}.schema.fields[{position}]", "must be an object")
                continue
            fname = fld.get("name")
            if not isinstance(fname, str) or not FIELD_NAME_PATTERN.match(fname):
                problem(f"{where}.schema.fields[{position}].name",
                        "must be snake_case (lower-case letters, digits, underscores)")
                continue
            if len(fname) > MAX_FIELD_NAME:
                problem(f"{where}, field {fname}", f"the name is {len(fname)} characters long: the row "
                        f"store holds names of at most {MAX_FIELD_NAME} (a column of a database table)", fname)
            _check_bilingual(fld, f"{where}, field {fname}", ("title", "description"),
                             lambda w, m: problem(w, m, fname))
            ref = fld.get("externalReference")
            if ref is not None and not (
                    isinstance(ref, dict)
                    and all(isinstance(ref.get(k), str) and ref[k] for k in ("package", "resource", "field"))):
                problem(f"{where}, field {fname}.externalReference",
                        "must name package, resource and field", fname)


def _check_row_width(fields: list[dict], where: str, problem) -> None:
    size = rowstore.full_row_bytes(rowstore.kind_of(fld.get("type")) for fld in fields)
    if size > rowstore.MAX_ROW_BYTES:
        problem(where, f"a row with every field filled takes at least {size:,} bytes in the database; "
                f"PostgreSQL holds rows of at most {rowstore.MAX_ROW_BYTES:,} (integer and number fields "
                "take 8 bytes each, dates 4): use fewer fields")


def _check_bilingual(obj: dict, where: str, keys: tuple[str, ...], problem) -> None:
    welsh = _translation(obj)
    for key in keys:
        if not _text(obj.get(key)):
            problem(f"{where}.{key}", "an English text is required")
        if not _text(welsh.get(key)):
            problem(f"{where}.translations.cy.{key}", "a Welsh text is required")


def _check_resource_path(resource: dict, where: str, problem) -> None:
    path = resource.get("path")
    if not isinstance(path, str) or not path:
        problem(f"{where}.path", "a relative path to a CSV file in the package folder is required")
        return
    pure = PurePosixPath(path)
    if ("://" in path or path.startswith(("/", "~")) or "\\" in path or ".." in pure.parts
            or re.match(r"^[A-Za-z]:", path)):
        problem(f"{where}.path", f'"{path}" escapes the package folder; '
                "only relative paths inside it are accepted")


# -- 3. resource files --------------------------------------------------------

def _read_resource_files(d: dict, base: Path, report: ValidationReport, limits: Limits
                         ) -> dict[str, tuple[Path, str, int, int]]:
    """Each resource file's path, sha256, size and lines, read in one
    streaming pass that checks it against the limits (see
    :func:`portal.packages.limits.scan_file`)."""
    files: dict[str, tuple[Path, str, int, int]] = {}
    if not report.valid:
        return files
    for resource in d["resources"]:
        path = resource["path"]
        file = (base / path).resolve()
        if not file.is_relative_to(base):
            report.add(path, "escapes the package folder (through a link)", code="unsafe-path")
            continue
        if not file.is_file():
            report.add(path, "file not found in the package folder", code="missing-file")
            continue
        names = [fld["name"] for fld in resource["schema"]["fields"]]
        try:
            scan = scan_file(file, limits, names, csv_options(resource))
        except Refused as refused:
            report.add(path, refused.message, row=refused.row, field=refused.field, code=refused.code)
            continue
        files[resource["name"]] = (file, scan.sha256, scan.size, scan.lines)
    return files


# -- 4. frictionless ------------------------------------------------------------

# (file, message, row, field, code), as ValidationReport.add takes them
Found = tuple[str, str, "int | None", "str | None", str]


def _frictionless_validate(d: dict, base: Path, report: ValidationReport) -> None:
    _add_problems(report, frictionless_problems(d, base))


def frictionless_problems(d: dict, base: Path) -> list[Found]:
    """What frictionless finds wrong with the package's rows (and anything
    else it checks), as plain tuples that can cross between processes."""
    plain = frozenset(res["name"] for res in d["resources"] if plain_schema(res))
    try:
        package = Package(copy.deepcopy(d), basepath=str(base))
        result = package.validate(SlimChecklist(checks=[StorableValues(plain=plain)]))
    except FrictionlessException as exc:
        return [(DESCRIPTOR, exc.error.message, None, None, exc.error.type)]
    found: list[Found] = [(DESCRIPTOR, error.message, None, None, error.type) for error in result.errors]
    for task in result.tasks:
        file = task.place or task.name
        found.extend((file, _friendly(error), getattr(error, "row_number", None),
                      getattr(error, "field_name", None), error.type) for error in task.errors)
    return found


def _add_problems(report: ValidationReport, problems: Iterable[Found]) -> None:
    for file, message, row, fld, code in problems:
        report.add(file, message, row=row, field=fld, code=code)


@attrs.define(kw_only=True, repr=False)
class SlimChecklist(Checklist):
    """Keeps each error without the cells of its row, and with its cell and
    message shortened: else the thousand errors frictionless keeps would keep
    as many rows, each as long as the line limit, in memory."""

    def match(self, error: errors.Error) -> bool:
        if not super().match(error):
            return False
        if isinstance(error, errors.RowError):
            error.cells = []
            error.metadata_defaults.pop("cells", None)  # a copy frictionless keeps of lists it was given
        if isinstance(error, errors.CellError):
            error.cell = _shown(error.cell)
        error.message = _shown(error.message, 1000)
        return True


class UnstorableValueError(errors.CellError):
    type = "unstorable-value"
    title = "Store Error"
    description = "The row store cannot hold this value."
    template = ('The cell "{cell}" in row at position "{rowNumber}" and field "{fieldName}" '
                'cannot be stored: {note}')


@attrs.define(kw_only=True, repr=False)
class StorableValues(Check):
    """Every value is one the row store can hold, as the load will read it:
    with the plain converters for the resources named in ``plain`` (see
    :func:`plain_schema`), else as frictionless types it. Text is checked
    for NUL characters earlier, in the file scan."""

    type = "storable-values"
    Errors = [UnstorableValueError]

    plain: frozenset[str] = frozenset()
    # (field name, its type, position, refusal of its kind of column, plain converter or None)
    checked: list[tuple[str, str, int, Callable[[Any], str | None], Callable[[str], Any] | None]] = (
        attrs.field(factory=list, init=False))
    missing: set[str] = attrs.field(factory=set, init=False)

    def validate_start(self) -> Iterable:
        schema = self.resource.schema
        plain = self.resource.name in self.plain
        self.missing = set(schema.missing_values)
        self.checked = [(fld.name, fld.type, index, rowstore.REFUSALS[kind],
                         _PLAIN_READERS[fld.type] if plain else None)
                        for index, fld in enumerate(schema.fields)
                        if (kind := rowstore.kind_of(fld.type)) in ("integer", "number")
                        or (kind == "json" and not plain)]
        return []

    def validate_row(self, row) -> Iterable:
        problems: list = []
        cells = row.cells
        for name, field_type, index, refusal, read in self.checked:
            cell = cells[index] if index < len(cells) else None
            if read is None:
                value = row[name]
                try:
                    value = _jsonable(value, field_type)
                except (ValueError, ArithmeticError):  # such as Decimal("sNaN"): refused below
                    pass
            elif cell is None or cell in self.missing:
                continue
            else:
                try:
                    value = read(cell)
                except ValueError:  # frictionless types more than the plain converter reads
                    value = cell if row[name] is not None else None
            if value is not None and (reason := refusal(value)):
                problems.append(UnstorableValueError.from_row(row, note=f"{_shown(cell)} {reason}",
                                                              field_name=name))
        return problems


def _shown(cell: Any, width: int = 40) -> str:
    text = str(cell)
    return text if len(text) <= width else text[:width - 1] + "…"


MISSING = "_missing"  # per row: which missing-value marker a cell held, where not ""


def _typed_rows(resource) -> Iterator[dict[str, Any]]:
    """Rows as JSON-ready dicts, streamed. A cell that held a non-empty missing-value
    marker (such as "[c]", suppressed) is null, and the marker is kept under
    ``_missing`` so that CSV output can write it back."""
    types = {f.name: f.type for f in resource.schema.fields}
    names = resource.schema.field_names
    markers = {marker for marker in resource.schema.missing_values if marker}
    with resource:
        for row in resource.row_stream:
            data = {key: _jsonable(value, types.get(key)) for key, value in row.to_dict().items()}
            missing = {name: cell for name, cell in zip(names, row.cells) if cell in markers}
            if missing:
                data[MISSING] = missing
            yield data


# -- the same rows, fast, for files that use only the defaults ---------------------

PLAIN_TYPES = {"string", "integer", "number", "boolean", "date"}
FIELD_OPTIONS = {"decimalChar", "groupChar", "bareNumber", "trueValues", "falseValues", "missingValues"}
TRUE_VALUES = {"true", "True", "TRUE", "1"}


def plain_schema(resource: dict) -> bool:
    """True when frictionless would read the file with the Table Schema's
    defaults: a comma-separated file with a header, and fields of the plain
    types with no format or options that change how a cell is read."""
    dialect = resource.get("dialect") or {}
    if any(key not in ("header",) for key in dialect) or dialect.get("header", True) is not True:
        return False
    if resource.get("format", "csv") != "csv" or resource.get("compression"):
        return False
    for fld in resource["schema"]["fields"]:
        if fld.get("type", "string") not in PLAIN_TYPES or FIELD_OPTIONS & set(fld):
            return False
        if fld.get("type") in ("date", "number", "integer", "boolean") and fld.get("format", "default") != "default":
            return False
    return True


def _plain_rows(path: Path, schema: dict) -> Iterator[dict[str, Any]]:
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    missing_values = set(schema.get("missingValues", [""]))
    markers = {m for m in missing_values if m}
    readers = [_PLAIN_READERS[f.get("type", "string")] for f in fields]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header, checked against the schema by frictionless
        for cells in reader:
            data: dict[str, Any] = {}
            missing = None
            for name, read, cell in zip(names, readers, cells):
                if cell in missing_values:
                    data[name] = None
                    if cell in markers:
                        missing = missing or {}
                        missing[name] = cell
                else:
                    data[name] = read(cell)
            for name in names[len(cells):]:
                data[name] = None
            if missing:
                data[MISSING] = missing
            yield data


def _plain_date(cell: str) -> str:
    try:
        return dt.date.fromisoformat(cell).isoformat()
    except ValueError:
        return dt.datetime.strptime(cell, "%Y-%m-%d").date().isoformat()


_PLAIN_READERS = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": lambda cell: cell in TRUE_VALUES,
    "date": _plain_date,
}


def _friendly(error) -> str:
    note = getattr(error, "note", "")
    return f"{error.title}: {note or error.message}"


def _jsonable(value: Any, field_type: str | None) -> Any:
    if value is None or isinstance(value, (bool, str, list, dict)):
        return value
    if isinstance(value, Decimal):
        return int(value) if field_type == "integer" else float(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# -- 5. references across packages ---------------------------------------------

def check_external_references(d: dict, rows: dict[str, Callable[[], Iterable[dict]]],
                              resolver: Resolver | None, report: ValidationReport) -> None:
    for resource, fld, ref in external_references(d):
        target = f'{ref["package"]}/{ref["resource"]}/{ref["field"]}'
        known = resolver(ref["package"], ref["resource"], ref["field"]) if resolver else None
        if known is None:
            report.add(resource["path"], f"refers to {target}, which is not published "
                       "and not found beside this package", field=fld["name"],
                       code="external-reference-error")
            continue
        for number, row in enumerate(rows[resource["name"]](), start=2):
            value = row.get(fld["name"])
            if value is not None and str(value) not in known:
                report.add(resource["path"], f'"{value}" is not a {ref["field"]} in {target}',
                           row=number, field=fld["name"], code="external-reference-error")


# -- helpers -----------------------------------------------------------------------

def _translation(obj: dict, language: str = "cy") -> dict:
    translations = obj.get("translations")
    if isinstance(translations, dict) and isinstance(translations.get(language), dict):
        return translations[language]
    return {}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(_text(v) for v in value)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []
