"""Read and check the raw inputs: data-tool responses and invitations.

Each file is checked against its shipped Table Schema (``schemas/``) with
frictionless, then against the published councils and maturity framework,
then the two files against each other. Every problem names its file, row and
column. Columns beyond the schema are dropped here, unread.
"""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from frictionless import FrictionlessException, Resource, Schema

from portal.ingest.aggregate import Response
from portal.packages.limits import encoding_message, line_of
from portal.packages.problems import ValidationReport
from portal.packages.reader import Resolver, check_external_references

SCHEMAS = Path(__file__).parent / "schemas"
MAX_BYTES = 200 * 1024 * 1024


def shipped_schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


@dataclass
class Inputs:
    responses: list[Response]
    invitations: dict[tuple[str, str], int]
    rows_read: int
    dropped_columns: list[str]

    @property
    def respondents(self) -> int:
        return len({r.respondent_id for r in self.responses})


def read_inputs(responses_path: str | Path, invitations_path: str | Path,
                resolver: Resolver) -> tuple[Inputs | None, ValidationReport]:
    responses_path, invitations_path = Path(responses_path), Path(invitations_path)
    report = ValidationReport(source=f"{responses_path.name} + {invitations_path.name}")
    responses, dropped = _read_table(responses_path, "responses", resolver, report)
    invitations, _ = _read_table(invitations_path, "invitations", resolver, report)
    if not report.valid:
        return None, report
    _check_respondents(responses_path.name, responses, report)
    _check_against_invitations(responses_path.name, invitations_path.name, responses, invitations, report)
    if not report.valid:
        return None, report
    inputs = Inputs(
        responses=[Response(r["respondent_id"], r["council_code"], r["group"], r["characteristic_id"],
                            r["level"]) for _, r in responses],
        invitations={(r["council_code"], r["group"]): r["invited"] for _, r in invitations},
        rows_read=len(responses), dropped_columns=dropped,
    )
    report.checked = [responses_path.name, invitations_path.name]
    return inputs, report


def _read_table(path: Path, schema_name: str, resolver: Resolver, report: ValidationReport
                ) -> tuple[list[tuple[int, dict]], list[str]]:
    """Typed rows (with their row numbers) holding only the schema's columns."""
    name = path.name
    if not path.is_file():
        report.add(name, "file not found", code="missing-file")
        return [], []
    if path.stat().st_size > MAX_BYTES:
        report.add(name, f"larger than {MAX_BYTES // (1024 * 1024)} MB", code="too-large")
        return [], []
    raw = path.read_bytes()
    if not raw.strip():
        report.add(name, "the file is empty", code="empty-file")
        return [], []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(name, encoding_message(raw, exc), row=line_of(raw, exc.start), code="encoding-error")
        return [], []
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))), [])
    schema = shipped_schema(schema_name)
    known = [f["name"] for f in schema["fields"]]
    for column in known:
        if column not in header:
            report.add(name, f"missing column {column!r}", field=column, code="missing-column")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    for column in duplicates:
        report.add(name, f"column {column!r} appears more than once", field=column, code="duplicate-column")
    if not report.valid:
        return [], []
    by_name = {f["name"]: f for f in schema["fields"]}
    schema = dict(schema, fields=[by_name.get(h, {"name": h, "type": "any"}) for h in header])
    rows = _validate(path, schema, report)
    if report.valid and not rows:
        report.add(name, "the file has a header but no data rows", code="empty-file")
    if not report.valid:
        return [], []
    kept = [(number, {k: row[k] for k in known}) for number, row in rows]
    check_external_references({"resources": [{"name": schema_name, "path": name, "schema": schema}]},
                              {schema_name: lambda: (row for _, row in kept)}, resolver, report)
    return kept, [h for h in header if h not in known]


def _validate(path: Path, schema: dict, report: ValidationReport) -> list[tuple[int, dict]]:
    pk = schema.get("primaryKey", [])
    try:
        resource = Resource(path=path.name, basepath=str(path.parent.resolve()), format="csv",
                            encoding="utf-8", schema=Schema.from_descriptor(schema))
        result = resource.validate()
    except FrictionlessException as exc:
        report.add(path.name, exc.error.message, code=exc.error.type)
        return []
    for error in result.flatten(["type", "rowNumber", "fieldName", "note", "message", "title"]):
        kind, row, field, note, message, title = error
        if kind == "primary-key":
            report.add(path.name, f"the same {' and '.join(pk)} as an earlier row ({note})",
                       row=row, field=" + ".join(pk), code=kind)
        else:
            report.add(path.name, f"{title}: {note or message}", row=row, field=field, code=kind)
    if not report.valid:
        return []
    with resource:
        return [(row.row_number, row.to_dict()) for row in resource.row_stream]


def _check_respondents(file: str, responses: list[tuple[int, dict]], report: ValidationReport) -> None:
    """A respondent belongs to one council and one group."""
    first: dict[str, tuple[int, str, str]] = {}
    for number, row in responses:
        seen = first.setdefault(row["respondent_id"], (number, row["council_code"], row["group"]))
        if seen[1:] != (row["council_code"], row["group"]):
            report.add(file, f"respondent {row['respondent_id']!r} is {seen[1]} {seen[2]} at row {seen[0]} "
                       f"but {row['council_code']} {row['group']} here", row=number,
                       field="council_code + group", code="inconsistent-respondent")


def _check_against_invitations(responses_file: str, invitations_file: str,
                               responses: list[tuple[int, dict]], invitations: list[tuple[int, dict]],
                               report: ValidationReport) -> None:
    invited = {(row["council_code"], row["group"]): (number, row["invited"]) for number, row in invitations}
    respondents: dict[tuple[str, str], set[str]] = defaultdict(set)
    first_row: dict[tuple[str, str], int] = {}
    for number, row in responses:
        key = (row["council_code"], row["group"])
        respondents[key].add(row["respondent_id"])
        first_row.setdefault(key, number)
    for key in sorted(respondents):
        if key not in invited:
            report.add(invitations_file, f"missing invitations row for council {key[0]}, group {key[1]} "
                       f"(responses from row {first_row[key]} of {responses_file})",
                       field="council_code + group", code="missing-invitations")
            continue
        number, count = invited[key]
        if len(respondents[key]) > count:
            report.add(invitations_file, f"{len(respondents[key])} respondents for council {key[0]}, group "
                       f"{key[1]} in {responses_file}, but only {count} invited", row=number,
                       field="invited", code="more-respondents-than-invited")
