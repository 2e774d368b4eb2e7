"""The bilingual pages: every URL under ``/en/`` or ``/cy/``."""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext

from portal import datastore, queries, search
from portal.extensions import session
from portal.publish import artefacts
from portal.vocabulary import FORMATS, KINDS, THEMES, label
from portal.web import dataset_page
from portal.web.lookup import gone_if_withdrawn

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
        "satisfied": _find(survey, measure_id="satisfied-information-used-effectively"),
        "told": _find(survey, measure_id="told-use-of-personal-data"),
    }
    versions = queries.latest_versions(db)
    return render_template("pages/home.html", headline=headline, latest=versions[:5],
                           dataset_count=len(versions))


@bp.get("/datasets/")
def catalogue(lang: str):
    args = request.args
    try:
        page = int(args.get("page", "1")) if args.get("page", "1").isdigit() else None
        if page is None or page < 1:
            raise search.SearchError("page", "the page number must be a whole number from 1")
        if page > search.MAX_PAGE:
            abort(404)
        query = search.SearchQuery(
            q=args.get("q", "").strip(), sort=args.get("sort", "relevance" if args.get("q") else "title"),
            facets={name: args.getlist(name) for name in search.FACETS if args.getlist(name)},
            page=page, per_page=20, language=lang).check()
    except search.SearchError as exc:
        return render_template("pages/catalogue.html", error=exc, result=None, labels={},
                               problems=[search_problem(exc)]), 400
    result = search.search(session(), query)
    if page > result.pages:
        abort(404)
    return render_template("pages/catalogue.html", error=None, result=result, labels=facet_labels(lang))


def search_problem(error: search.SearchError) -> dict[str, str]:
    """What was wrong with a catalogue search, in the reader's language, and
    the field to correct (the search box: the only field shown with it)."""
    if error.parameter == "q":
        message = gettext("Search with up to %(length)s characters.", length=search.MAX_QUERY_LENGTH)
    elif error.parameter == "page":
        message = gettext("A page number is a whole number from 1.")
    elif error.parameter == "sort":
        message = gettext("Sort by relevance, title, most recently updated or identifier.")
    else:
        message = gettext("Choose filters from those the catalogue offers.")
    return {"message": message, "target": "q"}


def facet_labels(lang: str) -> dict[str, dict[str, str]]:
    """Labels of every facet value, in ``lang``."""
    vocabularies = {"theme": THEMES, "format": FORMATS, "kind": KINDS, **search.facet_names(session())}
    return {facet: {value: label(vocabulary, value, lang) for value in vocabulary}
            for facet, vocabulary in vocabularies.items()}


@bp.get("/datasets/<name>/")
def dataset(lang: str, name: str):
    return _dataset_page(lang, name, None)


@bp.get("/datasets/<name>/versions/<int:number>/")
def dataset_version(lang: str, name: str, number: int):
    return _dataset_page(lang, name, number)


def _dataset_page(lang: str, name: str, number: int | None):
    moved = dataset_page.added_filter_url()
    if moved:
        return redirect(moved, code=303)
    db = session()
    version = queries.get_version(db, name, number)
    if version is None:
        gone_if_withdrawn(name, number)
        abort(404)
    history = queries.version_history(db, name, include_withdrawn=True)
    withdrawn = {w.version_id: w for w in queries.withdrawals(db, name)}
    latest = next(item for item in history if item.id not in withdrawn)
    landing = {code: url_for("pages.dataset", lang=code, name=name, _external=True) for code in ("en", "cy")}
    pinned = url_for("pages.dataset_version", lang=lang, name=name, number=version.number, _external=True)
    preview = dataset_page.preview(version, lang)
    status = 400 if preview.error else 200
    return render_template(
        "pages/dataset.html", version=version, history=history, latest=latest, preview=preview,
        withdrawn=withdrawn,
        citation=dataset_page.citation(version, lang, pinned),
        json_ld=dataset_page.json_ld(version, history[-1].published_utc, landing),
        api_base=url_for("service.root", _external=True).rstrip("/"), cell=datastore.csv_value,
        spreadsheets_pending=lambda resource: artefacts.pending(db, version, resource),
    ), status


@bp.get("/api/")
def api_docs(lang: str):
    """The machine surfaces, with every JSON API endpoint read from the routes
    (what each does is in the OpenAPI document)."""
    endpoints = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/"):
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)  # as OpenAPI writes it
        endpoints.append((" ".join(methods), path))
    return render_template("pages/api.html", endpoints=endpoints)
