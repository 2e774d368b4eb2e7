"""API tokens for the write API: issued per user by an admin, shown once,
kept only as a sha256 digest (a token is 256 random bits, so a fast digest
is safe to keep), named, revocable, with the time each was last used. Issuing
and revoking are recorded in the audit log (the token's number and name,
never the token)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.model import ApiToken, User
from portal.publishing import audit
from portal.publishing.accounts import AccountError, now
from portal.publishing.audit import By

PREFIX = "wlgd_"
# How often the last-used time is written, at most (a busy client would
# otherwise write on every request).
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(session: Session, user: User, name: str, *, by: By) -> tuple[ApiToken, str]:
    """A new token for ``user``: the record, and the token itself (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("Give the token a name of 1 to 100 characters.")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(user=user, name=name, token_hash=digest(token), prefix=token[:len(PREFIX) + 4],
                      created_at=now())
    session.add(record)
    session.flush()
    audit.record(session, audit.TOKEN_ISSUE, by.actor, address=by.address, account=user.email,
                 token_id=record.id, name=name)
    return record, token


def authenticate(session: Session, token: str, moment: dt.datetime | None = None) -> User | None:
    """The active user ``token`` belongs to, if it is a live token; records its use."""
    if not token or len(token) > 200:
        return None
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    moment = moment or now()
    if record.last_used_at is None or moment - record.last_used_at >= LAST_USED_RESOLUTION:
        record.last_used_at = moment
        session.commit()
    return record.user


def for_user(session: Session, user: User | None = None) -> list[ApiToken]:
    statement = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        statement = statement.where(ApiToken.user_id == user.id)
    return list(session.scalars(statement))


def revoke(session: Session, token_id: int, *, by: By, moment: dt.datetime | None = None) -> ApiToken:
    """Revoke the token (added to the session; the caller commits); a token
    revoked already stays as it was, and nothing more is recorded."""
    record = session.get(ApiToken, token_id)
    if record is None:
        raise AccountError(f"No token has the number {token_id}.")
    if record.revoked_at is None:
        record.revoked_at = moment or now()
        audit.record(session, audit.TOKEN_REVOKE, by.actor, address=by.address, at=record.revoked_at,
                     account=record.user.email, token_id=record.id, name=record.name)
    return record
