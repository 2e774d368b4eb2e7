"""The audit log: every sign-in, failed sign-in and sign-out, upload,
publication (its request, and the publication itself), discard, withdrawal,
disclosure override, clean-up, token and account change, with who acted,
when, what and from which address.

Append-only: :func:`record` adds a row to the session (the caller commits
with the change it records, so neither is kept without the other), and
nothing changes or deletes one: the model refuses it (see
:data:`portal.model.IMMUTABLE`) and so does the database (triggers made by
migration 0009). Passwords and tokens are never recorded.

``address`` is the client's IP address as the web application sees it, or
:data:`CLI` for the command line. Nothing here knows about Flask.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.model import AuditEvent

# Every action the log records, in the order the admin page lists them.
SIGN_IN, SIGN_IN_FAILED, SIGN_OUT = "sign-in", "sign-in-failed", "sign-out"
UPLOAD, DISCARD, PUBLISH_REQUEST, PUBLISH = "upload", "discard", "publish-request", "publish"
OVERRIDE_DISCLOSURE, WITHDRAW, CLEANUP = "override-disclosure", "withdraw", "cleanup"
TOKEN_ISSUE, TOKEN_REVOKE = "token-issue", "token-revoke"
ACCOUNT_CREATE, ACCOUNT_DISABLE, ACCOUNT_ENABLE = "account-create", "account-disable", "account-enable"
ACCOUNT_PASSWORD, ACCOUNT_ROLE = "account-password", "account-role"
ACTIONS = (SIGN_IN, SIGN_IN_FAILED, SIGN_OUT, UPLOAD, DISCARD, PUBLISH_REQUEST, PUBLISH, OVERRIDE_DISCLOSURE,
           WITHDRAW, CLEANUP, TOKEN_ISSUE, TOKEN_REVOKE, ACCOUNT_CREATE, ACCOUNT_DISABLE, ACCOUNT_ENABLE,
           ACCOUNT_PASSWORD, ACCOUNT_ROLE)

# The address of whatever the command line does.
CLI = "cli"
# The actor of a failed sign-in whose address is not an email address (it
# may be a password typed in the wrong box: it is not kept).
MALFORMED = "(malformed)"
# Names of detail that would hold a secret: refused.
SECRETS = frozenset({"password", "password_hash", "token", "token_hash", "secret"})
MAX_ACTOR, MAX_ADDRESS = 200, 64
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
BATCH = 500
# The columns of the CSV download, in order.
COLUMNS = ("id", "at", "action", "actor", "address", "dataset", "version", "reason_en", "reason_cy", "detail")


@dataclass(frozen=True)
class By:
    """Who acts (an email address, or ``cli:<user>``) and from which address."""

    actor: str
    address: str


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record(session: Session, action: str, actor: str, *, address: str | None,
           dataset: str | None = None, version: int | None = None, reason_en: str | None = None,
           reason_cy: str | None = None, at: dt.datetime | None = None, **detail: Any) -> AuditEvent:
    """Add an event to the session (the caller commits); ``detail``: what
    else says what happened (JSON values)."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not an action of the audit log.")
    secret = SECRETS & set(detail)
    if secret:
        raise ValueError(f"The audit log keeps no secrets: {', '.join(sorted(secret))}.")
    event = AuditEvent(at=at or now(), action=action, actor=(actor or "")[:MAX_ACTOR],
                       address=address[:MAX_ADDRESS] if address else None, dataset=dataset, version=version,
                       reason_en=reason_en, reason_cy=reason_cy, detail=detail or None)
    session.add(event)
    return event


# -- reading: the admin page and the CSV download ---------------------------------------------

@dataclass
class Page:
    """Events newest first; ``newer`` and ``older``: the ids to page from
    (``after=newer`` and ``before=older``), None at either end."""

    events: list[AuditEvent]
    newer: int | None
    older: int | None


def _filtered(statement, action: str | None, actor: str | None):
    if action:
        statement = statement.where(AuditEvent.action == action)
    if actor:
        statement = statement.where(AuditEvent.actor == actor)
    return statement


def page(session: Session, *, action: str | None = None, actor: str | None = None, before: int | None = None,
         after: int | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of events, newest first (in the order they were recorded),
    by keyset: those older than event ``before``, or the page just newer than
    event ``after``, or the newest; filtered by action and by actor."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    statement = _filtered(select(AuditEvent), action, actor)
    if after is not None:
        events = list(session.scalars(statement.where(AuditEvent.id > after)
                                      .order_by(AuditEvent.id.asc()).limit(size + 1)))
        if not events:  # nothing newer: the newest page
            return page(session, action=action, actor=actor, size=size)
        more_newer = len(events) > size
        events = list(reversed(events[:size]))
        more_older = _exists(session, action, actor, AuditEvent.id < events[-1].id)
    else:
        if before is not None:
            statement = statement.where(AuditEvent.id < before)
        events = list(session.scalars(statement.order_by(AuditEvent.id.desc()).limit(size + 1)))
        more_older = len(events) > size
        events = events[:size]
        more_newer = before is not None and bool(events) and _exists(session, action, actor,
                                                                      AuditEvent.id > events[0].id)
    return Page(events, events[0].id if events and more_newer else None,
                events[-1].id if events and more_older else None)


def _exists(session: Session, action: str | None, actor: str | None, condition) -> bool:
    return session.scalar(_filtered(select(AuditEvent.id), action, actor).where(condition).limit(1)) is not None


def rows(session: Session, *, action: str | None = None, actor: str | None = None,
         batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every event, filtered, in the order recorded, as a dict of
    :data:`COLUMNS`: read a batch at a time by keyset, so memory stays flat
    however long the log."""
    table = AuditEvent.__table__
    columns = [table.c[name] for name in COLUMNS]
    last = 0
    while True:
        found = session.execute(_filtered(select(*columns), action, actor).where(table.c.id > last)
                                .order_by(table.c.id).limit(batch)).mappings().all()
        for row in found:
            yield dict(row)
        if len(found) < batch:
            return
        last = found[-1]["id"]

