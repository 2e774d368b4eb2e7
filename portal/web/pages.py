"""The bilingual pages: every URL under ``/en/`` or ``/cy/``."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from portal import queries
from portal.extensions import session

bp = Blueprint("pages", __name__, url_prefix="/<lang(en,cy):lang>")

COUNCIL_REPORTED = "W06000012"  # Neath Port Talbot: the council the report covers


def _find(rows: list[dict], **criteria) -> dict | None:
    return next((row for row in rows if all(row.get(k) == v for k, v in criteria.items())), None)


@bp.get("/")
def home(lang: str):
    db = session()
    rates = queries.dataset_rows(db, "data-tool-response-rates", "response-rates")
    survey = queries.dataset_rows(db, "public-attitudes-survey", "survey-results")
    councils = queries.dataset_rows(db, "councils", "councils")
    council = _find(councils, gss_code=COUNCIL_REPORTED)
    headline = {
        "council_name": council and council[f"name_{lang}"],
        "total": _find(rates, council_code=COUNCIL_REPORTED, recipient_group="total"),
        "officers": _find(rates, council_code=COUNCIL_REPORTED, recipient_group="officer"),
        "members": _find(rates, council_code=COUNCIL_REPORTED, recipient_group="elected_member"),
        "satisfied": _find(survey, measure_id="satisfied-information-used-effectively"),
        "told": _find(survey, measure_id="told-use-of-personal-data"),
    }
    versions = queries.latest_versions(db)
    return render_template("pages/home.html", headline=headline, latest=versions[:5],
                           dataset_count=len(versions))


@bp.get("/datasets/")
def catalogue(lang: str):
    versions = sorted(queries.latest_versions(session()), key=lambda v: v.text("title", lang).casefold())
    return render_template("pages/catalogue.html", versions=versions)


@bp.get("/datasets/<name>/")
def dataset(lang: str, name: str):
    version = queries.latest_version(session(), name)
    if version is None:
        abort(404)
    return render_template("pages/dataset.html", version=version,
                           history=queries.version_history(session(), name))
