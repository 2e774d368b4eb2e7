"""Accounts of the publisher's staff, their passwords (Argon2), and sign-in
throttling kept in the database, so that it holds across every worker."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.model import ROLES, LoginFailure, User

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


def create(session: Session, email: str, role: str, password: str) -> User:
    email = check_email(email)
    check_role(role)
    check_password(password)
    if find(session, email) is not None:
        raise AccountError(f"An account with the address {email!r} already exists.")
    user = User(email=email, role=role, password_hash=HASHER.hash(password), active=True, auth_version=1,
                created_at=now())
    session.add(user)
    session.flush()
    return user


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_password(user: User, password: str) -> None:
    """A new password; every session signed in with the old one ends."""
    check_password(password)
    user.password_hash = HASHER.hash(password)
    user.auth_version += 1


def disable(user: User) -> None:
    """The account can no longer sign in or use its tokens; its sessions end."""
    user.active = False
    user.auth_version += 1


def enable(user: User) -> None:
    user.active = True


def set_role(user: User, role: str) -> None:
    user.role = check_role(role)


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
    failures on success. Commits, so that every worker sees the count."""
    moment = moment or now()
    email = normalise_email(email)[:254]
    wait = throttled(session, email, moment)
    if wait:
        return SignIn(reason="throttled", retry_after=wait)
    user = find(session, email)
    try:
        HASHER.verify(user.password_hash if user else _UNKNOWN, (password or "")[:MAX_PASSWORD_LENGTH])
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        session.add(LoginFailure(email=email, address=(address or "")[:64], at=moment))
        session.commit()
        return SignIn(reason="invalid")
    if not user.active:
        return SignIn(reason="disabled")
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    user.last_login_at = moment
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    forget_old_failures(session, moment)
    session.commit()
    return SignIn(user=user)


def forget_old_failures(session: Session, moment: dt.datetime | None = None) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= (moment or now()) - FAILURE_WINDOW))
