"""Withdrawal of a dataset, or of one of its versions.

What is withdrawn stops being published at once: its pages become a
tombstone (what it was, why it went, when, what replaces it), its downloads
and API URLs answer 410 Gone with the reason, the catalogues (DCAT, CKAN,
search, sitemap) stop listing it; the changelog keeps it and the Atom feed
says it went. Nothing is deleted: the rows, files and version records stay,
and the withdrawal, with who, when and why, is kept in the audit trail.
Nothing here knows about Flask.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import queries, search
from portal.model import Dataset, DatasetVersion, Withdrawal
from portal.publishing import audit

MAX_REASON = 2_000


class WithdrawalError(ValueError):
    """A withdrawal that cannot be made; the message says why, ``code`` which
    rule it breaks (for a translated message): ``reason``, ``reason-length``,
    ``no-dataset``, ``dataset-withdrawn``, ``no-version``, ``version-withdrawn``,
    ``replaced-by-version``, ``replaced-by``."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Request:
    """A withdrawal that :func:`check` found possible."""

    dataset: Dataset
    version: DatasetVersion | None
    reason_en: str
    reason_cy: str
    replaced_by: str | None


def check(session: Session, name: str, *, reason_en: str, reason_cy: str, version: int | None = None,
          replaced_by: str | None = None) -> Request:
    """What :func:`withdraw` would withdraw, or :class:`WithdrawalError`; writes nothing."""
    reason_en, reason_cy = (reason_en or "").strip(), (reason_cy or "").strip()
    if not reason_en or not reason_cy:
        raise WithdrawalError("give the reason in both languages (English and Welsh).", "reason")
    if len(reason_en) > MAX_REASON or len(reason_cy) > MAX_REASON:
        raise WithdrawalError(f"a reason may be at most {MAX_REASON} characters long.", "reason-length")
    if "\x00" in name:
        raise WithdrawalError("no such dataset.", "no-dataset")
    dataset = session.scalar(select(Dataset).where(Dataset.name == name))
    if dataset is None:
        raise WithdrawalError(f"no dataset named {name!r} has been published.", "no-dataset")
    previous = queries.withdrawals(session, name)
    whole = next((w for w in previous if w.version_id is None), None)
    if whole is not None:
        raise WithdrawalError(f"the dataset {name!r} was withdrawn already, on "
                              f"{whole.withdrawn_at:%Y-%m-%d %H:%M} UTC.", "dataset-withdrawn")
    target: DatasetVersion | None = None
    if version is not None:
        target = session.scalar(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id,
                                                             DatasetVersion.number == version))
        if target is None:
            raise WithdrawalError(f"the dataset {name!r} has no version {version}.", "no-version")
        if any(w.version_id == target.id for w in previous):
            raise WithdrawalError(f"version {version} of {name!r} was withdrawn already.", "version-withdrawn")
    if replaced_by is not None:
        replaced_by = replaced_by.strip() or None
    if replaced_by is not None:
        if version is not None:
            raise WithdrawalError("a withdrawn version is replaced by the dataset's newest version still "
                                  "published; --replaced-by names a dataset replacing a withdrawn dataset.",
                                  "replaced-by-version")
        if replaced_by == name or queries.latest_version(session, replaced_by) is None:
            raise WithdrawalError(f"--replaced-by must name another published dataset, not {replaced_by!r}.",
                                  "replaced-by")
    return Request(dataset, target, reason_en, reason_cy, replaced_by)


def withdraw(session: Session, name: str, *, reason_en: str, reason_cy: str, actor: str,
             address: str | None = None, version: int | None = None, replaced_by: str | None = None,
             now: dt.datetime | None = None) -> Withdrawal:
    """Withdraw dataset ``name`` (``version`` None) or its version ``version``,
    with the reason in English and Welsh; ``replaced_by``: the name of a
    published dataset that replaces a withdrawn dataset; ``actor`` and
    ``address``: who withdraws it and from where, for the audit log. Commits."""
    request = check(session, name, reason_en=reason_en, reason_cy=reason_cy, version=version,
                    replaced_by=replaced_by)
    reason_en, reason_cy, replaced_by = request.reason_en, request.reason_cy, request.replaced_by
    now = now or dt.datetime.now(dt.timezone.utc)
    withdrawal = Withdrawal(dataset=request.dataset, version=request.version, withdrawn_at=now, withdrawn_by=actor,
                            reason_en=reason_en, reason_cy=reason_cy, replaced_by=replaced_by)
    session.add(withdrawal)
    audit.record(session, audit.WITHDRAW, actor, address=address, at=now, dataset=name, version=version,
                 reason_en=reason_en, reason_cy=reason_cy, **({"replaced_by": replaced_by} if replaced_by else {}))
    session.flush()
    search.reindex(session, [name])
    session.commit()
    return withdrawal


def recent(session: Session, limit: int = 50) -> list[Withdrawal]:
    """The latest withdrawals, newest first."""
    return list(session.scalars(select(Withdrawal).order_by(Withdrawal.withdrawn_at.desc(), Withdrawal.id.desc())
                                .limit(limit)))


def withdrawable(session: Session) -> list[DatasetVersion]:
    """The latest published version of every dataset not withdrawn (what may be withdrawn)."""
    return sorted(queries.latest_versions(session), key=lambda v: v.dataset.name)


def replacement(session: Session, withdrawal: Withdrawal) -> DatasetVersion | None:
    """What replaces what was withdrawn: the replacing dataset's latest
    version, or, for a version, its dataset's newest version still published."""
    if withdrawal.version_id is None:
        return queries.latest_version(session, withdrawal.replaced_by) if withdrawal.replaced_by else None
    return queries.latest_version(session, withdrawal.dataset.name)
