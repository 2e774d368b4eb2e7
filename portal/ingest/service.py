"""The pipeline: validate raw responses and invitations, aggregate, anonymise,
and publish ``maturity-scores`` and ``response-rates`` together, in one
transaction. Nothing respondent-level is stored."""
from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from portal import attribution, profiles, queries
from portal.anonymise import (DEFAULT_THRESHOLD, PRIMARY, SECONDARY, Suppression, ThresholdError,
                              check_threshold, suppress)
from portal.ingest import aggregate
from portal.ingest.inputs import read_inputs
from portal.ingest.outputs import write_packages
from portal.packages import ValidationReport, read_package
from portal.publish.service import LoadResult, ReferenceResolver, publish_all

OUTPUTS = ("maturity-scores", "response-rates")


@dataclass
class IngestResult:
    report: ValidationReport
    rows_read: int = 0
    respondents: int = 0
    dropped_columns: list[str] = field(default_factory=list)
    cells: int = 0
    suppression: Suppression | None = None
    rates: int = 0
    published: list[LoadResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.valid and all(loaded.ok for loaded in self.published)

    @property
    def suppressed_primary(self) -> int:
        return self.suppression.count(PRIMARY) if self.suppression else 0

    @property
    def suppressed_secondary(self) -> int:
        return self.suppression.count(SECONDARY) if self.suppression else 0


def ingest_responses(session: Session, responses: str | Path, invitations: str | Path, *,
                     threshold: int = DEFAULT_THRESHOLD, demonstration: bool = False,
                     dry_run: bool = False, changelog: tuple[str, str] | None = None,
                     now: dt.datetime | None = None, progress=None, actor: str = "system",
                     address: str | None = None, disclosure_override: str | None = None,
                     publisher: attribution.Agent = attribution.DEFAULT_PUBLISHER,
                     folder: str | Path | None = None) -> IngestResult:
    """``folder``: where the output packages are written (and kept); by
    default a temporary folder, removed when done."""
    result = IngestResult(ValidationReport(source=f"{Path(responses).name} + {Path(invitations).name}"))
    try:
        check_threshold(threshold)
    except ThresholdError as exc:
        result.report.add("--threshold", str(exc), code="invalid-threshold")
        return result
    resolver = ReferenceResolver(session)
    inputs, report = read_inputs(responses, invitations, resolver)
    result.report = report
    if inputs is None:
        return result
    result.rows_read, result.respondents = inputs.rows_read, inputs.respondents
    result.dropped_columns = inputs.dropped_columns

    councils = {row["gss_code"]: (row["name_en"], row["name_cy"])
                for row in queries.dataset_rows(session, "councils", "councils")}
    invited_councils = {council for council, _ in inputs.invitations}
    area_names = {code: names for code, names in councils.items() if code in invited_councils}
    characteristics = {row["id"]: (row["name_en"], row["name_cy"])
                       for row in profiles.characteristics(session)}

    cells = aggregate.maturity_cells(inputs.responses, area_names, characteristics)
    result.cells = len(cells)
    result.suppression = suppress({key: cell.respondents for key, cell in cells.items()},
                                  aggregate.margins(area_names, characteristics), threshold,
                                  statistics={key: cell.counts for key, cell in cells.items()})
    rates = aggregate.response_rates(inputs.responses, inputs.invitations, area_names)
    result.rates = len(rates)

    # the packages are read from their files as they are published: keep the
    # folder until then
    with tempfile.TemporaryDirectory(prefix="portal-ingest-") as temporary:
        target = Path(folder) if folder is not None else Path(temporary)
        target.mkdir(parents=True, exist_ok=True)
        packages = [read_package(path, resolver=resolver) for path in write_packages(
            target, cells, result.suppression, rates, area_names, characteristics, demonstration,
            publisher)]
        for content, package_report in packages:
            result.report.problems.extend(package_report.problems)
        if not result.report.valid or dry_run:
            return result
        result.published = publish_all(session, packages, changelog=changelog, now=now, progress=progress,
                                       actor=actor, address=address, disclosure_override=disclosure_override)
        for loaded in result.published:  # why a publication was refused (differencing, the store)
            result.report.problems.extend(problem for problem in loaded.report.problems
                                          if problem not in result.report.problems)
    return result
