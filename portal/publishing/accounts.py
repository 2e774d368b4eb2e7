"""Accounts of the publisher's staff, their passwords (Argon2), and sign-in
throttling kept in the database, so that it holds across every worker. Every
sign-in, failed or not, and every change to an account is recorded in the
audit log (:mod:`portal.publishing.audit`) with who did it and from where."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.model import ROLES, LoginFailure, User
from portal.publishing import audit
from portal.publishing.audit import By

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+\Z")
# After this many failed sign-ins for one address within the window, the
# account cannot sign in until the window has passed since the last failure.
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
# A hash to verify against when the address is unknown, so that a wrong
# address takes as long to refuse as a wrong password.
_UNKNOWN = HASHER.hash("no account has this password")


class AccountError(ValueError):
    """An account operation refused: the message says why."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address.")
    return email


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    return role


def find(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get(session: Session, email: str) -> User:
    user = find(session, email)
    if user is None:
        raise AccountError(f"No account has the address {normalise_email(email)!r}.")
    return user


def create(session: Session, email: str, role: str, password: str, *, by: By) -> User:
    """A new active account (added to the session; the caller commits)."""
    email = check_email(email)
    check_role(role)
    check_password(password)
    if find(session, email) is not None:
        raise AccountError(f"An account with the address {email!r} already exists.")
    user = User(email=email, role=role, password_hash=HASHER.hash(password), active=True, auth_version=1,
                created_at=now())
    session.add(user)
    session.flush()
    audit.record(session, audit.ACCOUNT_CREATE, by.actor, address=by.address, account=email, role=role)
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_password(session: Session, user: User, password: str, *, by: By) -> None:
    """A new password; every session signed in with the old one ends."""
    check_password(password)
    user.password_hash = HASHER.hash(password)
    user.auth_version += 1
    audit.record(session, audit.ACCOUNT_PASSWORD, by.actor, address=by.address, account=user.email)


def disable(session: Session, user: User, *, by: By) -> None:
    """The account can no longer sign in or use its tokens; its sessions end."""
    user.active = False
    user.auth_version += 1
    audit.record(session, audit.ACCOUNT_DISABLE, by.actor, address=by.address, account=user.email)


def enable(session: Session, user: User, *, by: By) -> None:
    user.active = True
    audit.record(session, audit.ACCOUNT_ENABLE, by.actor, address=by.address, account=user.email)


def set_role(session: Session, user: User, role: str, *, by: By) -> None:
    was, user.role = user.role, check_role(role)
    audit.record(session, audit.ACCOUNT_ROLE, by.actor, address=by.address, account=user.email, role=role,
                 was=was)


@dataclass
class SignIn:
    """The outcome of a sign-in: ``user`` when it succeeded, else ``reason``
    (``invalid``, ``disabled`` or ``throttled``, with ``retry_after`` seconds)."""

    user: User | None = None
    reason: str | None = None
    retry_after: int = 0


def throttled(session: Session, email: str, moment: dt.datetime | None = None) -> int:
    """Seconds until ``email`` may try to sign in again; 0 when it may now."""
    moment = moment or now()
    count, last = session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.at))
        .where(LoginFailure.email == normalise_email(email), LoginFailure.at > moment - FAILURE_WINDOW)).one()
    if count < MAX_FAILURES or last is None:
        return 0
    last = last if last.tzinfo else last.replace(tzinfo=dt.timezone.utc)
    return max(1, int((last + FAILURE_WINDOW - moment).total_seconds()) + 1)


def sign_in(session: Session, email: str, password: str, address: str = "",
            moment: dt.datetime | None = None) -> SignIn:
    """Check ``email`` and ``password``; record a failure, or clear the
    failures on success; record the outcome in the audit log (a failure with
    the address tried, if it is an email address, and the reason). Commits,
    so that every worker sees the count."""
    moment = moment or now()
    # no database keeps a NUL (PostgreSQL refuses one): no account has one either
    email = normalise_email(email)[:254].replace("\x00", "\ufffd")
    wait = throttled(session, email, moment)
    if wait:
        return _refused(session, "throttled", email, address, moment, retry_after=wait)
    user = find(session, email)
    try:
        HASHER.verify(user.password_hash if user else _UNKNOWN, (password or "")[:MAX_PASSWORD_LENGTH])
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        session.add(LoginFailure(email=email, address=(address or "")[:64], at=moment))
        return _refused(session, "invalid", email, address, moment)
    if not user.active:
        return _refused(session, "disabled", email, address, moment)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = moment
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    forget_old_failures(session, moment)
    audit.record(session, audit.SIGN_IN, email, address=address, at=moment)
    session.commit()
    return SignIn(user=user)


def _refused(session: Session, reason: str, email: str, address: str, moment: dt.datetime,
             retry_after: int = 0) -> SignIn:
    tried = email if EMAIL.match(email) else audit.MALFORMED
    audit.record(session, audit.SIGN_IN_FAILED, tried, address=address, at=moment, reason=reason)
    session.commit()
    return SignIn(reason=reason, retry_after=retry_after)


def sign_out(session: Session, user: User, address: str) -> None:
    """Record that ``user`` signed out (the caller ends the session). Commits."""
    audit.record(session, audit.SIGN_OUT, user.email, address=address)
    session.commit()


def forget_old_failures(session: Session, moment: dt.datetime | None = None) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= (moment or now()) - FAILURE_WINDOW))
