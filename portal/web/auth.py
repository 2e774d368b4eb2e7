"""Signing in: sessions (Flask-Login) for the admin pages, CSRF tokens on
every form (Flask-WTF), bearer tokens for the write API, and roles.

An anonymous request to an admin page is sent to the sign-in page; one to the
write API is a 401 (problem+json); a signed-in editor asking for an admin's
page is a 403.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from portal.extensions import session
from portal.model import User
from portal.publishing import audit, tokens

login_manager = LoginManager()
csrf = CSRFProtect()
ADMIN, EDITOR = "admin", "editor"


class SignedIn(UserMixin):
    """The signed-in user as Flask-Login sees them. The session keeps the id
    and the account's ``auth_version``: a new password or a disabled account
    ends every session signed in before."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.auth_version}"

    @property
    def is_active(self) -> bool:
        return self.user.active

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def email(self) -> str:
        return self.user.email


def init_app(app: Flask) -> None:
    # forms check their own token; the admin blueprint checks every POST too
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_SSL_STRICT", True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)


def _load_user(identifier: str) -> SignedIn | None:
    user_id, _, version = identifier.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = session().get(User, int(user_id))
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return SignedIn(user)


def _unauthorized():
    lang = (request.view_args or {}).get("lang") or "en"
    return redirect(url_for("admin.login", lang=lang, next=request.full_path.rstrip("?")))


def role_required(*roles: str) -> Callable:
    """Only signed-in users with one of ``roles``; others to the sign-in page
    (anonymous) or a 403 (signed in, without the role)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.roles = roles  # for the tests that check every route
        return wrapped
    return decorate


def bearer_user() -> User | None:
    """The user of the request's ``Authorization: Bearer`` token, if live."""
    key = "portal.bearer_user"
    if key not in request.environ:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        request.environ[key] = (tokens.authenticate(session(), token.strip())
                                if scheme.lower() == "bearer" and token.strip() else None)
    return request.environ[key]


def client_address() -> str:
    """The client's IP address as the application sees it (``remote_addr``:
    the peer's, or a reverse proxy's when one is in front), for the audit log."""
    return request.remote_addr or "unknown"


def by(user: User) -> audit.By:
    """``user``, acting in this request, for the audit log."""
    return audit.By(user.email, client_address())
