"""Service endpoints: the language-negotiating root and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.errors import RETRY_AFTER
from portal.extensions import session
from portal.i18n import negotiate
from portal.model import Dataset

bp = Blueprint("service", __name__)


@bp.get("/")
def root():
    """Send visitors to the home page in their language: their last choice,
    else what their browser prefers."""
    response = redirect(url_for("pages.home", lang=negotiate()), code=302)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/health")
def health():
    """200 when the database answers; else 503 within the database timeouts
    (see portal.db), so that a load balancer can take this host out."""
    try:
        count = session().scalar(select(func.count(Dataset.id)))
    except SQLAlchemyError as error:
        current_app.logger.error("Health check: the database is unavailable: %s", str(error).splitlines()[0])
        response = jsonify({"status": "unavailable", "database": "unreachable"})
        response.status_code = 503
        response.headers["Retry-After"] = RETRY_AFTER
    else:
        response = jsonify({"status": "ok", "database": "ok", "datasets": count})
    response.headers["Cache-Control"] = "no-store"
    return response
