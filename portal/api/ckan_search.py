"""``package_search``: CKAN's parameters mapped onto the catalogue search.

The words of ``q`` and the ``fq`` clauses on facets the index knows (``groups``
or ``theme``, ``council``, ``characteristic``, ``format``, ``kind``) go to
:func:`portal.search.search`. When that is all, and the sort is one the index
has, only the pages of the index that cover ``start``..``start + rows`` are
read. Otherwise (other clauses, negations, date ranges, other sorts, facet
counts) every match is read, then filtered, sorted and counted here, which
keeps ``count``, ``results`` and ``facets`` consistent with each other.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import search
from portal.api import ckan_dicts, ckan_fq
from portal.api.ckan_params import (
    SearchQueryError,
    ValidationError,
    boolean,
    integer,
    json_value,
    natural,
    string,
    string_list,
)
from portal.model import DatasetFacet, DatasetVersion, as_utc
from portal.vocabulary import THEMES

DEFAULT_SORT = "score desc, metadata_modified desc"
DEFAULT_ROWS = 10
MAX_ROWS = 1000          # CKAN's ckan.search.rows_max: larger values are capped
DEFAULT_FACET_LIMIT = 50  # CKAN's search.facets.limit
PAGE = search.MAX_PER_PAGE
PARAMETERS = {"q", "fq", "fq_list", "rows", "start", "sort", "facet", "facet.field", "facet.limit",
              "facet.mincount", "include_private", "include_drafts", "include_deleted",
              "use_default_schema", "fl", "qf", "defType", "wt", "tie", "bf", "boost", "mm", "q.op",
              "extras", "callback"}
# keyword-friendly spellings (``ckan.action.package_search(facet_field=[...])``)
ALIASES = {"facet_field": "facet.field", "facet_limit": "facet.limit", "facet_mincount": "facet.mincount"}
SORT_FIELDS = ("score", "title_string", "name", "metadata_modified", "metadata_created", "id")
PUSHED = {"groups": "theme", "theme": "theme", "council": "council", "characteristic": "characteristic",
          "format": "format", "kind": "kind"}
NATIVE_SORTS = {(("title_string", False),): "title", (("metadata_modified", True),): "newest",
                (("name", False),): "name"}
FACET_FIELDS = tuple(f for f in ckan_fq.TEXT_FIELDS if f not in ("id", "state", "capacity", "type"))


@dataclass
class Request:
    words: str
    groups: list[ckan_fq.Group]
    sort_text: str
    sort: list[tuple[str, bool]]
    rows: int
    start: int
    facet_fields: list[str]
    facet_limit: int
    facet_mincount: int
    fl: list[str] | None
    pushed: dict[str, list[str]] = field(default_factory=dict)
    remaining: list[ckan_fq.Group] = field(default_factory=list)


def read(data: dict[str, Any]) -> Request:
    data = {ALIASES.get(key, key): value for key, value in data.items()}
    unknown = sorted(key for key in data if key not in PARAMETERS and not key.startswith("ext_"))
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    words, q_terms = ckan_fq.split_query(string(data, "q", max_length=search.MAX_QUERY_LENGTH))
    fq_texts = [string(data, "fq", max_length=ckan_fq.MAX_FQ_LENGTH), q_terms]
    fq_texts += string_list(data, "fq_list") or []
    groups = [group for text in fq_texts for group in ckan_fq.parse(text, "fq")]
    if len(groups) > ckan_fq.MAX_CLAUSES:
        raise ValidationError.one("fq", f"At most {ckan_fq.MAX_CLAUSES} clauses")
    sort_text = string(data, "sort", max_length=200).strip()
    sort_text = DEFAULT_SORT if sort_text in ("", "rank") else sort_text
    facets_on = boolean(data, "facet", True)
    facet_fields = _facet_fields(data) if facets_on else []
    fl = string_list(data, "fl", split=",") if "fl" in data else None
    if fl is not None and len(fl) == 1 and " " in fl[0]:
        fl = fl[0].split()
    request = Request(words=words, groups=groups, sort_text=sort_text, sort=_sort(sort_text),
                      rows=min(natural(data, "rows", DEFAULT_ROWS), MAX_ROWS),
                      start=natural(data, "start", 0), facet_fields=facet_fields,
                      facet_limit=integer(data, "facet.limit", DEFAULT_FACET_LIMIT, minimum=-1) or 0,
                      facet_mincount=natural(data, "facet.mincount", 1), fl=fl)
    _plan(request)
    return request


def _facet_fields(data: dict[str, Any]) -> list[str]:
    value = json_value(data, "facet.field")
    if value is None:
        return []
    names = string_list({"facet.field": value}, "facet.field")
    unknown = [name for name in names if name not in FACET_FIELDS]
    if unknown:
        raise ValidationError.one("facet.field", f"Unknown facet field {unknown[0]!r}; "
                                                 f"the facet fields are: {', '.join(FACET_FIELDS)}")
    return list(dict.fromkeys(names))


def _sort(text: str) -> list[tuple[str, bool]]:
    keys = []
    for part in (p.strip() for p in text.split(",")):
        words = part.split()
        if not words:
            continue
        name = "title_string" if words[0] == "title" else words[0]
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc") or name not in SORT_FIELDS:
            raise ValidationError.one("sort", f"Cannot sort by {part!r}; sort by one or more of "
                                              f"{', '.join(SORT_FIELDS)} with asc or desc")
        keys.append((name, direction == "desc"))
    if not keys:
        raise ValidationError.one("sort", "Name a field to sort by")
    return keys


def _plan(request: Request) -> None:
    """Which clauses the index applies, and which are left to :func:`_matches`."""
    for group in request.groups:
        clause = group[0]
        facet = PUSHED.get(clause.field)
        if (len(group) == 1 and facet and not clause.negated and not clause.anything
                and facet not in request.pushed):
            values = clause.values  # casefolded: the index holds codes in upper case, the rest in lower
            request.pushed[facet] = [v.upper() for v in values] if facet == "council" else list(values)
        else:
            request.remaining.append(group)


def native_sort(request: Request) -> str | None:
    """The index's own sort giving this order, if there is one."""
    keys = tuple(request.sort)
    if keys and keys[0] == ("score", True):
        if not request.words:
            keys = keys[1:] or (("name", False),)
        elif len(keys) == 1:
            return "relevance"
    return NATIVE_SORTS.get(keys)


# -- running ------------------------------------------------------------------------

@dataclass
class Outcome:
    count: int
    versions: list[DatasetVersion]
    facets: dict[str, list[tuple[str, int]]]


def run(session: Session, request: Request) -> Outcome:
    sort = native_sort(request)
    if sort and not request.remaining and not request.facet_fields:
        return _paged(session, request, sort)
    base = "relevance" if request.words else "name"
    versions = _everything(session, request, sort or base)
    documents = _documents(session, versions)
    versions = [v for v in versions if all(_matches(documents[v.dataset_id], g) for g in request.remaining)]
    if sort is None:
        # without words every score is the same, as in Solr: only the other keys order
        keys = request.sort if request.words else [key for key in request.sort if key[0] != "score"]
        versions = _sorted(versions, keys)
    facets = _facet_counts(request, [documents[v.dataset_id] for v in versions])
    return Outcome(len(versions), versions[request.start:request.start + request.rows], facets)


def _query(request: Request, sort: str, page: int, per_page: int) -> search.SearchQuery:
    return search.SearchQuery(q=request.words, facets=request.pushed, sort=sort, page=page,
                              per_page=per_page, language="en")


def _search(session: Session, query: search.SearchQuery) -> search.SearchResult:
    try:
        return search.search(session, query)
    except search.SearchError as error:
        parameter = error.parameter if error.parameter in ("q", "sort") else "fq"
        raise ValidationError.one(parameter, str(error)) from None


def _paged(session: Session, request: Request, sort: str) -> Outcome:
    """Read only the index pages covering the rows asked for."""
    if request.rows == 0:
        return Outcome(_search(session, _query(request, sort, 1, 1)).total, [], {})
    aligned = request.rows <= PAGE and request.start % request.rows == 0
    per_page = request.rows if aligned else PAGE
    first = request.start // per_page + 1
    last = (request.start + request.rows - 1) // per_page + 1
    versions: list[DatasetVersion] = []
    total = 0
    for page in range(first, last + 1):
        result = _search(session, _query(request, sort, page, per_page))
        total = result.total
        versions += result.versions
        if page * per_page >= total:
            break
    skip = request.start - (first - 1) * per_page
    return Outcome(total, versions[skip:skip + request.rows], {})


def _everything(session: Session, request: Request, sort: str) -> list[DatasetVersion]:
    versions: list[DatasetVersion] = []
    page = 1
    while True:
        result = _search(session, _query(request, sort, page, PAGE))
        versions += result.versions
        if page * PAGE >= result.total or not result.versions:
            return versions
        page += 1


Document = dict[str, Any]


def _documents(session: Session, versions: list[DatasetVersion]) -> dict[int, Document]:
    """What each dataset holds for every filterable field (text values casefolded
    under the field's name, original values under ``("shown", field)``)."""
    facet_rows = session.execute(
        select(DatasetFacet.dataset_id, DatasetFacet.facet, DatasetFacet.value)
        .where(DatasetFacet.dataset_id.in_([v.dataset_id for v in versions]))).all() if versions else []
    documents: dict[int, Document] = {}
    org = ckan_dicts.organization()  # the portal's publisher publishes every dataset
    # text fields, matched word by word as Solr's text analysis does
    for version in versions:
        shown: dict[str, set[str]] = {
            "id": {ckan_dicts.package_id(version.dataset.name)},
            "name": {version.dataset.name},
            "tags": set(version.keywords_en),
            "organization": {org.name},
            "owner_org": {org.id},
            "groups": set(ckan_dicts.themes(version)),
            "res_format": {resource.format.upper() for resource in version.resources} | {"JSON"},
            "license_id": {ckan_dicts.licence(version).id},
            "title": {version.title_en}, "notes": {version.description_en},
            "state": {"active"}, "capacity": {"public"}, "dataset_type": {"dataset"}, "type": {"dataset"},
            "theme": set(), "council": set(), "characteristic": set(), "format": set(), "kind": set(),
        }
        documents[version.dataset_id] = {
            "shown": shown,
            "metadata_modified": version.published_utc,
            "metadata_created": as_utc(version.dataset.created_at),
        }
    for dataset_id, facet, value in facet_rows:
        documents[dataset_id]["shown"][facet].add(value)
    for document in documents.values():
        document.update({name: {v.casefold() for v in values} for name, values in document["shown"].items()})
        for name in ckan_fq.WORD_FIELDS:
            document[("words", name)] = [ckan_fq.words(value) for value in document["shown"][name]]
    return documents


def _matches(document: Document, group: ckan_fq.Group) -> bool:
    return any(_clause_holds(document, clause) != clause.negated for clause in group)


def _clause_holds(document: Document, clause: ckan_fq.Clause) -> bool:
    if clause.is_range:
        moment: datetime = document[clause.field]
        low, high = clause.low, clause.high
        if low is not None and (moment < low or (not clause.inclusive and moment == low)):
            return False
        return high is None or moment < high or (clause.inclusive and moment == high)
    values = document[clause.field]
    if clause.anything:
        return bool(values)
    if clause.field in ckan_fq.WORD_FIELDS:
        return any(ckan_fq.phrase_in(value, text) for value in clause.values
                   for text in document[("words", clause.field)]) or bool(values & set(clause.values))
    return bool(values & set(clause.values))


def _sorted(versions: list[DatasetVersion], keys: list[tuple[str, bool]]) -> list[DatasetVersion]:
    """Stable sorts, last key first; ``score`` is the order the index returned."""
    rank = {v.dataset_id: i for i, v in enumerate(versions)}
    value = {
        "score": lambda v: -rank[v.dataset_id],
        "title_string": lambda v: (v.title_en.lower(), v.dataset.name),
        "name": lambda v: v.dataset.name,
        "metadata_modified": lambda v: v.published_utc,
        "metadata_created": lambda v: as_utc(v.dataset.created_at),
        "id": lambda v: ckan_dicts.package_id(v.dataset.name),
    }
    ordered = list(versions)
    for name, descending in reversed(keys):
        ordered.sort(key=value[name], reverse=descending)
    return ordered


def _facet_counts(request: Request, documents: Iterable[Document]) -> dict[str, list[tuple[str, int]]]:
    documents = list(documents)
    counts: dict[str, list[tuple[str, int]]] = {}
    for name in request.facet_fields:
        counter = Counter(value for document in documents for value in document["shown"][name])
        items = sorted(((value, n) for value, n in counter.items() if n >= request.facet_mincount),
                       key=lambda item: (-item[1], item[0]))
        counts[name] = items if request.facet_limit < 0 else items[:request.facet_limit]
    return counts


# -- the result ---------------------------------------------------------------------

def display_names(session: Session, facets: dict[str, list[tuple[str, int]]]) -> dict[str, dict[str, str]]:
    """English labels of facet values, as CKAN shows group and licence titles."""
    names = search.facet_names(session) if {"council", "characteristic"} & set(facets) else {}
    labels: dict[str, dict[str, str]] = {}
    org = ckan_dicts.organization()
    for facet, items in facets.items():
        if facet in ("groups", "theme"):
            labels[facet] = {value: THEMES.get(value, (value, value))[0] for value, _ in items}
        elif facet in ("organization", "owner_org"):
            labels[facet] = {value: org.title for value, _ in items}
        elif facet in ("council", "characteristic", "format", "kind"):
            labels[facet] = {value: search.facet_label(facet, value, "en", names) for value, _ in items}
        else:
            labels[facet] = {value: value for value, _ in items}
    return labels


def result(session: Session, request: Request, outcome: Outcome) -> dict[str, Any]:
    created = ckan_dicts.first_publication(session)
    results = [ckan_dicts.package_dict(version, created) for version in outcome.versions]
    if request.fl and "*" not in request.fl:
        results = [{key: item.get(key) for key in request.fl} for item in results]
    labels = display_names(session, outcome.facets)
    search_facets = {
        name: {"title": name, "items": sorted(
            ({"count": n, "display_name": labels[name][value], "name": value} for value, n in items),
            key=lambda item: item["display_name"], reverse=True)}
        for name, items in outcome.facets.items()}
    return {"count": outcome.count, "facets": {name: dict(items) for name, items in outcome.facets.items()},
            "results": results, "sort": request.sort_text, "search_facets": search_facets}
