"""Marshmallow schemas of the JSON API: the query parameters each endpoint
accepts (which also validate requests) and the documents it answers with.
The OpenAPI document is generated from these, so they are the contract.

Kept apart from the data model: these describe the API, not the database.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, fields, validate

from portal import datastore, search
from portal.vocabulary import FORMATS, KINDS, THEMES

MAX_PER_PAGE = search.MAX_PER_PAGE
MAX_PAGE = search.MAX_PAGE
MAX_FACET_VALUES = 50
# No query value may hold a NUL character (PostgreSQL cannot compare text with one).
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="must not contain a NUL character")
COUNCIL_CODE = r"^W06[0-9]{6}$"


def _text(description: str, *, max_length: int = 500, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(max=max_length), NO_NUL],
                         metadata={"description": description}, **kwargs)


def _uri(description: str, **kwargs) -> fields.String:
    return fields.String(metadata={"description": description, "format": "uri"}, **kwargs)


# -- query parameters ------------------------------------------------------------

class QueryArgs(Schema):
    """Query parameters; any parameter not declared is refused (400)."""

    class Meta:
        unknown = RAISE


class PageArgs(QueryArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "Page number, from 1."})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Items per page, at most {MAX_PER_PAGE}."})


def _facet(description: str, choices: tuple[str, ...] | None = None,
           pattern: str | None = None) -> fields.List:
    checks: list = [validate.Length(max=100)]
    if choices:
        checks.append(validate.OneOf(choices))
    checks.append(validate.Regexp(pattern, error="is not a council GSS code (W06 and six digits)")
                  if pattern else NO_NUL)
    return fields.List(fields.String(validate=checks), load_default=list,
                       validate=validate.Length(max=MAX_FACET_VALUES),
                       metadata={"description": description + " Repeat the parameter to select several "
                                 "values (any of them matches); different facets combine (all must match)."})


class DatasetSearchArgs(PageArgs):
    q = _text("Search text, in English or Welsh; every word must match (as a prefix) somewhere in "
              f"the dataset's metadata. At most {search.MAX_QUERY_LENGTH} characters.",
              max_length=search.MAX_QUERY_LENGTH, load_default="")
    theme = _facet("Datasets on this theme.", tuple(THEMES))
    council = _facet("Datasets with data about this council (GSS code).", pattern=COUNCIL_CODE)
    characteristic = _facet("Datasets with data about this key characteristic (its id).")
    format = _facet("Datasets offered in this format.", tuple(FORMATS))
    kind = _facet("Real or demonstration (synthetic) data.", tuple(KINDS))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(search.SORTS),
                         metadata={"description": "Order: relevance (to q; by title without q), title, "
                                   "newest (most recently published first) or name."})
    lang = fields.String(load_default="en", validate=validate.OneOf(("en", "cy")),
                         metadata={"description": "Language of the titles that `sort=title` orders by."})


class CaseStudyArgs(PageArgs):
    characteristic = _facet("Case studies that illustrate this key characteristic (its id).")


class RowArgs(Schema):
    """The parameters of a row query that every resource takes. The others
    depend on the resource's fields (filters, ``sort``, ``fields``): each
    dataset's own OpenAPI document (portal.api.rows_openapi) describes them."""

    class Meta:
        unknown = EXCLUDE

    q = _text("Rows where any text field contains this text (case-insensitive).",
              max_length=datastore.MAX_Q_LENGTH, load_default="")


class RowPageArgs(RowArgs):
    limit = fields.Integer(load_default=datastore.DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=datastore.MAX_LIMIT),
                           metadata={"description": f"Rows per page, at most {datastore.MAX_LIMIT}."})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=datastore.MAX_OFFSET),
                            metadata={"description": "Rows to skip. Not with `cursor`."})
    cursor = _text("Continue after the last row of a previous page: the `next_cursor` of that page "
                   "(the `next` link carries it). Only valid for the same filters, q and sort.",
                   max_length=2000, load_default="")


# -- documents -------------------------------------------------------------------

class Out(Schema):
    """Response documents: exactly the members listed."""


class Text(Out):
    en = fields.String(required=True, metadata={"description": "English"})
    cy = fields.String(required=True, metadata={"description": "Welsh"})


class Keywords(Out):
    en = fields.List(fields.String(), required=True)
    cy = fields.List(fields.String(), required=True)


class Problem(Out):
    """An error (RFC 9457 problem details), as ``application/problem+json``."""

    type = fields.String(required=True, metadata={"description": "Problem type; about:blank: see status."})
    title = fields.String(required=True, metadata={"description": "Short summary of the problem type."})
    status = fields.Integer(required=True, metadata={"description": "HTTP status code."})
    detail = fields.String(required=True, metadata={"description": "What was wrong with this request."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per query parameter, where some were wrong."})


class Paged(Out):
    total = fields.Integer(required=True, metadata={"description": "Items matching, on all pages."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    next = _uri("The next page; null on the last.", required=True, allow_none=True)
    prev = _uri("The previous page; null on the first.", required=True, allow_none=True)


class FacetCount(Out):
    value = fields.String(required=True)
    label = fields.Nested(Text, required=True)
    count = fields.Integer(required=True, metadata={
        "description": "Datasets with this value among those matching the search and every other facet."})


class Facets(Out):
    theme = fields.List(fields.Nested(FacetCount), required=True)
    council = fields.List(fields.Nested(FacetCount), required=True)
    characteristic = fields.List(fields.Nested(FacetCount), required=True)
    format = fields.List(fields.Nested(FacetCount), required=True)
    kind = fields.List(fields.Nested(FacetCount), required=True)


class Downloads(Out):
    datapackage = _uri("The Frictionless datapackage.json of this version.", required=True)
    zip = _uri("The descriptor and every CSV file in one zip (itself a data package).", required=True)


class DatasetSummary(Out):
    name = fields.String(required=True)
    version = fields.Integer(required=True, metadata={
        "description": "The version's number: the latest, except at /versions/<n>."})
    published = fields.DateTime(required=True)
    title = fields.Nested(Text, required=True)
    description = fields.Nested(Text, required=True)
    demonstration = fields.Boolean(required=True, metadata={"description": "Synthetic, demonstration data."})
    themes = fields.List(fields.String(), required=True)
    url = _uri("This dataset in the API.", required=True)
    downloads = fields.Nested(Downloads, required=True)


class DatasetPage(Paged):
    items = fields.List(fields.Nested(DatasetSummary), required=True)
    facets = fields.Nested(Facets, required=True)


class FieldOut(Out):
    name = fields.String(required=True)
    type = fields.String(required=True)
    title = fields.Nested(Text, required=True)
    description = fields.Nested(Text, required=True)


class ResourceLinks(Out):
    csv = _uri("The published CSV file.", required=True)
    json = _uri("The same rows as a JSON array.", required=True)
    schema = _uri("The Table Schema.", required=True)
    rows = _uri("Row queries (JSON).", required=True)
    rows_csv = _uri("Row queries (CSV).", required=True)


class ResourceOut(Out):
    name = fields.String(required=True)
    title = fields.Nested(Text, required=True)
    description = fields.Nested(Text, required=True)
    format = fields.String(required=True)
    mediatype = fields.String(required=True)
    bytes = fields.Integer(required=True)
    hash = fields.String(required=True, metadata={"description": "sha256:<hex> of the CSV file."})
    rows = fields.Integer(required=True, metadata={"description": "Number of rows."})
    fields_ = fields.List(fields.Nested(FieldOut), data_key="fields", required=True)
    links = fields.Nested(ResourceLinks, required=True)


class VersionRef(Out):
    number = fields.Integer(required=True)
    published = fields.DateTime(required=True)
    changelog = fields.Nested(Text, required=True)
    url = _uri("This version in the API.", required=True)


class DatasetVersionOut(DatasetSummary):
    """One version: never changes once published."""

    keywords = fields.Nested(Keywords, required=True)
    changelog = fields.Nested(Text, required=True)
    licenses = fields.List(fields.Dict(), required=True)
    sources = fields.List(fields.Dict(), required=True)
    anonymisation = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The anonymisation threshold and rules used, for aggregated data; else null."})
    resources = fields.List(fields.Nested(ResourceOut), required=True)


class DatasetOut(DatasetVersionOut):
    """The latest version, and the list of every version."""

    versions = fields.List(fields.Nested(VersionRef), required=True, metadata={
        "description": "Every published version, newest first."})


class RowField(Out):
    name = fields.String(required=True)
    type = fields.String(required=True)


class RowPage(Out):
    dataset = fields.String(required=True)
    version = fields.Integer(required=True)
    resource = fields.String(required=True)
    fields_ = fields.List(fields.Nested(RowField), data_key="fields", required=True)
    total = fields.Integer(required=True, metadata={"description": "Rows matching, on all pages."})
    total_estimated = fields.Boolean(metadata={"description": (
        "Present, and true, only when `total` is an estimate: for a search (`q`) that matches many rows "
        f"(over {datastore.ESTIMATE_FROM:,}) on PostgreSQL, where counting them exactly reads every match.")})
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    next = _uri("The next page (keyset cursor); null on the last.", required=True, allow_none=True)
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)), required=True,
                       metadata={"description": "Typed values; suppressed or missing cells are null."})


class TableSchemaOut(Schema):
    """A Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/)."""

    class Meta:
        unknown = INCLUDE

    fields_ = fields.List(fields.Dict(), data_key="fields", required=True)


class OpenAPIOut(Schema):
    """An OpenAPI 3.0 document (https://spec.openapis.org/oas/v3.0.3)."""

    class Meta:
        unknown = INCLUDE

    openapi = fields.String(required=True)
    info = fields.Dict(required=True)
    paths = fields.Dict(required=True)


class Index(Out):
    openapi = _uri("This API's OpenAPI document.", required=True)
    datasets = _uri("Dataset search.", required=True)
    councils = _uri("The 22 councils.", required=True)
    characteristics = _uri("The seven key characteristics of the data maturity framework.", required=True)
    case_studies = _uri("Good-practice case studies.", required=True)


# -- councils, the framework, case studies -----------------------------------------

class CouncilOut(Out):
    gss_code = fields.String(required=True, metadata={"description": "GSS code (W06...)."})
    slug = fields.String(required=True)
    name = fields.Nested(Text, required=True)
    url = _uri("This council in the API.", required=True)


class CouncilPage(Paged):
    items = fields.List(fields.Nested(CouncilOut), required=True)


class Score(Out):
    characteristic_id = fields.String(required=True)
    characteristic = fields.Nested(Text, required=True)
    respondent_group = fields.String(required=True,
                                     metadata={"description": "officer, elected_member or all."})
    respondent_group_name = fields.Nested(Text, required=True)
    respondents = fields.Integer(required=True, allow_none=True)
    level_1_count = fields.Integer(required=True, allow_none=True)
    level_2_count = fields.Integer(required=True, allow_none=True)
    level_3_count = fields.Integer(required=True, allow_none=True)
    level_1_share = fields.Float(required=True, allow_none=True)
    level_2_share = fields.Float(required=True, allow_none=True)
    level_3_share = fields.Float(required=True, allow_none=True)
    mean_level = fields.Float(required=True, allow_none=True)
    median_level = fields.Float(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True, metadata={
        "description": "Figures withheld to protect respondents; they are null."})
    suppression_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "primary (too few respondents) or secondary (recoverable by subtraction)."})
    demonstration = fields.Boolean(required=True)


class ResponseRate(Out):
    dataset = fields.String(required=True, metadata={"description": "The dataset these figures come from."})
    demonstration = fields.Boolean(required=True)
    recipient_group = fields.String(required=True,
                                    metadata={"description": "officer, elected_member or total."})
    recipient_group_name = fields.Nested(Text, required=True)
    invited = fields.Integer(required=True, allow_none=True)
    responded = fields.Integer(required=True, allow_none=True)
    percentage_responded = fields.Integer(required=True, allow_none=True)


class Finding(Out):
    theme_id = fields.String(required=True)
    theme = fields.Nested(Text, required=True)
    paragraph = fields.Integer(required=True)
    text = fields.Nested(Text, required=True)


class CouncilDetail(CouncilOut):
    maturity_scores = fields.List(fields.Nested(Score), required=True, metadata={
        "description": "Per key characteristic and respondent group (demonstration data)."})
    response_rates = fields.List(fields.Nested(ResponseRate), required=True, metadata={
        "description": "The real figures where the report gives them, else the demonstration data."})
    findings = fields.List(fields.Nested(Finding), required=True)


class CharacteristicOut(Out):
    id = fields.String(required=True)
    position = fields.Integer(required=True)
    name = fields.Nested(Text, required=True)
    url = _uri("This characteristic in the API.", required=True)


class CharacteristicPage(Paged):
    items = fields.List(fields.Nested(CharacteristicOut), required=True)


class Level(Out):
    level = fields.Integer(required=True)
    descriptor = fields.Nested(Text, required=True)


class CaseStudyRef(Out):
    id = fields.String(required=True)
    heading = fields.Nested(Text, required=True)
    url = _uri("The case study in the API.", required=True)


class CharacteristicDetail(CharacteristicOut):
    levels = fields.List(fields.Nested(Level), required=True)
    case_studies = fields.List(fields.Nested(CaseStudyRef), required=True)


class CaseStudyOut(Out):
    id = fields.String(required=True)
    position = fields.Integer(required=True)
    heading = fields.Nested(Text, required=True)
    organisation = fields.Nested(Text, required=True)
    place = fields.Nested(Text, required=True)
    summary = fields.Nested(Text, required=True)
    outcomes = fields.Nested(Text, required=True)
    characteristics = fields.List(fields.String(), required=True, metadata={
        "description": "Ids of the key characteristics it illustrates."})
    url = _uri("This case study in the API.", required=True)


class CaseStudyPage(Paged):
    items = fields.List(fields.Nested(CaseStudyOut), required=True)
