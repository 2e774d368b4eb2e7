"""The content pages: the maturity framework, the good practice case studies,
about and method, the accessibility statement, the privacy notice and the
publisher's changelog. Every URL under ``/en/`` or ``/cy/``."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import attribution, queries
from portal.extensions import session
from portal.model import DatasetVersion
from portal.web.sitemap import register_sitemap_values

bp = Blueprint("content", __name__, url_prefix="/<lang(en,cy):lang>")

FRAMEWORK = "maturity-framework"
CASE_STUDIES = "good-practice-case-studies"
SCORES = "maturity-scores"
LEVELS = (1, 2, 3)
OPEN_DATA = "open-data"
REPORT_DATE = attribution.REPORT_DATE  # Local government use of data: Neath Port Talbot Council

# When the accessibility statement was prepared and last reviewed.
STATEMENT_PREPARED = date(2026, 11, 25)
STATEMENT_REVIEWED = date(2026, 11, 25)

# The report's author's contact details, as printed on the back of the report
# (on About, for questions about the report; the site's own contact is its
# publisher's, from the settings).
CONTACT: dict[str, dict[str, Any]] = {
    "en": {"name": "Wales Audit Office", "address": ["24 Cathedral Road", "Cardiff", "CF11 9LJ"],
           "email": "info@audit.wales", "website": "https://www.audit.wales/"},
    "cy": {"name": "Swyddfa Archwilio Cymru", "address": ["24 Heol y Gadeirlan", "Caerdydd", "CF11 9LJ"],
           "email": "post@archwilio.cymru", "website": "https://www.archwilio.cymru/"},
}
PHONE = "029 2032 0500"
TEXTPHONE = "029 2032 0660"
ENGLISH_EMAIL = CONTACT["en"]["email"]

OGL = {
    "en": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "cy": "http://www.nationalarchives.gov.uk/doc/open-government-licence-cymraeg/version/3/",
}


def _language(lang: str) -> str:
    return "cy" if lang == "cy" else "en"


def _localised(row: dict, column: str, lang: str) -> Any:
    """A bilingual column of a dataset row in the page's language."""
    return row[f"{column}_{_language(lang)}"]


def _translated(node: dict | None, key: str, lang: str) -> Any:
    """A property of a descriptor node in ``lang``: Welsh from ``translations.cy``."""
    if not node:
        return None
    if lang == "cy":
        return (node.get("translations") or {}).get("cy", {}).get(key)
    return node.get(key)


def _characteristics(lang: str) -> list[dict]:
    """The seven key characteristics in order, each with its level descriptors."""
    db = session()
    levels: dict[str, dict[int, str]] = {}
    for row in queries.dataset_rows(db, FRAMEWORK, "levels"):
        levels.setdefault(row["characteristic_id"], {})[row["level"]] = _localised(row, "descriptor", lang)
    rows = sorted(queries.dataset_rows(db, FRAMEWORK, "characteristics"), key=lambda r: r["position"])
    return [{"id": row["id"], "name": _localised(row, "name", lang),
             "levels": [levels.get(row["id"], {}).get(level) for level in LEVELS]}
            for row in rows]


def _themes(lang: str) -> list[dict]:
    rows = sorted(queries.dataset_rows(session(), FRAMEWORK, "themes"), key=lambda r: r["position"])
    return [{"id": row["id"], "name": _localised(row, "name", lang), "summary": _localised(row, "summary", lang)}
            for row in rows]


def _case_studies(lang: str, characteristics: list[dict]) -> list[dict]:
    """The case studies in order, each with the characteristics it illustrates
    (in framework order)."""
    db = session()
    links: dict[str, set[str]] = {}
    for row in queries.dataset_rows(db, CASE_STUDIES, "case-study-characteristics"):
        links.setdefault(row["case_study_id"], set()).add(row["characteristic_id"])
    rows = sorted(queries.dataset_rows(db, CASE_STUDIES, "case-studies"), key=lambda r: r["position"])
    return [{
        "id": row["id"],
        "heading": _localised(row, "heading", lang),
        "organisation": _localised(row, "organisation", lang),
        "place": _localised(row, "place", lang),
        "summary": _localised(row, "summary", lang),
        "outcomes": _localised(row, "outcomes", lang),
        "characteristics": [c for c in characteristics if c["id"] in links.get(row["id"], set())],
    } for row in rows]


def _source(version: DatasetVersion | None, lang: str) -> dict | None:
    """The first source a dataset version cites, in ``lang``."""
    sources = (version.descriptor or {}).get("sources") if version else None
    if not sources:
        return None
    source = sources[0]
    return {"title": _translated(source, "title", lang) or source.get("title"),
            "publisher": _translated(source, "publisher", lang) or source.get("publisher"),
            "locator": _translated(source, "locator", lang) or source.get("locator"),
            "date": date.fromisoformat(source["date"]) if source.get("date") else None,
            "path": source.get("path")}


def all_versions() -> list[DatasetVersion]:
    """Every published version of every dataset, newest first."""
    return list(session().scalars(
        select(DatasetVersion)
        .options(selectinload(DatasetVersion.dataset))
        .order_by(DatasetVersion.published_at.desc(), DatasetVersion.id.desc())
    ))


@bp.get("/framework/")
def framework(lang: str):
    version = queries.latest_version(session(), FRAMEWORK)
    return render_template("content/framework.html", characteristics=_characteristics(lang),
                           themes=_themes(lang), levels=LEVELS, version=version,
                           source=_source(version, lang))


@bp.get("/good-practice/")
def good_practice(lang: str):
    characteristics = _characteristics(lang)
    studies = _case_studies(lang, characteristics)
    chosen = request.args.get("characteristic", "")
    selected = None
    if chosen:
        selected = next((c for c in characteristics if c["id"] == chosen), None)
        shown = [s for s in studies if any(c["id"] == chosen for c in s["characteristics"])]
    else:
        shown = studies
    problems = []
    if chosen and selected is None:  # the form's own error, in the form: every case study meanwhile
        problems.append({"message": gettext("Choose a key characteristic from the list."),
                         "target": "characteristic"})
        shown = studies
    counts = {c["id"]: sum(1 for s in studies if c in s["characteristics"]) for c in characteristics}
    return render_template("content/good-practice.html", studies=shown, total=len(studies),
                           characteristics=characteristics, selected=selected, counts=counts,
                           problems=problems, version=queries.latest_version(session(), CASE_STUDIES)), \
        400 if problems else 200


@bp.get("/good-practice/<case_study>/")
def case_study(lang: str, case_study: str):
    studies = _case_studies(lang, _characteristics(lang))
    study = next((s for s in studies if s["id"] == case_study), None)
    if study is None:
        abort(404)
    version = queries.latest_version(session(), CASE_STUDIES)
    # how many other case studies illustrate each of its characteristics
    others = {c["id"]: sum(1 for s in studies if s is not study and c in s["characteristics"])
              for c in study["characteristics"]}
    return render_template("content/case-study.html", study=study, version=version, others=others,
                           source=_source(version, lang))


@bp.get("/about/")
def about(lang: str):
    db = session()
    versions = queries.latest_versions(db)
    scores = next((v for v in versions if v.dataset.name == SCORES), None)
    anonymisation = (scores.descriptor or {}).get("anonymisation") if scores else None
    rules = [{"name": rule.get("name"),
              "description": _translated(rule, "description", lang) or rule.get("description")}
             for rule in (anonymisation or {}).get("rules", [])]
    framework_version = next((v for v in versions if v.dataset.name == FRAMEWORK), None)
    example = framework_version or (versions[0] if versions else None)
    demonstration = next((v for v in versions if v.demonstration), None)
    site_publisher = attribution.publisher(current_app.config)
    examples = [attribution.citation(v, lang, url_for("pages.dataset_version", lang=lang, name=v.dataset.name,
                                                      number=v.number, _external=True), site_publisher)
                for v in (example, demonstration) if v is not None]
    aspiration = next((_localised(row, "descriptor", lang)
                       for row in queries.dataset_rows(db, FRAMEWORK, "levels")
                       if row["characteristic_id"] == OPEN_DATA and row["level"] == max(LEVELS)), None)
    return render_template("content/about.html", versions=versions, scores=scores, aspiration=aspiration,
                           anonymisation=anonymisation, rules=rules,
                           demonstrations=[v for v in versions if v.demonstration],
                           examples=examples, report_date=REPORT_DATE, ogl=OGL[_language(lang)],
                           contact=CONTACT[_language(lang)], english_email=ENGLISH_EMAIL, phone=PHONE,
                           textphone=TEXTPHONE)


@bp.get("/accessibility/")
def accessibility(lang: str):
    """The contact is the portal's publisher, who runs the site (``site_publisher``)."""
    return render_template("content/accessibility.html", prepared=STATEMENT_PREPARED,
                           reviewed=STATEMENT_REVIEWED)


@bp.get("/privacy/")
def privacy(lang: str):
    from portal.i18n import COOKIE, COOKIE_MAX_AGE

    # the contact is the portal's publisher, who runs the site (``site_publisher``)
    return render_template("content/privacy.html", cookie=COOKIE, cookie_days=COOKIE_MAX_AGE // (24 * 3600))


@bp.get("/changelog/")
def changelog(lang: str):
    return render_template("content/changelog.html", versions=all_versions())


def _case_study_ids() -> list[dict]:
    return [{"case_study": row["id"]} for row in queries.dataset_rows(session(), CASE_STUDIES, "case-studies")]


register_sitemap_values("content.case_study", _case_study_ids)
