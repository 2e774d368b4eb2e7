"""Catalogue search: a full-text index and facets kept in the database.

Every published dataset has one search document per language (its latest
version's title, description, keywords, and the titles and descriptions of
its resources and fields) and a set of facet values (theme, council,
characteristic, format, real or demonstration). The text is normalised here,
the same way for documents and queries (lower case, no diacritics, letters
and digits only), and indexed by the database: FTS5 on SQLite, a GIN
expression index on PostgreSQL. Every search term is a prefix.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, contains_eager, selectinload

from portal import datastore, queries, rowstore
from portal.model import Dataset, DatasetFacet, DatasetVersion, SearchDocument
from portal.vocabulary import FORMATS, KINDS, THEMES, label

FACETS = ("theme", "council", "characteristic", "format", "kind")
SORTS = ("relevance", "title", "newest", "name")
MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
COUNCIL_CODE = re.compile(r"^W06[0-9]{6}$")
COUNCILS_REF = ("councils", "councils", "gss_code")
CHARACTERISTICS_REF = ("maturity-framework", "characteristics", "id")


class SearchError(ValueError):
    """A search that cannot be run; ``parameter`` names what was wrong."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


def normalise(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", stripped.casefold()))


# -- indexing ---------------------------------------------------------------------

def reindex(session: Session, names: Iterable[str] | None = None) -> int:
    """Rebuild documents and facets from the latest versions: of every
    dataset, or of the datasets ``names``. Call inside the publishing
    transaction, so the index changes with what it describes."""
    if names is None:
        session.execute(delete(SearchDocument))
        session.execute(delete(DatasetFacet))
        versions = queries.latest_versions(session)
    else:
        versions = [v for v in (queries.latest_version(session, name) for name in set(names)) if v]
        # also those no longer published (withdrawn): their documents go
        ids = list(session.scalars(select(Dataset.id).where(Dataset.name.in_(sorted(set(names))))))
        session.execute(delete(SearchDocument).where(SearchDocument.dataset_id.in_(ids)))
        session.execute(delete(DatasetFacet).where(DatasetFacet.dataset_id.in_(ids)))
    for version in versions:
        for language in ("en", "cy"):
            session.add(SearchDocument(dataset_id=version.dataset_id, language=language,
                                       title=normalise(version.text("title", language)),
                                       body=normalise(_body(version, language))))
        session.execute(insert(DatasetFacet), [
            {"dataset_id": version.dataset_id, "facet": facet, "value": value}
            for facet, value in sorted(facet_values(session, version))])
    session.flush()
    return len(versions)


def _body(version: DatasetVersion, language: str) -> str:
    parts = [version.dataset.name, version.text("description", language), *version.text("keywords", language)]
    for resource in version.resources:
        parts += [resource.name, resource.text("title", language), resource.text("description", language)]
        for fld in resource.fields:
            parts += [fld.name, fld.text("title", language), fld.text("description", language)]
    return " ".join(parts)


def facet_values(session: Session, version: DatasetVersion) -> set[tuple[str, str]]:
    values = {("kind", "demonstration" if version.demonstration else "real")}
    values |= {("format", fmt) for fmt in FORMATS}
    values |= {("theme", theme) for theme in version.descriptor.get("themes", [])}
    for resource in version.resources:
        for fld in resource.table_schema["fields"]:
            ref = fld.get("externalReference") or {}
            target = (ref.get("package"), ref.get("resource"), ref.get("field"))
            own = (version.dataset.name, resource.name, fld["name"])
            facet = ("council" if COUNCILS_REF in (target, own) or fld["name"] == "area_code"
                     else "characteristic" if CHARACTERISTICS_REF in (target, own) else None)
            if facet is None:
                continue
            table = datastore.row_table(session, resource)
            if table.kinds.get(fld["name"]) != "string":
                continue
            for value in rowstore.distinct_values(session, table, fld["name"]):
                if facet != "council" or COUNCIL_CODE.match(value):
                    values.add((facet, value))
    return values


# -- searching ----------------------------------------------------------------------

@dataclass
class SearchQuery:
    q: str = ""
    facets: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    language: str = "en"

    def check(self) -> SearchQuery:
        if len(self.q) > MAX_QUERY_LENGTH:
            raise SearchError("q", f"the search text is longer than {MAX_QUERY_LENGTH} characters")
        for name, values in self.facets.items():
            if name not in FACETS:
                raise SearchError(name, f"unknown facet {name!r}; facets are: {', '.join(FACETS)}")
            if any("\x00" in value for value in values):
                raise SearchError(name, f"a {name} value contains a NUL character")
        if self.sort not in SORTS:
            raise SearchError("sort", f"unknown sort {self.sort!r}; sorts are: {', '.join(SORTS)}")
        if not 1 <= self.page <= MAX_PAGE:
            raise SearchError("page", f"the page number must be between 1 and {MAX_PAGE}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise SearchError("per_page", f"the page size must be between 1 and {MAX_PER_PAGE}")
        return self


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    versions: list[DatasetVersion]
    facets: dict[str, list[tuple[str, int]]]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))


def terms(q: str) -> list[str]:
    return normalise(q).split()


def search(session: Session, query: SearchQuery) -> SearchResult:
    query.check()
    words = list(dict.fromkeys(terms(query.q)))  # each word once
    # datasets with a version still published (not withdrawn), and matching
    # the words: found once, then given to every other query as a list of
    # ids, which each database plans simply (nested IN subqueries are not)
    selected = select(Dataset.id).where(Dataset.id.in_(select(DatasetVersion.dataset_id).where(queries.is_live())))
    if words:
        selected = selected.where(Dataset.id.in_(select(_matching(session, words).c.dataset_id)))
    selected_ids = list(session.scalars(selected))
    facet_filters = {name: values for name, values in query.facets.items() if values}
    filtered_ids = selected_ids
    if facet_filters and selected_ids:
        filtered = select(Dataset.id).where(_among(session, Dataset.id, selected_ids))
        for name, values in facet_filters.items():
            filtered = filtered.where(Dataset.id.in_(
                select(DatasetFacet.dataset_id).where(DatasetFacet.facet == name, DatasetFacet.value.in_(values))))
        filtered_ids = list(session.scalars(filtered))
    total = len(filtered_ids)

    versions: list[DatasetVersion] = []
    if filtered_ids:
        latest = (select(DatasetVersion.dataset_id, func.max(DatasetVersion.number).label("number"))
                  .where(queries.is_live(), _among(session, DatasetVersion.dataset_id, filtered_ids))
                  .group_by(DatasetVersion.dataset_id).subquery())
        listing = (select(DatasetVersion)
                   .join(latest, (DatasetVersion.dataset_id == latest.c.dataset_id)
                         & (DatasetVersion.number == latest.c.number))
                   .join(Dataset, Dataset.id == DatasetVersion.dataset_id))
        title = DatasetVersion.title_cy if query.language == "cy" else DatasetVersion.title_en
        if query.sort == "relevance" and words:
            matched = _matching(session, words)
            listing = listing.join(matched, matched.c.dataset_id == DatasetVersion.dataset_id) \
                .order_by(matched.c.score.desc(), func.lower(title))
        elif query.sort == "newest":
            listing = listing.order_by(DatasetVersion.published_at.desc(), Dataset.name)
        elif query.sort == "name":
            listing = listing.order_by(Dataset.name)
        else:
            listing = listing.order_by(func.lower(title), Dataset.name)
        listing = listing.limit(query.per_page).offset((query.page - 1) * query.per_page)
        # what the listing shows of each: its dataset and resources, in two queries, not two per dataset
        listing = listing.options(contains_eager(DatasetVersion.dataset), selectinload(DatasetVersion.resources))
        versions = list(session.scalars(listing))
    return SearchResult(query, total, versions, _facet_counts(session, selected_ids, facet_filters))


def _among(session: Session, column, ids: list[int]):
    """``column`` is one of ``ids``: one array on PostgreSQL, one JSON list on
    SQLite, however many (not a parameter each)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == func.any(bindparam(None, ids, type_=ARRAY(Integer)))
    values = func.json_each(bindparam(None, json.dumps(ids))).table_valued("value")
    return column.in_(select(values.c.value))


def _facet_counts(session: Session, selected_ids: list[int], facet_filters: dict[str, list[str]]
                  ) -> dict[str, list[tuple[str, int]]]:
    """For each facet, the count of datasets per value among those matching the
    search and every *other* facet's selection (so choices within a facet add up)."""
    counts: dict[str, list[tuple[str, int]]] = {}
    if not selected_ids:
        return {name: [] for name in FACETS}
    selected = _among(session, DatasetFacet.dataset_id, selected_ids)
    for name in FACETS:
        scope = [selected]
        for other, values in facet_filters.items():
            if other != name:
                scope.append(DatasetFacet.dataset_id.in_(select(DatasetFacet.dataset_id).where(
                    DatasetFacet.facet == other, DatasetFacet.value.in_(values))))
        rows = session.execute(
            select(DatasetFacet.value, func.count(DatasetFacet.dataset_id.distinct()))
            .where(DatasetFacet.facet == name, *scope)
            .group_by(DatasetFacet.value).order_by(func.count(DatasetFacet.dataset_id.distinct()).desc(),
                                                   DatasetFacet.value))
        counts[name] = [(value, count) for value, count in rows]
    return counts


def _matching(session: Session, words: list[str]):
    """(dataset_id, score) of datasets whose text in any language holds every word."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = " ".join(f'"{word}"*' for word in words)
        statement = text(
            # MATERIALIZED: bm25() only works where SQLite does not flatten the query
            "WITH hits AS MATERIALIZED (SELECT rowid AS document_id, -bm25(search_fts, 5.0, 1.0) AS score "
            "FROM search_fts WHERE search_fts MATCH :match) "
            "SELECT d.dataset_id AS dataset_id, max(hits.score) AS score "
            "FROM hits JOIN search_documents d ON d.id = hits.document_id GROUP BY d.dataset_id"
        ).bindparams(match=match)
    else:
        match = " & ".join(f"{word}:*" for word in words)
        # search_vector: each document's weighted words, stored (migration 0010)
        statement = text(
            "SELECT d.dataset_id AS dataset_id, max(ts_rank(d.search_vector, to_tsquery('simple', :match))) "
            "AS score FROM search_documents d WHERE d.search_vector @@ to_tsquery('simple', :match) "
            "GROUP BY d.dataset_id").bindparams(match=match)
    return statement.columns(dataset_id=Integer, score=Float).subquery("matched")


# Facet value names by the versions they were read from: (dataset, content
# hash) names what one published version holds, which never changes (in any
# database), so what was read from it holds for as long as it is the latest.
_FACET_NAMES: dict[tuple, dict[str, dict[str, tuple[str, str]]]] = {}
NAMED_FACETS = {"council": ("councils", "councils", "gss_code"),
                "characteristic": ("maturity-framework", "characteristics", "id")}


def facet_names(session: Session) -> dict[str, dict[str, tuple[str, str]]]:
    """English and Welsh names of the council and characteristic facet values."""
    latest = (select(DatasetVersion.dataset_id, func.max(DatasetVersion.number).label("number"))
              .join(DatasetVersion.dataset)
              .where(Dataset.name.in_([dataset for dataset, _, _ in NAMED_FACETS.values()]), queries.is_live())
              .group_by(DatasetVersion.dataset_id).subquery())
    key = tuple(session.execute(
        select(Dataset.name, DatasetVersion.content_hash).join(DatasetVersion.dataset)
        .join(latest, (latest.c.dataset_id == DatasetVersion.dataset_id) & (latest.c.number == DatasetVersion.number))
        .order_by(Dataset.name)))
    if key not in _FACET_NAMES:
        if len(_FACET_NAMES) > 64:
            _FACET_NAMES.clear()
        _FACET_NAMES[key] = {
            facet: {row[code]: (row["name_en"], row["name_cy"])
                    for row in queries.dataset_rows(session, dataset, resource)}
            for facet, (dataset, resource, code) in NAMED_FACETS.items()}
    return _FACET_NAMES[key]


def facet_label(facet: str, value: str, language: str, names: dict[str, dict[str, tuple[str, str]]]) -> str:
    """A facet value's label in ``language``; ``names`` holds council and
    characteristic names by code."""
    vocabulary = {"theme": THEMES, "format": FORMATS, "kind": KINDS}.get(facet) or names.get(facet, {})
    return label(vocabulary, value, language)
