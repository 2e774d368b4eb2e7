"""Councils, the key characteristics of the data maturity framework and the
good-practice case studies as resources of their own, read from the latest
published versions of the datasets that hold them."""
from __future__ import annotations

from typing import Any

from flask import abort, url_for

from portal import profiles, queries
from portal.api import schemas
from portal.api.present import pair, sliced
from portal.api.problems import Blueprint
from portal.extensions import session

bp = Blueprint("api-reference", __name__, url_prefix="/api/v1",
               description="Councils, the data maturity framework's key characteristics, and good-practice "
                           "case studies, from the published datasets.")

REAL_RATES = ("data-tool-response-rates", "response-rates")
DEMO_RATES = ("response-rates", "response-rates")
SCORES = ("maturity-scores", "scores")
SCORE_FIGURES = ("respondents", "level_1_count", "level_2_count", "level_3_count", "level_1_share",
                 "level_2_share", "level_3_share", "mean_level", "median_level")

CODE = {"in": "path", "name": "code", "example": "W06000012",
        "description": "The council's GSS code (e.g. W06000012) or slug (e.g. neath-port-talbot)."}
ID = {"in": "path", "name": "id", "description": "The id.", "example": "open-data"}
CASE_ID = {**ID, "example": "data-mill-north"}
# Endpoints without query parameters still refuse unknown ones.
NO_PARAMETERS = bp.arguments(schemas.QueryArgs, location="query", as_kwargs=True)


def _rows(dataset: str, resource: str) -> list[dict[str, Any]]:
    return queries.dataset_rows(session(), dataset, resource)


# -- councils ----------------------------------------------------------------------------

def _council(row: dict[str, Any]) -> dict[str, Any]:
    return {"gss_code": row["gss_code"], "slug": row["slug"], "name": pair(row, "name"),
            "url": url_for("api-reference.council", code=row["gss_code"], _external=True)}


@bp.route("/councils")
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CouncilPage)
def councils(page: int, per_page: int) -> dict[str, Any]:
    """The principal councils of Wales"""
    return sliced([_council(r) for r in _rows("councils", "councils")], page, per_page)


@bp.route("/councils/<code>", parameters=[CODE])
@NO_PARAMETERS
@bp.response(200, schemas.CouncilDetail)
def council(code: str) -> dict[str, Any]:
    """One council, with its maturity scores, response rates and findings"""
    row = next((r for r in _rows("councils", "councils")
                if r["gss_code"] == code.upper() or r["slug"] == code.lower()), None)
    if row is None:
        abort(404, f"No council has the GSS code or slug {code!r}.")
    gss = row["gss_code"]
    themes = {t["id"]: pair(t, "name") for t in _rows("maturity-framework", "themes")}
    findings = [{"theme_id": f["theme_id"], "theme": themes.get(f["theme_id"], {"en": "", "cy": ""}),
                 "paragraph": f["paragraph"], "text": pair(f, "text")}
                for f in _rows("council-findings", "findings") if f["council_code"] == gss]
    return {**_council(row), "maturity_scores": [_score(s) for s in _rows(*SCORES) if s["area_code"] == gss],
            "response_rates": _response_rates(gss), "findings": findings}


def _score(row: dict[str, Any]) -> dict[str, Any]:
    return {"characteristic_id": row["characteristic_id"], "characteristic": pair(row, "characteristic_name"),
            "respondent_group": row["respondent_group"],
            "respondent_group_name": pair(row, "respondent_group"),
            **{name: row.get(name) for name in SCORE_FIGURES},
            "suppressed": bool(row.get("suppressed")), "suppression_reason": row.get("suppression_reason"),
            "demonstration": bool(row.get("demonstration", True))}


def _response_rates(gss: str) -> list[dict[str, Any]]:
    """The figures the report gives, where it gives them; else the demonstration data."""
    for (dataset, resource), code_field, demonstration in ((REAL_RATES, "council_code", False),
                                                           (DEMO_RATES, "area_code", True)):
        found = [r for r in _rows(dataset, resource) if r.get(code_field) == gss]
        if found:
            return [{"dataset": dataset, "demonstration": bool(r.get("demonstration", demonstration)),
                     "recipient_group": r["recipient_group"],
                     "recipient_group_name": pair(r, "recipient_group"),
                     "invited": r.get("invited"), "responded": r.get("responded"),
                     "percentage_responded": r.get("percentage_responded")} for r in found]
    return []


# -- the framework ---------------------------------------------------------------------

def _characteristic(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "position": row["position"], "name": pair(row, "name"),
            "url": url_for("api-reference.characteristic", id=row["id"], _external=True)}


def _characteristic_rows() -> list[dict[str, Any]]:
    return profiles.characteristics(session())


@bp.route("/characteristics")
@bp.arguments(schemas.PageArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CharacteristicPage)
def characteristics(page: int, per_page: int) -> dict[str, Any]:
    """The key characteristics of the data maturity framework"""
    return sliced([_characteristic(r) for r in _characteristic_rows()], page, per_page)


@bp.route("/characteristics/<id>", parameters=[ID])
@NO_PARAMETERS
@bp.response(200, schemas.CharacteristicDetail)
def characteristic(id: str) -> dict[str, Any]:  # noqa: A002 - the URL's own name
    """One key characteristic, with its three levels and the case studies that illustrate it"""
    row = next((r for r in _characteristic_rows() if r["id"] == id), None)
    if row is None:
        known = ", ".join(r["id"] for r in _characteristic_rows())
        abort(404, f"No key characteristic has the id {id!r}; the ids are: {known}.")
    levels = sorted((lv for lv in _rows("maturity-framework", "levels") if lv["characteristic_id"] == id),
                    key=lambda lv: lv["level"])
    studies = [s for s in _case_studies() if id in s["characteristics"]]
    return {**_characteristic(row),
            "levels": [{"level": lv["level"], "descriptor": pair(lv, "descriptor")} for lv in levels],
            "case_studies": [{"id": s["id"], "heading": s["heading"], "url": s["url"]} for s in studies]}


# -- case studies ------------------------------------------------------------------------

def _case_studies() -> list[dict[str, Any]]:
    links = _rows("good-practice-case-studies", "case-study-characteristics")
    studies = sorted(_rows("good-practice-case-studies", "case-studies"), key=lambda r: r["position"])
    return [{"id": s["id"], "position": s["position"],
             **{stem: pair(s, stem) for stem in ("heading", "organisation", "place", "summary", "outcomes")},
             "characteristics": [c["characteristic_id"] for c in links if c["case_study_id"] == s["id"]],
             "url": url_for("api-reference.case_study", id=s["id"], _external=True)} for s in studies]


@bp.route("/case-studies")
@bp.arguments(schemas.CaseStudyArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.CaseStudyPage)
def case_studies(page: int, per_page: int, characteristic: list[str]) -> dict[str, Any]:
    """Good-practice case studies, optionally only those illustrating some key characteristics"""
    wanted = set(characteristic)
    studies = [s for s in _case_studies() if not wanted or wanted & set(s["characteristics"])]
    return sliced(studies, page, per_page)


@bp.route("/case-studies/<id>", parameters=[CASE_ID])
@NO_PARAMETERS
@bp.response(200, schemas.CaseStudyOut)
def case_study(id: str) -> dict[str, Any]:  # noqa: A002 - the URL's own name
    """One good-practice case study"""
    found = next((s for s in _case_studies() if s["id"] == id), None)
    if found is None:
        abort(404, f"No case study has the id {id!r}.")
    return found
